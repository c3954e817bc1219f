# EVA-01 (EVA-g) ViTDet Cascade Mask R-CNN, COCO (paper: 64.7 box / 55.5 mask AP test-dev; README val 64.5 / 55.0;
# released checkpoints, single-scale val: 64.2 box, 55.0 mask). Numbers: docs/recipes.md#detection, from
# EVA-01/det/projects/ViTDet/configs/COCO/cascade_mask_rcnn_vitdet_eva{,_1536}.py: init eva_o365.pth (after
# Objects365), LSJ 1280 for training and 1536 for testing, windows of 16 with global blocks 3, 7, ..., 39 (every
# 4th), decomposed relative position bias (zero-init, learned), frozen patch embedding, activation checkpointing,
# drop path 0.6, AdamW lr 2.5e-5 betas (0.9, 0.999) wd 0.1 on every parameter, layer decay 0.9, batch 64,
# 45k iterations with x0.1 at 40k and 44,999, warmup 500 from 0.001, AMP; soft-NMS per class, as the official fast_rcnn.py (boxes offset by class).
_base_ = [
    '../_base_/models/cascade-mask-rcnn_eva-vitdet.py',
    '../_base_/datasets/coco_instance_lsj.py',
    'mmdet::_base_/default_runtime.py',
]
custom_imports = dict(imports=['eva_mm'], allow_failed_imports=False)

train_size = (1280, 1280)
test_size = (1536, 1536)
model = dict(
    data_preprocessor=dict(batch_augments=[dict(type='BatchFixedSizePad', size=train_size, pad_mask=True)]),
    backbone=dict(arch='eva-g', img_size=1280, window_size=16, global_attn_indexes=tuple(range(3, 40, 4)),
                  use_rel_pos=True, freeze_patch_embed=True, with_cp=True, drop_path_rate=0.6,
                  # the 1536 test reads the 1280 rel-pos tables through BEiT's geometric fit, as the official
                  # cascade_mask_rcnn_vitdet_eva_1536.py (interp_type="beit"); at 1280 nothing is resized
                  rel_pos_interp='beit',
                  init_cfg=dict(type='Pretrained', checkpoint='pretrained/eva_o365.pth')),
    neck=dict(backbone_channel=1408))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomResize', scale=train_size, ratio_range=(0.1, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_type='absolute_range', crop_size=train_size, recompute_bbox=True,
         allow_negative_crop=True),
    dict(type='FilterAnnotations', min_gt_bbox_wh=(1e-2, 1e-2)),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=test_size, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(batch_size=1, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

batch_size = 64  # total over all GPUs (8 nodes x 8 GPUs x 1 image)
max_iters = 45000
warmup_iters = 500
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters, val_interval=5000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    _delete_=True, type='AmpOptimWrapper', loss_scale='dynamic',
    optimizer=dict(type='AdamW', lr=2.5e-5, betas=(0.9, 0.999), weight_decay=0.1),
    constructor='EVALayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(layer_decay_rate=0.9, no_decay_1d=False, no_decay_names=()))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters, milestones=[40000, 44999], gamma=0.1),
]
auto_scale_lr = dict(enable=False, base_batch_size=batch_size)
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=5000, max_keep_ckpts=3))
log_processor = dict(by_epoch=False)
