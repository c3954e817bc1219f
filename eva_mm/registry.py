"""Registries eva_mm registers into.

We register in mmengine's *root* registries: mmdet, mmseg and mmpretrain all create child registries of these,
and a child falls back to its parent, so `dict(type='EVA')` resolves under every `default_scope` (docs/design.md,
root registries). Registering in a toolbox's own registry would instead import that toolbox and hide the class from
the other two.
"""
from mmengine.registry import (
    DATA_SAMPLERS,
    DATASETS,
    HOOKS,
    METRICS,
    MODELS,
    OPTIM_WRAPPER_CONSTRUCTORS,
    OPTIM_WRAPPERS,
    OPTIMIZERS,
    TRANSFORMS,
)

__all__ = ['DATASETS', 'DATA_SAMPLERS', 'HOOKS', 'METRICS', 'MODELS', 'OPTIMIZERS', 'OPTIM_WRAPPERS',
           'OPTIM_WRAPPER_CONSTRUCTORS', 'TRANSFORMS']
