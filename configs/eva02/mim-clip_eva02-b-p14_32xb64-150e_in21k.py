# EVA-02-B MIM pretraining on ImageNet-21K with an EVA-CLIP g/14 teacher (1024-d targets).
# Numbers: docs/recipes.md#pretraining (EVA-02 table: batch 2048 = 4 nodes x 8 GPUs x 64, peak lr 1.5e-3, 150 epochs,
# warmup 1 epoch, drop path 0.0, ZeRO 0) from EVA-02/asuka/run_*pretraining.py; patch-embed gradient x0.1
# (--stop_grad_conv1). Launch: tools/dist_train.sh (torchrun) on 32 GPUs.
_base_ = [
    '../_base_/models/mim-clip_eva02_eva-clip-g14.py',
    '../_base_/datasets/in21k_mim-224.py',
    '../_base_/schedules/mim_adamw_cosine.py',
]
from eva_mm.engine.config_parts import warmup_cosine

lr = 1.5e-3
max_epochs = 150
warmup_epochs = 1

model = dict(data_preprocessor=_base_.data_preprocessor,
             backbone=dict(arch='eva02-b', drop_path_rate=0.0), head=dict(in_channels=768))
train_dataloader = dict(batch_size=64)
optim_wrapper = dict(optimizer=dict(lr=lr))
param_scheduler = warmup_cosine(max_epochs, warmup_epochs, eta_min=_base_.min_lr, warmup_factor=1e-6 / lr)
train_cfg = dict(max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=2048)
