"""Decomposed relative position bias (MViTv2 arXiv 2112.01526, as used by ViTDet and EVA-01 detection).

A bias for query (qh, qw) and key (kh, kw) is ``<q, R_h[qh - kh]> + <q, R_w[qw - kw]>`` with one learned table per
axis. Here it is materialised as an additive ``[B, heads, Nq, Nk]`` attention bias for the
reference path; the fast path (:mod:`.rel_pos_attention`) uses the two factors without broadcasting them.
"""
from typing import Tuple

import torch
import torch.nn.functional as F

from .rel_pos_beit import resize_rel_pos_beit

__all__ = ['REL_POS_INTERPS', 'resize_rel_pos', 'get_rel_pos', 'decomposed_rel_pos_terms', 'decomposed_rel_pos_bias']

#: How a table is resampled to another size: detectron2's linear rule, or EVA-01's BEiT geometric fit.
REL_POS_INTERPS = ('linear', 'beit')


def resize_rel_pos(table: torch.Tensor, length: int, interp: str = 'linear') -> torch.Tensor:
    """Resample a relative-position table to ``length`` rows (used on load and run).

    Args:
        table: ``[L, C]`` table.
        length: Target number of relative distances, ``2 * size - 1``.
        interp: ``'linear'`` (detectron2's rule) or ``'beit'`` (EVA-01's geometric cubic fit, `rel_pos_beit`).

    Returns:
        ``[length, C]`` table in the input dtype.
    """
    if interp not in REL_POS_INTERPS:
        raise ValueError(f'rel-pos interpolation must be one of {REL_POS_INTERPS}, got {interp!r}')
    if table.shape[0] == length:
        return table
    if interp == 'beit':
        return resize_rel_pos_beit(table, length)
    resized = F.interpolate(table.float().t().unsqueeze(0), size=length, mode='linear')
    return resized.squeeze(0).t().to(table.dtype)


def get_rel_pos(q_size: int, k_size: int, table: torch.Tensor, interp: str = 'linear') -> torch.Tensor:
    """Relative-position embeddings for every (query, key) pair along one axis.

    Args:
        q_size: Query length along the axis.
        k_size: Key length along the axis.
        table: ``[L, C]`` learned table; resized when ``L != 2 * max(q_size, k_size) - 1``.
        interp: how it is resized (:func:`resize_rel_pos`).

    Returns:
        ``[q_size, k_size, C]``.
    """
    table = resize_rel_pos(table, 2 * max(q_size, k_size) - 1, interp)
    # Coordinates are scaled to the longer axis so different q/k lengths share one table (detectron2 convention).
    q_coords = torch.arange(q_size, device=table.device)[:, None] * max(k_size / q_size, 1.0)
    k_coords = torch.arange(k_size, device=table.device)[None, :] * max(q_size / k_size, 1.0)
    relative = (q_coords - k_coords) + (k_size - 1) * max(q_size / k_size, 1.0)
    return table[relative.long()]


def decomposed_rel_pos_terms(
    q: torch.Tensor,
    rel_pos_h: torch.Tensor,
    rel_pos_w: torch.Tensor,
    q_hw: Tuple[int, int],
    k_hw: Tuple[int, int],
    interp: str = 'linear',
) -> Tuple[torch.Tensor, torch.Tensor]:
    """The two factors of the decomposed bias, before they are broadcast to every (query, key) pair.

    Args:
        q: ``[B, heads, qh * qw, C]`` unscaled queries.
        rel_pos_h, rel_pos_w: ``[Lh, C]`` and ``[Lw, C]`` tables.
        q_hw: Query grid ``(qh, qw)``.
        k_hw: Key grid ``(kh, kw)``.
        interp: how tables of another size are resized (:func:`resize_rel_pos`).

    Returns:
        ``rel_h [B, heads, qh * qw, kh]`` and ``rel_w [B, heads, qh * qw, kw]`` in the dtype of ``q``; the bias of
        query i and key (r, c) is ``rel_h[..., i, r] + rel_w[..., i, c]``.
    """
    (qh, qw), (kh, kw) = q_hw, k_hw
    r_h = get_rel_pos(qh, kh, rel_pos_h, interp).to(q.dtype)  # [qh, kh, C]
    r_w = get_rel_pos(qw, kw, rel_pos_w, interp).to(q.dtype)  # [qw, kw, C]
    q_grid = q.unflatten(2, (qh, qw))  # [B, heads, qh, qw, C]
    rel_h = torch.einsum('bnhwc,hkc->bnhwk', q_grid, r_h).flatten(2, 3)
    rel_w = torch.einsum('bnhwc,wkc->bnhwk', q_grid, r_w).flatten(2, 3)
    return rel_h, rel_w


def decomposed_rel_pos_bias(
    q: torch.Tensor,
    rel_pos_h: torch.Tensor,
    rel_pos_w: torch.Tensor,
    q_hw: Tuple[int, int],
    k_hw: Tuple[int, int],
    interp: str = 'linear',
) -> torch.Tensor:
    """Additive attention bias of decomposed relative positions (the reference path: an N x N tensor).

    Args: as :func:`decomposed_rel_pos_terms`.

    Returns:
        ``[B, heads, qh * qw, kh * kw]`` bias in the dtype of ``q``.
    """
    rel_h, rel_w = decomposed_rel_pos_terms(q, rel_pos_h, rel_pos_w, q_hw, k_hw, interp)
    (kh, kw) = k_hw
    bias = rel_h[..., :, None] + rel_w[..., None, :]  # [B, heads, Nq, kh, kw]
    return bias.flatten(-2)
