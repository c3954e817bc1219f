# Generated "shapes" instance segmentation data in COCO format (eva_mm.datasets.synthetic.coco_instances):
# squares, circles and triangles with occlusion, 128x128 images, created under data/shapes_coco on first use.
custom_imports = dict(imports=['eva_mm'], allow_failed_imports=False)

dataset_type = 'CocoDataset'
data_root = 'data/shapes_coco/'
img_size = (128, 128)
metainfo = dict(classes=('square', 'circle', 'triangle'), palette=[(220, 20, 60), (0, 128, 255), (60, 180, 75)])
# Arguments of the generator; changing any of them regenerates the files.
generator_cfg = dict(num_train=300, num_val=60, seed=0, img_size=img_size, max_objects=4, size_range=(0.15, 0.45))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=img_size, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_size, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]


# A helper is fine in a config: mmengine keeps only its results, as plain dicts.
def _split(split, pipeline, test_mode):
    return dict(
        type='GeneratedDataset', generator='coco_instances', root=data_root, **generator_cfg,
        dataset=dict(type=dataset_type, data_root=data_root, metainfo=metainfo,
                     ann_file=f'annotations/instances_{split}.json', data_prefix=dict(img=f'{split}/'),
                     filter_cfg=dict(filter_empty_gt=not test_mode), pipeline=pipeline, test_mode=test_mode))


# Iteration-based training: an infinite sampler. mmengine's loop pauses 2 s at every epoch end of a finite one
# (its guard against a worker deadlock), which on a 300-image set costs ~26 s of a 1000-iteration run. Every image
# is square, so no aspect-ratio grouping is needed.
train_dataloader = dict(batch_size=4, num_workers=2, persistent_workers=True,
                        sampler=dict(type='InfiniteSampler', shuffle=True),
                        dataset=_split('train', train_pipeline, False))
val_dataloader = dict(batch_size=4, num_workers=2, persistent_workers=True, drop_last=False,
                      sampler=dict(type='DefaultSampler', shuffle=False),
                      dataset=_split('val', test_pipeline, True))
test_dataloader = val_dataloader
val_evaluator = dict(type='CocoMetric', ann_file=data_root + 'annotations/instances_val.json',
                     metric=['bbox', 'segm'], format_only=False)
test_evaluator = val_evaluator
