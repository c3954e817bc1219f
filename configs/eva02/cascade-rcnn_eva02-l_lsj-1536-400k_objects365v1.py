# EVA-02-L ViTDet Cascade R-CNN intermediate fine-tuning on Objects365 (boxes only, 365 classes, train + val),
# the O365 stage before the COCO / LVIS system-level recipes (released: det/eva02_L_{m38m,in21k}_to_o365.pth).
# Numbers: docs/recipes.md#detection row "L -> O365": init eva02_L_pt_m38m_p14to16 (in21k for the LVIS path), 1536 LSJ,
# windows of 16 with global blocks 2, 5, ..., 23 (8), drop path 0.4, AdamW lr 6e-5 betas (0.9, 0.999) wd 0.1,
# layer decay 0.8, batch 160, 400k iterations (x0.1 at 80% and 90%), warmup 5000, AMP.
_base_ = [
    '../_base_/models/cascade-rcnn_eva-vitdet.py',
    '../_base_/datasets/objects365v1_detection_lsj.py',
    '../_base_/schedules/vitdet_adamw_step.py',
]
from eva_mm.engine.config_parts import step_schedule

model = dict(
    backbone=dict(arch='eva02-l', img_size=1536, window_size=16, global_attn_indexes=tuple(range(2, 24, 3)),
                  drop_path_rate=0.4,
                  init_cfg=dict(type='Pretrained', checkpoint='pretrained/eva02_L_pt_m38m_p14to16.pt')),
    neck=dict(backbone_channel=1024))
batch_size = 160
max_iters = 400000
warmup_iters = 5000
train_dataloader = dict(batch_size=1)
train_cfg = dict(max_iters=max_iters, val_interval=20000)
optim_wrapper = dict(optimizer=dict(lr=6e-5), paramwise_cfg=dict(layer_decay_rate=0.8))
param_scheduler = step_schedule(max_iters, warmup_iters)
auto_scale_lr = dict(base_batch_size=batch_size)
default_hooks = dict(checkpoint=dict(interval=20000))
