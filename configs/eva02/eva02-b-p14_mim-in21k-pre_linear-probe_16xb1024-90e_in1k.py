# Linear probe of an EVA-02-B MIM model on ImageNet-1K: frozen backbone, mean-pooled last-block tokens,
# BatchNorm without affine, one Linear layer. EVA publishes no MIM linear-probe recipe (docs/recipes.md), so the
# protocol is MAE's (arXiv 2111.06377, appendix A.2): LARS, base lr 0.1 per 256 images (batch 16384 -> 6.4),
# weight decay 0, 90 epochs with 10 warmup, RandomResizedCrop + flip only, 224 px.
_base_ = [
    'mmpretrain::_base_/default_runtime.py',
    '../_base_/datasets/imagenet_eva-ft-448.py',
]
from eva_mm.engine.config_parts import center_crop_test_pipeline

img_size = 224
embed_dims = 768
max_epochs = 90
warmup_epochs = 10
lr = 6.4  # 0.1 x 16384 / 256
pretrained = 'https://huggingface.co/Yuxin-CV/EVA-02/resolve/main/eva02/pt/eva02_B_pt_in21k_p14.pt'

model = dict(
    type='ImageClassifier',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(type='EVA', arch='eva02-b', img_size=img_size, out_indices=-1, final_norm=False,
                  frozen_stages=12, init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(type='MeanPoolNorm', in_channels=embed_dims, norm='bn'),
    head=dict(type='LinearClsHead', num_classes=1000, in_channels=embed_dims,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
              init_cfg=dict(type='TruncNormal', layer='Linear', std=0.01)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=img_size, backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = center_crop_test_pipeline(img_size, resize=256)
train_dataloader = dict(batch_size=1024, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=256, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(type='AmpOptimWrapper', dtype='float16',
                     optimizer=dict(type='LARS', lr=lr, weight_decay=0.0, momentum=0.9))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, by_epoch=True, begin=warmup_epochs,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=10)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=2, save_best='auto'))
auto_scale_lr = dict(base_batch_size=16384)
