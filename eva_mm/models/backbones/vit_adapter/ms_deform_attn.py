"""Deformable DETR's multi-scale deformable attention as ViT-Adapter uses it (with a value ``ratio``).

Deformable DETR: arXiv 2010.04159; ViT-Adapter: arXiv 2205.08534 (official ``ops/modules/ms_deform_attn.py`` of
github.com/czczup/ViT-Adapter and baaivision/EVA ``EVA-01/seg``). Parameter names follow the official module so its
checkpoints load unchanged. Sampling runs through mmcv's kernel (compiled mmcv, or eva_mm's ``mmcv._ext`` stand-in)
and mmcv's pure PyTorch path where no kernel applies.
"""
from __future__ import annotations

import math

import torch
from mmcv.ops.multi_scale_deform_attn import MultiScaleDeformableAttnFunction, multi_scale_deformable_attn_pytorch
from torch import nn
from torch.nn import functional as F

__all__ = ['MSDeformAttn']


class MSDeformAttn(nn.Module):
    """Each query samples ``n_points`` bilinear points per head and level around its reference point.

    Args:
        d_model: Query / output width.
        n_levels: Feature levels of the value.
        n_heads: Attention heads.
        n_points: Sampling points per head and level.
        ratio: Value width as a fraction of ``d_model`` (ViT-Adapter's ``deform_ratio``).
        im2col_step: Batch chunk of the compiled kernel.
    """

    def __init__(self, d_model: int = 256, n_levels: int = 4, n_heads: int = 8, n_points: int = 4,
                 ratio: float = 1.0, im2col_step: int = 64) -> None:
        super().__init__()
        value_dim = int(d_model * ratio)
        if value_dim % n_heads:
            raise ValueError(f'MSDeformAttn: value width {value_dim} (d_model {d_model} x ratio {ratio}) is not '
                             f'divisible by n_heads {n_heads}')
        self.d_model, self.n_levels, self.n_heads, self.n_points = d_model, n_levels, n_heads, n_points
        self.value_dim = value_dim
        self.im2col_step = im2col_step
        self.sampling_offsets = nn.Linear(d_model, n_heads * n_levels * n_points * 2)
        self.attention_weights = nn.Linear(d_model, n_heads * n_levels * n_points)
        self.value_proj = nn.Linear(d_model, value_dim)
        self.output_proj = nn.Linear(value_dim, d_model)
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self) -> None:
        """Official init: offsets start on a ring of directions (one per head, radius = point index + 1),
        uniform attention weights, Xavier projections."""
        nn.init.zeros_(self.sampling_offsets.weight)
        thetas = torch.arange(self.n_heads, dtype=torch.float32) * (2.0 * math.pi / self.n_heads)
        grid = torch.stack([thetas.cos(), thetas.sin()], -1)
        grid = grid / grid.abs().max(-1, keepdim=True)[0]
        grid = grid[:, None, None, :].repeat(1, self.n_levels, self.n_points, 1)
        grid = grid * torch.arange(1, self.n_points + 1, dtype=torch.float32)[None, None, :, None]
        self.sampling_offsets.bias.copy_(grid.flatten())
        nn.init.zeros_(self.attention_weights.weight)
        nn.init.zeros_(self.attention_weights.bias)
        for lin in (self.value_proj, self.output_proj):
            nn.init.xavier_uniform_(lin.weight)
            nn.init.zeros_(lin.bias)

    def forward(self, query: torch.Tensor, reference_points: torch.Tensor, value: torch.Tensor,
                spatial_shapes: torch.Tensor, level_start_index: torch.Tensor) -> torch.Tensor:
        """Attend from ``query`` ``[B, Q, C]`` into the flattened levels ``value`` ``[B, sum(H_l * W_l), C]``.

        Args:
            reference_points: ``[B or 1, Q, n_levels or 1, 2]`` normalised (x, y) in [0, 1].
            spatial_shapes: ``[n_levels, 2]`` long, (H_l, W_l).
            level_start_index: ``[n_levels]`` long, offsets of the levels in ``value``.

        Returns:
            ``[B, Q, C]``.
        """
        b, nq, _ = query.shape
        nv = value.shape[1]
        if int(spatial_shapes.prod(1).sum()) != nv:
            raise ValueError(f'MSDeformAttn: spatial_shapes {spatial_shapes.tolist()} do not cover the {nv} '
                             'value tokens')
        v = self.value_proj(value).view(b, nv, self.n_heads, self.value_dim // self.n_heads)
        offsets = self.sampling_offsets(query).view(b, nq, self.n_heads, self.n_levels, self.n_points, 2)
        weights = F.softmax(self.attention_weights(query).view(b, nq, self.n_heads, -1), -1)
        weights = weights.view(b, nq, self.n_heads, self.n_levels, self.n_points)
        normaliser = torch.stack([spatial_shapes[..., 1], spatial_shapes[..., 0]], -1).to(offsets.dtype)
        locations = reference_points[:, :, None, :, None, :] + offsets / normaliser[None, None, None, :, None, :]
        if v.is_cuda:  # mmcv's rule: the kernel on CUDA, the PyTorch path elsewhere
            out = MultiScaleDeformableAttnFunction.apply(v, spatial_shapes, level_start_index, locations, weights,
                                                         self.im2col_step)
        else:
            out = multi_scale_deformable_attn_pytorch(v, spatial_shapes, locations, weights)
        return self.output_proj(out)
