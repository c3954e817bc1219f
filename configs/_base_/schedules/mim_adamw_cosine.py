# EVA / EVA-02 MIM optimisation (docs/recipes.md#pretraining): AdamW betas (0.9, 0.98), eps 1e-6, weight decay 0.05
# (none on 1-D params, pos_embed, cls_token, mask_token), grad clip 3.0, linear warmup from 1e-6 then cosine to
# min lr 1e-5, per iteration. Child configs set the peak lr, epochs and warmup epochs, and then
# param_scheduler = warmup_cosine(...) again (mmengine does not recompute a base's list).
_base_ = ['mmpretrain::_base_/default_runtime.py']  # hooks below override the runtime's
from eva_mm.engine.config_parts import warmup_cosine

lr = 1.5e-3
max_epochs = 150
warmup_epochs = 1
min_lr = 1e-5
warmup_lr = 1e-6

optim_wrapper = dict(
    type='AmpOptimWrapper', dtype='float16', loss_scale='dynamic',
    optimizer=dict(type='AdamW', lr=lr, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.05),
    clip_grad=dict(max_norm=3.0),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0, flat_decay_mult=0.0, custom_keys={
        'pos_embed': dict(decay_mult=0.0), 'cls_token': dict(decay_mult=0.0), 'mask_token': dict(decay_mult=0.0)}))

param_scheduler = warmup_cosine(max_epochs, warmup_epochs, eta_min=min_lr, warmup_factor=warmup_lr / lr)
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3),
                     logger=dict(type='LoggerHook', interval=100))
