# EVA-02-B ImageNet-1K fine-tuning at 448 from the IN-21K MIM checkpoint (paper: 88.3 top-1, docs/recipes.md#results).
# Numbers: docs/recipes.md#classification (B: lr 1e-4, layer decay 0.7, batch 1024, 30 epochs, drop path 0.1, 448 px,
# RandAug m9, no mixup/cutmix, wd 0.05, crop_pct 1.0); mean-pool + fc_norm head and frozen patch embedding from
# docs/architecture.md. Label smoothing 0.1 is timm's default (B's value is not in the official recipe; unverified).
_base_ = [
    '../_base_/models/eva_mean-pool-cls.py',
    '../_base_/datasets/imagenet_eva-ft-448.py',
    '../_base_/schedules/eva_ft_layer-decay.py',
]

embed_dims = 768
lr = 1e-4
layer_decay_rate = 0.7
max_epochs = 30  # warmup 3, the schedule base's
pretrained = 'https://huggingface.co/Yuxin-CV/EVA-02/resolve/main/eva02/pt/eva02_B_pt_in21k_p14.pt'

model = dict(
    data_preprocessor=_base_.data_preprocessor,
    backbone=dict(arch='eva02-b', img_size=_base_.img_size, drop_path_rate=0.1,
                  init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(in_channels=embed_dims),
    head=dict(in_channels=embed_dims, loss=dict(label_smooth_val=0.1)))
train_dataloader = dict(batch_size=64)
optim_wrapper = dict(optimizer=dict(lr=lr), paramwise_cfg=dict(layer_decay_rate=layer_decay_rate))
train_cfg = dict(max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=1024)
