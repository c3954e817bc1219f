# EVA-01 g/14 (1.0B) MIM pretraining on Merged-30M with the OpenAI CLIP ViT-L/14 teacher (768-d targets).
# Numbers: docs/recipes.md#pretraining (EVA-01 column: batch 4096 = 16 nodes x 8 GPUs x 32, AdamW lr 1e-3, betas
# (0.9, 0.98), eps 1e-6, wd 0.05, 150 epochs, warmup 2 epochs, cosine to 1e-5, grad clip 3.0, drop path 0.1, layer
# scale 0, ZeRO-1) from EVA-01/eva/run_eva_pretraining.py and its README.
# Multi-node: mmengine's FlexibleRunner with FSDP. The official run used DeepSpeed ZeRO-1 (optimizer-state sharding);
# FSDP's SHARD_GRAD_OP (ZeRO-2: gradients and optimizer states) is the closest FSDP mode and saves more memory; bf16
# mixed precision replaces DeepSpeed fp16 loss scaling. Launch on every node:
#   torchrun --nnodes 16 --nproc_per_node 8 --rdzv_backend c10d --rdzv_endpoint $MASTER:29500 \
#       tools/train.py configs/eva01/mim-clip_eva-g-p14_fsdp-128xb32-150e_merged-30m.py --launcher pytorch
_base_ = [
    '../_base_/datasets/merged-30m_mim-224.py',
    '../_base_/schedules/mim_adamw_cosine.py',
]
from eva_mm.engine.config_parts import warmup_cosine

lr = 1e-3
max_epochs = 150
warmup_epochs = 2
openai_clip_l14 = 'https://openaipublic.azureedge.net/clip/models/' \
    'b8cca3fd41ae0c99ba7e8951adf17d267cdb84cd88be6f7c2e0eca1737a03836/ViT-L-14.pt'  # OpenAI release URL

model = dict(
    type='MIMCLIP',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(type='EVA', arch='eva-g', img_size=224, drop_path_rate=0.1, with_cp=True),
    head=dict(type='MIMCLIPHead', in_channels=1408, target_channels=768, init_std=0.015),
    teacher=dict(type='CLIPTeacher', tower='openai', arch='vit-l-14', img_size=224, checkpoint=openai_clip_l14))

train_dataloader = dict(batch_size=32)

runner_type = 'FlexibleRunner'
strategy = dict(
    type='FSDPStrategy',
    model_wrapper=dict(
        auto_wrap_policy='eva_block_wrap_policy',  # every EVA-g block (~24.8M parameters) is one FSDP unit
        sharding_strategy='SHARD_GRAD_OP',
        mixed_precision=dict(param_dtype='bfloat16', reduce_dtype='float32', buffer_dtype='float32'),
        use_orig_params=True),  # keeps per-parameter weight-decay groups
    state_dict_cfg='full')
optim_wrapper = dict(  # plain OptimWrapper: FSDP does the bf16 casting
    _delete_=True, type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=lr, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.05), clip_grad=dict(max_norm=3.0),
    paramwise_cfg={{_base_.optim_wrapper.paramwise_cfg}})
param_scheduler = warmup_cosine(max_epochs, warmup_epochs, eta_min=_base_.min_lr, warmup_factor=1e-6 / lr)
train_cfg = dict(max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=4096)
