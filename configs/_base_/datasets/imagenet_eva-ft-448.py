# ImageNet-1K fine-tuning data of EVA / EVA-02 (docs/recipes.md#classification): RandomResizedCrop (bicubic) + flip +
# RandAugment m9 (timm 'rand-m9-mstd0.5-inc1', 2 ops), no mixup / cutmix; test: resize + center crop with
# crop_pct 1.0 (resize the short side to the crop size); CLIP mean/std. Layout: mmpretrain's data/imagenet.
# Other resolutions: imagenet_eva-ft-336.py, imagenet_eva-ft-560.py.
_base_ = []  # names no base; it marks a classic config for mmengine, which reads importing files as lazy_import
custom_imports = dict(imports=['eva_mm'], allow_failed_imports=False)
from eva_mm.engine.config_parts import center_crop_test_pipeline, randaug_train_pipeline

img_size = 448
clip_mean = [0.48145466 * 255, 0.4578275 * 255, 0.40821073 * 255]
clip_std = [0.26862954 * 255, 0.26130258 * 255, 0.27577711 * 255]
data_preprocessor = dict(num_classes=1000, mean=clip_mean, std=clip_std, to_rgb=True)

train_pipeline = randaug_train_pipeline(img_size, fill=clip_mean)
test_pipeline = center_crop_test_pipeline(img_size)
train_dataloader = dict(
    batch_size=32, num_workers=10, persistent_workers=True, pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='ImageNet', data_root='data/imagenet', ann_file='meta/train.txt', data_prefix='train',
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32, num_workers=10, persistent_workers=True, pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='ImageNet', data_root='data/imagenet', ann_file='meta/val.txt', data_prefix='val',
                 pipeline=test_pipeline))
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
