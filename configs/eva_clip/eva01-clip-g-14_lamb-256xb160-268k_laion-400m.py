# EVA01-CLIP-g/14 pre-training. The official repo (github:baaivision/EVA @5623d08) ships no script for this model,
# only for EVA01-CLIP-g/14-plus (EVA-CLIP/README.md:361-430); its optimisation values are used here: lr 5e-4,
# visual 4e-4 / text 4e-5, wd 0.05, layer decay 0.85 / 0.75, grad clip 5.0, warmup 2,000, patch dropout 0.5,
# LAMB. From the model table (README.md:59): LAION-400M, image tower EVA01_g_psz14, text tower OpenAI CLIP-L/14,
# batch 41K on 256 GPUs (256 x 160 = 40,960); 11B samples seen (the name's s11B) = 275 x (40,000,000 // 40,960)
# = 268,400 steps. drop_path 0.4 (EVA-CLIP/rei/eva_clip/model_configs/EVA01-CLIP-g-14.json).
_base_ = ['./_base_/contrastive_pretrain.py']

model = dict(
    variant='eva01-clip-g-14', patch_dropout=0.5, grad_checkpointing=True, local_loss=True,
    vision_cfg=dict(drop_path_rate=0.4, init_cfg=dict(
        type='Pretrained', checkpoint='https://huggingface.co/QuanSun/EVA-CLIP/resolve/main/EVA01_g_psz14.pt')),
    text_pretrained='https://huggingface.co/openai/clip-vit-large-patch14/resolve/main/pytorch_model.bin')
train_dataloader = dict(batch_size=160, dataset=dict(shards=['laion400m/*.tar']))
optim_wrapper = dict(paramwise_cfg=dict(towers=dict(
    visual=dict(lr=4e-4, weight_decay=0.05, layer_decay_rate=0.85),
    text=dict(lr=4e-5, weight_decay=0.05, layer_decay_rate=0.75))))
max_iters = 268_400
param_scheduler = [
    dict(type='LinearLR', start_factor=1 / 2_000, by_epoch=False, begin=0, end=2_000),
    dict(type='CosineAnnealingLR', eta_min=0., by_epoch=False, begin=2_000, end=max_iters),
]
train_cfg = dict(max_iters=max_iters)
