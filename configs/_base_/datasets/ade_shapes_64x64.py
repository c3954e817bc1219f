# Generated ADE20K-layout segmentation data (eva_mm.datasets.synthetic.ade_segmentation): sky and floor with
# boxes, balls and signboards in front, 64x64 JPEG images + uint8 label PNGs, label 0 = unlabelled "other"
# (ignored through reduce_zero_label, as ADE20K). Created under data/ade_shapes on first use.

data_root = 'data/ade_shapes'
crop_size = (64, 64)
metainfo = dict(classes=('sky', 'floor', 'box', 'ball', 'signboard'),
                palette=[(6, 230, 230), (80, 50, 50), (255, 0, 102), (255, 235, 0), (255, 5, 153)])
# Arguments of the generator; changing any of them regenerates the files.
generator_cfg = dict(num_train=400, num_val=80, seed=0, img_size=crop_size, max_objects=3, size_range=(0.25, 0.5),
                     max_clutter=2)

# ADE20K's pipeline (mmseg _base_/datasets/ade20k.py) scaled to 64 px; no photometric distortion, because colour
# is one of the cues of this small data set.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(256, 64), ratio_range=(0.75, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(256, 64), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
img_ratios = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75]
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='TestTimeAug',
         transforms=[[dict(type='Resize', scale_factor=r, keep_ratio=True) for r in img_ratios],
                     [dict(type='RandomFlip', prob=0., direction='horizontal'),
                      dict(type='RandomFlip', prob=1., direction='horizontal')],
                     [dict(type='LoadAnnotations')], [dict(type='PackSegInputs')]]),
]


# A helper is fine in a config: mmengine keeps only its results, as plain dicts.
def _split(folder, pipeline, test_mode):
    return dict(
        type='GeneratedDataset', generator='ade_segmentation', root=data_root, **generator_cfg,
        dataset=dict(type='BaseSegDataset', data_root=data_root, metainfo=metainfo, img_suffix='.jpg',
                     seg_map_suffix='.png', reduce_zero_label=True, test_mode=test_mode, pipeline=pipeline,
                     data_prefix=dict(img_path=f'images/{folder}', seg_map_path=f'annotations/{folder}')))


train_dataloader = dict(batch_size=16, num_workers=2, persistent_workers=True,
                        sampler=dict(type='InfiniteSampler', shuffle=True),
                        dataset=_split('training', train_pipeline, False))
val_dataloader = dict(batch_size=16, num_workers=2, persistent_workers=True,
                      sampler=dict(type='DefaultSampler', shuffle=False),
                      dataset=_split('validation', test_pipeline, True))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
