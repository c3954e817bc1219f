"""Space-time position embedding resizing (trilinear), shared by the video backbone and its checkpoint loader."""
from typing import Tuple

import torch
import torch.nn.functional as F

__all__ = ['resize_video_grid_embed', 'resize_video_pos_embed']


def resize_video_grid_embed(grid: torch.Tensor, thw: Tuple[int, int, int]) -> torch.Tensor:
    """Trilinearly resize a ``[1, T, h, w, D]`` embedding grid to ``thw`` (``[1, T', h', w', D]``).

    As the official EVA video loader (``EVA-01/video/models/clip_mae.py``: ``mode='trilinear'``,
    ``align_corners=False``), computed in float32 and returned in the input dtype.
    """
    if tuple(grid.shape[1:4]) == tuple(thw):
        return grid
    y = F.interpolate(grid.permute(0, 4, 1, 2, 3).float(), size=tuple(thw), mode='trilinear', align_corners=False)
    return y.permute(0, 2, 3, 4, 1).to(grid.dtype)


def resize_video_pos_embed(pos_embed: torch.Tensor, old_thw: Tuple[int, int, int],
                           new_thw: Tuple[int, int, int]) -> torch.Tensor:
    """``[1, 1 + T * h * w, D]`` (cls slot first) -> ``[1, 1 + T' * h' * w', D]``, the cls slot unchanged."""
    if pos_embed.shape[1] != 1 + old_thw[0] * old_thw[1] * old_thw[2]:
        raise ValueError(f'pos_embed has {pos_embed.shape[1]} slots, not 1 + T*h*w for (T, h, w) = {old_thw}')
    grid = resize_video_grid_embed(pos_embed[:, 1:].unflatten(1, tuple(old_thw)), new_thw)
    return torch.cat((pos_embed[:, :1], grid.flatten(1, 3)), dim=1)
