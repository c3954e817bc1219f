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
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_80k.py',
]
custom_imports = dict(imports=['eva_mm', 'mmdet.models'], allow_failed_imports=False)

num_classes = 171
crop_size = (896, 896)
max_iters = 60000
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint='pretrain/eva_psz14to16.pt')),
    decode_head=dict(num_classes=num_classes, loss_cls=dict(class_weight=[1.0] * num_classes + [0.1])))

optim_wrapper = dict(
    _delete_=True, type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1.5e-5, betas=(0.9, 0.999), weight_decay=0.05),
    constructor='EVALayerDecayOptimWrapperConstructor', paramwise_cfg=dict(layer_decay_rate=0.95))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500),
    dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False, begin=1500, end=max_iters),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=5000)
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=5000, max_keep_ckpts=3, save_best='mIoU'))
train_dataloader = dict(batch_size=1)  # x 32 GPUs = 32
val_dataloader = dict(batch_size=1)
test_dataloader = val_dataloader
auto_scale_lr = dict(enable=False, base_batch_size=32)
