"""Models: backbones, layers, necks, heads, algorithms and losses. Importing registers them."""
from . import backbones  # noqa: F401
