# EVA-01 g + Mask2Former on COCO-Stuff-164K (171 classes), 896 crops. Official: 53.4 mIoU single-scale WITH
# ViT-Adapter, which eva_mm does not have yet (see _base_/models/mask2former_eva-g-p16.py): this config is the
# recipe on a plain EVA-g + BEiT neck. Recipe (docs/recipes.md#segmentation; official
# EVA-01/seg/configs/coco_stuff164k/eva_mask2former_896_60k_cocostuff164k_ss.py): init eva_psz14to16.pt, drop
# path 0.5, AdamW lr 1.5e-5, betas (0.9, 0.999), wd 0.05, layer decay 0.95 over 40 blocks, warmup 1500 iters
# from 1e-6 then poly (1.0) to 0 at 60k, batch 32 (1 per GPU), slide test 896 / stride 512.
# Its last checkpoint initialises mask2former_eva-g-p16_64xb1-20k_ade20k-896x896.py.
_base_ = [
    '../_base_/models/mask2former_eva-g-p16.py',
    '../_base_/datasets/coco-stuff164k_896x896.py',
    '../_base_/schedules/seg_adamw_poly.py',
]
custom_imports = dict(imports=['eva_mm', 'mmdet.models'], allow_failed_imports=False)

num_classes = 171
model = dict(
    data_preprocessor=dict(size=_base_.crop_size),
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint='pretrain/eva_psz14to16.pt')),
    decode_head=dict(num_classes=num_classes, loss_cls=dict(class_weight=[1.0] * num_classes + [0.1])))
optim_wrapper = dict(optimizer=dict(lr=1.5e-5), paramwise_cfg=dict(layer_decay_rate=0.95))  # 60k, warmup 1500
train_cfg = dict(val_interval=5000)
default_hooks = dict(checkpoint=dict(interval=5000))
train_dataloader = dict(batch_size=1)  # x 32 GPUs = 32
