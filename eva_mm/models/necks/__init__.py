"""Necks. Importing registers them in mmengine's root ``MODELS``."""
from .mean_pool_norm import MeanPoolNorm
from .simple_fpn import SimpleFPN, rescale_branch

__all__ = ['MeanPoolNorm', 'SimpleFPN', 'rescale_branch']
