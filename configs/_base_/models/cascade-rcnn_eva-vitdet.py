# The EVA ViTDet Cascade R-CNN without the mask branch, for Objects365 (365 classes, boxes only; docs/recipes.md,
# "L -> O365: no mask head"). Maskness rescoring needs a mask head, so only soft-NMS remains of the test protocol.
_base_ = ['./cascade-mask-rcnn_eva-vitdet.py']

num_classes = 365
cascade_stds = [[0.1, 0.1, 0.2, 0.2], [0.05, 0.05, 0.1, 0.1], [0.033, 0.033, 0.067, 0.067]]
stage_head = dict(type='Shared4Conv1FCBBoxHead', in_channels=256, conv_out_channels=256, fc_out_channels=1024,
                  roi_feat_size=7, num_classes=num_classes, norm_cfg=dict(type='LN2d'), reg_class_agnostic=True,
                  loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
                  loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0))
model = dict(
    data_preprocessor=dict(pad_mask=False, batch_augments=[dict(type='BatchFixedSizePad', size=(1536, 1536))]),
    roi_head=dict(
        bbox_head=[dict(stage_head, bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.],
                                                     target_stds=stds)) for stds in cascade_stds],
        mask_roi_extractor=None, mask_head=None),
    test_cfg=dict(rcnn=dict(maskness_thr=None)))
