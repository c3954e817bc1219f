# EVA MIM data (docs/recipes.md#pretraining): unlabeled images, RandomResizedCrop(224, scale 0.2-1, ratio 3/4-4/3,
# bicubic) + horizontal flip, no colour jitter or mixup; CLIP mean/std for student and teacher; BEiT block-wise
# mask of 105 of the 16 x 16 patches (min 16 per block, aspect 0.3-1/0.3). Source: EVA-01/EVA-02 run_*pretraining.py.
# Other image sets: merged-30m_mim-224.py, merged-38m_mim-224.py.
custom_imports = dict(imports=['eva_mm'], allow_failed_imports=False)

img_size = 224
patch_size = 14
clip_mean = [0.48145466 * 255, 0.4578275 * 255, 0.40821073 * 255]
clip_std = [0.26862954 * 255, 0.26130258 * 255, 0.27577711 * 255]
data_preprocessor = dict(type='SelfSupDataPreprocessor', mean=clip_mean, std=clip_std, to_rgb=True)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=img_size, crop_ratio_range=(0.2, 1.0), aspect_ratio_range=(3 / 4, 4 / 3),
         interpolation='bicubic', backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='BlockwiseMaskGenerator', input_size=img_size // patch_size, num_masking_patches=105,
         min_num_patches=16, min_aspect=0.3),
    dict(type='PackInputs'),
]

# One entry per source; data sets merged by UnlabeledImageDataset. IN-21K: the ImageNet-21K image list.
train_dataloader = dict(
    batch_size=64, num_workers=10, persistent_workers=True, pin_memory=True, drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='UnlabeledImageDataset', data_root='data/', pipeline=train_pipeline, sources=[
        dict(name='imagenet21k', data_prefix='imagenet21k/train', ann_file='imagenet21k/meta/train.txt'),
    ]))
