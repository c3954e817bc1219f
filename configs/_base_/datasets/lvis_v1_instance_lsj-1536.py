# LVIS v1 (lvis_v1_instance_lsj.py) at 1536, one image per GPU, with the EVA LVIS protocol at 1536: the evaluation
# scores all 1,000 kept detections per image (detectron2's LVISEvaluator(max_dets_per_image=1000); the LVIS default
# would score 300). Leaves keep 1000 per image above 0.001: model.test_cfg.rcnn (a model key, not a data one).
_base_ = ['./lvis_v1_instance_lsj.py']
from eva_mm.engine.config_parts import lsj_test_pipeline, lsj_train_pipeline

image_size = (1536, 1536)
train_pipeline, test_pipeline = lsj_train_pipeline(image_size), lsj_test_pipeline(image_size)
train_dataloader = dict(batch_size=1, dataset=dict(pipeline=train_pipeline))
val_dataloader = test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
val_evaluator = test_evaluator = dict(max_dets=1000)
