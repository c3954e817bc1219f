# EVA-02-L ImageNet-1K fine-tuning at 448 from the IN-21K MIM checkpoint (paper: 89.6 top-1 with EMA, docs/recipes.md).
# Numbers: docs/recipes.md (L: lr 5e-5 from the IN-21K MIM model, layer decay 0.8, 30 epochs, drop path 0.15, label smoothing 0.2, EMA, 448 px,
# RandAug m9, no mixup/cutmix, wd 0.05, crop_pct 1.0); mean-pool + fc_norm head and frozen patch embedding from
# docs/architecture.md#layouts. Batch 1024 as for B (L's batch is not in the official recipe; unverified).
_base_ = [
    '../_base_/datasets/imagenet_eva-ft-448.py',
    '../_base_/schedules/eva_ft_layer-decay.py',
]

img_size = 448
embed_dims = 1024
lr = 5e-5
layer_decay_rate = 0.8
max_epochs = 30
pretrained = 'https://huggingface.co/Yuxin-CV/EVA-02/resolve/main/eva02/pt/eva02_L_pt_in21k_p14.pt'

model = dict(
    type='ImageClassifier',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(type='EVA', arch='eva02-l', img_size=img_size, out_indices=-1, final_norm=False,
                  drop_path_rate=0.15, freeze_patch_embed=True,
                  init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(type='MeanPoolNorm', in_channels=embed_dims, norm='ln'),
    head=dict(type='LinearClsHead', num_classes=1000, in_channels=embed_dims,
              loss=dict(type='LabelSmoothLoss', label_smooth_val=0.2, mode='original'),
              init_cfg=dict(type='TruncNormal', layer='Linear', std=2e-5)))  # 0.02 x init_scale 0.001 (official)

train_dataloader = dict(batch_size=32)
optim_wrapper = dict(optimizer=dict(lr=lr), paramwise_cfg=dict(layer_decay_rate=layer_decay_rate))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=3, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-6, by_epoch=True, begin=3, end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=1024)
