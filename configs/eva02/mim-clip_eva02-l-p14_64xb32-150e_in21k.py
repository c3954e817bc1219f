# EVA-02-L MIM pretraining on ImageNet-21K with an EVA-CLIP g/14 teacher (1024-d targets).
# Numbers: docs/recipes.md#pretraining (EVA-02 table: batch 2048 = 8 nodes x 8 GPUs x 32, peak lr 1.5e-3, 150 epochs,
# warmup 1 epoch, drop path 0.1, ZeRO 1) from EVA-02/asuka/run_*pretraining.py; patch-embed gradient x0.1
# (--stop_grad_conv1). Launch: tools/dist_train.sh (torchrun) on 64 GPUs (DDP; for memory add the FSDP strategy of configs/eva01).
_base_ = [
    '../_base_/datasets/in21k_mim-224.py',
    '../_base_/schedules/mim_adamw_cosine.py',
]

lr = 1.5e-3
max_epochs = 150
warmup_epochs = 1
eva_clip_g14 = 'https://huggingface.co/BAAI/EVA/resolve/main/eva_clip_psz14.pt'  # EVA-CLIP g/14 (docs/architecture.md)

model = dict(
    type='MIMCLIP',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(type='EVA', arch='eva02-l', img_size=224, drop_path_rate=0.1, with_cp=True),
    head=dict(type='MIMCLIPHead', in_channels=1024, target_channels=1024),
    teacher=dict(type='CLIPTeacher', tower='eva_clip', arch='eva-g', out_channels=1024, img_size=224,
                 checkpoint=eva_clip_g14),
    patch_embed_grad_scale=0.1)

train_dataloader = dict(batch_size=32)
optim_wrapper = dict(optimizer=dict(lr=lr))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / lr, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=2048)
