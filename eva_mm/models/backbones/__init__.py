"""Backbones. Importing registers them in mmengine's root ``MODELS``."""
from .arch_zoo import ARCH_ZOO, resolve_arch
from .eva import EVA
from .eva_video import EVAVideo
from .registration import claim_eva_name
from .vit_adapter import EVAAdapter

claim_eva_name(EVA)

__all__ = ['ARCH_ZOO', 'EVA', 'EVAAdapter', 'EVAVideo', 'resolve_arch']
