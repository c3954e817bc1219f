# EVA-01 (EVA-g) ViTDet Cascade Mask R-CNN, COCO (paper: 64.7 box / 55.5 mask AP test-dev; README val 64.5 / 55.0;
# released checkpoints, single-scale val: 64.2 box, 55.0 mask). Numbers: docs/recipes.md#detection, from
# EVA-01/det/projects/ViTDet/configs/COCO/cascade_mask_rcnn_vitdet_eva{,_1536}.py: init eva_o365.pth (after
# Objects365), LSJ 1280 for training and 1536 for testing, windows of 16 with global blocks 3, 7, ..., 39 (every
# 4th), decomposed relative position bias (zero-init, learned), frozen patch embedding, activation checkpointing,
# drop path 0.6, AdamW lr 2.5e-5 betas (0.9, 0.999) wd 0.1 on every parameter, layer decay 0.9, batch 64,
# 45k iterations with x0.1 at 40k and 44,999, warmup 500 from 0.001, AMP; soft-NMS per class, as the official fast_rcnn.py (boxes offset by class).
_base_ = [
    '../_base_/models/cascade-mask-rcnn_eva-vitdet.py',
    '../_base_/datasets/coco_instance_lsj-1280-test-1536.py',
    '../_base_/schedules/vitdet_adamw_step.py',
]
from eva_mm.engine.config_parts import step_schedule

model = dict(
    data_preprocessor=dict(batch_augments=[dict(type='BatchFixedSizePad', size=_base_.train_size, pad_mask=True)]),
    backbone=dict(arch='eva-g', img_size=1280, window_size=16, global_attn_indexes=tuple(range(3, 40, 4)),
                  use_rel_pos=True, freeze_patch_embed=True, with_cp=True, drop_path_rate=0.6,
                  # the 1536 test reads the 1280 rel-pos tables through BEiT's geometric fit, as the official
                  # cascade_mask_rcnn_vitdet_eva_1536.py (interp_type="beit"); at 1280 nothing is resized
                  rel_pos_interp='beit',
                  init_cfg=dict(type='Pretrained', checkpoint='pretrained/eva_o365.pth')),
    neck=dict(backbone_channel=1408))
batch_size = 64  # total over all GPUs (8 nodes x 8 GPUs x 1 image)
max_iters = 45000
warmup_iters = 500
train_cfg = dict(max_iters=max_iters)
optim_wrapper = dict(optimizer=dict(lr=2.5e-5), paramwise_cfg=dict(layer_decay_rate=0.9))
param_scheduler = step_schedule(max_iters, warmup_iters, milestones=[40000, 44999])
auto_scale_lr = dict(base_batch_size=batch_size)
