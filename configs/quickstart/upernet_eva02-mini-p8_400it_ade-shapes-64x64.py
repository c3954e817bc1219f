# Quickstart that learns: a small EVA-02 (4 blocks of width 128, patch 8) + BEiT multi-scale neck + UperNet,
# trained from scratch on the generated ADE20K-layout data set (configs/_base_/datasets/ade_shapes_64x64.py) on
# CPU, then evaluated with mmseg's IoUMetric (mIoU / mAcc / aAcc). Same model code, neck, heads and optimizer
# constructor as the paper configs (configs/eva02/upernet_*); only the sizes and the schedule are small.
_base_ = [
    '../_base_/models/upernet_eva02-b-p16.py',
    '../_base_/datasets/ade_shapes_64x64.py',
    'mmseg::_base_/default_runtime.py',
]
custom_imports = dict(imports=['eva_mm'], allow_failed_imports=False)

crop_size = (64, 64)
embed_dims = 128
num_classes = 5
model = dict(
    data_preprocessor=dict(size=crop_size),
    # EVA-02 blocks (SwiGLU hidden 8/3 x width, RoPE, q/v bias) at a CPU size: 4 blocks of 128 with 4 heads;
    # outputs after blocks 0/1/2/3 (BEiT's 3/5/7/11 spread over 4). Patch 8 gives an 8x8 token grid at 64 px.
    backbone=dict(arch=dict(_delete_=True, embed_dims=embed_dims, depth=4, num_heads=4, mlp_hidden=341),
                  img_size=crop_size, patch_size=8, pretrain_img_size=crop_size, out_indices=(0, 1, 2, 3),
                  drop_path_rate=0.0),
    neck=dict(embed_dim=embed_dims),  # SyncBN inside becomes BN on one process (the Runner reverts it)
    decode_head=dict(in_channels=[embed_dims] * 4, channels=32, num_classes=num_classes),
    auxiliary_head=dict(in_channels=embed_dims, channels=32, num_classes=num_classes),
    test_cfg=dict(mode='whole'))

max_iters = 400
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# From scratch, so no layer decay (rate 1.0); the paper configs use the same constructor with 0.85-0.95.
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.999), weight_decay=0.05),
    constructor='EVALayerDecayOptimWrapperConstructor', paramwise_cfg=dict(layer_decay_rate=1.0),
    clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=50),
    dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False, begin=50, end=max_iters),
]
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=max_iters, max_keep_ckpts=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
