# EVA-02-L ViTDet Cascade Mask R-CNN, LVIS v1 after Objects365 (paper: 65.2 box / 57.3 mask AP, LVIS val).
# Numbers: docs/recipes.md#detection row "O365 -> LVIS": init eva02_L_in21k_to_o365, 1536 LSJ, windows of 16 with global
# blocks 2, 5, ..., 23, drop path 0.3, lr 4e-5, layer decay 0.8, batch 64, 70k iterations, constant lr after a 1%
# warmup, EMA 0.9999; repeat-factor sampling + federated loss; 1000 detections per image at score >= 0.001.
_base_ = ['./cascade-mask-rcnn_eva02-l_lsj-1536-40k_lvis-v1.py']

model = dict(
    backbone=dict(window_size=16, drop_path_rate=0.3,
                  init_cfg=dict(type='Pretrained', checkpoint='pretrained/eva02_L_in21k_to_o365.pth')))
batch_size = 64
max_iters = 70000
train_cfg = dict(max_iters=max_iters)
optim_wrapper = dict(optimizer=dict(lr=4e-5))
param_scheduler = [dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=max_iters // 100)]
auto_scale_lr = dict(base_batch_size=batch_size)
custom_hooks = [dict(type='EMAHook', ema_type='ExponentialMovingAverage', momentum=1e-4, update_buffers=True,
                     priority=49)]
