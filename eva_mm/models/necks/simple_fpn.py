"""ViTDet's simple feature pyramid (Li et al., "Exploring Plain Vision Transformer Backbones for Object
Detection", arXiv 2203.16527, Sec. 3): a pyramid built from the plain backbone's last stride-16 map alone.

Each scale gets its own resampling branch (transposed convs up, max-pool down), then a 1x1 and a 3x3 conv with a
norm and no bias; there is no top-down path. An extra level (P6) is a stride-2 subsample of the coarsest output,
as detectron2's `LastLevelMaxPool`. Used by EVA/EVA-02 detection (docs/recipes.md#detection).
"""
import math
from typing import List, Optional, Sequence, Tuple

import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_activation_layer, build_norm_layer
from mmengine.model import BaseModule
from torch import Tensor, nn

from eva_mm.registry import MODELS

__all__ = ['SimpleFPN', 'rescale_branch']


def rescale_branch(scale: float, channels: int, norm_cfg: dict, act_cfg: dict) -> Tuple[nn.Module, int]:
    """Module that resamples a [N, C, H, W] map by `scale` (a power of two), and its output channel count.

    Up by 2^k: k stride-2 transposed convs, each halving the channels, with norm + activation between them.
    Down by 2^k: one max-pool of kernel and stride 2^k, channels kept. Scale 1: identity.
    """
    steps = math.log2(scale) if scale > 0 else float('nan')
    if not float(steps).is_integer():
        raise ValueError(f'SimpleFPN: scale factors must be powers of two, got {scale}')
    steps = int(steps)
    if steps == 0:
        return nn.Identity(), channels
    if steps < 0:
        return nn.MaxPool2d(kernel_size=2 ** -steps, stride=2 ** -steps), channels
    layers: List[nn.Module] = []
    for i in range(steps):
        if i > 0:
            layers += [build_norm_layer(norm_cfg, channels)[1], build_activation_layer(act_cfg)]
        if channels % 2:
            raise ValueError(f'SimpleFPN: cannot halve {channels} channels for scale {scale}')
        layers.append(nn.ConvTranspose2d(channels, channels // 2, kernel_size=2, stride=2))
        channels //= 2
    return nn.Sequential(*layers), channels


@MODELS.register_module()
class SimpleFPN(BaseModule):
    """Simple feature pyramid from one backbone map.

    Args:
        backbone_channel: C of the backbone map (e.g. 768 for EVA-02-B).
        out_channels: channels of every pyramid level (256 in ViTDet).
        scale_factors: resampling of each level relative to the input map; (4, 2, 1, 0.5) turns a stride-16 map
            into strides 4, 8, 16, 32 (P2-P5).
        num_outs: levels returned; each level beyond `len(scale_factors)` subsamples the previous one by 2
            (P6 for `num_outs=5`).
        norm_cfg: norm of the up-sampling branch and of both convs of every level (ViTDet: LN2d).
        act_cfg: activation between the transposed convs of up-sampling branches (GELU).
        in_channels: optional; when given, must equal the channels each branch produces (a config check,
            e.g. [192, 384, 768, 768] for C=768), so a wrong `backbone_channel` fails at build time.
        init_cfg: mmengine init config.

    Input: a tuple/list whose last element is [N, C, H, W] (the backbone's output). Output: a tuple of `num_outs`
    maps [N, out_channels, H * s, W * s], finest first.
    """

    def __init__(self, backbone_channel: int, out_channels: int = 256,
                 scale_factors: Sequence[float] = (4.0, 2.0, 1.0, 0.5), num_outs: int = 5,
                 norm_cfg: Optional[dict] = None, act_cfg: Optional[dict] = None,
                 in_channels: Optional[Sequence[int]] = None, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_outs < len(scale_factors):
            raise ValueError(f'SimpleFPN: num_outs={num_outs} is fewer than the {len(scale_factors)} scale factors')
        norm_cfg = norm_cfg or dict(type='LN2d')
        act_cfg = act_cfg or dict(type='GELU')
        self.scale_factors = tuple(float(s) for s in scale_factors)
        self.num_outs = num_outs
        branches, branch_channels = zip(*(rescale_branch(s, backbone_channel, norm_cfg, act_cfg)
                                          for s in self.scale_factors))
        if in_channels is not None and list(in_channels) != list(branch_channels):
            raise ValueError(f'SimpleFPN: in_channels={list(in_channels)} but backbone_channel={backbone_channel} '
                             f'with scale_factors={self.scale_factors} gives {list(branch_channels)}')
        self.in_channels = list(branch_channels)
        self.branches = nn.ModuleList(branches)
        conv = dict(bias=False, norm_cfg=norm_cfg, act_cfg=None)
        self.lateral_convs = nn.ModuleList(ConvModule(c, out_channels, 1, **conv) for c in branch_channels)
        self.output_convs = nn.ModuleList(ConvModule(out_channels, out_channels, 3, padding=1, **conv)
                                          for _ in branch_channels)

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor, ...]:
        """Last map of `inputs` [N, C, H, W] -> `num_outs` maps [N, out_channels, H*s, W*s]."""
        x = inputs[-1]
        outs = [out_conv(lateral(branch(x)))
                for branch, lateral, out_conv in zip(self.branches, self.lateral_convs, self.output_convs)]
        while len(outs) < self.num_outs:
            # kernel 1 / stride 2 picks every other pixel, as detectron2's LastLevelMaxPool.
            outs.append(F.max_pool2d(outs[-1], kernel_size=1, stride=2))
        return tuple(outs)
