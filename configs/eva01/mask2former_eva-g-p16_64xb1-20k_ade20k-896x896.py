# EVA-01 g + Mask2Former on ADE20K, 896 crops, initialised from the COCO-Stuff-164K model. Official: 61.5 mIoU
# single-scale / 62.3 multi-scale WITH ViT-Adapter, which eva_mm does not have yet (see
# _base_/models/mask2former_eva-g-p16.py). Recipe (docs/recipes.md#segmentation): 20k iters, batch 64, AdamW lr 2.5e-5,
# wd 0.05, layer decay 0.95, warmup 500 from 1e-6 then poly (1.0), drop path 0.5, slide test 896 / stride 512;
# multi-scale + flip: tools/test.py --tta (ratios 0.5-1.75).
_base_ = [
    '../_base_/models/mask2former_eva-g-p16.py',
    '../_base_/datasets/ade20k_896x896.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_20k.py',
]
custom_imports = dict(imports=['eva_mm', 'mmdet.models'], allow_failed_imports=False)

crop_size = (896, 896)
max_iters = 20000
model = dict(data_preprocessor=dict(size=crop_size))
# The COCO-Stuff-164K stage's final weights (its 171-class classifier does not load: shapes differ, reported).
load_from = 'work_dirs/mask2former_eva-g-p16_32xb1-60k_coco-stuff164k-896x896/iter_60000.pth'

optim_wrapper = dict(
    _delete_=True, type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2.5e-5, betas=(0.9, 0.999), weight_decay=0.05),
    constructor='EVALayerDecayOptimWrapperConstructor', paramwise_cfg=dict(layer_decay_rate=0.95))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=500),
    dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False, begin=500, end=max_iters),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=2000)
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=2000, max_keep_ckpts=3, save_best='mIoU'))
train_dataloader = dict(batch_size=1)  # x 64 GPUs = 64
val_dataloader = dict(batch_size=1)
test_dataloader = val_dataloader
auto_scale_lr = dict(enable=False, base_batch_size=64)
