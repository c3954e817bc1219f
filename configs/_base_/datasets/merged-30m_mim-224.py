# Merged-30M for MIM (docs/recipes.md#pretraining): in21k_mim-224.py's augmentation and masking over IN-21K + CC12M +
# CC3M + Objects365 + COCO train2017 + ADE20K train, merged by UnlabeledImageDataset (one entry per source).
_base_ = ['./in21k_mim-224.py']

train_dataloader = dict(dataset=dict(sources=[
    dict(name='imagenet21k', data_prefix='imagenet21k/train', ann_file='imagenet21k/meta/train.txt'),
    dict(name='cc12m', data_prefix='cc12m/images', ann_file='cc12m/images.txt'),
    dict(name='cc3m', data_prefix='cc3m/images', ann_file='cc3m/images.txt'),
    dict(name='objects365', data_prefix='Objects365/train'),
    dict(name='coco', data_prefix='coco/train2017'),
    dict(name='ade20k', data_prefix='ade/ADEChallengeData2016/images/training'),
]))
