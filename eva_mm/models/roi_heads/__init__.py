"""RoI-head pieces of the EVA detection test protocol. Importing registers them in mmengine's root ``MODELS``."""
from .maskness import MasknessFCNMaskHead, maskness, select_class_masks

__all__ = ['MasknessFCNMaskHead', 'maskness', 'select_class_masks']
