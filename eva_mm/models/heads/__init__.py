"""Task heads. Importing registers them in mmengine's root ``MODELS``."""
from .mask2former_semantic import EVAMask2FormerHead
from .mim_clip_head import MIMCLIPHead

__all__ = ['EVAMask2FormerHead', 'MIMCLIPHead']
