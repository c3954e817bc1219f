# ADE20K at 896 crops, EVA-01 Mask2Former recipe (docs/recipes.md#segmentation; official
# EVA-01/seg/configs/ade20k/eva_mask2former_896_40k_coco164k2ade20k_ms_relpos_layerscale_9dec.py): scale
# (3584, 896), ratio 0.5-2.0, crop 896 (cat_max_ratio 0.75), flip, photometric distortion; test resize to
# (3584, 896) kept to a multiple of 32. Multi-scale + flip TTA ratios 0.5-1.75 come from mmseg's ade20k.py.
_base_ = ['mmseg::_base_/datasets/ade20k.py']
from eva_mm.engine.config_parts import seg_test_pipeline, seg_train_pipeline

crop_size = (896, 896)
train_pipeline = seg_train_pipeline((3584, 896), crop_size, reduce_zero_label=True)
test_pipeline = seg_test_pipeline((3584, 896), reduce_zero_label=True, size_divisor=32)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
