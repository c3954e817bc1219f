# EVA-02-L + UperNet "pro" on ADE20K, 640 crops: 60.1 mIoU single-scale (docs/recipes.md#segmentation). Recipe from
# EVA-02/seg/configs/eva02/upernet/upernetpro_eva02_large_24_640_slide_80k.py: the 512 EVA-02-L recipe with
# 640 crops (scale (2560, 640), as mmseg's ade20k_640x640.py), UperNet and auxiliary head channels 1536, and
# slide test 640 / stride 426.
_base_ = ['./upernet_eva02-l-p16_16xb2-80k_ade20k-512x512.py']

crop_size = (640, 640)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(img_size=640),
    decode_head=dict(channels=1536),
    auxiliary_head=dict(channels=1536),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(426, 426)))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='RandomResize', scale=(2560, 640), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2560, 640), keep_ratio=True),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
