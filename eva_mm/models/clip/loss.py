"""Symmetric InfoNCE of CLIP (arXiv 2103.00020 Fig. 3) over all ranks' features, gathered with gradients.

Distributed exactly like one big batch: every rank gathers all features (``torch.distributed.nn.all_gather`` keeps
the gradient path to each rank's own features). With ``local_loss`` a rank scores only its own rows against all
columns (open_clip's ``local_loss``, the EVA-CLIP recipes' setting). Each rank's rows are a slice of the full
logits, so the mean over ranks of the local losses is the one-process loss of the concatenated batch; the gather's
backward sums every rank's gradient into the owner's features, and the data-parallel gradient average then gives
the one-process gradient.
"""
from __future__ import annotations

import torch
import torch.distributed as dist
import torch.distributed.nn  # noqa: F401  (the autograd-aware collectives)
import torch.nn.functional as F
from torch import nn

__all__ = ['ClipLoss', 'gather_with_grad']


def gather_with_grad(x: torch.Tensor) -> torch.Tensor:
    """``[B, D]`` on each of W ranks -> ``[W * B, D]`` in rank order, differentiable; identity without a group."""
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return x
    return torch.cat(torch.distributed.nn.all_gather(x), dim=0)


class ClipLoss(nn.Module):
    """``(CE(s * I @ T^T, y) + CE(s * T @ I^T, y)) / 2`` with ``y`` the matching pairs.

    Args:
        local_loss: Score only this rank's rows against the gathered columns (memory ``B x W*B`` per rank instead
            of ``W*B x W*B``). Both settings give the one-process loss of the whole batch and its gradients once the
            data-parallel wrapper averages gradients over ranks.
    """

    def __init__(self, local_loss: bool = True) -> None:
        super().__init__()
        self.local_loss = local_loss

    def forward(self, image_feats: torch.Tensor, text_feats: torch.Tensor, logit_scale: torch.Tensor) -> torch.Tensor:
        """Normalised ``[B, D]`` image and text features of matching pairs, scalar ``logit_scale`` (already exp'd)
        -> scalar loss."""
        if image_feats.shape != text_feats.shape:
            raise ValueError(f'ClipLoss: image {tuple(image_feats.shape)} and text {tuple(text_feats.shape)} '
                             'features must pair up')
        all_img, all_txt = gather_with_grad(image_feats), gather_with_grad(text_feats)
        b = image_feats.shape[0]
        rank = dist.get_rank() if all_img.shape[0] != b else 0
        if self.local_loss:
            logits_i = logit_scale * image_feats @ all_txt.t()
            logits_t = logit_scale * text_feats @ all_img.t()
            labels = torch.arange(b, device=image_feats.device) + rank * b
        else:
            logits_i = logit_scale * all_img @ all_txt.t()
            logits_t = logits_i.t()
            labels = torch.arange(all_img.shape[0], device=image_feats.device)
        return (F.cross_entropy(logits_i, labels) + F.cross_entropy(logits_t, labels)) / 2
