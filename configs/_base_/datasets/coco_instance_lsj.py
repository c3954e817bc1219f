# COCO 2017 instances (data/coco, mmdet layout) with large-scale jitter, as ViTDet/EVA train (docs/recipes.md):
# hflip, resize to `image_size` x [0.1, 2.0], random crop of `image_size` (no pad: the data preprocessor's
# BatchFixedSizePad pads each batch to the square); test: longer side resized to `image_size`.
# Leaf configs with another size re-declare both pipelines.
_base_ = ['mmdet::_base_/datasets/coco_instance.py']

image_size = (1024, 1024)
backend_args = None
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomResize', scale=image_size, ratio_range=(0.1, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_type='absolute_range', crop_size=image_size, recompute_bbox=True,
         allow_negative_crop=True),
    dict(type='FilterAnnotations', min_gt_bbox_wh=(1e-2, 1e-2)),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=image_size, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
# Iteration-based recipes: an infinite sampler; batch size is per GPU (totals: auto_scale_lr.base_batch_size).
train_dataloader = dict(batch_size=2, num_workers=4, sampler=dict(_delete_=True, type='InfiniteSampler'),
                        batch_sampler=None, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
# mmdet's CocoMetric through faster-coco-eval (the same AP fields as pycocotools; backend='exact' runs pycocotools).
val_evaluator = dict(type='EVACocoMetric', backend='faster')
test_evaluator = val_evaluator
