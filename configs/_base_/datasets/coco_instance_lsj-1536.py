# COCO 2017 instances with large-scale jitter at 1536 (EVA-02 1536 recipes): as coco_instance_lsj.py, one image per
# GPU. Leaves pad the batch to the same square: BatchFixedSizePad(size=_base_.image_size).
_base_ = ['./coco_instance_lsj.py']
from eva_mm.engine.config_parts import lsj_test_pipeline, lsj_train_pipeline

image_size = (1536, 1536)
train_pipeline, test_pipeline = lsj_train_pipeline(image_size), lsj_test_pipeline(image_size)
train_dataloader = dict(batch_size=1, dataset=dict(pipeline=train_pipeline))
val_dataloader = test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
