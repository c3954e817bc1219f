# EVA-CLIP evaluation runtime shared by the zero-shot and retrieval configs: eva_mm registered, mmpretrain scope,
# OpenAI CLIP normalisation (the EVA-CLIP towers' input, github:baaivision/EVA EVA-CLIP/rei/eva_clip/constants.py),
# and the hook that hands the model to the CLIP metrics before each test / validation loop.
_base_ = ['mmpretrain::_base_/default_runtime.py']
custom_imports = dict(imports=['eva_mm'], allow_failed_imports=False)

clip_mean = [0.48145466 * 255, 0.4578275 * 255, 0.40821073 * 255]
clip_std = [0.26862954 * 255, 0.26130258 * 255, 0.27577711 * 255]
data_preprocessor = dict(type='ClsDataPreprocessor', mean=clip_mean, std=clip_std, to_rgb=True)
model = dict(type='EVACLIP', variant='eva02-clip-b-16', data_preprocessor=data_preprocessor)

# Evaluation as the official eval transform: short side to the model size (bicubic), centre crop.
img_size = 224
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=img_size, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=img_size),
    dict(type='PackInputs', algorithm_keys=['text']),
]
custom_hooks = [dict(type='CLIPEvalHook')]
test_cfg = dict()
