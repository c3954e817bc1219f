# The EVA / ViTDet detection schedule (docs/recipes.md#detection), iteration-based, with mmdet's runtime: AMP AdamW
# betas (0.9, 0.999) wd 0.1 on every parameter (detectron2/EVA decay norms, biases and pos_embed too:
# weight_decay_norm=None, overrides={}), layer-wise lr decay, linear warmup from 0.001, x0.1 at 80% and 90%.
# Defaults are the EVA-02-B COCO recipe (batch 128, 60k iterations, warmup 1000, lr 5e-5, layer decay 0.7); a leaf
# with another length sets max_iters and calls step_schedule again (mmengine evaluates this file once).
_base_ = ['mmdet::_base_/default_runtime.py']
from eva_mm.engine.config_parts import step_schedule

batch_size = 128  # total over all GPUs; train_dataloader.batch_size is per GPU
max_iters = 60000
warmup_iters = 1000
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters, val_interval=5000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    _delete_=True, type='AmpOptimWrapper', loss_scale='dynamic',
    optimizer=dict(type='AdamW', lr=5e-5, betas=(0.9, 0.999), weight_decay=0.1),
    constructor='EVALayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(layer_decay_rate=0.7, no_decay_1d=False, no_decay_names=()))
param_scheduler = step_schedule(max_iters, warmup_iters)
auto_scale_lr = dict(enable=False, base_batch_size=batch_size)
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=5000, max_keep_ckpts=3))
log_processor = dict(by_epoch=False)
