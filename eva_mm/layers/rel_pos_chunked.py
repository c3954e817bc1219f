"""Decomposed rel-pos attention by query chunks: exact, O(chunk x N) memory, head dim unchanged (the CPU kernel).

The folded path (:mod:`.rel_pos_attention`) runs SDPA's fused kernels over a head dim widened by ``H + W``
(64 -> 192 for ViTDet-B at 1024 px), which on CPU costs more than it saves. This autograd function keeps the head
dim: per chunk of ``c`` queries it forms the ``[B * heads, c, N]`` logits with the decomposed bias added (the bias
is written first and the ``q . k`` GEMM accumulates onto it, one pass), takes the softmax and multiplies by v.
Only the outputs and the per-query log-sum-exp are kept for backward, which recomputes each chunk's
probabilities (as flash attention does, Dao et al., arXiv 2205.14135) and reduces the logits' gradient to the
gradients of ``rel_h`` and ``rel_w`` by summing over key columns / rows. Internally float32 (bf16 / fp16 inputs
are upcast once), so the softmax is exact in float32 like the reference path.
"""
from typing import Optional, Tuple

import torch

__all__ = ['chunked_rel_pos_attention', 'default_chunk']

#: Logit elements per chunk (all heads of the batch together): 2 Mi float32 = 8 MiB, about one core's L2 + L3
#: share on the machines measured; larger chunks were slower (docs/performance-relpos.md).
CHUNK_ELEMENTS = 1 << 21


def default_chunk(batch_heads: int, n: int) -> int:
    """Queries per chunk: :data:`CHUNK_ELEMENTS` logits over all ``batch_heads`` rows, at least 16."""
    return max(16, CHUNK_ELEMENTS // max(batch_heads * n, 1) // 16 * 16)


def _chunk_probs(q_c: torch.Tensor, k_t: torch.Tensor, rel_h: torch.Tensor, rel_w: torch.Tensor,
                 hw: Tuple[int, int]) -> torch.Tensor:
    """Unnormalised logits ``q_c @ k_t + rel_h[:, :, r] + rel_w[:, :, c]`` of one chunk, ``[BH, c, N]``."""
    bh, c, _ = q_c.shape
    bias = torch.add(rel_h[:, :, :, None], rel_w[:, :, None, :]).view(bh, c, hw[0] * hw[1])
    return bias.baddbmm_(q_c, k_t)


class _ChunkedRelPosAttention(torch.autograd.Function):

    @staticmethod
    def forward(ctx, q, k, v, rel_h, rel_w, hw, scale, chunk):  # noqa: D102 (autograd API)
        bh, n, _ = q.shape
        q_s, k_t = q * scale, k.transpose(1, 2)
        out = torch.empty_like(q)
        lse = q.new_empty(bh, n)
        for s in range(0, n, chunk):
            e = min(s + chunk, n)
            logits = _chunk_probs(q_s[:, s:e], k_t, rel_h[:, s:e], rel_w[:, s:e], hw)
            peak = logits.amax(dim=-1, keepdim=True)
            probs = logits.sub_(peak).exp_()
            total = probs.sum(dim=-1, keepdim=True)
            torch.bmm(probs, v, out=out[:, s:e])
            out[:, s:e].div_(total)
            lse[:, s:e] = (peak + total.log()).squeeze(-1)
        ctx.save_for_backward(q, k, v, rel_h, rel_w, out, lse)
        ctx.hw, ctx.scale, ctx.chunk = hw, scale, chunk
        return out

    @staticmethod
    def backward(ctx, grad_out):  # noqa: D102 (autograd API)
        q, k, v, rel_h, rel_w, out, lse = ctx.saved_tensors
        hw, scale, chunk = ctx.hw, ctx.scale, ctx.chunk
        bh, n, _ = q.shape
        grad_out = grad_out.contiguous()
        delta = (grad_out * out).sum(-1, keepdim=True)  # softmax backward's row term, [BH, N, 1]
        q_s, k_s, k_t, v_t = q * scale, k * scale, k.transpose(1, 2), v.transpose(1, 2)
        dq, dk, dv = torch.empty_like(q), torch.zeros_like(k), torch.zeros_like(v)
        d_rel_h, d_rel_w = torch.empty_like(rel_h), torch.empty_like(rel_w)
        for s in range(0, n, chunk):
            e = min(s + chunk, n)
            probs = _chunk_probs(q_s[:, s:e], k_t, rel_h[:, s:e], rel_w[:, s:e], hw)
            probs = probs.sub_(lse[:, s:e, None]).exp_()
            g = grad_out[:, s:e]
            dv.baddbmm_(probs.transpose(1, 2), g)
            # d logits = P * (dO v^T - delta): the GEMM accumulates onto -delta, then one multiply.
            d_logits = torch.baddbmm(delta[:, s:e].neg().expand(-1, -1, n), g, v_t).mul_(probs)
            grid = d_logits.view(bh, e - s, hw[0], hw[1])
            torch.sum(grid, dim=3, out=d_rel_h[:, s:e])
            torch.sum(grid, dim=2, out=d_rel_w[:, s:e])
            torch.bmm(d_logits, k_s, out=dq[:, s:e])
            dk.baddbmm_(d_logits.transpose(1, 2), q_s[:, s:e])
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
        chunk: Queries per chunk; ``None`` picks :func:`default_chunk`.

    Returns:
        ``[B, heads, H * W, d]`` in the dtype of ``v``; gradients flow to q, k, v, rel_h and rel_w.
    """
    b, heads, n, d = q.shape
    if rel_h.shape[-1] != hw[0] or rel_w.shape[-1] != hw[1] or hw[0] * hw[1] != n:
        raise ValueError(f'chunked rel-pos attention: grid {hw} does not match {n} tokens with rel_h '
                         f'{tuple(rel_h.shape)} and rel_w {tuple(rel_w.shape)}')
    chunk = default_chunk(b * heads, n) if chunk is None else chunk
    if chunk < 1:
        raise ValueError(f'chunk must be >= 1, got {chunk}')
    flat = [t.float().reshape(b * heads, n, t.shape[-1]) for t in (q, k, v, rel_h, rel_w)]
    out = _ChunkedRelPosAttention.apply(*flat, tuple(hw), float(scale), int(chunk))
    return out.view(b, heads, n, d).to(v.dtype)
