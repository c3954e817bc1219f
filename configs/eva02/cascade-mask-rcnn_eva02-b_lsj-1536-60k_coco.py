# EVA-02-B ViTDet Cascade Mask R-CNN, COCO system level without O365 (paper: 58.9 box / 50.7 mask AP, COCO val).
# Numbers: docs/recipes.md#detection row "B COCO sys" (EVA-02/det `..._6attn_win32_1536`): 1536 LSJ, windows of 32 with
# global blocks 1, 3, 5, 7, 9, 11 (every 2nd); otherwise as the 1024 baseline (lr 5e-5, lrd 0.7, dp 0.1,
# batch 128, 60k).
_base_ = [
    '../_base_/models/cascade-mask-rcnn_eva-vitdet.py',
    '../_base_/datasets/coco_instance_lsj-1536.py',
    '../_base_/schedules/vitdet_adamw_step.py',
]

model = dict(
    data_preprocessor=dict(batch_augments=[dict(type='BatchFixedSizePad', size=_base_.image_size, pad_mask=True)]),
    backbone=dict(arch='eva02-b', img_size=1536, window_size=32, global_attn_indexes=(1, 3, 5, 7, 9, 11),
                  drop_path_rate=0.1,
                  init_cfg=dict(type='Pretrained', checkpoint='pretrained/eva02_B_pt_in21k_p14to16.pt')),
    neck=dict(backbone_channel=768))
# schedule: vitdet_adamw_step.py's defaults are this recipe
