"""Patch embedding: a strided convolution from images to a channels-last token grid."""
from typing import Tuple

import torch
from torch import nn

__all__ = ['PatchEmbed']


class PatchEmbed(nn.Module):
    """Non-overlapping ``patch_size`` x ``patch_size`` patches projected to ``dim`` (Conv2d with bias, as EVA).

    Inputs whose size is not a multiple of the patch lose the remainder (plain convolution), as in timm and
    detectron2; detectors pad their batches to a multiple of the patch beforehand.

    Args:
        patch_size: Patch side in pixels (EVA: 14; dense tasks: 16).
        in_channels: Image channels.
        dim: Token width.
    """

    def __init__(self, patch_size: int, in_channels: int, dim: int) -> None:
        super().__init__()
        self.patch_size = patch_size
        self.proj = nn.Conv2d(in_channels, dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, Tuple[int, int]]:
        """``[B, in_channels, H, W]`` -> tokens ``[B, H // p, W // p, dim]`` and their grid ``(H // p, W // p)``."""
        x = self.proj(x).permute(0, 2, 3, 1)
        return x, (x.shape[1], x.shape[2])
