"""Task heads. Importing registers them in mmengine's root ``MODELS``."""
from .mim_clip_head import MIMCLIPHead

__all__ = ['MIMCLIPHead']
