# COCO-Stuff-164K (171 classes) at 896 crops, EVA-01 Mask2Former recipe (docs/recipes.md#segmentation; official
# EVA-01/seg/configs/coco_stuff164k/eva_mask2former_896_60k_cocostuff164k_ss.py): scale (3584, 896), ratio
# 0.5-2.0, crop 896 (cat_max_ratio 0.75), flip, photometric distortion; test resize (3584, 896) to a multiple of 32.
_base_ = ['mmseg::_base_/datasets/coco-stuff164k.py']
from eva_mm.engine.config_parts import seg_test_pipeline, seg_train_pipeline

crop_size = (896, 896)
train_pipeline = seg_train_pipeline((3584, 896), crop_size)
test_pipeline = seg_test_pipeline((3584, 896), size_divisor=32)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
