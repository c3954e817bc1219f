"""ViT-Adapter's convolutional FFN: a bottleneck MLP with a 3 x 3 depth-wise conv on each pyramid level.

ViT-Adapter (arXiv 2205.08534, Sec. 3.3 "CFFN"); official ``ConvFFN`` / ``DWConv`` in ``EVA-01/seg/mmseg_custom/
models/backbones/adapter_modules.py`` (baaivision/EVA). Names follow the official modules.
"""
from __future__ import annotations

from typing import Tuple

import torch
from torch import nn

__all__ = ['ConvFFN', 'MultiLevelDWConv']


class MultiLevelDWConv(nn.Module):
    """One shared depth-wise 3 x 3 conv applied separately to the 1/8, 1/16 and 1/32 parts of a token sequence."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, 3, 1, 1, groups=dim)

    def forward(self, x: torch.Tensor, hw: Tuple[int, int]) -> torch.Tensor:
        """``x`` ``[B, 4hw + hw + (h/2)(w/2), C]`` (levels 1/8, 1/16, 1/32 of a 1/16 grid ``hw``) -> same shape."""
        h, w = hw
        shapes = ((2 * h, 2 * w), (h, w), (h // 2, w // 2))
        sizes = [a * b for a, b in shapes]
        if sum(sizes) != x.shape[1]:
            raise ValueError(f'CFFN: {x.shape[1]} tokens do not make the 1/8, 1/16, 1/32 levels of a {hw} grid')
        parts = [self.dwconv(p.transpose(1, 2).unflatten(2, s)).flatten(2).transpose(1, 2)
                 for p, s in zip(x.split(sizes, dim=1), shapes)]
        return torch.cat(parts, dim=1)


class ConvFFN(nn.Module):
    """``fc2(drop(gelu(dwconv(fc1(x)))))`` with dropout after ``fc2``.

    Args:
        in_features: Token width.
        hidden_features: Bottleneck width (``dim * cffn_ratio``).
        drop: Dropout rate.
    """

    def __init__(self, in_features: int, hidden_features: int, drop: float = 0.) -> None:
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.dwconv = MultiLevelDWConv(hidden_features)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_features, in_features)
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor, hw: Tuple[int, int]) -> torch.Tensor:
        """``[B, N, C]`` multi-level tokens (see :class:`MultiLevelDWConv`) -> ``[B, N, C]``."""
        x = self.drop(self.act(self.dwconv(self.fc1(x), hw)))
        return self.drop(self.fc2(x))
