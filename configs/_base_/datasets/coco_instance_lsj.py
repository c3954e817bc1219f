# COCO 2017 instances (data/coco, mmdet layout) with large-scale jitter, as ViTDet/EVA train (docs/recipes.md):
# hflip, resize to `image_size` x [0.1, 2.0], random crop of `image_size` (no pad: the data preprocessor's
# BatchFixedSizePad pads each batch to the square); test: longer side resized to `image_size`.
# Other sizes: coco_instance_lsj-1536.py, coco_instance_lsj-1280-test-1536.py (the EVA-01 protocol).
_base_ = ['mmdet::_base_/datasets/coco_instance.py']
from eva_mm.engine.config_parts import lsj_test_pipeline, lsj_train_pipeline

image_size = (1024, 1024)
backend_args = None
train_pipeline = lsj_train_pipeline(image_size, backend_args=backend_args)
test_pipeline = lsj_test_pipeline(image_size, backend_args=backend_args)
# Iteration-based recipes: an infinite sampler; batch size is per GPU (totals: auto_scale_lr.base_batch_size).
train_dataloader = dict(batch_size=2, num_workers=4, sampler=dict(_delete_=True, type='InfiniteSampler'),
                        batch_sampler=None, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
# mmdet's CocoMetric through faster-coco-eval (the same AP fields as pycocotools; backend='exact' runs pycocotools).
val_evaluator = dict(type='EVACocoMetric', backend='faster')
test_evaluator = val_evaluator
