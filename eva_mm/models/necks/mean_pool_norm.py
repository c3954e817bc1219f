"""EVA's classification pooling: mean of the patch tokens, then ``fc_norm`` (arXiv 2211.07636, official FT code).

The official classifiers use ``norm = Identity``, average the last block's patch tokens and normalise the mean with
a LayerNorm (``fc_norm``) before the linear head; mmpretrain's ``LinearClsHead`` then plays ``head``. For linear
probing the LayerNorm is swapped for a BatchNorm without affine parameters (the MAE protocol, arXiv 2111.06377).
"""
from __future__ import annotations

from typing import Optional, Sequence

import torch
from mmengine.model import BaseModule
from torch import nn

from eva_mm.registry import MODELS

__all__ = ['MeanPoolNorm']


@MODELS.register_module()
class MeanPoolNorm(BaseModule):
    """Backbone maps ``([B, C, H, W], ...)`` -> ``([B, C],)``: spatial mean of the last map, then a norm.

    Args:
        in_channels: C.
        norm: ``'ln'`` (EVA ``fc_norm``, eps 1e-6), ``'bn'`` (BatchNorm1d without affine, linear probe) or ``None``.
        init_cfg: mmengine init config.
    """

    def __init__(self, in_channels: int, norm: Optional[str] = 'ln', init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if norm == 'ln':
            self.fc_norm = nn.LayerNorm(in_channels, eps=1e-6)
        elif norm == 'bn':
            self.fc_norm = nn.BatchNorm1d(in_channels, affine=False, eps=1e-6)
        elif norm is None:
            self.fc_norm = nn.Identity()
        else:
            raise ValueError(f"MeanPoolNorm: norm must be 'ln', 'bn' or None, got {norm!r}")

    def forward(self, inputs: Sequence[torch.Tensor]) -> tuple:
        """Pooled, normalised features ``([B, C],)`` of the last map in ``inputs``."""
        return (self.fc_norm(inputs[-1].mean(dim=(2, 3))),)
