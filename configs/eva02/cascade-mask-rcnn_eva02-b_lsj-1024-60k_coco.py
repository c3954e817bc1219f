# EVA-02-B ViTDet Cascade Mask R-CNN, COCO baseline (paper: 55.5 box / 47.1 mask AP, COCO val).
# Numbers: docs/recipes.md#detection row "B COCO bsl", from EVA-02/det/projects/ViTDet/configs/eva2_mim_to_coco/
# (eva02_B, 1024 LSJ): init eva02_B_pt_in21k_p14to16, windows of 16 with global blocks 2, 5, 8, 11 (every 3rd),
# RoPE (no rel-pos), drop path 0.1, AdamW lr 5e-5 betas (0.9, 0.999) wd 0.1 on every parameter, layer decay 0.7,
# batch 128, 60k iterations, x0.1 at 80% and 90%, linear warmup 1000 from 0.001, AMP.
_base_ = [
    '../_base_/models/cascade-mask-rcnn_eva-vitdet.py',
    '../_base_/datasets/coco_instance_lsj.py',
    '../_base_/schedules/vitdet_adamw_step.py',
]

model = dict(
    backbone=dict(arch='eva02-b', img_size=1024, window_size=16, global_attn_indexes=(2, 5, 8, 11),
                  drop_path_rate=0.1,
                  init_cfg=dict(type='Pretrained', checkpoint='pretrained/eva02_B_pt_in21k_p14to16.pt')),
    neck=dict(backbone_channel=768))
# schedule: vitdet_adamw_step.py's defaults are this recipe
