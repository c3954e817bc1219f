# Video quickstart that learns: a small EVA-01-style video model (EVAVideo: Conv3d patch embed, joint space-time
# attention over 8 frames x 16 patches + cls, space-time position embedding, mean pooling + fc_norm) trained from
# scratch in mmaction2's Recognizer3D on generated clips of a shape moving right / left / down / up
# (eva_mm.datasets.synthetic.moving_shapes), then tested with mmaction2's multi-view testing (4 clips x 3 crops).
# Same backbone, head, data pipeline conventions and tools as configs/eva01/video/; only sizes are small.
# The single-frame control (the same network at T=1): --cfg-options num_frames=1 is not enough in mmengine's
# text configs, so use configs/quickstart/eva01-video-mini-p8_300it_moving-shapes-1f.py.
default_scope = 'mmaction'
custom_imports = dict(imports=['eva_mm', 'mmaction.models'], allow_failed_imports=False)

num_frames = 8
data_root = 'data/moving_shapes_8f'
generator_cfg = dict(num_train=400, num_val=120, seed=0, frames=16, size=32)

model = dict(
    type='Recognizer3D',
    backbone=dict(type='EVAVideo',
                  arch=dict(embed_dims=64, depth=3, num_heads=4, mlp_hidden=256, mlp_type='gelu', use_rope=False),
                  num_frames=num_frames, img_size=32, patch_size=8, drop_path_rate=0.0,
                  # Tubelets of 2 frames: with 1 (the official value) this tiny model stayed at chance for
                  # 100 of 300 iterations; 2 lets the patch embedding see displacement directly.
                  tubelet_size=2),
    cls_head=dict(type='TimeSformerHead', num_classes=4, in_channels=64, average_clips='prob'),
    data_preprocessor=dict(type='ActionDataPreprocessor', mean=[127.5] * 3, std=[64.0] * 3, format_shape='NCTHW'))

# TSN-style segment sampling (one random frame from each of num_frames equal segments), the official recipe's
# sampler; at test 4 clips (4 random segment draws, as the official multi-view test) x 3 crops, scores averaged
# (average_clips='prob').
train_pipeline = [
    dict(type='SegmentSampleFrames', num_segments=num_frames),
    dict(type='RawFrameDecode'),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs'),
]
test_pipeline = [
    dict(type='SegmentSampleFrames', num_segments=num_frames, num_views=4),
    dict(type='RawFrameDecode'),
    dict(type='Resize', scale=(-1, 32)),  # short side = crop, as the official 224 / ThreeCrop 224
    dict(type='ThreeCrop', crop_size=32),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs'),
]
raw = dict(type='RawframeDataset', data_prefix=dict(img=data_root), filename_tmpl='img_{:05}.png')
train_dataloader = dict(
    batch_size=16, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='GeneratedDataset', generator='moving_shapes', root=data_root, **generator_cfg,
                 dataset=dict(**raw, ann_file=data_root + '/train_list.txt', pipeline=train_pipeline)))
val_dataloader = dict(
    batch_size=8, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='GeneratedDataset', generator='moving_shapes', root=data_root, **generator_cfg,
                 dataset=dict(**raw, ann_file=data_root + '/val_list.txt', pipeline=test_pipeline,
                              test_mode=True)))
test_dataloader = val_dataloader
val_evaluator = dict(type='AccMetric', metric_list=('top_k_accuracy', 'mean_class_accuracy'),
                     metric_options=dict(top_k_accuracy=dict(topk=(1, 2))))
test_evaluator = val_evaluator

max_iters = 300
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='AdamW', lr=5e-4, betas=(0.9, 0.999), weight_decay=0.05),
    clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0, end=30),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=False, begin=30, end=max_iters),
]
default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, ignore_last=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=max_iters, max_keep_ckpts=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    sync_buffers=dict(type='SyncBuffersHook'))
env_cfg = dict(cudnn_benchmark=False, mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
               dist_cfg=dict(backend='gloo'))
log_processor = dict(type='LogProcessor', window_size=20, by_epoch=False)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='ActionVisualizer', vis_backends=vis_backends)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
