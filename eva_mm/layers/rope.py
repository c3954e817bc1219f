"""2D rotary position embedding (RoPE) of EVA-02, as pure functions.

EVA-02 (arXiv 2303.11331, official `EVA-02/asuka/rope.py`, `VisionRotaryEmbeddingFast`) rotates query and key of
the patch tokens (never the cls token). The head dim is split in two halves: the first half rotates with the row
coordinate, the second with the column coordinate. Inside each half, frequency k (k < head_dim // 4) is
``theta ** (-4k / head_dim)`` and acts on the interleaved pair of channels (2k, 2k + 1).

Coordinates are ``arange(n) / n * ref``: any grid is rescaled to the range of the 16 x 16 pretraining grid
(``pt_hw_seq_len=16``), which is how EVA-02 reuses one table for 224, 448, window and global grids.
"""
from __future__ import annotations

from typing import Tuple

import torch
import torch.nn.functional as F

__all__ = ['rope_frequencies', 'build_rope_2d', 'apply_rope', 'rope_with_prefix', 'rope_rotation',
           'rotation_dtype', 'complex_pairs', 'apply_rope_complex']


def rope_frequencies(head_dim: int, theta: float = 10000., device: torch.device | None = None) -> torch.Tensor:
    """Rotation frequencies of one spatial axis.

    Args:
        head_dim: Channels per attention head; must be a multiple of 4 (two axes x pairs).
        theta: Base of the geometric frequency progression.

    Returns:
        ``[head_dim // 4]`` float32 frequencies ``theta ** (-k / (head_dim // 4))``.
    """
    if head_dim % 4:
        raise ValueError(f'2D RoPE needs head_dim divisible by 4, got {head_dim}')
    num_bands = head_dim // 4
    exponent = torch.arange(num_bands, device=device, dtype=torch.float32) / num_bands
    return 1.0 / theta ** exponent


def build_rope_2d(
    grid: Tuple[int, int],
    head_dim: int,
    ref_grid: Tuple[int, int] = (16, 16),
    theta: float = 10000.,
    device: torch.device | None = None,
    dtype: torch.dtype = torch.float32,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Sine and cosine tables of the 2D interleaved RoPE for a row-major ``grid``.

    Args:
        grid: ``(H, W)`` token grid the table is for (a window or the whole feature map).
        head_dim: Channels per attention head.
        ref_grid: Pretraining grid the coordinates are rescaled to (EVA-02: 16 x 16).
        theta: RoPE base.

    Returns:
        ``(sin, cos)``, each ``[H * W, head_dim]``, channels laid out ``[r0, r0, r1, r1, ..., c0, c0, c1, c1, ...]``
        (r = row frequencies, c = column frequencies).
    """
    freqs = rope_frequencies(head_dim, theta, device=device)
    # Positions are computed in float32 whatever the target dtype: angles reach ~16 rad and bf16 would lose them.
    rows = torch.arange(grid[0], device=device, dtype=torch.float32) / grid[0] * ref_grid[0]
    cols = torch.arange(grid[1], device=device, dtype=torch.float32) / grid[1] * ref_grid[1]
    coords = torch.stack(torch.meshgrid(rows, cols, indexing='ij'), dim=-1)  # [H, W, 2]
    angles = (coords.unsqueeze(-1) * freqs).flatten(-2)  # [H, W, 2 * head_dim // 4]: row bands then column bands
    angles = angles.reshape(grid[0] * grid[1], -1)
    # [N, head_dim], pairs share angles; stack + flatten rather than repeat_interleave, whose ONNX export loses
    # the tensor's rank
    angles = torch.stack((angles, angles), dim=-1).flatten(-2)
    return angles.sin().to(dtype), angles.cos().to(dtype)


def _rotate_pairs(x: torch.Tensor) -> torch.Tensor:
    """``[x0, x1, x2, x3, ...] -> [-x1, x0, -x3, x2, ...]`` over the last dim."""
    # even and odd channels by strided slices (not unflatten(-1, (-1, 2))): the ONNX exporter infers the rank of
    # the strided form exactly, and the graph stays free of rank-changing reshapes
    return torch.stack((-x[..., 1::2], x[..., 0::2]), dim=-1).flatten(-2)


def apply_rope(x: torch.Tensor, sin: torch.Tensor, cos: torch.Tensor) -> torch.Tensor:
    """Rotate interleaved channel pairs of ``x`` by the table angles.

    Args:
        x: ``[..., N, head_dim]`` queries or keys of N grid tokens (no prefix tokens).
        sin, cos: ``[N, head_dim]`` tables from :func:`build_rope_2d`.

    Returns:
        Tensor shaped and typed like ``x``.
    """
    # The tables get x's rank (leading size-1 axes) before the products: an exported graph then multiplies
    # equal-rank tensors, where a rank-2 table against rank-4 q/k is the implicit broadcast TensorRT refuses.
    for _ in range(x.dim() - cos.dim()):
        cos, sin = cos.unsqueeze(0), sin.unsqueeze(0)
    # Rotation is done in the tables' precision (float32 by default) and cast back once, as the reference does.
    return (x * cos + _rotate_pairs(x) * sin).to(x.dtype)


def rope_with_prefix(sin: torch.Tensor, cos: torch.Tensor, num_prefix: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """Tables extended with identity rows (sin 0, cos 1) for ``num_prefix`` leading tokens: ``[P + N, head_dim]``.

    Used under ``torch.compile``, where :func:`apply_rope` on all tokens is fused by inductor into one kernel
    (inductor generates no code for complex operators, so :func:`apply_rope_complex` is for eager only).
    """
    if not num_prefix:
        return sin, cos
    return F.pad(sin, (0, 0, num_prefix, 0), value=0.), F.pad(cos, (0, 0, num_prefix, 0), value=1.)


def rope_rotation(sin: torch.Tensor, cos: torch.Tensor, num_prefix: int = 0) -> torch.Tensor:
    """Unit complex rotations of the channel pairs, with identity rows for prefix tokens.

    Args:
        sin, cos: ``[N, head_dim]`` tables from :func:`build_rope_2d` (pairs share one angle).
        num_prefix: Leading (cls) tokens that are not rotated; they get the rotation ``1 + 0j``.

    Returns:
        ``[num_prefix + N, head_dim // 2]`` complex tensor ``cos + i sin`` (complex128 for float64 tables, else
        complex64).
    """
    real = rotation_dtype(cos.dtype)
    rot = torch.complex(cos[:, 0::2].to(real), sin[:, 0::2].to(real))
    if num_prefix:
        # Rotating every token by a table that is the identity on the prefix avoids slicing q/k and
        # concatenating them back: that costs two copies forward and zero-filled slice gradients backward.
        rot = torch.cat((torch.ones_like(rot[:num_prefix]).expand(num_prefix, -1), rot))
    return rot


def rotation_dtype(dtype: torch.dtype) -> torch.dtype:
    """Real dtype RoPE rotates in: float64 stays, anything else rotates in float32.

    Complex arithmetic exists for float32/float64 only, so half-precision inputs rotate in float32 and are cast
    back once, which is also what the reference does with its float32 tables.
    """
    return torch.float64 if dtype == torch.float64 else torch.float32


def complex_pairs(x: torch.Tensor) -> torch.Tensor:
    """Complex view ``[..., head_dim // 2]`` of the interleaved channel pairs of float32/float64 ``x``.

    A view whenever the strides allow one (pairs adjacent and aligned, e.g. a slice of a fused qkv tensor), so an
    ``out=`` written through it lands in ``x``; otherwise a contiguous copy.
    """
    if x.stride(-1) != 1 or any(st % 2 for st in x.stride()[:-1]) or x.storage_offset() % 2:
        x = x.contiguous()
    return torch.view_as_complex(x.unflatten(-1, (-1, 2)))


def apply_rope_complex(x: torch.Tensor, rot: torch.Tensor) -> torch.Tensor:
    """Fast equivalent of :func:`apply_rope`: one complex multiply forward and one backward.

    Each interleaved pair ``(x_2k, x_2k+1)`` read as ``x_2k + i x_2k+1`` and multiplied by ``cos + i sin`` is
    exactly ``(x_2k cos - x_2k+1 sin, x_2k+1 cos + x_2k sin)``, the reference rotation. The reference needs about
    eight elementwise passes (stack, negation, two products, sum and their backward selects); this needs one.

    Eager only: it reads strides, which would break a ``torch.compile`` graph (see :func:`rope_with_prefix`).

    Args:
        x: ``[..., N, head_dim]`` queries or keys (any strides with a unit last stride, e.g. a view of a fused
            qkv tensor).
        rot: ``[N, head_dim // 2]`` complex rotations from :func:`rope_rotation`, or any shape that broadcasts
            against ``x``'s pairs (e.g. ``[N, 1, 1, head_dim // 2]`` for ``[B, N, 2, h, head_dim]``).

    Returns:
        Tensor shaped and typed like ``x``, contiguous.
    """
    real = rotation_dtype(x.dtype)
    if real == torch.float64:
        rot = rot.to(torch.complex128)
    rotated = complex_pairs(x.to(real)) * rot
    return torch.view_as_real(rotated).flatten(-2).to(x.dtype)
