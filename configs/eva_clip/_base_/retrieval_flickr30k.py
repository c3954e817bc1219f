# Zero-shot image <-> text retrieval R@1/5/10 on Flickr30k (1k test images, Karpathy split, 5 captions each):
# mmpretrain's Flickr30kRetrieval in test mode, reading Karpathy's dataset_flickr30k.json.
_base_ = ['./clip_runtime.py']
custom_imports = dict(imports=['eva_mm', 'mmpretrain.datasets.flickr30k_retrieval'], allow_failed_imports=False)

test_dataloader = dict(
    batch_size=64, num_workers=4, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='Flickr30kRetrieval', data_root='data/flickr30k', ann_file='annotations/dataset_flickr30k.json',
                 data_prefix='images', split='test', test_mode=True, pipeline={{_base_.test_pipeline}}))
test_evaluator = dict(type='CLIPRetrievalRecall', ks=(1, 5, 10))
