# Objects365 v1 boxes (data/Objects365/Obj365_v1, mmdet's layout; 365 classes) with large-scale jitter, for EVA's
# intermediate detection fine-tuning, which trains on train + val (docs/recipes.md#detection, issues #22/#30).
_base_ = ['mmdet::_base_/datasets/objects365v1_detection.py']

image_size = (1536, 1536)
backend_args = None
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
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
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
_split = dict(type='Objects365V1Dataset', data_root='data/Objects365/Obj365_v1/',
              filter_cfg=dict(filter_empty_gt=True, min_size=32), pipeline=train_pipeline)
train_dataloader = dict(
    batch_size=2, num_workers=4, sampler=dict(_delete_=True, type='InfiniteSampler'), batch_sampler=None,
    dataset=dict(_delete_=True, type='ConcatDataset', datasets=[
        dict(**_split, ann_file='annotations/objects365_train.json', data_prefix=dict(img='train/')),
        dict(**_split, ann_file='annotations/objects365_val.json', data_prefix=dict(img='val/'))]))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
