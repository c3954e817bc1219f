# Quickstart: EVA-CLIP contrastive training on CPU in minutes, then zero-shot classification of unseen
# combinations. Generated 32 px images of one shape captioned by its attributes ("a photo of a small red circle";
# eva_mm/datasets/image_text_shapes.py); 4 of the 12 colour-shape pairs never occur in training, and the held-out
# test split holds only those. A tiny EVA-CLIP (EVA-02-style image tower: SwiGLU + sub-LN + RoPE + inner LN, patch 4;
# CLIP text transformer) trains with the symmetric InfoNCE loss, per-tower optimizer groups as the recipes
# (CLIPTowersOptimWrapperConstructor) and the logit-scale clamp; tools/test.py then builds the zero-shot classifier
# from the 12 colour-shape names x 2 prompts (before the loop, CLIPEvalHook) and reports top-1 (chance 1/12):
#   python tools/train.py configs/quickstart/eva-clip_eva02-mini-p4_1000it_captioned-shapes.py
#   python tools/test.py configs/quickstart/eva-clip_eva02-mini-p4_1000it_captioned-shapes.py \
#       work_dirs/eva-clip_eva02-mini-p4_1000it_captioned-shapes/iter_1000.pth
_base_ = ['../eva_clip/_base_/clip_runtime.py']

img_size = 32
context_length = 16  # captions are <= 9 BPE tokens + start / end
model = dict(
    variant='eva02-clip-b-16', img_size=img_size, patch_size=4, embed_dim=64,
    vision_arch=dict(embed_dims=64, depth=3, num_heads=2, mlp_hidden=171, mlp_type='swiglu', sub_ln=True,
                     use_rope=True, attn_inner_norm=True),
    text_cfg=dict(width=64, heads=2, layers=2, context_length=context_length))

data_root = 'data/captioned_shapes/'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomFlip', prob=0.5),  # a flipped shape keeps its caption
    dict(type='TokenizeText', context_length=context_length),
    dict(type='PackInputs', algorithm_keys=['text']),
]
train_dataloader = dict(
    batch_size=64, num_workers=1, persistent_workers=True, drop_last=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='GeneratedDataset', generator='captioned_shapes', root=data_root, num_train=2000,
                 num_heldout=200, seed=0, img_size=img_size,
                 dataset=dict(type='ImageTextDataset', data_root=data_root, ann_file='train.csv',
                              data_prefix='train', pipeline=train_pipeline)))

classnames = ['red circle', 'red square', 'red triangle', 'green circle', 'green square', 'green triangle',
              'blue circle', 'blue square', 'blue triangle', 'yellow circle', 'yellow square', 'yellow triangle']
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
test_dataloader = dict(
    batch_size=100, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='GeneratedDataset', generator='captioned_shapes', root=data_root, num_train=2000,
                 num_heldout=200, seed=0, img_size=img_size,
                 dataset=dict(type='CustomDataset', data_root=data_root, ann_file='meta/heldout.txt',
                              data_prefix='heldout', with_label=True, metainfo=dict(classes=classnames),
                              pipeline=test_pipeline)))
test_evaluator = dict(type='ZeroShotAccuracy', classnames=classnames,
                      templates=['a photo of a small {}', 'a photo of a big {}'], topk=(1, 5))

max_iters = 1000
warmup_iters = 50
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-3, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.05),
    clip_grad=dict(max_norm=5.0),
    constructor='CLIPTowersOptimWrapperConstructor',
    paramwise_cfg=dict(
        towers=dict(visual=dict(extra_prefixes=('visual_head.',)), text=dict()),
        no_decay_names=('visual.pos_embed', 'visual.cls_token', 'text.positional_embedding')))
param_scheduler = [
    dict(type='LinearLR', start_factor=1 / warmup_iters, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='CosineAnnealingLR', eta_min=0., by_epoch=False, begin=warmup_iters, end=max_iters),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
default_hooks = dict(logger=dict(type='LoggerHook', interval=50),
                     checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=max_iters, max_keep_ckpts=1))
log_processor = dict(by_epoch=False, window_size=50)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
