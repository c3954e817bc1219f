# The EVA-02 schedule after Objects365 (docs/recipes.md#detection, "L ... O365" rows): vitdet_adamw_step.py with
# batch 64, lr 4e-5, an EMA of the weights (momentum 1e-4, buffers too), and a constant lr after a linear warmup of
# 1% of the run (a leaf sets max_iters and param_scheduler with it).
_base_ = ['./vitdet_adamw_step.py']

batch_size = 64
optim_wrapper = dict(optimizer=dict(lr=4e-5))
auto_scale_lr = dict(base_batch_size=batch_size)
custom_hooks = [dict(type='EMAHook', ema_type='ExponentialMovingAverage', momentum=1e-4, update_buffers=True,
                     priority=49)]
