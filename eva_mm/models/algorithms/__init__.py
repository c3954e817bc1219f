"""Training algorithms (MIM pretraining). Importing registers them in mmengine's root ``MODELS``."""
from .mim_clip import MIMCLIP

__all__ = ['MIMCLIP']
