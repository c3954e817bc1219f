# Zero-shot image <-> text retrieval R@1/5/10 on COCO (5 captions per image): mmpretrain's COCORetrieval in test
# mode (one sample per image, all its captions), captions encoded once by the model at the end of the loop.
# Point ann_file at the Karpathy 5k test split (COCO captions format) for the numbers papers report.
_base_ = ['./clip_runtime.py']
custom_imports = dict(imports=['eva_mm', 'mmpretrain.datasets.coco_retrieval'], allow_failed_imports=False)

test_dataloader = dict(
    batch_size=64, num_workers=4, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='COCORetrieval', data_root='data/coco', ann_file='annotations/caption_karpathy_test2014.json',
                 test_mode=True, pipeline={{_base_.test_pipeline}}))
test_evaluator = dict(type='CLIPRetrievalRecall', ks=(1, 5, 10))
