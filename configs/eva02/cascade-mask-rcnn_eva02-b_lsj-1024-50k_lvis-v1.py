# EVA-02-B ViTDet Cascade Mask R-CNN, LVIS v1 baseline (paper: 47.1 box / 41.4 mask AP, LVIS val).
# Numbers: docs/recipes.md#detection row "B LVIS bsl" (EVA-02/det eva2_mim_to_lvis, eva02_B 1024): init
# eva02_B_pt_in21k_p14to16, windows of 16 with global blocks 2, 5, 8, 11, drop path 0.1, AdamW lr 1e-4
# betas (0.9, 0.999) wd 0.1 on every parameter, layer decay 0.7, batch 128, 50k iterations, x0.1 at 80% and 90%,
# warmup 1000, AMP; repeat-factor sampling (t = 0.001) and the federated loss (docs/recipes.md#detection).
_base_ = [
    '../_base_/models/cascade-mask-rcnn_eva-vitdet_lvis-v1.py',
    '../_base_/datasets/lvis_v1_instance_lsj.py',
    '../_base_/schedules/vitdet_adamw_step.py',
]
from eva_mm.engine.config_parts import step_schedule

model = dict(
    backbone=dict(arch='eva02-b', img_size=1024, window_size=16, global_attn_indexes=(2, 5, 8, 11),
                  drop_path_rate=0.1,
                  init_cfg=dict(type='Pretrained', checkpoint='pretrained/eva02_B_pt_in21k_p14to16.pt')),
    neck=dict(backbone_channel=768))
max_iters = 50000
train_cfg = dict(max_iters=max_iters)
optim_wrapper = dict(optimizer=dict(lr=1e-4))
param_scheduler = step_schedule(max_iters, _base_.warmup_iters)
