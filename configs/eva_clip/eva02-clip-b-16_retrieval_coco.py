# Zero-shot coco retrieval of eva02-clip-b-16 (another variant: --cfg-options model.variant=eva02-clip-l-14).
_base_ = ['./_base_/retrieval_coco.py']
model = dict(variant='eva02-clip-b-16')
