"""MIM-CLIP head: predict the teacher's features at masked patches (EVA ``lm_head``, arXiv 2211.07636 §2).

The student's final LayerNorm lives in the backbone (``EVA(final_norm=True)``, the official ``norm``) so that the
exported backbone keeps it; this head is the linear map to the teacher's width applied to the masked tokens only.
"""
from __future__ import annotations

from typing import Optional

import torch
from mmengine.model import BaseModule
from torch import nn

from eva_mm.registry import MODELS

__all__ = ['MIMCLIPHead']


@MODELS.register_module()
class MIMCLIPHead(BaseModule):
    """Linear ``in_channels -> target_channels`` on masked tokens, and the loss against teacher features.

    Args:
        in_channels: Student width.
        target_channels: Teacher feature width (768 for OpenAI CLIP-L/14, 1024 for EVA-CLIP g/14).
        loss: Loss config taking ``(pred [M, C], target [M, C])``.
        init_std: Std of the truncated-normal weight init (EVA-01 MIM uses 0.015 for every Linear).
        init_cfg: mmengine init config.
    """

    def __init__(self, in_channels: int, target_channels: int,
                 loss: dict = dict(type='NegativeCosineSimilarityLoss'), init_std: float = 0.02,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.lm_head = nn.Linear(in_channels, target_channels)
        nn.init.trunc_normal_(self.lm_head.weight, std=init_std)
        nn.init.zeros_(self.lm_head.bias)
        self.loss_module = MODELS.build(loss)

    @staticmethod
    def select_masked(tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Rows of ``tokens`` ``[B, N, C]`` where ``mask`` ``[B, N]`` is True: ``[M, C]`` (M = mask.sum())."""
        if tokens.shape[:2] != mask.shape:
            raise ValueError(f'MIMCLIPHead: tokens {tuple(tokens.shape)} and mask {tuple(mask.shape)} disagree on '
                             '[B, N]; do the student and teacher use the same patch grid?')
        return tokens[mask.bool()]

    def forward(self, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Predictions ``[M, target_channels]`` for the masked patch tokens (``tokens`` ``[B, N, C]``)."""
        return self.lm_head(self.select_masked(tokens, mask))

    def loss(self, tokens: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Loss between predictions at masked tokens and the teacher's ``target`` ``[B, N, T]`` there."""
        return self.loss_module(self(tokens, mask), self.select_masked(target, mask))
