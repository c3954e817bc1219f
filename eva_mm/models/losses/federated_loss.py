"""Federated sigmoid cross-entropy for long-tailed detection (Zhou et al., "Probabilistic two-stage detection",
arXiv 2103.07461), the LVIS classification loss of ViTDet and EVA (docs/recipes.md#detection; detectron2
`FastRCNNOutputLayers(use_sigmoid_ce=True, use_fed_loss=True)`).

LVIS is federated: an image is only exhaustively labelled for some classes, so penalising every absent class
would punish correct detections of rare classes. Per batch, the loss only covers the classes present among the
RoI labels plus negatives sampled (without replacement) with probability proportional to the class frequency
(images per class) to the power 0.5, `num_fed_classes` (50) in total.
"""
import json
from typing import Dict, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.fileio import get_local_path
from torch import Tensor, nn

from eva_mm.registry import MODELS

__all__ = ['FederatedLoss', 'fed_loss_classes', 'load_class_image_counts']


def load_class_image_counts(ann_file: str) -> Tensor:
    """Per-class image counts [K] (float) from an LVIS annotation file's `categories[*].image_count`, by id."""
    with get_local_path(ann_file) as path, open(path) as f:
        categories = json.load(f)['categories']
    if any('image_count' not in c for c in categories):
        raise KeyError(f'FederatedLoss: {ann_file} has categories without image_count (not an LVIS v1 file?)')
    categories = sorted(categories, key=lambda c: c['id'])
    return torch.tensor([float(c['image_count']) for c in categories])


def fed_loss_classes(labels: Tensor, num_classes: int, num_fed_classes: int, weight: Tensor,
                     generator: Optional[torch.Generator] = None) -> Tensor:
    """Classes the federated loss covers for one batch.

    Args:
        labels: [N] RoI labels in [0, K]; K is background.
        num_classes: K.
        num_fed_classes: target count. As in detectron2, the unique labels (background included, if present)
            count towards it, and the rest is filled with sampled foreground classes absent from `labels`.
        weight: [K] sampling weights (class frequency ** power).

    Returns:
        [M] class indices (may include K, which the caller drops); M = max(num unique labels, num_fed_classes)
        when enough classes have positive weight.
    """
    present = torch.unique(labels)
    missing = num_fed_classes - len(present)
    if missing <= 0:
        return present
    prob = weight.to(device=labels.device, dtype=torch.float).clone()
    prob[present[present < num_classes]] = 0
    missing = min(missing, int((prob > 0).sum()))
    if missing == 0:
        return present
    sampled = torch.multinomial(prob, missing, replacement=False, generator=generator)
    return torch.cat([present, sampled])


@MODELS.register_module()
class FederatedLoss(nn.Module):
    """Sigmoid cross-entropy over the federated class subset, for mmdet's `BBoxHead(loss_cls=...)`.

    The head gets K + 1 logits (mmdet's layout, background last); the background logit is never trained or used,
    as in detectron2's sigmoid CE. Scores at test time are the sigmoids of the K class logits.

    Args:
        num_classes: K (1203 for LVIS v1).
        class_freq: per-class image counts [K], or the path of an LVIS annotation file to read them from
            (read on first use, so a config can build the model before the data is there).
        freq_power: sampling weight = freq ** freq_power (0.5).
        num_fed_classes: classes per batch (50).
        loss_weight: multiplies the loss.
    """

    use_sigmoid = True
    custom_cls_channels = True  # BBoxHead asks get_cls_channels()
    custom_activation = True  # ... and get_activation() / get_accuracy()
    custom_accuracy = True

    def __init__(self, num_classes: int, class_freq: Union[str, Sequence[float]], freq_power: float = 0.5,
                 num_fed_classes: int = 50, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.class_freq = class_freq
        self.freq_power = freq_power
        self.num_fed_classes = num_fed_classes
        self.loss_weight = loss_weight
        self._weight: Optional[Tensor] = None if isinstance(class_freq, str) else self._check(torch.tensor(
            [float(v) for v in class_freq]))

    def _check(self, freq: Tensor) -> Tensor:
        if freq.shape != (self.num_classes,):
            raise ValueError(f'FederatedLoss: class_freq has shape {tuple(freq.shape)}, '
                             f'expected ({self.num_classes},) for num_classes={self.num_classes}')
        if (freq < 0).any():
            raise ValueError('FederatedLoss: class_freq must be non-negative')
        return freq.pow(self.freq_power)

    @property
    def class_weight(self) -> Tensor:
        """Sampling weights [K] = class_freq ** freq_power."""
        if self._weight is None:
            self._weight = self._check(load_class_image_counts(self.class_freq))
        return self._weight

    def get_cls_channels(self, num_classes: int) -> int:
        return num_classes + 1

    def get_activation(self, cls_score: Tensor) -> Tensor:
        """[N, K+1] logits -> [N, K+1] scores: sigmoid per class, background column 0 (mmdet drops it)."""
        scores = cls_score[:, :-1].sigmoid()
        return torch.cat([scores, scores.new_zeros(len(scores), 1)], dim=1)

    def get_accuracy(self, cls_score: Tensor, labels: Tensor) -> Dict[str, Tensor]:
        """Top-1 accuracy (%) over the foreground RoIs."""
        fg = labels < self.num_classes
        if not fg.any():
            return dict(acc_fg=cls_score.new_tensor(0.))
        hit = cls_score[fg, :-1].argmax(1) == labels[fg]
        return dict(acc_fg=hit.float().mean() * 100)

    def forward(self, cls_score: Tensor, label: Tensor, weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None, reduction_override: Optional[str] = None) -> Tensor:
        """Loss of [N, K+1] logits against [N] labels in [0, K]; `weight` [N] per RoI; mean over `avg_factor`
        (default N) RoIs, as detectron2 divides by the number of sampled RoIs."""
        if cls_score.shape[-1] != self.num_classes + 1:
            raise ValueError(f'FederatedLoss: expected {self.num_classes + 1} logits, got {cls_score.shape[-1]}')
        if reduction_override not in (None, 'mean', 'sum', 'none'):
            raise ValueError(f'FederatedLoss: unknown reduction {reduction_override!r}')
        k = self.num_classes
        logits = cls_score[:, :k]
        target = F.one_hot(label.long(), k + 1)[:, :k].to(logits.dtype)
        loss = F.binary_cross_entropy_with_logits(logits, target, reduction='none')
        classes = fed_loss_classes(label, k, self.num_fed_classes, self.class_weight)
        class_mask = logits.new_zeros(k + 1)
        class_mask[classes] = 1
        loss = loss * class_mask[:k]
        if weight is not None:
            loss = loss * weight.view(-1, 1).to(loss.dtype)
        if reduction_override == 'none':
            return self.loss_weight * loss
        total = loss.sum()
        if reduction_override != 'sum':
            total = total / (avg_factor if avg_factor is not None else max(len(label), 1))
        return self.loss_weight * total
