"""Decomposed rel-pos attention by query tiles: exact, O(tile x N) memory, head dim unchanged (opt-in kernel).

The folded path (:mod:`.rel_pos_attention`) runs SDPA's fused kernels over a head dim widened by ``H + W``
(64 -> 192 for ViTDet-B at 1024 px), which on CPU costs more than it saves. This autograd function keeps the head
dim: per tile (``g`` heads x ``c`` queries) it forms the ``[g, c, N]`` logits with the decomposed bias added (the bias
is written first and the ``q . k`` GEMM accumulates onto it, one pass), takes the softmax and multiplies by v.
Only the outputs and the per-query log-sum-exp are kept for backward, which recomputes each chunk's
probabilities (as flash attention does, Dao et al., arXiv 2205.14135) and reduces the logits' gradient to the
gradients of ``rel_h`` and ``rel_w`` by summing over key columns / rows. Internally float32 (bf16 / fp16 inputs
are upcast once), so the softmax is exact in float32 like the reference path.
"""
from typing import Optional, Tuple

import torch

__all__ = ['chunked_rel_pos_attention', 'default_chunk']

#: Logit elements per tile: 2 Mi float32 = 8 MiB, one head's 512 queries x 4,096 keys at 1024 px. Measured with
#: 1 thread on the 2-core CPU of docs/performance-relpos.md: one head per tile with 512 queries beat all 12 heads
#: with 32-128 queries (bigger GEMMs per call, the tile still in cache for the softmax).
CHUNK_ELEMENTS = 1 << 21


def default_chunk(batch_heads: int, n: int) -> Tuple[int, int]:
    """``(heads, queries)`` per tile: all ``n`` queries of as many heads as fit :data:`CHUNK_ELEMENTS` logits, or
    one head and as many queries (at least 16) as fit."""
    queries = min(n, max(16, CHUNK_ELEMENTS // max(n, 1)))
    heads = min(batch_heads, max(1, CHUNK_ELEMENTS // max(queries * n, 1))) if queries == n else 1
    return heads, queries


def _tiles(batch_heads: int, n: int, tile: Tuple[int, int]):
    """``(head slice, query slice)`` of every tile, heads outer."""
    g, c = tile
    for h0 in range(0, batch_heads, g):
        for s in range(0, n, c):
            yield slice(h0, min(h0 + g, batch_heads)), slice(s, min(s + c, n))


def _chunk_probs(q_c: torch.Tensor, k_t: torch.Tensor, rel_h: torch.Tensor, rel_w: torch.Tensor,
                 hw: Tuple[int, int]) -> torch.Tensor:
    """Unnormalised logits ``q_c @ k_t + rel_h[:, :, r] + rel_w[:, :, c]`` of one chunk, ``[BH, c, N]``."""
    bh, c, _ = q_c.shape
    bias = torch.add(rel_h[:, :, :, None], rel_w[:, :, None, :]).view(bh, c, hw[0] * hw[1])
    return bias.baddbmm_(q_c, k_t)


class _ChunkedRelPosAttention(torch.autograd.Function):

    @staticmethod
    def forward(ctx, q, k, v, rel_h, rel_w, hw, scale, tile):  # noqa: D102 (autograd API)
        bh, n, _ = q.shape
        q_s, k_t = q * scale, k.transpose(1, 2)
        out = torch.empty_like(q)
        lse = q.new_empty(bh, n)
        for h, s in _tiles(bh, n, tile):
            logits = _chunk_probs(q_s[h, s], k_t[h], rel_h[h, s], rel_w[h, s], hw)
            peak = logits.amax(dim=-1, keepdim=True)
            probs = logits.sub_(peak).exp_()
            total = probs.sum(dim=-1, keepdim=True)
            out[h, s] = torch.bmm(probs, v[h]).div_(total)
            lse[h, s] = (peak + total.log()).squeeze(-1)
        ctx.save_for_backward(q, k, v, rel_h, rel_w, out, lse)
        ctx.hw, ctx.scale, ctx.tile = hw, scale, tile
        return out

    @staticmethod
    def backward(ctx, grad_out):  # noqa: D102 (autograd API)
        q, k, v, rel_h, rel_w, out, lse = ctx.saved_tensors
        hw, scale, tile = ctx.hw, ctx.scale, ctx.tile
        bh, n, _ = q.shape
        grad_out = grad_out.contiguous()
        delta = (grad_out * out).sum(-1, keepdim=True)  # softmax backward's row term, [BH, N, 1]
        q_s, k_s, k_t, v_t = q * scale, k * scale, k.transpose(1, 2), v.transpose(1, 2)
        dq, dk, dv = torch.empty_like(q), torch.zeros_like(k), torch.zeros_like(v)
        d_rel_h, d_rel_w = torch.empty_like(rel_h), torch.empty_like(rel_w)
        for h, s in _tiles(bh, n, tile):
            probs = _chunk_probs(q_s[h, s], k_t[h], rel_h[h, s], rel_w[h, s], hw)
            probs = probs.sub_(lse[h, s, None]).exp_()
            g = grad_out[h, s]
            dv[h].baddbmm_(probs.transpose(1, 2), g)
            # d logits = P * (dO v^T - delta): the GEMM accumulates onto -delta, then one multiply.
            d_logits = torch.baddbmm(delta[h, s].neg().expand(-1, -1, n), g, v_t[h]).mul_(probs)
            grid = d_logits.view(d_logits.shape[0], d_logits.shape[1], hw[0], hw[1])
            d_rel_h[h, s] = grid.sum(dim=3)
            d_rel_w[h, s] = grid.sum(dim=2)
            dq[h, s] = torch.bmm(d_logits, k_s[h])
            dk[h].baddbmm_(d_logits.transpose(1, 2), q_s[h, s])
        return dq, dk, dv, d_rel_h, d_rel_w, None, None, None


def chunked_rel_pos_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    rel_h: torch.Tensor,
    rel_w: torch.Tensor,
    hw: Tuple[int, int],
    scale: float,
    chunk: Optional[int] = None,
) -> torch.Tensor:
    """``softmax(scale * q k^T + rel_h[i, row(j)] + rel_w[i, col(j)]) v``, by query chunks.

    Args:
        q, k, v: ``[B, heads, H * W, d]`` unscaled queries, keys, values.
        rel_h, rel_w: ``[B, heads, H * W, H]`` and ``[..., W]`` bias factors (:func:`decomposed_rel_pos_terms`).
        hw: Grid ``(H, W)`` of the keys (and queries).
        scale: Logit scale of ``q . k``.
        chunk: Queries per tile (one head each); ``None`` picks :func:`default_chunk`.

    Returns:
        ``[B, heads, H * W, d]`` in the dtype of ``v``; gradients flow to q, k, v, rel_h and rel_w.
    """
    b, heads, n, d = q.shape
    if rel_h.shape[-1] != hw[0] or rel_w.shape[-1] != hw[1] or hw[0] * hw[1] != n:
        raise ValueError(f'chunked rel-pos attention: grid {hw} does not match {n} tokens with rel_h '
                         f'{tuple(rel_h.shape)} and rel_w {tuple(rel_w.shape)}')
    if chunk is not None and chunk < 1:
        raise ValueError(f'chunk must be >= 1, got {chunk}')
    tile = default_chunk(b * heads, n) if chunk is None else (1, int(chunk))
    flat = [t.float().reshape(b * heads, n, t.shape[-1]) for t in (q, k, v, rel_h, rel_w)]
    out = _ChunkedRelPosAttention.apply(*flat, tuple(hw), float(scale), tile)
    return out.view(b, heads, n, d).to(v.dtype)
