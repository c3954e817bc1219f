# EVA-01 g/14 video, stage 1: intermediate fine-tuning on the merged Kinetics-722 at 8 frames (arXiv 2211.07636).
# Official values from github.com/baaivision/EVA EVA-01/video/configs/kinetics722_intermediate_ft.yaml, the defaults
# in EVA-01/video/utils/config.py, the pipelines in EVA-01/video/datasets/build.py and scripts/run_k722_ft.sh.
# Data: K400 / K600 / K700 in mmaction2's layout (data/kinetics400/videos_{train,val}/ + list files + label map);
# `python -m eva_mm.datasets.video_kinetics722 classes data/kinetics{400,600,700}/label_map_k*.txt` writes the
# merged label map and data/kinetics722/k722_{train,val}_list_videos.txt, whose paths are relative to data/ (as the
# official notebooks/build_file_list.ipynb: sorted union of class names, duplicate and val-leaked videos dropped).
_base_ = []  # none; without a _base_ key mmengine would read a config that imports as its lazy-import format
from eva_mm.datasets.video_pipelines import kinetics_pipelines

default_scope = 'mmaction'
custom_imports = dict(imports=['eva_mm', 'mmaction.models'], allow_failed_imports=False)

num_frames = 8  # DATA.NUM_FRAMES
num_classes = 722  # DATA.NUM_CLASSES (labels/kinetics722_labels.csv)
img_size = 224  # DATA.INPUT_SIZE
data_root = 'data/kinetics722'
model = dict(
    type='Recognizer3D',
    backbone=dict(
        type='EVAVideo', arch='eva-g', num_frames=num_frames, tubelet_size=1, img_size=img_size, patch_size=14,
        drop_path_rate=0.3,  # MODEL.DROP_PATH_RATE
        with_cp=True,  # TRAIN.USE_CHECKPOINT
        init_cfg=dict(type='Pretrained', checkpoint='https://huggingface.co/BAAI/EVA/resolve/main/eva_psz14.pt')),
    # Mean pooling + fc_norm are in the backbone (MYCLIP.USE_MEAN_POOLING); the head is the official linear head.
    cls_head=dict(type='TimeSformerHead', num_classes=num_classes, in_channels=1408, average_clips='prob',
                  label_smooth_eps=0.1),  # AUG.LABEL_SMOOTH
    data_preprocessor=dict(type='ActionDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], format_shape='NCTHW',
                           # AUG.MIXUP 0.8 / AUG.CUTMIX 1.0 / MIXUP_SWITCH_PROB 0.5 (mmaction's RandomBatchAugment)
                           blending=dict(type='RandomBatchAugment', augments=[
                               dict(type='MixupBlending', alpha=0.8, num_classes=num_classes),
                               dict(type='CutmixBlending', alpha=1.0, num_classes=num_classes)])))

# The official pipelines (EVA-01/video/datasets/build.py; eva_mm/datasets/video_pipelines.py): TSN-style segment
# sampling, multi-scale crop, flip, colour jitter p=0.8 / grayscale p=0.2; val one centre clip; test 4 random
# segment draws x 3 crops (TEST.NUM_CLIP 4, TEST.NUM_CROP 3).
train_pipeline, val_pipeline, test_pipeline = kinetics_pipelines(num_frames, img_size)
train_dataloader = dict(
    batch_size=2,  # TRAIN.BATCH_SIZE per GPU, 8 GPUs per node (scripts/run_k722_ft.sh), accumulation 1
    num_workers=8, persistent_workers=True, sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='VideoDataset', ann_file=f'{data_root}/k722_train_list_videos.txt',
                 data_prefix=dict(video='data'), pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=2, num_workers=8, persistent_workers=True, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='VideoDataset', ann_file=f'{data_root}/k722_val_list_videos.txt',
                 data_prefix=dict(video='data'), pipeline=val_pipeline, test_mode=True))
test_dataloader = dict(
    batch_size=1, num_workers=8, persistent_workers=True, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='VideoDataset', ann_file=f'{data_root}/k722_val_list_videos.txt',
                 data_prefix=dict(video='data'), pipeline=test_pipeline, test_mode=True))
val_evaluator = dict(type='AccMetric')  # top-1 / top-5 and mean class accuracy
test_evaluator = val_evaluator

max_epochs = 40  # TRAIN.EPOCHS
warmup_epochs = 5  # TRAIN.WARMUP_EPOCHS
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_begin=1, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='AmpOptimWrapper',  # TRAIN.OPT_LEVEL O1
    optimizer=dict(type='AdamW', lr=8e-6, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.05),  # TRAIN.LR etc.
    constructor='EVALayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(layer_decay_rate=1.0),  # TRAIN.LAYER_WISE_DECAY
    accumulative_counts=1)  # TRAIN.ACCUMULATION_STEPS (run_k722_ft.sh --accumulation-steps 1)
param_scheduler = [  # TRAIN.LR_SCHEDULER cosine with linear warm-up from WARMUP_START_LR 0 to LR_MIN 0
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=0.0, by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True),
]
default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'), timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, ignore_last=False), param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, save_best='auto', max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'), sync_buffers=dict(type='SyncBuffersHook'))
env_cfg = dict(cudnn_benchmark=False, mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
               dist_cfg=dict(backend='nccl'))
log_processor = dict(type='LogProcessor', window_size=20, by_epoch=True)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='ActionVisualizer', vis_backends=vis_backends)
log_level = 'INFO'
load_from = None
resume = False
