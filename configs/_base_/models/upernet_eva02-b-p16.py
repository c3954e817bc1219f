# EVA-02-B UperNet for semantic segmentation, BEiT recipe (docs/recipes.md#segmentation; official
# EVA-02/seg/configs/eva02/upernet/upernet_eva02_base_12_512_slide_60k.py): patch-16 backbone (official 14->16
# weights keep a 14x14 position grid, resampled to the input), block outputs 3/5/7/11 -> BEiT multi-scale neck
# (mmseg Feature2Pyramid: 2x ConvT + SyncBN + GELU, ConvT, identity, MaxPool = the official in-backbone fpn1..4)
# -> UperNet head (channels 768) + auxiliary FCN head on the stride-16 map.
_base_ = ['mmseg::_base_/models/upernet_beit.py']

embed_dims = 768
model = dict(
    backbone=dict(
        _delete_=True, type='EVA', arch='eva02-b', img_size=512, patch_size=16, pretrain_img_size=224,
        out_indices=(3, 5, 7, 11), drop_path_rate=0.15, final_norm=False),
    neck=dict(embed_dim=embed_dims, rescales=[4, 2, 1, 0.5]),
    decode_head=dict(in_channels=[embed_dims] * 4, channels=768, num_classes=150),
    auxiliary_head=dict(in_channels=embed_dims, num_classes=150))
