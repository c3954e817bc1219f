# EVA-02-B ImageNet-1K fine-tuning at 448 from the IN-21K MIM checkpoint (paper: 88.3 top-1, docs/recipes.md#results).
# Numbers: docs/recipes.md#classification (B: lr 1e-4, layer decay 0.7, batch 1024, 30 epochs, drop path 0.1, 448 px,
# RandAug m9, no mixup/cutmix, wd 0.05, crop_pct 1.0); mean-pool + fc_norm head and frozen patch embedding from
# docs/architecture.md. Label smoothing 0.1 is timm's default (B's value is not in the official recipe; unverified).
_base_ = [
    '../_base_/datasets/imagenet_eva-ft-448.py',
    '../_base_/schedules/eva_ft_layer-decay.py',
]

img_size = 448
embed_dims = 768
lr = 1e-4
layer_decay_rate = 0.7
max_epochs = 30
pretrained = 'https://huggingface.co/Yuxin-CV/EVA-02/resolve/main/eva02/pt/eva02_B_pt_in21k_p14.pt'

model = dict(
    type='ImageClassifier',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(type='EVA', arch='eva02-b', img_size=img_size, out_indices=-1, final_norm=False,
                  drop_path_rate=0.1, freeze_patch_embed=True,
                  init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(type='MeanPoolNorm', in_channels=embed_dims, norm='ln'),
    head=dict(type='LinearClsHead', num_classes=1000, in_channels=embed_dims,
              loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
              init_cfg=dict(type='TruncNormal', layer='Linear', std=2e-5)))  # 0.02 x init_scale 0.001 (official)

train_dataloader = dict(batch_size=64)
optim_wrapper = dict(optimizer=dict(lr=lr), paramwise_cfg=dict(layer_decay_rate=layer_decay_rate))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=3, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-6, by_epoch=True, begin=3, end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=1024)
