"""Decomposed rel-pos attention on SDPA's fused kernels, without an N x N tensor (forward or backward).

The bias of query i and key j = (r, c) is ``rel_h[i, r] + rel_w[i, c]`` (:func:`decomposed_rel_pos_terms`), i.e.
the dot product of ``[rel_h_i, rel_w_i]`` with ``[onehot(r), onehot(c)]``. Appending these as extra channels to
the (pre-scaled) queries and to the keys gives logits ``scale * q.k + bias`` from one SDPA call with ``scale=1``:
no ``attn_mask`` (a mask that needs a gradient sends SDPA to its math path, which builds the N x N logits and
probabilities), so CPU flash attention / CUDA flash or memory-efficient attention run with gradients to q, k, v
and, through ``rel_h`` / ``rel_w``, to the tables. The head dim grows by ``kh + kw`` (padded to a multiple of 8,
which the fused kernels want); v is zero-padded to the same width because CPU and CUDA flash kernels need equal
q / k / v head dims, and the padding is sliced off the output.

The other exact kernel is the query-chunked autograd function of :mod:`.rel_pos_chunked` (head dim unchanged,
the least memory). One explicit switch, :func:`set_rel_pos_kernel`, picks ``'auto'`` (default: folded, the faster
of the two in the measured 2-thread CPU run, docs/performance-relpos.md), ``'folded'`` or ``'chunked'``.
"""
from typing import Tuple

import torch
import torch.nn.functional as F

from .rel_pos import decomposed_rel_pos_terms
from .rel_pos_chunked import chunked_rel_pos_attention

__all__ = ['rel_pos_attention', 'grid_onehot', 'REL_POS_KERNELS', 'set_rel_pos_kernel', 'get_rel_pos_kernel',
           'rel_pos_kernel']

#: Kernels of the fast rel-pos path; ``'auto'`` resolves per call (:func:`rel_pos_kernel`).
REL_POS_KERNELS = ('auto', 'folded', 'chunked')
_KERNEL = 'auto'


def set_rel_pos_kernel(kernel: str) -> None:
    """Select the fast path's rel-pos kernel process-wide: ``'auto'`` (default), ``'folded'`` or ``'chunked'``.

    ``'auto'`` is folded on every device: on CUDA flash / memory-efficient kernels take the widened head dim, and
    on CPU the folded kernel was the faster in the measured 2-thread run (docs/performance-relpos.md); chunked
    saves more memory and has no attention dropout. The reference path (``set_fast_path(False)``) ignores this
    switch.
    """
    global _KERNEL
    if kernel not in REL_POS_KERNELS:
        raise ValueError(f'rel-pos kernel must be one of {REL_POS_KERNELS}, got {kernel!r}')
    _KERNEL = kernel


def get_rel_pos_kernel() -> str:
    """The selected kernel name, as last given to :func:`set_rel_pos_kernel` (``'auto'`` by default)."""
    return _KERNEL


def rel_pos_kernel(device: torch.device, dropout_p: float = 0.) -> str:
    """The kernel :func:`rel_pos_attention` runs for tensors on ``device``: ``'folded'`` or ``'chunked'``."""
    if _KERNEL == 'auto':
        return 'folded'
    if _KERNEL == 'chunked' and dropout_p:
        raise ValueError(f"rel-pos kernel 'chunked' has no attention dropout (got dropout_p={dropout_p}); "
                         "use 'auto' or 'folded'")
    return _KERNEL


def grid_onehot(hw: Tuple[int, int], dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """``[H * W, H + W]``: row-major token j = (r, c) -> ``[onehot_H(r), onehot_W(c)]``."""
    h, w = hw
    rows = torch.arange(h, device=device).repeat_interleave(w)
    cols = torch.arange(w, device=device).repeat(h)
    return torch.cat((F.one_hot(rows, h), F.one_hot(cols, w)), dim=1).to(dtype)


def rel_pos_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    rel_pos_h: torch.Tensor,
    rel_pos_w: torch.Tensor,
    hw: Tuple[int, int],
    scale: float,
    interp: str = 'linear',
    dropout_p: float = 0.,
) -> torch.Tensor:
    """``softmax(scale * q k^T + rel-pos bias) v`` over one ``H x W`` token grid, without an N x N tensor.

    Runs the kernel :func:`rel_pos_kernel` selects: one fused SDPA call on folded channels, or query chunks.

    Args:
        q, k, v: ``[B, heads, H * W, d]`` unscaled queries, keys, values.
        rel_pos_h, rel_pos_w: ``[Lh, d]`` and ``[Lw, d]`` tables (resized by ``interp`` if needed).
        hw: Grid ``(H, W)`` of queries and keys.
        scale: Logit scale of ``q . k`` (``d ** -0.5``).
        interp: table resize rule (:func:`~eva_mm.layers.rel_pos.resize_rel_pos`).
        dropout_p: attention dropout.

    Returns:
        ``[B, heads, H * W, d]``, equal to the reference with the bias of :func:`decomposed_rel_pos_bias`.
    """
    b, heads, n, d = q.shape
    if n != hw[0] * hw[1]:
        raise ValueError(f'rel-pos attention needs {hw[0]} x {hw[1]} = {hw[0] * hw[1]} tokens, got {n}')
    rel_h, rel_w = decomposed_rel_pos_terms(q, rel_pos_h, rel_pos_w, hw, hw, interp)
    if rel_pos_kernel(q.device, dropout_p) == 'chunked':
        return chunked_rel_pos_attention(q, k, v, rel_h, rel_w, hw, scale)
    extra = hw[0] + hw[1]
    pad = -(d + extra) % 8
    zeros = q.new_zeros(1, 1, 1, 1).expand(b, heads, n, pad)
    onehot = grid_onehot(hw, k.dtype, k.device).expand(b, heads, n, extra)
    q_ext = torch.cat((q * scale, rel_h, rel_w, zeros), dim=-1)
    k_ext = torch.cat((k, onehot, zeros), dim=-1)
    v_ext = torch.cat((v, q.new_zeros(1, 1, 1, 1).expand(b, heads, n, extra + pad)), dim=-1)
    out = F.scaled_dot_product_attention(q_ext, k_ext, v_ext, dropout_p=dropout_p, scale=1.0)
    return out[..., :d]
