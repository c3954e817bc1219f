# EVA / EVA-02 ViTDet Cascade Mask R-CNN (docs/recipes.md#detection; EVA-02/det/projects/ViTDet/configs/common/
# and EVA-01/det/projects/ViTDet/configs/): plain EVA backbone (last block, stride 16) -> SimpleFPN (P2-P6, LN)
# -> RPN with 2 convs -> 3 cascade stages (IoU 0.5/0.6/0.7, delta weights (10,10,5,5), (20,20,10,10),
# (30,30,15,15) = stds 1/weight) with Shared4Conv1FC LN box heads and class-agnostic regression -> FCN mask head
# with LN. Test protocol: linear soft-NMS at IoU 0.6 and maskness rescoring (docs/recipes.md#detection).
# Leaf configs set the backbone arch, sizes, windows and the schedule.
_base_ = ['mmdet::_base_/models/cascade-mask-rcnn_r50_fpn.py']
custom_imports = dict(imports=['eva_mm'], allow_failed_imports=False)

embed_dims = 768
norm_cfg = dict(type='LN2d')


# Per-stage box-delta stds = 1 / detectron2's weights (10,10,5,5), (20,20,10,10), (30,30,15,15).
cascade_stds = [[0.1, 0.1, 0.2, 0.2], [0.05, 0.05, 0.1, 0.1], [0.033, 0.033, 0.067, 0.067]]
stage_head = dict(type='Shared4Conv1FCBBoxHead', in_channels=256, conv_out_channels=256, fc_out_channels=1024,
                  roi_feat_size=7, num_classes=80, norm_cfg=norm_cfg, reg_class_agnostic=True,
                  loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
                  loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0))


model = dict(
    data_preprocessor=dict(
        # RGB, ImageNet mean/std (docs/recipes.md#detection); LSJ pads every image to the square crop
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_mask=True,
        pad_size_divisor=32,
        batch_augments=[dict(type='BatchFixedSizePad', size=(1024, 1024), pad_mask=True)]),
    backbone=dict(
        _delete_=True, type='EVA', arch='eva02-b', img_size=1024, patch_size=16, pretrain_img_size=224,
        window_size=16, global_attn_indexes=(2, 5, 8, 11), drop_path_rate=0.1, out_indices=(-1,)),
    neck=dict(_delete_=True, type='SimpleFPN', backbone_channel=embed_dims, out_channels=256,
              scale_factors=(4.0, 2.0, 1.0, 0.5), num_outs=5, norm_cfg=norm_cfg),
    rpn_head=dict(num_convs=2),
    roi_head=dict(
        bbox_head=[dict(stage_head, bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.],
                                                     target_stds=stds)) for stds in cascade_stds],
        mask_head=dict(type='MasknessFCNMaskHead', norm_cfg=norm_cfg, num_classes=80)),
    test_cfg=dict(
        # Soft-NMS per class (EVA-01 offsets boxes by class before mmcv's soft_nms, EVA-02 sets class_wise=True;
        # det/detectron2/modeling/roi_heads/fast_rcnn.py of both), dropping decayed scores below the 1e-3 that
        # both hard-code. The official code returns every survivor and COCOeval keeps 100 per class and image;
        # max_per_img=100 caps per image instead (docs/evaluation.md: max_per_img=-1 matches exactly).
        rcnn=dict(score_thr=0.0, max_per_img=100, mask_thr_binary=0.5, maskness_thr=0.5,
                  nms=dict(type='soft_nms', iou_threshold=0.6, min_score=1e-3, method='linear',
                           class_agnostic=False))))
