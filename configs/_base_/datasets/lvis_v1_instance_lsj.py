# LVIS v1 instances (data/lvis_v1 with annotations/lvis_v1_{train,val}.json and the COCO 2017 image folders,
# mmdet's layout; 1203 classes) with large-scale jitter, repeat-factor sampling (t = 0.001) and LVISMetric
# (AP, APr/APc/APf), as ViTDet/EVA (docs/recipes.md#detection). LVIS is federated, so images without annotations
# are kept out of training but the evaluation uses the official val file.
_base_ = ['./coco_instance_lsj.py']

dataset_type = 'LVISV1Dataset'
data_root = 'data/lvis_v1/'
train_dataloader = dict(
    sampler=dict(_delete_=True, type='RepeatFactorSampler', repeat_thr=0.001),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='annotations/lvis_v1_train.json',
                 data_prefix=dict(img='')))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root, ann_file='annotations/lvis_v1_val.json',
                                   data_prefix=dict(img='')))
test_dataloader = val_dataloader
# mmdet's LVISMetric plus max_dets (LVIS default 300; the 1,000-detection protocols set 1000) and the
# faster-coco-eval backend (same AP fields as lvis 0.5.3; backend='exact' runs lvis itself).
val_evaluator = dict(_delete_=True, type='EVALVISMetric', ann_file=data_root + 'annotations/lvis_v1_val.json',
                     metric=['bbox', 'segm'], max_dets=300, backend='faster')
test_evaluator = val_evaluator
