# EVA-CLIP contrastive pre-training, the parts every recipe shares (github:baaivision/EVA EVA-CLIP/README.md,
# "Pre-training"; EVA-CLIP/rei/training/): webdataset-layout tar shards, the train transform of
# EVA-CLIP/rei/eva_clip/transform.py (RandomResizedCrop scale (0.9, 1.0), bicubic), symmetric InfoNCE over
# all-gathered features with local loss (--gather-with-grad --local-loss), activation checkpointing
# (--grad-checkpointing), LAMB with per-tower lr / weight decay / layer decay, linear warmup then cosine to 0
# (EVA-CLIP/rei/training/scheduler.py), fp16. A leaf sets the model, the tower values, batch and schedule.
_base_ = ['./clip_runtime.py']

train_pipeline = [
    # ImageTextShardDataset decodes the image itself, so the pipeline starts after loading.
    dict(type='RandomResizedCrop', scale={{_base_.img_size}}, crop_ratio_range=(0.9, 1.0), interpolation='bicubic',
         backend='pillow'),
    dict(type='TokenizeText', context_length=77),
    dict(type='PackInputs', algorithm_keys=['text']),
]
train_dataloader = dict(
    batch_size=1024, num_workers=8, persistent_workers=True, drop_last=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),  # --dataset-resampled: no epoch boundary
    dataset=dict(type='ImageTextShardDataset', data_root='data', shards=['laion2b/*.tar', 'coyo700m/*.tar'],
                 pipeline=train_pipeline))

optim_wrapper = dict(
    type='AmpOptimWrapper', dtype='float16',
    optimizer=dict(type='Lamb', lr=5e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05),
    clip_grad=dict(max_norm=5.0),
    constructor='CLIPTowersOptimWrapperConstructor',
    paramwise_cfg=dict(
        towers=dict(visual=dict(extra_prefixes=('visual_head.',)), text=dict()),
        # the towers' no_weight_decay(): EVA-CLIP/rei/eva_clip/eva_vit_model.py, transformer.py (TextTransformer)
        no_decay_names=('visual.pos_embed', 'visual.cls_token', 'text.positional_embedding')))

max_iters = 61_000
warmup_iters = 2_000
param_scheduler = [
    dict(type='LinearLR', start_factor=1 / warmup_iters, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='CosineAnnealingLR', eta_min=0., by_epoch=False, begin=warmup_iters, end=max_iters),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
default_hooks = dict(logger=dict(type='LoggerHook', interval=100),
                     checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=5_000, max_keep_ckpts=3))
log_processor = dict(by_epoch=False)
randomness = dict(seed=4096)  # --seed 4096
