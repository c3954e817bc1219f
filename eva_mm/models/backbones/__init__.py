"""Backbones. Importing registers them in mmengine's root ``MODELS``."""
from .arch_zoo import ARCH_ZOO, resolve_arch
from .eva import EVA

__all__ = ['ARCH_ZOO', 'EVA', 'resolve_arch']
