# Quickstart: an EVA-02-style ViTDet Mask R-CNN trained from scratch on the generated shapes data set
# (configs/_base_/datasets/shapes_coco_instance.py, created under data/shapes_coco on first use), on CPU, then
# COCO-evaluated (bbox and segm). Same pieces as the paper configs, scaled down: an EVA-02 trunk (SwiGLU, RoPE,
# window + global attention), SimpleFPN with LN2d, LN RoI heads, and EVA's test protocol (class-wise linear soft-NMS
# at IoU 0.6, maskness rescoring). Unlike the paper configs it trains the backbone from scratch, so it uses no
# layer-wise lr decay (that protects pre-trained lower blocks; here they must learn as fast as the rest) and an lr
# tuned for this setting (below).
# Shapes/recipe source: docs/recipes.md#detection (ViTDet design, EVA-02 test protocol); sizes chosen for 2 CPU cores.
# Measured: docs/detection.md, "Quickstart" (val, 60 images).
_base_ = [
    'mmdet::_base_/models/mask-rcnn_r50_fpn.py',
    'mmdet::_base_/default_runtime.py',
    '../_base_/datasets/shapes_coco_instance.py',
]

embed_dims = 192  # EVA-02-Ti width, half its depth
neck_channels = 64
norm_cfg = dict(type='LN2d')
model = dict(
    data_preprocessor=dict(pad_size_divisor=32),
    backbone=dict(
        _delete_=True, type='EVA',
        arch=dict(embed_dims=embed_dims, depth=6, num_heads=3, mlp_hidden=512),
        img_size=128, patch_size=8,  # 16x16 tokens of stride 8
        window_size=8, global_attn_indexes=(2, 5),  # ViTDet: windows, every 3rd block global
        drop_path_rate=0.0, out_indices=(5,), init_cfg=None),
    # Stride-8 backbone map -> strides 4, 8, 16, 32 (+ P6 at 64), the strides mmdet's FPN heads expect.
    neck=dict(_delete_=True, type='SimpleFPN', backbone_channel=embed_dims, out_channels=neck_channels,
              scale_factors=(2.0, 1.0, 0.5, 0.25), num_outs=5, norm_cfg=norm_cfg),
    rpn_head=dict(in_channels=neck_channels, feat_channels=neck_channels, num_convs=2,
                  # objects are 19-58 px; anchors of 4 x stride (16-256 px) cover them from P2 on
                  anchor_generator=dict(scales=[4])),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=neck_channels),
        # The paper configs' Shared4Conv1FC LN head costs 4 RoI convs; two fcs are enough for 3 shape classes.
        bbox_head=dict(in_channels=neck_channels, fc_out_channels=256, num_classes=3, reg_class_agnostic=True),
        mask_roi_extractor=dict(out_channels=neck_channels),
        mask_head=dict(type='MasknessFCNMaskHead', num_convs=2, in_channels=neck_channels,
                       conv_out_channels=neck_channels, norm_cfg=norm_cfg, num_classes=3)),
    train_cfg=dict(rpn_proposal=dict(nms_pre=500, max_per_img=200), rcnn=dict(sampler=dict(num=64))),
    test_cfg=dict(
        rpn=dict(nms_pre=300, max_per_img=100),
        # EVA-02 test protocol (docs/recipes.md#detection): class-wise linear soft-NMS, IoU 0.6; maskness rescoring.
        rcnn=dict(score_thr=0.05, max_per_img=50, maskness_thr=0.5,
                  nms=dict(type='soft_nms', iou_threshold=0.6, min_score=0.05, method='linear',
                           class_agnostic=False))))

max_iters = 1000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    # lr 5e-4 learned fastest in 300-iteration trials of 2.5e-4, 5e-4, 1e-3 and 2e-3 (bbox mAP .16/.22/.18/.09).
    optimizer=dict(type='AdamW', lr=5e-4, betas=(0.9, 0.999), weight_decay=0.05),
    # The EVA constructor for its no-weight-decay rules (norms, biases, pos_embed, cls_token); decay rate 1.0 =
    # the same lr for every block.
    constructor='EVALayerDecayOptimWrapperConstructor', paramwise_cfg=dict(layer_decay_rate=1.0),
    clip_grad=dict(max_norm=10.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    # EVA-02 step schedule: x0.1 at 80% and 90% of the iterations
    dict(type='MultiStepLR', by_epoch=False, milestones=[int(max_iters * 0.8), int(max_iters * 0.9)], gamma=0.1),
]
auto_scale_lr = dict(enable=False, base_batch_size=4)
default_hooks = dict(logger=dict(interval=50),
                     checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
# Load in the main process: a batch takes ~10 ms to load, and on 2 cores a worker process only takes CPU time from
# the training step (measured 0.45 s/iteration without, 0.43-0.59 s with one worker).
train_dataloader = dict(num_workers=0, persistent_workers=False)
val_dataloader = dict(num_workers=0, persistent_workers=False)
test_dataloader = val_dataloader
