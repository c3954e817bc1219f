# EVA-02-L ViTDet Cascade Mask R-CNN, LVIS v1 baseline (paper: 55.3 box / 48.6 mask AP, LVIS val).
# Numbers: docs/recipes.md#detection row "L LVIS bsl": init eva02_L_pt_in21k_p14to16 (IN-21K MIM: Merged-38M holds
# COCO/O365 images), windows of 16 with global blocks 5, 11, 17, 23, drop path 0.4, lr 1e-4, layer decay 0.8,
# batch 128, 40k iterations (x0.1 at 80% and 90%); RFS + federated loss as the B recipe.
_base_ = [
    '../_base_/models/cascade-mask-rcnn_eva-vitdet_lvis-v1.py',
    '../_base_/datasets/lvis_v1_instance_lsj.py',
    '../_base_/schedules/vitdet_adamw_step.py',
]
from eva_mm.engine.config_parts import step_schedule

model = dict(
    backbone=dict(arch='eva02-l', img_size=1024, window_size=16, global_attn_indexes=(5, 11, 17, 23),
                  drop_path_rate=0.4,
                  init_cfg=dict(type='Pretrained', checkpoint='pretrained/eva02_L_pt_in21k_p14to16.pt')),
    neck=dict(backbone_channel=1024))
max_iters = 40000
train_cfg = dict(max_iters=max_iters)
optim_wrapper = dict(optimizer=dict(lr=1e-4), paramwise_cfg=dict(layer_decay_rate=0.8))
param_scheduler = step_schedule(max_iters, _base_.warmup_iters)
