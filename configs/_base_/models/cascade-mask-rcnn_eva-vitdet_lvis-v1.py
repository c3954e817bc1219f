# The EVA ViTDet Cascade Mask R-CNN for LVIS v1 (docs/recipes.md#detection): 1203 classes, federated sigmoid CE in every
# box head (50 classes per batch, negatives sampled by image frequency ** 0.5 read from the train annotations),
# and LVIS test settings: up to 300 detections per image with score threshold 0.02 (leaf configs testing at 1536
# raise them to 1000 and 0.001, the EVA-01 LVIS protocol).
_base_ = ['./cascade-mask-rcnn_eva-vitdet.py']

num_classes = 1203
fed_loss = dict(type='FederatedLoss', num_classes=num_classes, freq_power=0.5, num_fed_classes=50,
                class_freq='data/lvis_v1/annotations/lvis_v1_train.json')
cascade_stds = [[0.1, 0.1, 0.2, 0.2], [0.05, 0.05, 0.1, 0.1], [0.033, 0.033, 0.067, 0.067]]
stage_head = dict(type='Shared4Conv1FCBBoxHead', in_channels=256, conv_out_channels=256, fc_out_channels=1024,
                  roi_feat_size=7, num_classes=num_classes, norm_cfg=dict(type='LN2d'), reg_class_agnostic=True,
                  loss_cls=fed_loss, loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0))
model = dict(
    roi_head=dict(
        bbox_head=[dict(stage_head, bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.],
                                                     target_stds=stds)) for stds in cascade_stds],
        mask_head=dict(num_classes=num_classes)),
    test_cfg=dict(rcnn=dict(score_thr=0.02, max_per_img=300)))
