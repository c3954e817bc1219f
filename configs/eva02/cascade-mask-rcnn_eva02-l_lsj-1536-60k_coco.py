# EVA-02-L ViTDet Cascade Mask R-CNN, COCO system level without O365 (paper: 62.3 box / 53.8 mask AP, COCO val).
# Numbers: docs/recipes.md#detection row "L COCO sys": init eva02_L_pt_m38m_p14to16, 1536 LSJ, windows of 32 with global
# blocks 2, 5, ..., 23 (every 3rd, 8), drop path 0.4, lr 5e-5, layer decay 0.8, batch 128, 60k iterations,
# activation checkpointing (the only EVA-02 detection recipe that uses it).
_base_ = [
    '../_base_/models/cascade-mask-rcnn_eva-vitdet.py',
    '../_base_/datasets/coco_instance_lsj-1536.py',
    '../_base_/schedules/vitdet_adamw_step.py',
]

model = dict(
    data_preprocessor=dict(batch_augments=[dict(type='BatchFixedSizePad', size=_base_.image_size, pad_mask=True)]),
    backbone=dict(arch='eva02-l', img_size=1536, window_size=32, global_attn_indexes=tuple(range(2, 24, 3)),
                  drop_path_rate=0.4, with_cp=True,
                  init_cfg=dict(type='Pretrained', checkpoint='pretrained/eva02_L_pt_m38m_p14to16.pt')),
    neck=dict(backbone_channel=1024))
optim_wrapper = dict(paramwise_cfg=dict(layer_decay_rate=0.8))
