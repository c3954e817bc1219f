# EVA-02-L ViTDet Cascade Mask R-CNN, COCO baseline (paper: 59.2 box / 50.8 mask AP, COCO val).
# Numbers: docs/recipes.md#detection row "L COCO bsl" (EVA-02/det eva2_mim_to_coco, eva02_L 1024): init
# eva02_L_pt_m38m_p14to16, windows of 16 with global blocks 5, 11, 17, 23 (every 6th), drop path 0.4, lr 6e-5,
# layer decay 0.8, batch 144, 60k iterations; the rest as the B baseline.
_base_ = [
    '../_base_/models/cascade-mask-rcnn_eva-vitdet.py',
    '../_base_/datasets/coco_instance_lsj.py',
    '../_base_/schedules/vitdet_adamw_step.py',
]

model = dict(
    backbone=dict(arch='eva02-l', img_size=1024, window_size=16, global_attn_indexes=(5, 11, 17, 23),
                  drop_path_rate=0.4,
                  init_cfg=dict(type='Pretrained', checkpoint='pretrained/eva02_L_pt_m38m_p14to16.pt')),
    neck=dict(backbone_channel=1024))
batch_size = 144
optim_wrapper = dict(optimizer=dict(lr=6e-5), paramwise_cfg=dict(layer_decay_rate=0.8))
auto_scale_lr = dict(base_batch_size=batch_size)
