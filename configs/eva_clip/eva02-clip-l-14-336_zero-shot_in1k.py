# Zero-shot ImageNet-1K of eva02-clip-l-14-336 (336 px: short side 336, centre crop 336).
_base_ = ['./_base_/zero-shot_in1k.py']
model = dict(variant='eva02-clip-l-14-336')
img_size = 336
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=img_size, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=img_size),
    dict(type='PackInputs', algorithm_keys=['text']),
]
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
