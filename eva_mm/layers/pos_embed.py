"""Absolute position embedding resampling (bicubic), shared by the model at run time and the converter."""
from typing import Tuple

import torch
import torch.nn.functional as F

__all__ = ['resample_grid_embed', 'resample_abs_pos_embed']


def resample_grid_embed(
    grid_embed: torch.Tensor, new_hw: Tuple[int, int], antialias: bool = False
) -> torch.Tensor:
    """Bicubically resample a grid of embeddings.

    Args:
        grid_embed: ``[1, H, W, C]`` embeddings.
        new_hw: Target ``(H', W')``.
        antialias: Use the antialiased bicubic kernel. The official EVA/ViTDet route (``get_abs_pos`` and
            ``interpolate_patch_14to16``) does not; timm's ``resample_abs_pos_embed`` does.

    Returns:
        ``[1, H', W', C]`` in the input dtype.
    """
    if tuple(grid_embed.shape[1:3]) == tuple(new_hw):
        return grid_embed
    x = grid_embed.permute(0, 3, 1, 2).float()  # interpolate in float32: fp16 checkpoints would lose precision
    x = F.interpolate(x, size=tuple(new_hw), mode='bicubic', align_corners=False, antialias=antialias)
    return x.permute(0, 2, 3, 1).to(grid_embed.dtype)


def resample_abs_pos_embed(
    pos_embed: torch.Tensor,
    old_hw: Tuple[int, int],
    new_hw: Tuple[int, int],
    num_prefix_tokens: int = 1,
    antialias: bool = False,
) -> torch.Tensor:
    """Resample a flat absolute position embedding with leading prefix (cls) slots.

    Args:
        pos_embed: ``[1, num_prefix_tokens + H * W, C]``.
        old_hw: Grid ``(H, W)`` the embedding was learned for.
        new_hw: Target grid.
        num_prefix_tokens: Leading slots kept unchanged.
        antialias: See :func:`resample_grid_embed`.

    Returns:
        ``[1, num_prefix_tokens + H' * W', C]``.
    """
    prefix, grid = pos_embed[:, :num_prefix_tokens], pos_embed[:, num_prefix_tokens:]
    grid = grid.reshape(1, old_hw[0], old_hw[1], -1)
    grid = resample_grid_embed(grid, new_hw, antialias=antialias).flatten(1, 2)
    return torch.cat([prefix, grid], dim=1)
