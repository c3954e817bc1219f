# COCO 2017 instances, the EVA-01 size protocol (docs/recipes.md#detection): large-scale jitter at 1280 for
# training, test resize to 1536, one image per GPU. (`image_size` keeps the 1024 of coco_instance_lsj.py; these
# recipes read `train_size` / `test_size`.)
_base_ = ['./coco_instance_lsj.py']
from eva_mm.engine.config_parts import lsj_test_pipeline, lsj_train_pipeline

train_size, test_size = (1280, 1280), (1536, 1536)
train_pipeline, test_pipeline = lsj_train_pipeline(train_size), lsj_test_pipeline(test_size)
train_dataloader = dict(batch_size=1, dataset=dict(pipeline=train_pipeline))
val_dataloader = test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
