# EVA / EVA-02 ImageNet fine-tuning optimisation (docs/recipes.md#classification): AdamW, weight decay 0.05 (none on 1-D
# params, pos_embed, cls_token), layer-wise lr decay via the EVA backbone's get_layer_depth, AMP, linear warmup then
# cosine per iteration, EMA of the weights. Child configs set lr, layer_decay_rate, epochs and warmup, and (a list mmengine does not recompute)
# param_scheduler = warmup_cosine(...) when the epochs change.
_base_ = ['mmpretrain::_base_/default_runtime.py']  # hooks below override the runtime's
from eva_mm.engine.config_parts import warmup_cosine

lr = 1e-4
layer_decay_rate = 0.7
max_epochs = 30
warmup_epochs = 3  # not in docs/recipes.md#classification; the EVA-02 FT scripts' default (unverified)
min_lr = 1e-6  # (unverified) timm-style FT default

optim_wrapper = dict(
    type='AmpOptimWrapper', dtype='float16',
    optimizer=dict(type='AdamW', lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05),
    constructor='EVALayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(layer_decay_rate=layer_decay_rate))
param_scheduler = warmup_cosine(max_epochs, warmup_epochs, eta_min=min_lr)
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=1)
val_cfg = dict()
test_cfg = dict()
# EMA of the weights, decay 0.9999 (mmengine momentum = 1 - decay); the reported numbers use the EMA model.
custom_hooks = [dict(type='EMAHook', momentum=1e-4, priority='ABOVE_NORMAL')]
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2, save_best='auto'))
