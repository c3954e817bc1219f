"""Hard and soft non-maximum suppression with `mmcv._ext`'s calling convention."""
import torch
import torchvision
from torch import Tensor

from .soft_nms_batched import SOFT_NMS_METHODS, grouped_soft_nms, pairwise_iou, soft_nms_weights, weights_from_boxes

__all__ = ['SOFT_NMS_METHODS', 'nms', 'softnms', 'softnms_reference']


def nms(bboxes: Tensor, scores: Tensor, iou_threshold: float, offset: int = 0) -> Tensor:
    """Greedy NMS as `mmcv._ext.nms`.

    Args:
        bboxes: [N, 4] boxes (x1, y1, x2, y2).
        scores: [N] scores.
        iou_threshold: a box is dropped when its IoU with a kept, higher-scoring box is above this.
        offset: 0 or 1; widths are `x2 - x1 + offset` (the legacy pixel convention).

    Returns:
        [K] int64 indices of the kept boxes, by decreasing score.
    """
    if offset:
        # With offset 1 every width and height and every intersection side grows by 1, which is exactly
        # torchvision's IoU on boxes whose far corner is moved out by 1.
        bboxes = torch.cat([bboxes[:, :2], bboxes[:, 2:] + offset], dim=1)
    return torchvision.ops.nms(bboxes, scores, float(iou_threshold))


def _method_name(method: int) -> str:
    name = SOFT_NMS_METHODS.get(int(method))
    if name is None:
        raise ValueError(f'soft-NMS method code must be one of {sorted(SOFT_NMS_METHODS)}, got {method}')
    return name


def softnms(boxes: Tensor, scores: Tensor, dets: Tensor, iou_threshold: float, sigma: float, min_score: float,
            method: int, offset: int) -> Tensor:
    """Soft-NMS as `mmcv._ext.softnms`: fills `dets` in place and returns the kept indices.

    Repeatedly keeps the highest-scoring remaining box, decays the scores of the others by their overlap with
    it, and drops boxes whose score falls below `min_score`. Runs on the boxes' device through the batched loop
    (one group), with the results of :func:`softnms_reference`.

    Args:
        boxes: [N, 4] boxes; scores: [N] scores.
        dets: [N, 5] output; rows `[:K]` receive (x1, y1, x2, y2, decayed score) of the kept boxes in the order
            they were kept (decreasing decayed score).
        method: 0 naive (hard), 1 linear, 2 gaussian (mmcv's codes).

    Returns:
        [K] int64 indices into `boxes` of the kept boxes, in the same order as `dets`.
    """
    name = _method_name(method)
    cands = torch.arange(len(scores), device=scores.device)
    inds, kept = grouped_soft_nms(torch.zeros_like(cands), scores, cands, cands,
                                  weights_from_boxes(boxes, name, iou_threshold, sigma, offset), min_score)
    dets[:len(inds), :4] = boxes[inds]
    dets[:len(inds), 4] = kept
    return inds


def softnms_reference(boxes: Tensor, scores: Tensor, dets: Tensor, iou_threshold: float, sigma: float,
                      min_score: float, method: int, offset: int) -> Tensor:
    """The sequential definition of :func:`softnms` (same arguments and results): one box per iteration.

    Kept as the reference the batched loop is tested against; on ties the first box (lowest index) wins.
    """
    name = _method_name(method)
    scores = scores.clone()
    alive = torch.ones_like(scores, dtype=torch.bool)
    keep = []
    while bool(alive.any()):
        i = int(torch.where(alive, scores, scores.new_tensor(float('-inf'))).argmax())
        keep.append(i)
        alive[i] = False
        rest = alive.nonzero().squeeze(1)
        if rest.numel() == 0:
            break
        iou = pairwise_iou(boxes[i], boxes[rest], offset)
        scores[rest] = scores[rest] * soft_nms_weights(iou, name, iou_threshold, sigma)
        alive[rest] = scores[rest] >= min_score
    inds = torch.tensor(keep, dtype=torch.long, device=boxes.device)
    dets[:len(keep), :4] = boxes[inds]
    dets[:len(keep), 4] = scores[inds]
    return inds
