# Zero-shot ImageNet-1K of eva01-clip-g-14: python tools/test.py THIS_CONFIG CHECKPOINT
_base_ = ['./_base_/zero-shot_in1k.py']
model = dict(variant='eva01-clip-g-14')
