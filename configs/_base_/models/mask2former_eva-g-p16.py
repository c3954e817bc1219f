# EVA-01 g + Mask2Former for semantic segmentation (docs/recipes.md#segmentation; official
# EVA-01/seg/configs/_base_/models/mask2former_beit_cocostuff.py and
# EVA-01/seg/configs/coco_stuff164k/eva_mask2former_896_60k_cocostuff164k_ss.py): 200 queries, 1024 channels,
# MSDeformAttn pixel decoder (6 layers, 32 heads, FFN 4096, 3 levels, 4 points), 8 transformer decoder layers
# (32 heads, FFN 4096); ImageNet mean/std; losses and matching as mmseg's Mask2Former (cls 2.0 with 0.1 for
# "no object", mask BCE 5.0, dice 5.0, 12544 sampled points).
#
# Plain-backbone variant: the multi-scale features come from the plain EVA-g (outputs after blocks 9/19/29/39,
# the official interaction ends) through the BEiT multi-scale neck (mmseg Feature2Pyramid, strides 4/8/16/32), as
# EVA-02's UperNet does. The paper's model (ViT-Adapter / BEiTAdapter backbone, 53.4 / 61.5 mIoU) is the
# configs/eva01/mask2former_eva-g-p16-adapter_* configs; expect lower mIoU from this one.
# The head is mmseg's Mask2FormerHead with the official semantic inference (scores combined at 1/4, then resized
# to the input; eva_mm/models/heads/mask2former_semantic.py): mmseg's own predict resizes every slide crop to the
# whole image's pad shape and fails on images larger than a crop.
num_classes = 150
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
                         bgr_to_rgb=True, pad_val=0, seg_pad_val=255, test_cfg=dict(size_divisor=32))
embed_dims = 1408
feat = 1024
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(type='EVA', arch='eva-g', img_size=896, patch_size=16, pretrain_img_size=224,
                  out_indices=(9, 19, 29, 39), drop_path_rate=0.5, with_cp=True, final_norm=False),
    neck=dict(type='Feature2Pyramid', embed_dim=embed_dims, rescales=[4, 2, 1, 0.5], norm_cfg=norm_cfg),
    decode_head=dict(
        type='EVAMask2FormerHead', in_channels=[embed_dims] * 4, strides=[4, 8, 16, 32], feat_channels=feat,
        out_channels=feat, num_classes=num_classes, num_queries=200, num_transformer_feat_level=3,
        align_corners=False,
        pixel_decoder=dict(
            type='mmdet.MSDeformAttnPixelDecoder', num_outs=3, norm_cfg=dict(type='GN', num_groups=32),
            act_cfg=dict(type='ReLU'),
            encoder=dict(num_layers=6, layer_cfg=dict(
                self_attn_cfg=dict(embed_dims=feat, num_heads=32, num_levels=3, num_points=4, im2col_step=64,
                                   dropout=0.0, batch_first=True, norm_cfg=None, init_cfg=None),
                ffn_cfg=dict(embed_dims=feat, feedforward_channels=4096, num_fcs=2, ffn_drop=0.0,
                             act_cfg=dict(type='ReLU', inplace=True))), init_cfg=None),
            positional_encoding=dict(num_feats=feat // 2, normalize=True), init_cfg=None),
        enforce_decoder_input_project=False,
        positional_encoding=dict(num_feats=feat // 2, normalize=True),
        transformer_decoder=dict(
            return_intermediate=True, num_layers=8,
            layer_cfg=dict(
                self_attn_cfg=dict(embed_dims=feat, num_heads=32, attn_drop=0.0, proj_drop=0.0, dropout_layer=None,
                                   batch_first=True),
                cross_attn_cfg=dict(embed_dims=feat, num_heads=32, attn_drop=0.0, proj_drop=0.0,
                                    dropout_layer=None, batch_first=True),
                ffn_cfg=dict(embed_dims=feat, feedforward_channels=4096, num_fcs=2,
                             act_cfg=dict(type='ReLU', inplace=True), ffn_drop=0.0, dropout_layer=None,
                             add_identity=True)),
            init_cfg=None),
        loss_cls=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=False, loss_weight=2.0, reduction='mean',
                      class_weight=[1.0] * num_classes + [0.1]),
        loss_mask=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=True, reduction='mean', loss_weight=5.0),
        loss_dice=dict(type='mmdet.DiceLoss', use_sigmoid=True, activate=True, reduction='mean', naive_dice=True,
                       eps=1.0, loss_weight=5.0),
        train_cfg=dict(
            num_points=12544, oversample_ratio=3.0, importance_sample_ratio=0.75,
            assigner=dict(type='mmdet.HungarianAssigner', match_costs=[
                dict(type='mmdet.ClassificationCost', weight=2.0),
                dict(type='mmdet.CrossEntropyLossCost', weight=5.0, use_sigmoid=True),
                dict(type='mmdet.DiceCost', weight=5.0, pred_act=True, eps=1.0)]),
            sampler=dict(type='mmdet.MaskPseudoSampler'))),
    train_cfg=dict(),
    test_cfg=dict(mode='slide', crop_size=(896, 896), stride=(512, 512)))
