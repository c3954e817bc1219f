# EVA-02-L ViTDet Cascade Mask R-CNN, LVIS v1 baseline (paper: 55.3 box / 48.6 mask AP, LVIS val).
# Numbers: docs/recipes.md#detection row "L LVIS bsl": init eva02_L_pt_in21k_p14to16 (IN-21K MIM: Merged-38M holds
# COCO/O365 images), windows of 16 with global blocks 5, 11, 17, 23, drop path 0.4, lr 1e-4, layer decay 0.8,
# batch 128, 40k iterations (x0.1 at 80% and 90%); RFS + federated loss as the B recipe.
_base_ = ['./cascade-mask-rcnn_eva02-b_lsj-1024-50k_lvis-v1.py']

model = dict(
    backbone=dict(arch='eva02-l', global_attn_indexes=(5, 11, 17, 23), drop_path_rate=0.4,
                  init_cfg=dict(type='Pretrained', checkpoint='pretrained/eva02_L_pt_in21k_p14to16.pt')),
    neck=dict(backbone_channel=1024))
max_iters = 40000
train_cfg = dict(max_iters=max_iters)
optim_wrapper = dict(paramwise_cfg=dict(layer_decay_rate=0.8))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=1000),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[int(max_iters * 0.8), int(max_iters * 0.9)], gamma=0.1),
]
