# EVA-01 g/14 ImageNet-1K fine-tuning at 560 from the IN-21K intermediate model (MIM -> IN-21K -> IN-1K; paper:
# 89.7 top-1, docs/recipes.md#results). Numbers: docs/recipes.md#classification (batch 512, lr 3e-5, layer decay 0.95,
# drop path 0.4, label smoothing 0.3, RandAug m9, EMA, crop_pct 1.0, 15 epochs at 560); mean-pool + fc_norm head,
# frozen patch embedding, head init x0.001 (docs/architecture.md). Warmup 2 epochs is our choice (not official).
_base_ = [
    '../_base_/models/eva_mean-pool-cls.py',
    '../_base_/datasets/imagenet_eva-ft-560.py',
    '../_base_/schedules/eva_ft_layer-decay.py',
]
from eva_mm.engine.config_parts import warmup_cosine

embed_dims = 1408
lr = 3e-5
layer_decay_rate = 0.95
max_epochs = 15
warmup_epochs = 2
pretrained = 'https://huggingface.co/BAAI/EVA/resolve/main/eva_21k_224px_psz14.pt'

model = dict(
    data_preprocessor=_base_.data_preprocessor,
    backbone=dict(arch='eva-g', img_size=_base_.img_size, drop_path_rate=0.4, with_cp=True,
                  init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(in_channels=embed_dims),
    head=dict(in_channels=embed_dims, loss=dict(label_smooth_val=0.3)))
train_dataloader = dict(batch_size=16)
val_dataloader = test_dataloader = dict(batch_size=16)
optim_wrapper = dict(optimizer=dict(lr=lr), paramwise_cfg=dict(layer_decay_rate=layer_decay_rate))
param_scheduler = warmup_cosine(max_epochs, warmup_epochs, eta_min=_base_.min_lr)
train_cfg = dict(max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=512)
