# EVA-02-L ViTDet Cascade Mask R-CNN, COCO after Objects365 (paper: 64.1 box / 55.4 mask AP, COCO val; 64.5 / 55.8
# test-dev). Numbers: docs/recipes.md#detection row "O365 -> COCO": init eva02_L_m38m_to_o365 (the O365 stage of
# cascade-rcnn_eva02-l_lsj-1536-400k_objects365v1.py), 1536 LSJ, windows of 16 with global blocks 2, 5, ..., 23,
# drop path 0.3, lr 4e-5, layer decay 0.8, batch 64, 40k iterations, constant lr after a 1% (400 it) warmup,
# EMA of the weights with decay 0.9999 (the EMA weights are the reported ones).
_base_ = [
    '../_base_/models/cascade-mask-rcnn_eva-vitdet.py',
    '../_base_/datasets/coco_instance_lsj-1536.py',
    '../_base_/schedules/vitdet_adamw_ema.py',
]

model = dict(
    data_preprocessor=dict(batch_augments=[dict(type='BatchFixedSizePad', size=_base_.image_size, pad_mask=True)]),
    backbone=dict(arch='eva02-l', img_size=1536, window_size=16, global_attn_indexes=tuple(range(2, 24, 3)),
                  drop_path_rate=0.3, with_cp=True,
                  init_cfg=dict(type='Pretrained', checkpoint='pretrained/eva02_L_m38m_to_o365.pth')),
    neck=dict(backbone_channel=1024))
max_iters = 40000
train_cfg = dict(max_iters=max_iters)
optim_wrapper = dict(paramwise_cfg=dict(layer_decay_rate=0.8))
param_scheduler = [dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=max_iters // 100)]
