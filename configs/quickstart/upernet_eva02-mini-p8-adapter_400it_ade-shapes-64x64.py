# The segmentation quickstart (upernet_eva02-mini-p8_400it_ade-shapes-64x64.py: same data, head, optimizer,
# schedule and the same EVA-02 mini at patch 8) with its ViT inside ViT-Adapter (arXiv 2205.08534) instead of the
# BEiT multi-scale neck. At patch 8 the adapter keeps the official levels' ratios to the ViT grid: spatial prior
# stem at 1/2, injector / extractor pyramid at 1/4, 1/8, 1/16, outputs at strides 2, 4, 8, 16 -- the strides the
# plain quickstart's BEiT neck gives the UperNet head. So both runs see an 8 x 8 token grid at 64 px.
_base_ = ['./upernet_eva02-mini-p8_400it_ade-shapes-64x64.py']

model = dict(
    backbone=dict(
        _delete_=True, type='EVAAdapter', arch=dict(embed_dims=128, depth=4, num_heads=4, mlp_hidden=341),
        img_size=(64, 64), patch_size=8, pretrain_img_size=(64, 64), drop_path_rate=0.0,
        # one block per interaction (the EVA-g recipe spreads 40 blocks over 4); 4 deformable heads of width 16
        interaction_indexes=[[0, 0], [1, 1], [2, 2], [3, 3]], deform_num_heads=4, n_points=4, conv_inplane=16,
        cffn_ratio=0.25, deform_ratio=0.5, adapter_norm_cfg=dict(type='SyncBN')),  # SyncBN -> BN on one process
    neck=None)
