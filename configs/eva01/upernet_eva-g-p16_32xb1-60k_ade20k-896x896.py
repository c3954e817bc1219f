# EVA-01 g + UperNet on ADE20K, 896 crops. NO OFFICIAL RECIPE: EVA-01 released only Mask2Former (+ ViT-Adapter)
# segmentation. Derived: the EVA-02 UperNet design (docs/recipes.md: BEiT multi-scale neck, UperNet + aux FCN)
# on EVA-g with outputs after blocks 9/19/29/39 (the ViT-Adapter interaction ends), head channels 1024 (EVA-02-L),
# and EVA-01's from-MIM segmentation optimisation (COCO-Stuff stage, EVA-01/seg/configs/coco_stuff164k/
# eva_mask2former_896_60k_cocostuff164k_ss.py): init eva_psz14to16.pt, 896 crops, drop path 0.5, AdamW lr 1.5e-5,
# wd 0.05, layer decay 0.95 over 40 blocks, warmup 1500, poly to 60k, batch 32; slide test 896 / stride 512.
_base_ = [
    '../_base_/models/upernet_eva02-b-p16.py',
    '../_base_/datasets/ade20k_896x896.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_80k.py',
]
custom_imports = dict(imports=['eva_mm'], allow_failed_imports=False)

embed_dims = 1408
crop_size = (896, 896)
max_iters = 60000
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(arch='eva-g', img_size=896, out_indices=(9, 19, 29, 39), drop_path_rate=0.5, with_cp=True,
                  init_cfg=dict(type='Pretrained', checkpoint='pretrain/eva_psz14to16.pt')),
    neck=dict(embed_dim=embed_dims),
    decode_head=dict(in_channels=[embed_dims] * 4, channels=1024),
    auxiliary_head=dict(in_channels=embed_dims),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(512, 512)))

optim_wrapper = dict(
    _delete_=True, type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1.5e-5, betas=(0.9, 0.999), weight_decay=0.05),
    constructor='EVALayerDecayOptimWrapperConstructor', paramwise_cfg=dict(layer_decay_rate=0.95))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500),
    dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False, begin=1500, end=max_iters),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=6000)
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=6000, max_keep_ckpts=3, save_best='mIoU'))
train_dataloader = dict(batch_size=1)  # x 32 GPUs = 32
val_dataloader = dict(batch_size=1)
test_dataloader = val_dataloader
auto_scale_lr = dict(enable=False, base_batch_size=32)
