# Smoke quickstart: a small Mask R-CNN (ResNet-18 at half width, FPN) trained from scratch on the generated shapes
# data set, on CPU in a few minutes, then COCO-evaluated (bbox and segm). It proves the whole mmdet pipeline runs on
# eva_mm's stack: mmcv-lite + eva_mm's compiled-op stand-in (RoIAlign, NMS), safe checkpoints, pycocotools.
_base_ = [
    'mmdet::_base_/models/mask-rcnn_r50_fpn.py',
    'mmdet::_base_/default_runtime.py',
    '../_base_/datasets/shapes_coco_instance.py',
]

width = 32  # ResNet base channels (64 in the standard ResNet-18); stages give width x (1, 2, 4, 8)
neck_channels = 64
model = dict(
    data_preprocessor=dict(pad_size_divisor=32),
    backbone=dict(depth=18, base_channels=width, stem_channels=width, frozen_stages=-1, norm_eval=False,
                  init_cfg=None),
    neck=dict(in_channels=[width, width * 2, width * 4, width * 8], out_channels=neck_channels),
    rpn_head=dict(in_channels=neck_channels, feat_channels=neck_channels,
                  # objects are 19-58 px; anchors of 4 x stride (16-256 px) cover them from P2 on
                  anchor_generator=dict(scales=[4])),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=neck_channels),
        bbox_head=dict(in_channels=neck_channels, fc_out_channels=256, num_classes=3),
        mask_roi_extractor=dict(out_channels=neck_channels),
        mask_head=dict(in_channels=neck_channels, conv_out_channels=neck_channels, num_classes=3)),
    # Fewer proposals and sampled RoIs than the COCO defaults (2000 / 1000 / 512): images hold at most 4 objects,
    # and this keeps a CPU iteration well under a second.
    train_cfg=dict(rpn_proposal=dict(nms_pre=500, max_per_img=200), rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(rpn=dict(nms_pre=300, max_per_img=100), rcnn=dict(max_per_img=50)))

max_iters = 600
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.05), clip_grad=dict(max_norm=10.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='MultiStepLR', by_epoch=False, milestones=[int(max_iters * 0.8)], gamma=0.1),
]
auto_scale_lr = dict(enable=False, base_batch_size=4)
default_hooks = dict(logger=dict(interval=50),
                     checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
