"""Optimizer-wrapper constructors. Importing registers them in mmengine's root registry."""
from .layer_decay import EVALayerDecayOptimWrapperConstructor, find_backbone

__all__ = ['EVALayerDecayOptimWrapperConstructor', 'find_backbone']
