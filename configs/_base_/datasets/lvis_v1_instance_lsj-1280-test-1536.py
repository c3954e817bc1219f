# LVIS v1 (lvis_v1_instance_lsj.py), the EVA-01 size protocol: LSJ at 1280 for training, test resize to 1536, one
# image per GPU; at 1536 the evaluation scores all 1,000 kept detections per image (detectron2's
# LVISEvaluator(max_dets_per_image=1000)). (`image_size` keeps the 1024 of the base; these recipes read
# `train_size` / `test_size`.)
_base_ = ['./lvis_v1_instance_lsj.py']
from eva_mm.engine.config_parts import lsj_test_pipeline, lsj_train_pipeline

train_size, test_size = (1280, 1280), (1536, 1536)
train_pipeline, test_pipeline = lsj_train_pipeline(train_size), lsj_test_pipeline(test_size)
train_dataloader = dict(batch_size=1, dataset=dict(pipeline=train_pipeline))
val_dataloader = test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
val_evaluator = test_evaluator = dict(max_dets=1000)
