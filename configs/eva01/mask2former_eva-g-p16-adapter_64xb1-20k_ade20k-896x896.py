# EVA-01 g in ViT-Adapter + Mask2Former on ADE20K, 896 crops, fine-tuned from the COCO-Stuff-164K adapter model:
# the paper's model (61.5 mIoU single-scale / 62.3 multi-scale + flip, arXiv 2211.07636 Table 6). Official:
# EVA-01/seg/configs/ade20k/eva_mask2former_896_20k_coco164k2ade20k_{ss,ms}.py: 20k iters, batch 64 (1 x 64 GPUs),
# AdamW lr 2.5e-5, wd 0.05, layer decay 0.95 over 40 layers, warmup 500 from 1e-6 then poly (1.0), drop path 0.5,
# slide test 896 / stride 512 (these come from the plain-EVA ADE20K config this file inherits).
_base_ = ['./mask2former_eva-g-p16_64xb1-20k_ade20k-896x896.py']

model = dict(
    backbone=dict(
        _delete_=True, type='EVAAdapter', arch='eva-g', img_size=896, patch_size=16, pretrain_img_size=896,
        drop_path_rate=0.5, with_cp=True, conv_inplane=64, n_points=4, deform_num_heads=16, cffn_ratio=0.25,
        deform_ratio=0.5, inj_init_values=0., interaction_indexes=[[0, 9], [10, 19], [20, 29], [30, 39]],
        adapter_norm_cfg=dict(type='SyncBN')),
    neck=None)  # the head (EVAMask2FormerHead) comes from the Mask2Former base
# Official load_from: the released eva_sem_seg_mask2former_cocostuff_53p4.pth. Here: the COCO-Stuff adapter config's
# final checkpoint; the released file works too (`--cfg-options load_from=...`: eva_mm's whole-model loader renames
# its mmseg 0.20 / mmcv 1.x head names). Either way the 171-class classifier does not load (shapes differ).
load_from = 'work_dirs/mask2former_eva-g-p16-adapter_32xb1-60k_coco-stuff164k-896x896/iter_60000.pth'

optim_wrapper = dict(paramwise_cfg=dict(
    num_layers=40, layer_decay_rate=0.95, no_decay_names=(),
    embed_names=('decode_head.mask_embed', 'decode_head.cls_embed', 'decode_head.level_embed',
                 'decode_head.query_embed', 'decode_head.query_feat')))

# Multi-scale + flip test of the _ms config (62.3): MultiScaleFlipAug(img_scale=(3584, 896), img_ratios 512/896 ...
# 1280/896, flip), each scale resized keeping the aspect ratio, then to a multiple of 32.
img_ratios = [512 / 896, 640 / 896, 768 / 896, 896 / 896, 1024 / 896, 1152 / 896, 1280 / 896]
tta_model = dict(type='SegTTAModel')
tta_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='TestTimeAug', transforms=[
        [dict(type='Resize', scale=(int(3584 * r), int(896 * r)), keep_ratio=True) for r in img_ratios],
        [dict(type='RandomFlip', prob=0., direction='horizontal'),
         dict(type='RandomFlip', prob=1., direction='horizontal')],
        [dict(type='ResizeToMultiple', size_divisor=32)],
        [dict(type='LoadAnnotations', reduce_zero_label=True)],
        [dict(type='PackSegInputs')]])]
