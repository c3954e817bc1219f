# Training-machinery test config (tests/engine): a deterministic toy regression trained by mmengine's Runner.
custom_imports = dict(imports=['eva_mm', 'toy_regression'], allow_failed_imports=False)
default_scope = 'mmengine'
model = dict(type='ToyRegressor')
batch_size = 4
train_dataloader = dict(dataset=dict(type='ToyRegressionData', size=32), batch_size=batch_size, num_workers=0,
                        sampler=dict(type='DefaultSampler', shuffle=True))
train_cfg = dict(by_epoch=False, max_iters=30)
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=0.02, weight_decay=0.01), clip_grad=dict(max_norm=5.0))
param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=5),
                   dict(type='MultiStepLR', milestones=[20], by_epoch=False)]
default_hooks = dict(checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=5),
                     logger=dict(type='LoggerHook', interval=5))
# TOY_SLOWDOWN (seconds per iteration) lets a test kill the job mid-run.
custom_hooks = [dict(type='SlowDown', seconds='{{$TOY_SLOWDOWN:0.0}}')]
randomness = dict(seed=3, deterministic=True)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
log_level = 'WARNING'
