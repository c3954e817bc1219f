# EVA-02-L ImageNet-1K fine-tuning at 448 from the IN-21K MIM checkpoint (paper: 89.6 top-1 with EMA, docs/recipes.md).
# Numbers: docs/recipes.md (L: lr 5e-5 from the IN-21K MIM model, layer decay 0.8, 30 epochs, drop path 0.15, label smoothing 0.2, EMA, 448 px,
# RandAug m9, no mixup/cutmix, wd 0.05, crop_pct 1.0); mean-pool + fc_norm head and frozen patch embedding from
# docs/architecture.md#layouts. Batch 1024 as for B (L's batch is not in the official recipe; unverified).
_base_ = [
    '../_base_/models/eva_mean-pool-cls.py',
    '../_base_/datasets/imagenet_eva-ft-448.py',
    '../_base_/schedules/eva_ft_layer-decay.py',
]

embed_dims = 1024
lr = 5e-5
layer_decay_rate = 0.8
max_epochs = 30  # warmup 3, the schedule base's
pretrained = 'https://huggingface.co/Yuxin-CV/EVA-02/resolve/main/eva02/pt/eva02_L_pt_in21k_p14.pt'

model = dict(
    data_preprocessor=_base_.data_preprocessor,
    backbone=dict(arch='eva02-l', img_size=_base_.img_size, drop_path_rate=0.15,
                  init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(in_channels=embed_dims),
    head=dict(in_channels=embed_dims, loss=dict(label_smooth_val=0.2)))
train_dataloader = dict(batch_size=32)
optim_wrapper = dict(optimizer=dict(lr=lr), paramwise_cfg=dict(layer_decay_rate=layer_decay_rate))
train_cfg = dict(max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=1024)
