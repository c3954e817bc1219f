"""Maskness rescoring, EVA's mask test protocol (docs/recipes.md#detection; official `roi_heads/cascade_rcnn.py`).

Each detection's score is multiplied by its *maskness*: the mean predicted mask probability over the pixels the
mask head is confident about (probability > `thr`). A box whose mask is crisp keeps its score; a box with a vague
mask is ranked lower, which helps mask AP (and box AP, since mmdet reports both from the same scores).
"""
from typing import List, Optional

import torch
from mmdet.models.roi_heads.mask_heads import FCNMaskHead
from mmengine.structures import InstanceData
from torch import Tensor

from eva_mm.registry import MODELS

__all__ = ['MasknessFCNMaskHead', 'maskness']


def maskness(mask_probs: Tensor, thr: float = 0.5) -> Tensor:
    """Mean probability over the pixels above `thr`, per mask: [N, H, W] in [0, 1] -> [N] (0 for empty masks)."""
    if mask_probs.dim() != 3:
        raise ValueError(f'maskness expects mask probabilities [N, H, W], got {tuple(mask_probs.shape)}')
    confident = (mask_probs > thr).to(mask_probs.dtype)
    # clamp: a mask with no confident pixel gets 0 / 1 = 0 instead of NaN.
    return (mask_probs * confident).sum((1, 2)) / confident.sum((1, 2)).clamp(min=1.)


def select_class_masks(mask_preds: Tensor, labels: Tensor) -> Tensor:
    """Each RoI's mask for its own label: [N, K, H, W] (K classes, or 1 if class-agnostic) -> [N, H, W]."""
    if mask_preds.shape[1] == 1:
        return mask_preds[:, 0]
    return mask_preds[torch.arange(len(labels), device=labels.device), labels]


@MODELS.register_module()
class MasknessFCNMaskHead(FCNMaskHead):
    """mmdet's `FCNMaskHead` plus optional maskness rescoring at test time.

    Rescoring is switched on by the RoI head's test config: `test_cfg.rcnn.maskness_thr=0.5` (EVA's value); absent
    or None leaves mmdet's behaviour unchanged. Training is untouched.
    """

    def predict_by_feat(self, mask_preds: tuple, results_list: List[InstanceData], batch_img_metas: List[dict],
                        rcnn_test_cfg, rescale: bool = False, activate_map: bool = False) -> List[InstanceData]:
        """As `FCNMaskHead.predict_by_feat`; with `rcnn_test_cfg.maskness_thr` set, scores are multiplied by the
        maskness of each detection's (28x28, pre-paste) mask before the masks are pasted."""
        thr: Optional[float] = rcnn_test_cfg.get('maskness_thr', None)
        if thr is not None:
            for preds, results in zip(mask_preds, results_list):
                if len(results) == 0:
                    continue
                # Cascade passes averaged probabilities (activate_map=True), single-stage heads raw logits.
                probs = preds if activate_map else preds.sigmoid()
                results.scores = results.scores * maskness(select_class_masks(probs, results.labels).float(), thr)
        return super().predict_by_feat(mask_preds, results_list, batch_img_metas, rcnn_test_cfg, rescale,
                                       activate_map)
