"""The EVA MIM loss: negative cosine similarity between predicted and teacher features at masked patches.

EVA (arXiv 2211.07636) and EVA-02 (arXiv 2303.11331) compute ``-CosineSimilarity(dim=-1)(pred, target).mean()``
over the masked tokens only, in fp32; it falls from about 0 towards -1 (the official EVA-01 log ends near -0.75).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule

from eva_mm.registry import MODELS

__all__ = ['NegativeCosineSimilarityLoss', 'negative_cosine_similarity']


def negative_cosine_similarity(pred: torch.Tensor, target: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Mean of ``-cos(pred_i, target_i)`` over rows, computed in fp32.

    Args:
        pred: ``[M, C]`` predictions (the masked tokens, already selected).
        target: ``[M, C]`` teacher features at the same tokens.
        eps: Lower bound of each norm (as ``torch.nn.CosineSimilarity``).

    Returns:
        A scalar in ``[-1, 1]``.
    """
    if pred.shape != target.shape:
        raise ValueError(f'negative_cosine_similarity: pred {tuple(pred.shape)} and target '
                         f'{tuple(target.shape)} differ in shape')
    if pred.shape[0] == 0:
        raise ValueError('negative_cosine_similarity: no masked tokens (did the mask transform run?)')
    # fp32 even under autocast: half-precision norms of 1024-d features lose the small cosine differences.
    return -F.cosine_similarity(pred.float(), target.float(), dim=-1, eps=eps).mean()


@MODELS.register_module()
class NegativeCosineSimilarityLoss(BaseModule):
    """``loss_weight * negative_cosine_similarity(pred, target)`` on already selected (masked) tokens.

    Args:
        loss_weight: Multiplier of the loss.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """``pred``, ``target``: ``[M, C]``; returns a scalar."""
        return self.loss_weight * negative_cosine_similarity(pred, target)
