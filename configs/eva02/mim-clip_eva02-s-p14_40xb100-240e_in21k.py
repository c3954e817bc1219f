# EVA-02-S MIM pretraining on ImageNet-21K with an EVA-CLIP g/14 teacher (1024-d targets).
# Numbers: docs/recipes.md#pretraining (EVA-02 table: batch 4000 = 5 nodes x 8 GPUs x 100, peak lr 3e-3, 240 epochs,
# warmup 1 epoch, drop path 0.0, ZeRO 0) from EVA-02/asuka/run_*pretraining.py; patch-embed gradient x0.1
# (--stop_grad_conv1). Launch: tools/dist_train.sh (torchrun) on 40 GPUs.
_base_ = [
    '../_base_/models/mim-clip_eva02_eva-clip-g14.py',
    '../_base_/datasets/in21k_mim-224.py',
    '../_base_/schedules/mim_adamw_cosine.py',
]
from eva_mm.engine.config_parts import warmup_cosine

lr = 3e-3
max_epochs = 240
warmup_epochs = 1

model = dict(data_preprocessor=_base_.data_preprocessor,
             backbone=dict(arch='eva02-s', drop_path_rate=0.0), head=dict(in_channels=384))
train_dataloader = dict(batch_size=100)
optim_wrapper = dict(optimizer=dict(lr=lr))
param_scheduler = warmup_cosine(max_epochs, warmup_epochs, eta_min=_base_.min_lr, warmup_factor=1e-6 / lr)
train_cfg = dict(max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=4000)
