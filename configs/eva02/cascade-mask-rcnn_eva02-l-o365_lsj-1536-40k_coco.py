# EVA-02-L ViTDet Cascade Mask R-CNN, COCO after Objects365 (paper: 64.1 box / 55.4 mask AP, COCO val; 64.5 / 55.8
# test-dev). Numbers: docs/recipes.md#detection row "O365 -> COCO": init eva02_L_m38m_to_o365 (the O365 stage of
# cascade-rcnn_eva02-l_lsj-1536-400k_objects365v1.py), 1536 LSJ, windows of 16 with global blocks 2, 5, ..., 23,
# drop path 0.3, lr 4e-5, layer decay 0.8, batch 64, 40k iterations, constant lr after a 1% (400 it) warmup,
# EMA of the weights with decay 0.9999 (the EMA weights are the reported ones).
_base_ = ['./cascade-mask-rcnn_eva02-l_lsj-1536-60k_coco.py']

model = dict(
    backbone=dict(window_size=16, drop_path_rate=0.3,
                  init_cfg=dict(type='Pretrained', checkpoint='pretrained/eva02_L_m38m_to_o365.pth')))
batch_size = 64
max_iters = 40000
train_cfg = dict(max_iters=max_iters)
optim_wrapper = dict(optimizer=dict(lr=4e-5))
param_scheduler = [dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=max_iters // 100)]
auto_scale_lr = dict(base_batch_size=batch_size)
# mmengine's momentum is 1 - decay
custom_hooks = [dict(type='EMAHook', ema_type='ExponentialMovingAverage', momentum=1e-4, update_buffers=True,
                     priority=49)]
