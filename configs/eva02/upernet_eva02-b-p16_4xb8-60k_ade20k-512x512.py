# EVA-02-B + UperNet on ADE20K, 512 crops: 55.3 mIoU single-scale (official). Recipe from
# EVA-02/seg/configs/eva02/upernet/upernet_eva02_base_12_512_slide_60k.py (docs/recipes.md#segmentation): patch-16
# weights eva02_B_pt_in21k_p14to16.pt, blocks 3/5/7/11, drop path 0.15, UperNet channels 768; AdamW lr 6e-5,
# betas (0.9, 0.999), wd 0.05, layer decay 0.85 over 12 blocks; linear warmup 1500 iters from 1e-6 then poly
# (power 1.0) to 0 at 60k; batch 32 (4 GPUs x 8); fp16 officially (add --amp); slide test 512 / stride 341.
_base_ = [
    '../_base_/models/upernet_eva02-b-p16.py',
    'mmseg::_base_/datasets/ade20k.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_80k.py',
]
custom_imports = dict(imports=['eva_mm'], allow_failed_imports=False)

crop_size = (512, 512)
max_iters = 60000
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint='pretrain/eva02_B_pt_in21k_p14to16.pt')),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(341, 341)))

optim_wrapper = dict(
    _delete_=True, type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=6e-5, betas=(0.9, 0.999), weight_decay=0.05),
    constructor='EVALayerDecayOptimWrapperConstructor', paramwise_cfg=dict(layer_decay_rate=0.85))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500),
    dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False, begin=1500, end=max_iters),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=6000)
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=6000, max_keep_ckpts=3, save_best='mIoU'))
train_dataloader = dict(batch_size=8)  # x 4 GPUs = 32
val_dataloader = dict(batch_size=1)
test_dataloader = val_dataloader
auto_scale_lr = dict(enable=False, base_batch_size=32)
