# ImageNet-1K fine-tuning data of EVA / EVA-02 at 336 px: imagenet_eva-ft-448.py's augmentation and crop_pct 1.0 test
# at this resolution (the EVA-01 g/14 336 recipe, docs/recipes.md#classification).
_base_ = ['./imagenet_eva-ft-448.py']
from eva_mm.engine.config_parts import center_crop_test_pipeline, randaug_train_pipeline

img_size = 336
train_pipeline = randaug_train_pipeline(img_size, fill=_base_.clip_mean)
test_pipeline = center_crop_test_pipeline(img_size)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
