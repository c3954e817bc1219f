# EVA-02-B ViTDet Cascade Mask R-CNN, LVIS v1 baseline (paper: 47.1 box / 41.4 mask AP, LVIS val).
# Numbers: docs/recipes.md#detection row "B LVIS bsl" (EVA-02/det eva2_mim_to_lvis, eva02_B 1024): init
# eva02_B_pt_in21k_p14to16, windows of 16 with global blocks 2, 5, 8, 11, drop path 0.1, AdamW lr 1e-4
# betas (0.9, 0.999) wd 0.1 on every parameter, layer decay 0.7, batch 128, 50k iterations, x0.1 at 80% and 90%,
# warmup 1000, AMP; repeat-factor sampling (t = 0.001) and the federated loss (docs/recipes.md#detection).
_base_ = [
    '../_base_/models/cascade-mask-rcnn_eva-vitdet_fed-loss.py',
    '../_base_/datasets/lvis_v1_instance_lsj.py',
    'mmdet::_base_/default_runtime.py',
]
custom_imports = dict(imports=['eva_mm'], allow_failed_imports=False)

model = dict(
    backbone=dict(arch='eva02-b', img_size=1024, window_size=16, global_attn_indexes=(2, 5, 8, 11),
                  drop_path_rate=0.1,
                  init_cfg=dict(type='Pretrained', checkpoint='pretrained/eva02_B_pt_in21k_p14to16.pt')),
    neck=dict(backbone_channel=768))

batch_size = 128  # total over all GPUs; train_dataloader.batch_size is per GPU
max_iters = 50000
warmup_iters = 1000
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters, val_interval=5000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    _delete_=True, type='AmpOptimWrapper', loss_scale='dynamic',
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.1),
    constructor='EVALayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(layer_decay_rate=0.7, no_decay_1d=False, no_decay_names=()))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[int(max_iters * 0.8), int(max_iters * 0.9)], gamma=0.1),
]
auto_scale_lr = dict(enable=False, base_batch_size=batch_size)
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=5000, max_keep_ckpts=3))
log_processor = dict(by_epoch=False)
