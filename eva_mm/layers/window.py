"""Non-overlapping window partition with padding (ViTDet, arXiv 2203.16527; detectron2 `backbone/utils.py`).

Tokens stay channels-last. Padding is explicit state returned to the caller, so unpartition can crop it back.
"""
from typing import Tuple

import torch
import torch.nn.functional as F

__all__ = ['window_partition', 'window_unpartition']


def window_partition(x: torch.Tensor, window_size: int) -> Tuple[torch.Tensor, Tuple[int, int]]:
    """Split a token map into square windows, zero-padding the bottom and right edges first.

    Args:
        x: ``[B, H, W, C]`` tokens.
        window_size: Window side in tokens.

    Returns:
        ``windows`` ``[B * nWh * nWw, window_size, window_size, C]`` and the padded size ``(Hp, Wp)``.
    """
    b, h, w, c = x.shape
    pad_h, pad_w = (-h) % window_size, (-w) % window_size
    if pad_h or pad_w:
        x = F.pad(x, (0, 0, 0, pad_w, 0, pad_h))
    hp, wp = h + pad_h, w + pad_w
    x = x.view(b, hp // window_size, window_size, wp // window_size, window_size, c)
    windows = x.permute(0, 1, 3, 2, 4, 5).reshape(-1, window_size, window_size, c)
    return windows, (hp, wp)


def window_unpartition(
    windows: torch.Tensor, window_size: int, pad_hw: Tuple[int, int], hw: Tuple[int, int]
) -> torch.Tensor:
    """Inverse of :func:`window_partition`: stitch windows back and crop the padding.

    Args:
        windows: ``[B * nWh * nWw, window_size, window_size, C]``.
        window_size: Window side in tokens.
        pad_hw: Padded size ``(Hp, Wp)`` returned by :func:`window_partition`.
        hw: Original size ``(H, W)``.

    Returns:
        ``[B, H, W, C]`` tokens.
    """
    hp, wp = pad_hw
    h, w = hw
    n_h, n_w = hp // window_size, wp // window_size
    b = windows.shape[0] // (n_h * n_w)
    x = windows.view(b, n_h, n_w, window_size, window_size, -1).permute(0, 1, 3, 2, 4, 5).reshape(b, hp, wp, -1)
    if hp != h or wp != w:
        x = x[:, :h, :w].contiguous()
    return x
