# EVA-02-L + UperNet on ADE20K, 512 crops: 59.8 mIoU single-scale / 60.4 multi-scale + flip (official). Recipe from
# EVA-02/seg/configs/eva02/upernet/upernet_eva02_large_24_512_slide_80k.py (docs/recipes.md): patch-16 weights
# eva02_L_pt_m38m_p14to16.pt, blocks 7/11/15/23, drop path 0.2, UperNet channels 1024; AdamW lr 4e-5, wd 0.05,
# layer decay 0.9 over 24 blocks; warmup 1500 from 1e-6, poly (1.0) to 0 at 80k; batch 32 (2 x 8 GPUs x 2; the
# README says 16); fp16 officially (add --amp); slide test 512 / stride 341. Multi-scale: tools/test.py --tta
# (ratios 0.5-1.75 + flip, mmseg's ade20k tta_pipeline).
_base_ = [
    '../_base_/models/upernet_eva02-b-p16.py',
    'mmseg::_base_/datasets/ade20k.py',
    '../_base_/schedules/seg_adamw_poly.py',
]
from eva_mm.engine.config_parts import warmup_poly

embed_dims = 1024
max_iters = 80000
model = dict(
    data_preprocessor=dict(size=_base_.crop_size),
    backbone=dict(arch='eva02-l', out_indices=(7, 11, 15, 23), drop_path_rate=0.2,
                  init_cfg=dict(type='Pretrained', checkpoint='pretrain/eva02_L_pt_m38m_p14to16.pt')),
    neck=dict(embed_dim=embed_dims),
    decode_head=dict(in_channels=[embed_dims] * 4, channels=1024),
    auxiliary_head=dict(in_channels=embed_dims),
    test_cfg=dict(mode='slide', crop_size=_base_.crop_size, stride=(341, 341)))
optim_wrapper = dict(optimizer=dict(lr=4e-5), paramwise_cfg=dict(layer_decay_rate=0.9))
param_scheduler = warmup_poly(max_iters, 1500)
train_cfg = dict(max_iters=max_iters, val_interval=8000)
default_hooks = dict(checkpoint=dict(interval=8000))
train_dataloader = dict(batch_size=2)  # x 16 GPUs = 32
