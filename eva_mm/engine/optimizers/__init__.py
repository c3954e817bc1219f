"""Optimizer-wrapper constructors. Importing registers them in mmengine's root registry."""
from .clip_towers import CLIPTowersOptimWrapperConstructor
from .layer_decay import EVALayerDecayOptimWrapperConstructor, find_backbone

__all__ = ['CLIPTowersOptimWrapperConstructor', 'EVALayerDecayOptimWrapperConstructor', 'find_backbone']
