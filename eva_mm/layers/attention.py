"""EVA multi-head self-attention: fused q/k/v, BEiT-style q/v bias, RoPE, decomposed rel-pos bias.

The fast path is ``torch.nn.functional.scaled_dot_product_attention`` with RoPE as one complex multiply
(:mod:`.qkv_rope`); an eager implementation with the same semantics (real-arithmetic RoPE on sliced tokens,
explicit softmax) is kept beside it as the reference (and export) path. One process-wide switch selects between
them (:func:`~eva_mm.layers.fast_path.set_fast_path`, alias :func:`set_fused_attn`), read at call time so tests
can flip it on a built model. With a rel-pos bias the fast path folds the bias into SDPA's channels
(:mod:`.rel_pos_attention`); the reference adds the explicit ``[B, h, N, N]`` bias to the logits.
"""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from .fast_path import set_fast_path, use_fast_path
from .qkv_rope import split_rotate_qkv
from .rel_pos import REL_POS_INTERPS, decomposed_rel_pos_bias
from .rel_pos_attention import rel_pos_attention
from .rope import apply_rope, rope_rotation, rope_with_prefix

__all__ = ['EVAAttention', 'set_fused_attn', 'use_fused_attn', 'QKV_BIAS_MODES']

QKV_BIAS_MODES = ('qv', 'qkv', 'none')

#: Kept names of the one fast-path switch (:mod:`.fast_path`): it selects SDPA, the SwiGLU gate backward and
#: folded rel-pos attention together.
set_fused_attn = set_fast_path
use_fused_attn = use_fast_path


class EVAAttention(nn.Module):
    """Self-attention of the EVA / EVA-02 blocks.

    Parameters are kept in one fused layout whatever the source checkpoint had (``qkv.weight`` ``[3C, C]``), so a
    single GEMM produces q, k and v; the converter packs split ``q_proj/k_proj/v_proj`` weights.

    Args:
        dim: Token width C.
        num_heads: Attention heads.
        qkv_bias: ``'qv'``: learned q and v bias, k bias fixed at zero (BEiT, EVA-g, EVA-02);
            ``'qkv'``: full bias (EVA-L); ``'none'``.
        rel_pos_grid: Grid ``(H, W)`` of the decomposed relative-position tables (``2H - 1`` and ``2W - 1`` rows,
            zero-initialised); ``None`` disables the bias.
        rel_pos_interp: How the tables are resized for another grid: ``'linear'`` or ``'beit'`` (EVA-01's
            1536-px test of 1280-px tables).
        inner_norm: LayerNorm on the attention output before the projection (EVA-CLIP ``inner_attn_ln``).
        norm_eps: Epsilon of ``inner_norm``.
        attn_drop: Dropout on attention probabilities (training only).
        proj_drop: Dropout after the output projection.
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        qkv_bias: str = 'qv',
        rel_pos_grid: Optional[Tuple[int, int]] = None,
        rel_pos_interp: str = 'linear',
        inner_norm: bool = False,
        norm_eps: float = 1e-6,
        attn_drop: float = 0.,
        proj_drop: float = 0.,
    ) -> None:
        super().__init__()
        if qkv_bias not in QKV_BIAS_MODES:
            raise ValueError(f'qkv_bias must be one of {QKV_BIAS_MODES}, got {qkv_bias!r}')
        if dim % num_heads:
            raise ValueError(f'dim {dim} is not divisible by num_heads {num_heads}')
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.scale = self.head_dim ** -0.5
        self.qkv_bias = qkv_bias
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias == 'qkv')
        if qkv_bias == 'qv':
            self.q_bias = nn.Parameter(torch.zeros(dim))
            self.v_bias = nn.Parameter(torch.zeros(dim))
        else:
            self.q_bias = self.v_bias = None
        self.rel_pos_grid = tuple(rel_pos_grid) if rel_pos_grid is not None else None
        if rel_pos_interp not in REL_POS_INTERPS:
            raise ValueError(f'rel_pos_interp must be one of {REL_POS_INTERPS}, got {rel_pos_interp!r}')
        self.rel_pos_interp = rel_pos_interp
        if self.rel_pos_grid is not None:
            self.rel_pos_h = nn.Parameter(torch.zeros(2 * self.rel_pos_grid[0] - 1, self.head_dim))
            self.rel_pos_w = nn.Parameter(torch.zeros(2 * self.rel_pos_grid[1] - 1, self.head_dim))
        self.inner_norm = nn.LayerNorm(dim, eps=norm_eps) if inner_norm else nn.Identity()
        self.attn_drop = attn_drop
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def _qkv_bias(self) -> Optional[torch.Tensor]:
        if self.q_bias is None:
            return self.qkv.bias
        # k has no bias in BEiT-style attention: a constant zero slice keeps the one-GEMM projection.
        return torch.cat((self.q_bias, torch.zeros_like(self.q_bias), self.v_bias))

    def forward(
        self,
        x: torch.Tensor,
        hw: Tuple[int, int],
        rope: Optional[Tuple[torch.Tensor, torch.Tensor]] = None,
    ) -> torch.Tensor:
        """Attend over all tokens.

        Args:
            x: ``[B, P + H * W, C]``: P prefix (cls) tokens then a row-major H x W grid.
            hw: Grid ``(H, W)``.
            rope: ``(sin, cos)`` tables ``[H * W, head_dim]`` applied to grid tokens only, or ``None``.

        Returns:
            ``[B, P + H * W, C]``.
        """
        b, n, c = x.shape
        num_prefix = n - hw[0] * hw[1]
        qkv = F.linear(x, self.qkv.weight, self._qkv_bias())
        fused = use_fused_attn()
        if fused and rope is not None and not torch.compiler.is_compiling():
            # Eager fast path: q and k rotate in one complex multiply; the backward writes one qkv gradient.
            q, k, v = split_rotate_qkv(qkv, self.num_heads, rope_rotation(rope[0], rope[1], num_prefix))
        else:
            # Unbinding the q/k/v axis in place (then transposing the views) makes autograd stack the three
            # gradients straight into the [B, N, 3, h, d] layout the qkv GEMM's backward reads: one copy, not two.
            q, k, v = (t.transpose(1, 2) for t in qkv.view(b, n, 3, self.num_heads, self.head_dim).unbind(2))
            if rope is not None:
                q, k = self._rotate(q, k, rope, num_prefix, fast=fused)
        drop = self.attn_drop if self.training else 0.
        if self.rel_pos_grid is not None and num_prefix:
            raise ValueError('relative position bias needs a token grid without prefix (cls) tokens')
        # With RoPE on too the rel-pos bias reads the rotated queries; no released EVA model combines the two.
        if fused and self.rel_pos_grid is not None:
            x = rel_pos_attention(q, k, v, self.rel_pos_h, self.rel_pos_w, hw, self.scale, self.rel_pos_interp, drop)
        elif fused:
            x = F.scaled_dot_product_attention(q, k, v, dropout_p=drop)
        else:
            bias = None
            if self.rel_pos_grid is not None:
                bias = decomposed_rel_pos_bias(q, self.rel_pos_h, self.rel_pos_w, hw, hw, self.rel_pos_interp)
            x = self._eager_attention(q, k, v, bias, drop)
        x = x.transpose(1, 2).reshape(b, n, c)
        return self.proj_drop(self.proj(self.inner_norm(x)))

    @staticmethod
    def _rotate(
        q: torch.Tensor, k: torch.Tensor, rope: Tuple[torch.Tensor, torch.Tensor], num_prefix: int, fast: bool
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """RoPE on the grid tokens of ``[B, h, P + N, d]`` queries and keys; prefix tokens pass unrotated.

        ``fast`` (used under ``torch.compile``; eager runs :func:`split_rotate_qkv` instead) rotates every token
        with real arithmetic and tables that are the identity on the prefix, which inductor fuses into one kernel;
        the reference path slices, rotates and concatenates.
        """
        sin, cos = rope
        if fast:
            sin, cos = rope_with_prefix(sin, cos, num_prefix)
            return apply_rope(q, sin, cos), apply_rope(k, sin, cos)
        q = torch.cat((q[:, :, :num_prefix], apply_rope(q[:, :, num_prefix:], sin, cos)), dim=2)
        k = torch.cat((k[:, :, :num_prefix], apply_rope(k[:, :, num_prefix:], sin, cos)), dim=2)
        return q, k

    def _eager_attention(
        self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, bias: Optional[torch.Tensor], drop: float
    ) -> torch.Tensor:
        """Reference attention, ``[B, h, N, d]`` in and out; logits and softmax in float32 like EVA-01."""
        logits = (q.float() * self.scale) @ k.float().transpose(-2, -1)
        if bias is not None:
            logits = logits + bias.float()
        probs = F.dropout(logits.softmax(dim=-1), p=drop).to(v.dtype)
        return probs @ v
