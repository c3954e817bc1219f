"""Pre-LN transformer block of EVA / EVA-02, with optional ViTDet window attention."""
from typing import Optional, Tuple

import torch
from timm.layers import DropPath
from torch import nn

from .attention import EVAAttention
from .mlp import Mlp, SwiGLU
from .window import window_partition, window_unpartition

__all__ = ['EVABlock']

Rope = Tuple[torch.Tensor, torch.Tensor]


class EVABlock(nn.Module):
    """``x + attn(norm1(x))`` then ``x + mlp(norm2(x))``, each branch with stochastic depth.

    With ``window_size > 0`` attention runs inside non-overlapping windows of the token grid (padded to a
    multiple of the window, ViTDet); such blocks take no prefix tokens.

    Args:
        dim: Token width.
        num_heads: Attention heads.
        mlp_hidden: Feed-forward hidden width.
        mlp_type: ``'gelu'`` (EVA-01) or ``'swiglu'`` (EVA-02).
        sub_ln: LayerNorm on the SwiGLU hidden (EVA-02 B/L).
        qkv_bias: See :class:`EVAAttention`.
        attn_inner_norm: LayerNorm on the attention output (EVA-CLIP towers).
        window_size: Window side in tokens, 0 for global attention.
        rel_pos_grid: Grid of the decomposed rel-pos tables (the window, or the global grid), ``None`` for none.
        rel_pos_interp: How those tables are resized for another grid (``'linear'`` or ``'beit'``).
        norm_eps: LayerNorm epsilon.
        drop_path: Stochastic depth rate of both branches.
        drop: Dropout inside the MLP and after the attention projection.
        attn_drop: Dropout on attention probabilities.
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        mlp_hidden: int,
        mlp_type: str = 'swiglu',
        sub_ln: bool = False,
        qkv_bias: str = 'qv',
        attn_inner_norm: bool = False,
        window_size: int = 0,
        rel_pos_grid: Optional[Tuple[int, int]] = None,
        rel_pos_interp: str = 'linear',
        norm_eps: float = 1e-6,
        drop_path: float = 0.,
        drop: float = 0.,
        attn_drop: float = 0.,
    ) -> None:
        super().__init__()
        self.window_size = window_size
        self.norm1 = nn.LayerNorm(dim, eps=norm_eps)
        self.attn = EVAAttention(dim, num_heads, qkv_bias=qkv_bias, rel_pos_grid=rel_pos_grid,
                                 rel_pos_interp=rel_pos_interp,
                                 inner_norm=attn_inner_norm, norm_eps=norm_eps, attn_drop=attn_drop, proj_drop=drop)
        self.norm2 = nn.LayerNorm(dim, eps=norm_eps)
        if mlp_type == 'gelu':
            if sub_ln:
                raise ValueError('sub_ln applies to the SwiGLU hidden only')
            self.mlp = Mlp(dim, mlp_hidden, drop=drop)
        elif mlp_type == 'swiglu':
            self.mlp = SwiGLU(dim, mlp_hidden, sub_ln=sub_ln, norm_eps=norm_eps, drop=drop)
        else:
            raise ValueError(f"mlp_type must be 'gelu' or 'swiglu', got {mlp_type!r}")
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def forward(self, x: torch.Tensor, hw: Tuple[int, int], rope: Optional[Rope] = None) -> torch.Tensor:
        """One block.

        Args:
            x: ``[B, P + H * W, C]`` tokens (P prefix tokens, then a row-major grid).
            hw: Grid ``(H, W)``.
            rope: ``(sin, cos)`` tables for the attended grid: the window grid in windowed blocks, ``(H, W)``
                otherwise.

        Returns:
            ``[B, P + H * W, C]``.
        """
        y = self.norm1(x)
        if self.window_size > 0:
            if y.shape[1] != hw[0] * hw[1]:
                raise ValueError('window attention needs a token grid without prefix (cls) tokens')
            windows, pad_hw = window_partition(y.unflatten(1, hw), self.window_size)
            y = self.attn(windows.flatten(1, 2), (self.window_size, self.window_size), rope)
            y = window_unpartition(y.unflatten(1, (self.window_size, self.window_size)), self.window_size, pad_hw, hw)
            y = y.flatten(1, 2)
        else:
            y = self.attn(y, hw, rope)
        x = x + self.drop_path(y)
        return x + self.drop_path(self.mlp(self.norm2(x)))
