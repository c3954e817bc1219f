"""Necks. Importing registers them in mmengine's root ``MODELS``."""
from .ln2d import LN2d
from .mean_pool_norm import MeanPoolNorm
from .simple_fpn import SimpleFPN, rescale_branch

__all__ = ['LN2d', 'MeanPoolNorm', 'SimpleFPN', 'rescale_branch']
