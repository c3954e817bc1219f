"""Split a fused qkv projection into heads and rotate queries and keys (RoPE), with a one-buffer backward.

Rotating q and k as two tensors leaves autograd to rebuild the qkv gradient from pieces: each rotation's
gradient is made contiguous, multiplied by the conjugate rotation into a new tensor, and the q, k and v gradients
are then stacked into the ``[B, N, 3, h, d]`` layout the qkv GEMM's backward reads. Here q and k rotate in one
complex multiply, and the backward writes the three gradients straight into one fresh buffer: three writes
instead of about seven passes and four allocations. Complex arithmetic exists for float32/float64 only, so half
precision rotates in float32 and rounds once, as the reference rotation does.
"""
from typing import Tuple

import torch

from .rope import apply_rope_complex, complex_pairs, rotation_dtype

__all__ = ['split_rotate_qkv']

QKV = Tuple[torch.Tensor, torch.Tensor, torch.Tensor]


class _RotateQK(torch.autograd.Function):
    """``[B, N, 3, h, d]`` -> rotated ``q``, ``k`` and plain ``v``, each ``[B, h, N, d]``.

    Half-precision inputs rotate in float32 and round once (one cast in, one out), like the reference.
    """

    @staticmethod
    def forward(ctx, qkv: torch.Tensor, rot: torch.Tensor) -> QKV:
        # rot: [N, d / 2] -> [N, 1, 1, d / 2], broadcast over batch, the q/k axis and heads.
        rot = rot[:, None, None]
        qk = apply_rope_complex(qkv[:, :, :2], rot)  # [B, N, 2, h, d]
        ctx.save_for_backward(rot)
        q, k = qk.permute(2, 0, 3, 1, 4).unbind(0)  # [B, h, N, d] views
        v = qkv[:, :, 2].transpose(1, 2)
        return q, k, v

    @staticmethod
    def backward(ctx, grad_q: torch.Tensor, grad_k: torch.Tensor, grad_v: torch.Tensor) -> Tuple[torch.Tensor, None]:
        (rot,) = ctx.saved_tensors
        like = next(g for g in (grad_q, grad_k, grad_v) if g is not None)
        b, h, n, d = like.shape
        grad = like.new_empty(b, n, 3, h, d)
        real = rotation_dtype(grad.dtype)
        # The inverse rotation is the conjugate one, in the complex dtype the gradients rotate in.
        inverse = rot[:, 0].conj().to(torch.promote_types(rot.dtype, real))
        for slot, g in enumerate((grad_q, grad_k)):
            if g is None:
                grad[:, :, slot].zero_()
                continue
            g = complex_pairs(g.transpose(1, 2).to(real))
            if grad.dtype == real:
                torch.mul(g, inverse, out=complex_pairs(grad[:, :, slot]))  # even strides: a view, written in place
            else:
                grad[:, :, slot].copy_(torch.view_as_real(g * inverse).flatten(-2))  # rounds once
        if grad_v is None:
            grad[:, :, 2].zero_()
        else:
            grad[:, :, 2].copy_(grad_v.transpose(1, 2))
        return grad, None


def split_rotate_qkv(qkv: torch.Tensor, num_heads: int, rot: torch.Tensor) -> QKV:
    """Heads of q, k and v from a fused projection, q and k rotated.

    Args:
        qkv: ``[B, N, 3 * C]`` output of the qkv GEMM (contiguous).
        num_heads: Attention heads h (``C = h * d``).
        rot: ``[N, d // 2]`` complex rotations from :func:`~.rope.rope_rotation` (identity rows for prefix tokens).

    Returns:
        ``q, k, v``, each ``[B, h, N, d]``; q and k rotated (in float32 for half-precision inputs, rounded once),
        typed like ``qkv``.
    """
    b, n, c3 = qkv.shape
    return _RotateQK.apply(qkv.view(b, n, 3, num_heads, c3 // (3 * num_heads)), rot)
