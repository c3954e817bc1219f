# EVA-01 g + UperNet on ADE20K, 896 crops. NO OFFICIAL RECIPE: EVA-01 released only Mask2Former (+ ViT-Adapter)
# segmentation. Derived: the EVA-02 UperNet design (docs/recipes.md: BEiT multi-scale neck, UperNet + aux FCN)
# on EVA-g with outputs after blocks 9/19/29/39 (the ViT-Adapter interaction ends), head channels 1024 (EVA-02-L),
# and EVA-01's from-MIM segmentation optimisation (COCO-Stuff stage, EVA-01/seg/configs/coco_stuff164k/
# eva_mask2former_896_60k_cocostuff164k_ss.py): init eva_psz14to16.pt, 896 crops, drop path 0.5, AdamW lr 1.5e-5,
# wd 0.05, layer decay 0.95 over 40 blocks, warmup 1500, poly to 60k, batch 32; slide test 896 / stride 512.
_base_ = [
    '../_base_/models/upernet_eva02-b-p16.py',
    '../_base_/datasets/ade20k_896x896.py',
    '../_base_/schedules/seg_adamw_poly.py',
]

embed_dims = 1408
model = dict(
    data_preprocessor=dict(size=_base_.crop_size),
    backbone=dict(arch='eva-g', img_size=896, out_indices=(9, 19, 29, 39), drop_path_rate=0.5, with_cp=True,
                  init_cfg=dict(type='Pretrained', checkpoint='pretrain/eva_psz14to16.pt')),
    neck=dict(embed_dim=embed_dims),
    decode_head=dict(in_channels=[embed_dims] * 4, channels=1024),
    auxiliary_head=dict(in_channels=embed_dims),
    test_cfg=dict(mode='slide', crop_size=_base_.crop_size, stride=(512, 512)))
optim_wrapper = dict(optimizer=dict(lr=1.5e-5), paramwise_cfg=dict(layer_decay_rate=0.95))  # 60k, warmup 1500
train_dataloader = dict(batch_size=1)  # x 32 GPUs = 32
