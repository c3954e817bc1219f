# EVA-02-L MIM pretraining on ImageNet-21K with an EVA-CLIP g/14 teacher (1024-d targets).
# Numbers: docs/recipes.md#pretraining (EVA-02 table: batch 2048 = 8 nodes x 8 GPUs x 32, peak lr 1.5e-3, 150 epochs,
# warmup 1 epoch, drop path 0.1, ZeRO 1) from EVA-02/asuka/run_*pretraining.py; patch-embed gradient x0.1
# (--stop_grad_conv1). Launch: tools/dist_train.sh (torchrun) on 64 GPUs (DDP; for memory add the FSDP strategy of configs/eva01).
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
             backbone=dict(arch='eva02-l', drop_path_rate=0.1, with_cp=True), head=dict(in_channels=1024))
train_dataloader = dict(batch_size=32)
optim_wrapper = dict(optimizer=dict(lr=lr))
param_scheduler = warmup_cosine(max_epochs, warmup_epochs, eta_min=_base_.min_lr, warmup_factor=1e-6 / lr)
train_cfg = dict(max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=2048)
