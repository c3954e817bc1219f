# Zero-shot ImageNet-1K top-1 / top-5 (arXiv 2103.00020 §3.1): the classifier is built once before the test loop
# from OpenAI's 1000 cleaned class names x 80 prompt templates (github:baaivision/EVA
# EVA-CLIP/rei/training/imagenet_zeroshot_data.py; mmpretrain's IMAGENET_SIMPLE_CATEGORIES is the same list).
# Data: mmpretrain's ImageNet val layout, data/imagenet/val/<synset>/*.JPEG or meta/val.txt.
_base_ = ['./clip_runtime.py']

test_dataloader = dict(
    batch_size=64, num_workers=4, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='ImageNet', data_root='data/imagenet', split='val', pipeline={{_base_.test_pipeline}}))
test_evaluator = dict(type='ZeroShotAccuracy', classnames='imagenet', topk=(1, 5))
