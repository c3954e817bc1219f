"""ViT-Adapter's injector (spatial features -> ViT tokens) and extractor (ViT tokens -> spatial features).

ViT-Adapter (arXiv 2205.08534, Fig. 4b-c); official ``Injector``, ``Extractor``, ``InteractionBlockWithCls`` and
``deform_inputs`` in ``EVA-01/seg/mmseg_custom/models/backbones/adapter_modules.py`` (baaivision/EVA). Names follow
the official modules so released checkpoints load unchanged.
"""
from __future__ import annotations

from typing import Callable, NamedTuple, Optional, Tuple

import torch
from timm.layers import DropPath
from torch import nn
from torch.utils.checkpoint import checkpoint

from .cffn import ConvFFN
from .ms_deform_attn import MSDeformAttn

__all__ = ['DeformInputs', 'Extractor', 'Injector', 'InteractionBlock', 'deform_inputs', 'reference_points']


class DeformInputs(NamedTuple):
    """Reference points ``[1, Q, 1, 2]``, value level shapes ``[L, 2]`` and level starts ``[L]``."""
    reference_points: torch.Tensor
    spatial_shapes: torch.Tensor
    level_start_index: torch.Tensor


def reference_points(shapes: Tuple[Tuple[int, int], ...], device: torch.device) -> torch.Tensor:
    """Pixel centres of every level, normalised (x, y) in (0, 1), concatenated: ``[1, sum(h * w), 1, 2]``."""
    refs = []
    for h, w in shapes:
        y, x = torch.meshgrid(torch.linspace(0.5, h - 0.5, h, device=device) / h,
                              torch.linspace(0.5, w - 0.5, w, device=device) / w, indexing='ij')
        refs.append(torch.stack((x.flatten(), y.flatten()), -1))
    return torch.cat(refs, 0)[None, :, None]


def _levels(shapes: Tuple[Tuple[int, int], ...], device: torch.device) -> Tuple[torch.Tensor, torch.Tensor]:
    spatial = torch.as_tensor(shapes, dtype=torch.long, device=device)
    starts = torch.cat((spatial.new_zeros(1), spatial.prod(1).cumsum(0)[:-1]))
    return spatial, starts


def deform_inputs(image_hw: Tuple[int, int], device: torch.device,
                  patch_size: int = 16) -> Tuple[DeformInputs, DeformInputs]:
    """Injector inputs (ViT-grid queries into the three pyramid levels) and extractor inputs (pyramid queries into
    the ViT grid) for an image of ``image_hw``. The ViT grid is at 1/``patch_size`` and the pyramid at 1/(p/2),
    1/p, 1/(2p): the official 1/8, 1/16, 1/32 for patch 16."""
    h, w = image_hw
    p = patch_size
    pyramid = ((h // (p // 2), w // (p // 2)), (h // p, w // p), (h // (2 * p), w // (2 * p)))
    vit = ((h // p, w // p),)
    inj = DeformInputs(reference_points(vit, device), *_levels(pyramid, device))
    ext = DeformInputs(reference_points(pyramid, device), *_levels(vit, device))
    return inj, ext


def _maybe_checkpoint(fn: Callable, with_cp: bool, *args: torch.Tensor) -> torch.Tensor:
    if with_cp and args[0].requires_grad:
        return checkpoint(fn, *args, use_reentrant=False)
    return fn(*args)


class Injector(nn.Module):
    """``x + gamma * MSDA(norm(x), norm(c))``: ViT tokens query the spatial pyramid (gamma starts at
    ``init_values``, 0 in the EVA recipes, so the pretrained ViT starts unchanged)."""

    def __init__(self, dim: int, num_heads: int = 6, n_points: int = 4, n_levels: int = 3,
                 deform_ratio: float = 1.0, norm_eps: float = 1e-6, init_values: float = 0.,
                 with_cp: bool = False) -> None:
        super().__init__()
        self.with_cp = with_cp
        self.query_norm = nn.LayerNorm(dim, eps=norm_eps)
        self.feat_norm = nn.LayerNorm(dim, eps=norm_eps)
        self.attn = MSDeformAttn(dim, n_levels, num_heads, n_points, ratio=deform_ratio)
        self.gamma = nn.Parameter(torch.full((dim,), float(init_values)))

    def forward(self, query: torch.Tensor, feat: torch.Tensor, inputs: DeformInputs) -> torch.Tensor:
        """``query`` ``[B, hw, D]`` ViT patch tokens, ``feat`` ``[B, N_pyr, D]`` -> ``[B, hw, D]``."""
        def inner(q: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
            return q + self.gamma * self.attn(self.query_norm(q), inputs.reference_points, self.feat_norm(f),
                                              inputs.spatial_shapes, inputs.level_start_index)
        return _maybe_checkpoint(inner, self.with_cp, query, feat)


class Extractor(nn.Module):
    """``c + MSDA(norm(c), norm(x))`` then ``c + drop_path(CFFN(norm(c)))``: the pyramid queries the ViT grid."""

    def __init__(self, dim: int, num_heads: int = 6, n_points: int = 4, n_levels: int = 1,
                 deform_ratio: float = 1.0, with_cffn: bool = True, cffn_ratio: float = 0.25, drop: float = 0.,
                 drop_path: float = 0., norm_eps: float = 1e-6, with_cp: bool = False) -> None:
        super().__init__()
        self.with_cp = with_cp
        self.query_norm = nn.LayerNorm(dim, eps=norm_eps)
        self.feat_norm = nn.LayerNorm(dim, eps=norm_eps)
        self.attn = MSDeformAttn(dim, n_levels, num_heads, n_points, ratio=deform_ratio)
        self.with_cffn = with_cffn
        if with_cffn:
            self.ffn = ConvFFN(dim, int(dim * cffn_ratio), drop=drop)
            self.ffn_norm = nn.LayerNorm(dim, eps=norm_eps)
            self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def forward(self, query: torch.Tensor, feat: torch.Tensor, inputs: DeformInputs,
                hw: Tuple[int, int]) -> torch.Tensor:
        """``query`` ``[B, N_pyr, D]`` pyramid tokens, ``feat`` ``[B, hw, D]`` ViT patch tokens -> ``[B, N_pyr, D]``."""
        def inner(q: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
            q = q + self.attn(self.query_norm(q), inputs.reference_points, self.feat_norm(f),
                              inputs.spatial_shapes, inputs.level_start_index)
            if self.with_cffn:
                q = q + self.drop_path(self.ffn(self.ffn_norm(q), hw))
            return q
        return _maybe_checkpoint(inner, self.with_cp, query, feat)


class InteractionBlock(nn.Module):
    """Injector, then a run of ViT blocks (done by the caller between :meth:`inject` and :meth:`extract`), then
    the extractor, plus two extra extractors after the last interaction.

    Args:
        dim: ViT width.
        num_heads: Deformable-attention heads (``deform_num_heads``).
        n_points: Sampling points per head and level.
        deform_ratio: Value width fraction of the deformable attention.
        with_cffn: Use the CFFN in the extractors.
        cffn_ratio: CFFN bottleneck fraction.
        init_values: Initial injector gamma.
        drop: CFFN dropout.
        drop_path: Extractor CFFN stochastic depth (official: the ViT's ``drop_path_rate``).
        extra_extractor: Add the two extra extractors (the last interaction).
        norm_eps: LayerNorm epsilon.
        with_cp: Activation checkpointing of the injector and extractors while training.
    """

    def __init__(self, dim: int, num_heads: int = 6, n_points: int = 4, deform_ratio: float = 1.0,
                 with_cffn: bool = True, cffn_ratio: float = 0.25, init_values: float = 0., drop: float = 0.,
                 drop_path: float = 0., extra_extractor: bool = False, norm_eps: float = 1e-6,
                 with_cp: bool = False) -> None:
        super().__init__()
        ext = dict(num_heads=num_heads, n_points=n_points, deform_ratio=deform_ratio, with_cffn=with_cffn,
                   cffn_ratio=cffn_ratio, drop=drop, drop_path=drop_path, norm_eps=norm_eps, with_cp=with_cp)
        self.injector = Injector(dim, num_heads, n_points, 3, deform_ratio, norm_eps, init_values, with_cp)
        self.extractor = Extractor(dim, n_levels=1, **ext)
        self.extra_extractors: Optional[nn.Sequential] = (
            nn.Sequential(*[Extractor(dim, n_levels=1, **ext) for _ in range(2)]) if extra_extractor else None)

    def inject(self, x: torch.Tensor, c: torch.Tensor, inputs: DeformInputs) -> torch.Tensor:
        """ViT patch tokens ``[B, hw, D]`` enriched from the pyramid ``c``."""
        return self.injector(x, c, inputs)

    def extract(self, x: torch.Tensor, c: torch.Tensor, inputs: DeformInputs, hw: Tuple[int, int]) -> torch.Tensor:
        """Pyramid tokens ``c`` updated from the ViT patch tokens ``x`` (all extractors of this interaction)."""
        c = self.extractor(c, x, inputs, hw)
        for extractor in self.extra_extractors or ():
            c = extractor(c, x, inputs, hw)
        return c
