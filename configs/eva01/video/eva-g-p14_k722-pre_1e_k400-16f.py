# EVA-01 g/14 video, stage 2: 16-frame fine-tuning on Kinetics-400 from the K722 8-frame model (89.7 top-1, 4x3 views).
# Official values: github.com/baaivision/EVA EVA-01/video/configs/kinetics400_ft.yaml. The 8-frame position embedding
# of eva_video_k722.pth is resized trilinearly to 16 frames at load (EVAVideo.load_checkpoint), as the official loader.
# The official loader keeps the K722 head rows of the K400 classes (data/k722_to_k400_mapping.npy). Same here with
#   python -m eva_mm.datasets.video_kinetics722 head pretrained/eva_video_k722.pth \
#       data/kinetics722/k722_to_kinetics400_rows.txt --out pretrained/eva_video_k722_to_k400_16f.pth
# and --cfg-options load_from=pretrained/eva_video_k722_to_k400_16f.pth; without it the head starts fresh.
_base_ = ['./eva-g-p14_k722-intermediate-ft_8f.py']
from eva_mm.datasets.video_pipelines import kinetics_pipelines

num_frames = 16  # DATA.NUM_FRAMES
num_classes = 400
img_size = 224  # DATA.INPUT_SIZE
data_root = 'data/kinetics400'
model = dict(
    backbone=dict(num_frames=num_frames, drop_path_rate=0.2,  # MODEL.DROP_PATH_RATE
                  init_cfg=dict(checkpoint='https://huggingface.co/BAAI/EVA/resolve/main/eva_video_k722.pth')),
    cls_head=dict(num_classes=num_classes, label_smooth_eps=0.1),  # AUG.LABEL_SMOOTH
    data_preprocessor=dict(blending=None))  # AUG.MIXUP 0, AUG.CUTMIX 0
# The official pipelines (EVA-01/video/datasets/build.py; eva_mm/datasets/video_pipelines.py): TSN-style segment
# sampling, multi-scale crop, flip, colour jitter p=0.8 / grayscale p=0.2; val one centre clip; test 4 random
# segment draws x 3 crops (TEST.NUM_CLIP 4, TEST.NUM_CROP 3).
train_pipeline, val_pipeline, test_pipeline = kinetics_pipelines(num_frames, img_size)
train_dataloader = dict(
    batch_size=1,  # TRAIN.BATCH_SIZE, with 4 accumulation steps
    dataset=dict(ann_file=f'{data_root}/kinetics400_train_list_videos.txt',
                 data_prefix=dict(video=f'{data_root}/videos_train'), pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    dataset=dict(ann_file=f'{data_root}/kinetics400_val_list_videos.txt',
                 data_prefix=dict(video=f'{data_root}/videos_val'), pipeline=val_pipeline))
test_dataloader = dict(
    dataset=dict(ann_file=f'{data_root}/kinetics400_val_list_videos.txt',
                 data_prefix=dict(video=f'{data_root}/videos_val'), pipeline=test_pipeline))

max_epochs = 1  # TRAIN.EPOCHS
train_cfg = dict(max_epochs=max_epochs)
optim_wrapper = dict(
    optimizer=dict(lr=1e-6),  # TRAIN.LR (constant: WARMUP_START_LR = LR_MIN = 1e-6, WARMUP_EPOCHS 0)
    paramwise_cfg=dict(layer_decay_rate=0.95),  # TRAIN.LAYER_WISE_DECAY
    accumulative_counts=4)  # TRAIN.ACCUMULATION_STEPS
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True, begin=0, end=max_epochs)]
