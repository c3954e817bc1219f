"""Models: backbones, layers, necks, heads, algorithms and losses. Importing registers them."""
from . import backbones, losses, necks, roi_heads  # noqa: F401
from . import algorithms, heads, teachers  # noqa: F401
