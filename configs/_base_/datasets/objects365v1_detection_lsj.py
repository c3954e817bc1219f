# Objects365 v1 boxes (data/Objects365/Obj365_v1, mmdet's layout; 365 classes) with large-scale jitter, for EVA's
# intermediate detection fine-tuning, which trains on train + val (docs/recipes.md#detection, issues #22/#30).
_base_ = ['mmdet::_base_/datasets/objects365v1_detection.py']
from eva_mm.engine.config_parts import lsj_test_pipeline, lsj_train_pipeline

image_size = (1536, 1536)
backend_args = None
train_pipeline = lsj_train_pipeline(image_size, with_mask=False, backend_args=backend_args)
test_pipeline = lsj_test_pipeline(image_size, with_mask=False, backend_args=backend_args)
_split = dict(type='Objects365V1Dataset', data_root='data/Objects365/Obj365_v1/',
              filter_cfg=dict(filter_empty_gt=True, min_size=32), pipeline=train_pipeline)
train_dataloader = dict(
    batch_size=2, num_workers=4, sampler=dict(_delete_=True, type='InfiniteSampler'), batch_sampler=None,
    dataset=dict(_delete_=True, type='ConcatDataset', datasets=[
        dict(**_split, ann_file='annotations/objects365_train.json', data_prefix=dict(img='train/')),
        dict(**_split, ann_file='annotations/objects365_val.json', data_prefix=dict(img='val/'))]))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
