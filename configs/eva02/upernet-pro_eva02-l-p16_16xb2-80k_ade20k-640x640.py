# EVA-02-L + UperNet "pro" on ADE20K, 640 crops: 60.1 mIoU single-scale (docs/recipes.md#segmentation). Recipe from
# EVA-02/seg/configs/eva02/upernet/upernetpro_eva02_large_24_640_slide_80k.py: the 512 EVA-02-L recipe with
# 640 crops (scale (2560, 640), as mmseg's ade20k_640x640.py), UperNet and auxiliary head channels 1536, and
# slide test 640 / stride 426.
_base_ = ['./upernet_eva02-l-p16_16xb2-80k_ade20k-512x512.py']
from eva_mm.engine.config_parts import seg_test_pipeline, seg_train_pipeline

crop_size = (640, 640)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(img_size=640),
    decode_head=dict(channels=1536),
    auxiliary_head=dict(channels=1536),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(426, 426)))
# ADE20K at 640 crops: scale (2560, 640), as mmseg's ade20k_640x640.py (the 512 recipe's data, resized)
train_pipeline = seg_train_pipeline((2560, 640), crop_size, reduce_zero_label=True)
test_pipeline = seg_test_pipeline((2560, 640), reduce_zero_label=True)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
