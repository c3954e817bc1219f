# EVA-02-B ViTDet Cascade Mask R-CNN, COCO system level without O365 (paper: 58.9 box / 50.7 mask AP, COCO val).
# Numbers: docs/recipes.md#detection row "B COCO sys" (EVA-02/det `..._6attn_win32_1536`): 1536 LSJ, windows of 32 with
# global blocks 1, 3, 5, 7, 9, 11 (every 2nd); otherwise as the 1024 baseline (lr 5e-5, lrd 0.7, dp 0.1,
# batch 128, 60k).
_base_ = ['./cascade-mask-rcnn_eva02-b_lsj-1024-60k_coco.py']

image_size = (1536, 1536)
model = dict(
    data_preprocessor=dict(batch_augments=[dict(type='BatchFixedSizePad', size=image_size, pad_mask=True)]),
    backbone=dict(img_size=1536, window_size=32, global_attn_indexes=(1, 3, 5, 7, 9, 11)))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomResize', scale=image_size, ratio_range=(0.1, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_type='absolute_range', crop_size=image_size, recompute_bbox=True,
         allow_negative_crop=True),
    dict(type='FilterAnnotations', min_gt_bbox_wh=(1e-2, 1e-2)),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=image_size, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(batch_size=1, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
