"""ViT-Adapter's spatial prior module: a ResNet-style conv stem giving 1/4, 1/8, 1/16, 1/32 maps of ViT width.

ViT-Adapter (arXiv 2205.08534, Fig. 4a); official ``SpatialPriorModule`` in ``EVA-01/seg/mmseg_custom/models/
backbones/adapter_modules.py`` (baaivision/EVA). Submodule names and indices follow the official module.
"""
from __future__ import annotations

from typing import List, Tuple

import torch
from mmcv.cnn import build_norm_layer
from torch import nn
from torch.utils.checkpoint import checkpoint

__all__ = ['SpatialPriorModule']


def _conv_norm_relu(cin: int, cout: int, stride: int, norm_cfg: dict) -> List[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), build_norm_layer(norm_cfg, cout)[1], nn.ReLU(inplace=True)]


class SpatialPriorModule(nn.Module):
    """Conv stem (3 convs + max pool, 1/4) then three stride-2 convs (1/8, 1/16, 1/32), each projected by a 1 x 1
    conv to ``embed_dim``.

    Args:
        inplanes: Stem width (``conv_inplane``, 64 in the EVA recipes); the later stages use 2x, 4x, 4x.
        embed_dim: Output width (the ViT's).
        norm_cfg: mmcv norm config of the stem (official: SyncBN).
        with_cp: Activation checkpointing while training (the official EVA adapter builds it with False).
        stem_stride: 4 (official, for a patch-16 ViT) or 2: no max pool, so the four maps are at 1/2 ... 1/16,
            the same levels relative to a patch-8 ViT's grid. The parameters are the same either way.
    """

    def __init__(self, inplanes: int = 64, embed_dim: int = 384, norm_cfg: dict = dict(type='SyncBN'),
                 with_cp: bool = False, stem_stride: int = 4) -> None:
        super().__init__()
        if stem_stride not in (2, 4):
            raise ValueError(f'SpatialPriorModule: stem_stride must be 2 or 4, got {stem_stride}')
        self.with_cp = with_cp
        w = inplanes
        pool = [nn.MaxPool2d(3, 2, 1)] if stem_stride == 4 else []
        self.stem = nn.Sequential(*_conv_norm_relu(3, w, 2, norm_cfg), *_conv_norm_relu(w, w, 1, norm_cfg),
                                  *_conv_norm_relu(w, w, 1, norm_cfg), *pool)
        self.conv2 = nn.Sequential(*_conv_norm_relu(w, 2 * w, 2, norm_cfg))
        self.conv3 = nn.Sequential(*_conv_norm_relu(2 * w, 4 * w, 2, norm_cfg))
        self.conv4 = nn.Sequential(*_conv_norm_relu(4 * w, 4 * w, 2, norm_cfg))
        self.fc1 = nn.Conv2d(w, embed_dim, 1)
        self.fc2 = nn.Conv2d(2 * w, embed_dim, 1)
        self.fc3 = nn.Conv2d(4 * w, embed_dim, 1)
        self.fc4 = nn.Conv2d(4 * w, embed_dim, 1)

    def _forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        c1 = self.stem(x)
        c2 = self.conv2(c1)
        c3 = self.conv3(c2)
        c4 = self.conv4(c3)
        # c1 stays a map (it is only added to the upsampled c2 at the end); c2-c4 become token sequences.
        return (self.fc1(c1),) + tuple(fc(c).flatten(2).transpose(1, 2)
                                       for fc, c in ((self.fc2, c2), (self.fc3, c3), (self.fc4, c4)))

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Images ``[B, 3, H, W]`` -> ``c1`` ``[B, D, H/4, W/4]`` and ``c2, c3, c4`` ``[B, h_l * w_l, D]`` at
        1/8, 1/16, 1/32."""
        if self.with_cp and self.training and x.requires_grad:
            return checkpoint(self._forward, x, use_reentrant=False)
        return self._forward(x)
