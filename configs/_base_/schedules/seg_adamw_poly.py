# EVA / EVA-02 semantic segmentation optimisation (docs/recipes.md#segmentation), with mmseg's runtime: AdamW
# betas (0.9, 0.999) wd 0.05, layer-wise lr decay over the backbone's blocks, linear warmup from 1e-6 then poly
# (power 1.0) to 0, iteration-based, validation and a checkpoint (best mIoU kept) every 10%. Defaults are the
# EVA-02-B UperNet recipe (60k iterations, warmup 1500, lr 6e-5, layer decay 0.85, batch 32); a leaf with another
# length sets max_iters, train_cfg and param_scheduler = warmup_poly(...) (mmengine evaluates this file once).
_base_ = ['mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_80k.py']
custom_imports = dict(imports=['eva_mm'], allow_failed_imports=False)
from eva_mm.engine.config_parts import warmup_poly

max_iters = 60000
optim_wrapper = dict(
    _delete_=True, type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=6e-5, betas=(0.9, 0.999), weight_decay=0.05),
    constructor='EVALayerDecayOptimWrapperConstructor', paramwise_cfg=dict(layer_decay_rate=0.85))
param_scheduler = warmup_poly(max_iters, 1500)
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=6000)
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=6000, max_keep_ckpts=3, save_best='mIoU'))
auto_scale_lr = dict(enable=False, base_batch_size=32)  # total over all GPUs
