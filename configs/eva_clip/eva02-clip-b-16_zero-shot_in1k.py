# Zero-shot ImageNet-1K of eva02-clip-b-16: python tools/test.py THIS_CONFIG CHECKPOINT
_base_ = ['./_base_/zero-shot_in1k.py']
model = dict(variant='eva02-clip-b-16')
