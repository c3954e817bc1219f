# EVA-02-B + UperNet on ADE20K, 512 crops: 55.3 mIoU single-scale (official). Recipe from
# EVA-02/seg/configs/eva02/upernet/upernet_eva02_base_12_512_slide_60k.py (docs/recipes.md#segmentation): patch-16
# weights eva02_B_pt_in21k_p14to16.pt, blocks 3/5/7/11, drop path 0.15, UperNet channels 768; AdamW lr 6e-5,
# betas (0.9, 0.999), wd 0.05, layer decay 0.85 over 12 blocks; linear warmup 1500 iters from 1e-6 then poly
# (power 1.0) to 0 at 60k; batch 32 (4 GPUs x 8); fp16 officially (add --amp); slide test 512 / stride 341.
_base_ = [
    '../_base_/models/upernet_eva02-b-p16.py',
    'mmseg::_base_/datasets/ade20k.py',
    '../_base_/schedules/seg_adamw_poly.py',
]

model = dict(
    data_preprocessor=dict(size=_base_.crop_size),
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint='pretrain/eva02_B_pt_in21k_p14to16.pt')),
    test_cfg=dict(mode='slide', crop_size=_base_.crop_size, stride=(341, 341)))
# schedule: seg_adamw_poly.py's defaults are this recipe
train_dataloader = dict(batch_size=8)  # x 4 GPUs = 32
