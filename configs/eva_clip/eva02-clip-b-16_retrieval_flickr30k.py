# Zero-shot flickr30k retrieval of eva02-clip-b-16 (another variant: --cfg-options model.variant=eva02-clip-l-14).
_base_ = ['./_base_/retrieval_flickr30k.py']
model = dict(variant='eva02-clip-b-16')
