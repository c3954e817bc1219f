# EVA-01 g + Mask2Former on ADE20K, 896 crops, initialised from the COCO-Stuff-164K model. Official: 61.5 mIoU
# single-scale / 62.3 multi-scale WITH ViT-Adapter, which eva_mm does not have yet (see
# _base_/models/mask2former_eva-g-p16.py). Recipe (docs/recipes.md#segmentation): 20k iters, batch 64, AdamW lr 2.5e-5,
# wd 0.05, layer decay 0.95, warmup 500 from 1e-6 then poly (1.0), drop path 0.5, slide test 896 / stride 512;
# multi-scale + flip: tools/test.py --tta (ratios 0.5-1.75).
_base_ = [
    '../_base_/models/mask2former_eva-g-p16.py',
    '../_base_/datasets/ade20k_896x896.py',
    '../_base_/schedules/seg_adamw_poly.py',
]
custom_imports = dict(imports=['eva_mm', 'mmdet.models'], allow_failed_imports=False)
from eva_mm.engine.config_parts import warmup_poly

max_iters = 20000
model = dict(data_preprocessor=dict(size=_base_.crop_size))
# The COCO-Stuff-164K stage's final weights; its class embedding (171 classes + no-object) does not fit ADE's 150,
# which start fresh: the one part the whole-model loader is allowed to leave out.
load_from = 'work_dirs/mask2former_eva-g-p16_32xb1-60k_coco-stuff164k-896x896/iter_60000.pth'
load_from_allow = [r'^decode_head\.cls_embed\.']
optim_wrapper = dict(optimizer=dict(lr=2.5e-5), paramwise_cfg=dict(layer_decay_rate=0.95))
param_scheduler = warmup_poly(max_iters, 500)
train_cfg = dict(max_iters=max_iters, val_interval=2000)
default_hooks = dict(checkpoint=dict(interval=2000))
train_dataloader = dict(batch_size=1)  # x 64 GPUs = 64
auto_scale_lr = dict(base_batch_size=64)
