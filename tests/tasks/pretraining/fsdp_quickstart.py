# Test config: the MIM quickstart under mmengine's FlexibleRunner + FSDPStrategy, as configs/eva01's EVA-g config
# runs it, scaled to 2 CPU processes (gloo) and a few iterations. CPU FSDP needs an explicit CPU device_id
# (mmengine defaults to cuda:LOCAL_RANK, docs/design.md) and no mixed precision; tools/train.py joins
# the gloo group itself when there is no CUDA.
_base_ = ['../../../configs/quickstart/mim-clip_eva02-mini-p8_200it_unlabeled-shapes.py']

runner_type = 'FlexibleRunner'
strategy = dict(
    type='FSDPStrategy',
    model_wrapper=dict(
        auto_wrap_policy='eva_block_wrap_policy',  # one FSDP unit per EVA block
        sharding_strategy='SHARD_GRAD_OP', use_orig_params=True, device_id='cpu'),
    state_dict_cfg='full')
max_iters = 4
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=0, end=max_iters)]
train_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False)
default_hooks = dict(logger=dict(type='LoggerHook', interval=1),
                     checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=max_iters))
log_processor = dict(by_epoch=False, window_size=1)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
