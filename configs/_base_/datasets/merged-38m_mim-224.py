# Merged-38M for MIM (docs/recipes.md#pretraining): the Merged-30M sources + OpenImages v6.
_base_ = ['./merged-30m_mim-224.py']

train_dataloader = dict(dataset=dict(sources=_base_.train_dataloader.dataset.sources + [
    dict(name='openimages', data_prefix='OpenImages/train')]))
