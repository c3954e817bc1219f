# The segmentation quickstart (upernet_eva02-mini-p8_400it_ade-shapes-64x64.py: same data, head, optimizer and
# schedule) with its EVA-02 mini inside ViT-Adapter (arXiv 2205.08534) instead of the BEiT multi-scale neck. The
# adapter reads a 1/16 ViT grid (its injector / extractor levels are 1/8, 1/16, 1/32 of the image), hence patch 16:
# a 4 x 4 token grid at 64 px, with the spatial prior module supplying the 1/4 and 1/8 detail.
_base_ = ['./upernet_eva02-mini-p8_400it_ade-shapes-64x64.py']

model = dict(
    backbone=dict(
        _delete_=True, type='EVAAdapter', arch=dict(embed_dims=128, depth=4, num_heads=4, mlp_hidden=341),
        img_size=(64, 64), patch_size=16, pretrain_img_size=(64, 64), drop_path_rate=0.0,
        # one block per interaction (the EVA-g recipe spreads 40 blocks over 4); 4 deformable heads of width 16
        interaction_indexes=[[0, 0], [1, 1], [2, 2], [3, 3]], deform_num_heads=4, n_points=4, conv_inplane=16,
        cffn_ratio=0.25, deform_ratio=0.5, adapter_norm_cfg=dict(type='SyncBN')),  # SyncBN -> BN on one process
    neck=None)
