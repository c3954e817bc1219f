"""Data transforms. Importing registers them in mmengine's root ``TRANSFORMS``."""
from .block_mask import BlockwiseMaskGenerator, sample_block_mask

__all__ = ['BlockwiseMaskGenerator', 'sample_block_mask']
