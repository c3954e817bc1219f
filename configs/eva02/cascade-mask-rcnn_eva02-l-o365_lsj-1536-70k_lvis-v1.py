# EVA-02-L ViTDet Cascade Mask R-CNN, LVIS v1 after Objects365 (paper: 65.2 box / 57.3 mask AP, LVIS val).
# Numbers: docs/recipes.md#detection row "O365 -> LVIS": init eva02_L_in21k_to_o365, 1536 LSJ, windows of 16 with global
# blocks 2, 5, ..., 23, drop path 0.3, lr 4e-5, layer decay 0.8, batch 64, 70k iterations, constant lr after a 1%
# warmup, EMA 0.9999; repeat-factor sampling + federated loss; 1000 detections per image at score >= 0.001.
_base_ = [
    '../_base_/models/cascade-mask-rcnn_eva-vitdet_lvis-v1.py',
    '../_base_/datasets/lvis_v1_instance_lsj-1536.py',
    '../_base_/schedules/vitdet_adamw_ema.py',
]

model = dict(
    data_preprocessor=dict(batch_augments=[dict(type='BatchFixedSizePad', size=_base_.image_size, pad_mask=True)]),
    backbone=dict(arch='eva02-l', img_size=1536, window_size=16, global_attn_indexes=tuple(range(2, 24, 3)),
                  drop_path_rate=0.3,
                  init_cfg=dict(type='Pretrained', checkpoint='pretrained/eva02_L_in21k_to_o365.pth')),
    test_cfg=dict(rcnn=dict(score_thr=0.001, max_per_img=1000, nms=dict(min_score=0.001))),  # 1536 LVIS test
    neck=dict(backbone_channel=1024))
max_iters = 70000
train_cfg = dict(max_iters=max_iters)
optim_wrapper = dict(paramwise_cfg=dict(layer_decay_rate=0.8))
param_scheduler = [dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=max_iters // 100)]
