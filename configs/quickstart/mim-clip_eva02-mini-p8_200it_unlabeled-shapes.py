# Quickstart: EVA MIM-CLIP pretraining on CPU in minutes. A small EVA-02-style student (the trunk of the
# detection / segmentation quickstarts: 192 wide, 6 blocks, SwiGLU + RoPE, patch 8) regresses, at ~40% block-masked
# patches, the features of a small randomly initialised (seeded, frozen) EVA-CLIP-style teacher on generated
# unlabeled shapes images. Same pieces as configs/eva02/*: BlockwiseMaskGenerator, MIMCLIP, MIMCLIPHead, CLIPTeacher,
# AdamW (0.9, 0.98), grad clip 3.0, warmup + cosine; sizes chosen for 2 CPU cores (docs/recipes.md#pretraining).
# The result (work_dirs/.../iter_200.pth) initialises the dense quickstarts via load_from / init_cfg.
_base_ = ['mmpretrain::_base_/default_runtime.py']
custom_imports = dict(imports=['eva_mm'], allow_failed_imports=False)

img_size = 64
patch_size = 8  # 8 x 8 tokens
embed_dims = 192
clip_mean = [0.48145466 * 255, 0.4578275 * 255, 0.40821073 * 255]
clip_std = [0.26862954 * 255, 0.26130258 * 255, 0.27577711 * 255]
student_arch = dict(embed_dims=embed_dims, depth=6, num_heads=3, mlp_hidden=512)
teacher_arch = dict(embed_dims=96, depth=2, num_heads=2, mlp_hidden=256, patch_size=patch_size)
teacher_dims = 64

model = dict(
    type='MIMCLIP',
    data_preprocessor=dict(type='SelfSupDataPreprocessor', mean=clip_mean, std=clip_std, to_rgb=True),
    backbone=dict(type='EVA', arch=student_arch, img_size=img_size, patch_size=patch_size, drop_path_rate=0.0),
    head=dict(type='MIMCLIPHead', in_channels=embed_dims, target_channels=teacher_dims),
    teacher=dict(type='CLIPTeacher', tower='eva_clip', arch=teacher_arch, out_channels=teacher_dims,
                 img_size=img_size, checkpoint=None, init_seed=0))

data_root = 'data/unlabeled_shapes/'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=img_size, crop_ratio_range=(0.2, 1.0), interpolation='bicubic',
         backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='BlockwiseMaskGenerator', input_size=img_size // patch_size, num_masking_patches=26,  # 26/64 ~ 40%
         min_num_patches=4, min_aspect=0.3),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=16, num_workers=1, persistent_workers=True, drop_last=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),  # no 2 s pause of mmengine's loop at each epoch end
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='GeneratedDataset', generator='unlabeled_images', root=data_root, num_images=512, seed=0,
                 img_size=(128, 128),
                 dataset=dict(type='UnlabeledImageDataset', data_root=data_root, pipeline=train_pipeline,
                              sources=[dict(name='shapes', data_prefix='images', ann_file='meta/train.txt')])))

max_iters = 200
warmup_iters = 20
lr = 1e-3
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=lr, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.05),
    clip_grad=dict(max_norm=3.0),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0, flat_decay_mult=0.0, custom_keys={
        'pos_embed': dict(decay_mult=0.0), 'cls_token': dict(decay_mult=0.0), 'mask_token': dict(decay_mult=0.0)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=False, begin=warmup_iters, end=max_iters),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
default_hooks = dict(logger=dict(type='LoggerHook', interval=10),
                     checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=max_iters, max_keep_ckpts=1))
log_processor = dict(by_epoch=False, window_size=10)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
