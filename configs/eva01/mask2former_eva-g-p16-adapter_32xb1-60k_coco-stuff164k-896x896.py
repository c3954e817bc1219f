# EVA-01 g in ViT-Adapter + Mask2Former on COCO-Stuff-164K (171 classes), 896 crops: the paper's model (53.4 mIoU
# single-scale, arXiv 2211.07636 Table 6). Official: EVA-01/seg/configs/coco_stuff164k/
# eva_mask2former_896_60k_cocostuff164k_ss.py (BEiTAdapter backbone; head from
# EVA-01/seg/configs/_base_/models/mask2former_beit_cocostuff.py). The recipe (optimizer, schedule, data, head) is
# the plain-EVA config's; this file swaps the backbone for the adapter and drops the BEiT neck, as the official.
_base_ = ['./mask2former_eva-g-p16_32xb1-60k_coco-stuff164k-896x896.py']

model = dict(
    backbone=dict(
        _delete_=True, type='EVAAdapter', arch='eva-g', img_size=896, patch_size=16,
        # official img_size=896: pos_embed stored for the 56 x 56 grid (3137 tokens) as in the released weights;
        # the 14 x 14 (224) grid of eva_psz14to16.pt is resampled to it on load
        pretrain_img_size=896, drop_path_rate=0.5, with_cp=True,
        # official BEiTAdapter arguments
        conv_inplane=64, n_points=4, deform_num_heads=16, cffn_ratio=0.25, deform_ratio=0.5, inj_init_values=0.,
        interaction_indexes=[[0, 9], [10, 19], [20, 29], [30, 39]], adapter_norm_cfg=dict(type='SyncBN'),
        init_cfg=dict(type='Pretrained', checkpoint='pretrain/eva_psz14to16.pt')),
    neck=None)  # the head (EVAMask2FormerHead) comes from the Mask2Former base

# Official LayerDecayOptimizerConstructor (EVA-01/seg/mmcv_custom/layer_decay_optimizer_constructor.py): 40 layers,
# rate 0.95; the adapter (spm, interactions, level_embed, up, norm1-4) at full lr like the head; the head's query /
# level / class / mask embeddings at depth 0 with the patch embedding; weight decay off only for 1-D parameters and
# biases (its pos_embed / cls_token exemption compares bare names to prefixed ones and never fires).
optim_wrapper = dict(paramwise_cfg=dict(
    num_layers=40, layer_decay_rate=0.95, no_decay_names=(),
    embed_names=('decode_head.mask_embed', 'decode_head.cls_embed', 'decode_head.level_embed',
                 'decode_head.query_embed', 'decode_head.query_feat')))
