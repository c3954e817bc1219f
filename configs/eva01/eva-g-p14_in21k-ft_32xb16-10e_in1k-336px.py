# EVA-01 g/14 ImageNet-1K fine-tuning at 336 from the IN-21K intermediate model (MIM -> IN-21K -> IN-1K; paper:
# 89.6 top-1, docs/recipes.md#results). Numbers: docs/recipes.md#classification (batch 512, lr 3e-5, layer decay 0.95,
# drop path 0.4, label smoothing 0.3, RandAug m9, EMA, crop_pct 1.0, 10 epochs at 336); mean-pool + fc_norm head,
# frozen patch embedding, head init x0.001 (docs/architecture.md). Warmup 2 epochs is our choice (not official).
_base_ = [
    '../_base_/datasets/imagenet_eva-ft-448.py',
    '../_base_/schedules/eva_ft_layer-decay.py',
]

img_size = 336
embed_dims = 1408
lr = 3e-5
layer_decay_rate = 0.95
max_epochs = 10
warmup_epochs = 2
pretrained = 'https://huggingface.co/BAAI/EVA/resolve/main/eva_21k_224px_psz14.pt'
clip_mean = [0.48145466 * 255, 0.4578275 * 255, 0.40821073 * 255]  # CLIP mean (RandAugment fill)

model = dict(
    type='ImageClassifier',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(type='EVA', arch='eva-g', img_size=img_size, out_indices=-1, final_norm=False,
                  drop_path_rate=0.4, freeze_patch_embed=True, with_cp=True,
                  init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(type='MeanPoolNorm', in_channels=embed_dims, norm='ln'),
    head=dict(type='LinearClsHead', num_classes=1000, in_channels=embed_dims,
              loss=dict(type='LabelSmoothLoss', label_smooth_val=0.3, mode='original'),
              init_cfg=dict(type='TruncNormal', layer='Linear', std=2e-5)))  # 0.02 x init_scale 0.001

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=img_size, backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandAugment', policies='timm_increasing', num_policies=2, total_level=10, magnitude_level=9,
         magnitude_std=0.5, hparams=dict(pad_val=[round(x) for x in clip_mean[::-1]], interpolation='bicubic')),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=img_size, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=img_size),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=16, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=16, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
optim_wrapper = dict(optimizer=dict(lr=lr), paramwise_cfg=dict(layer_decay_rate=layer_decay_rate))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-6, by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=512)
