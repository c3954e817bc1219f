"""Models: backbones, layers, necks, heads, algorithms and losses. Importing registers them."""
from . import algorithms, backbones, clip, heads, losses, necks, roi_heads, teachers  # noqa: F401
