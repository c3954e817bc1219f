# EVA02-CLIP-B/16 pre-training as the official script (github:baaivision/EVA @5623d08 EVA-CLIP/README.md:433-503,
# "Pre-train EVA02_CLIP_B_psz16_s8B on Merged-2B with 8 nodes"): 64 GPUs x 2048 = 131,072 pairs per step;
# 200 "epochs" of 40M samples = 8B samples = 200 x (40,000,000 // 131,072) = 61,000 steps; warmup 2,000.
# Image tower from the EVA-02-B MIM weights with the patch kernel resampled 14 -> 16 (EVA02_B_psz14to16.pt), text
# tower from OpenAI CLIP-B/16; text_projection starts fresh (--skip-list). tests/tasks/clip/test_recipes.py pins these.
_base_ = ['./_base_/contrastive_pretrain.py']

model = dict(
    variant='eva02-clip-b-16', patch_dropout=0.0, grad_checkpointing=True, local_loss=True,
    vision_cfg=dict(drop_path_rate=0.0, init_cfg=dict(
        type='Pretrained', checkpoint='https://huggingface.co/QuanSun/EVA-CLIP/resolve/main/EVA02_B_psz14to16.pt')),
    text_pretrained='https://huggingface.co/openai/clip-vit-base-patch16/resolve/main/pytorch_model.bin')
train_dataloader = dict(batch_size=2048)
optim_wrapper = dict(paramwise_cfg=dict(towers=dict(
    visual=dict(lr=2e-4, weight_decay=0.05, layer_decay_rate=0.75),
    text=dict(lr=2e-5, weight_decay=0.05, layer_decay_rate=0.75))))
