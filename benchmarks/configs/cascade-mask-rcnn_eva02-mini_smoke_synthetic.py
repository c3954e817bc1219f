# Smoke-size ViTDet Cascade Mask R-CNN for the benchmark's tiny/dry runs (tests, benchmarks/gpu.py --dry-run):
# the EVA-02-B COCO recipe (configs/eva02/cascade-mask-rcnn_eva02-b_lsj-1024-60k_coco.py, docs/recipes.md) with
# every width shrunk so one train step takes about a second on CPU. Same pieces: EVA-02 trunk (SwiGLU + sub-LN,
# RoPE, windows + a global block), SimpleFPN, RPN, three cascade stages with the recipe's per-stage delta stds,
# LN mask head, the layer-decay AdamW constructor. Not a recipe: numbers are sizes only.
_base_ = ['../../configs/eva02/cascade-mask-rcnn_eva02-b_lsj-1024-60k_coco.py']

img_size = 128
channels = 32
cascade_stds = [[0.1, 0.1, 0.2, 0.2], [0.05, 0.05, 0.1, 0.1], [0.033, 0.033, 0.067, 0.067]]
model = dict(
    data_preprocessor=dict(batch_augments=[dict(type='BatchFixedSizePad', size=(img_size, img_size),
                                                pad_mask=True)]),
    backbone=dict(arch=dict(_delete_=True, embed_dims=64, depth=3, num_heads=2, mlp_hidden=128, sub_ln=True), img_size=img_size,
                  window_size=4, global_attn_indexes=(2,), drop_path_rate=0.0, out_indices=(2,), init_cfg=None),
    neck=dict(backbone_channel=64, out_channels=channels),
    rpn_head=dict(in_channels=channels, feat_channels=channels),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=channels),
        mask_roi_extractor=dict(out_channels=channels),
        bbox_head=[dict(type='Shared2FCBBoxHead', in_channels=channels, fc_out_channels=64, roi_feat_size=7,
                        num_classes=80, reg_class_agnostic=True,
                        bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.], target_stds=stds),
                        loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
                        loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0)) for stds in cascade_stds],
        mask_head=dict(num_convs=1, in_channels=channels, conv_out_channels=channels)),
    train_cfg=dict(rpn_proposal=dict(nms_pre=200, max_per_img=100)))
