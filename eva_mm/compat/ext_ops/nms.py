"""Hard and soft non-maximum suppression with `mmcv._ext`'s calling convention."""
import torch
import torchvision
from torch import Tensor

# mmcv's soft-NMS method codes (`mmcv.ops.nms.soft_nms`, `method_dict`).
SOFT_NMS_METHODS = {0: 'naive', 1: 'linear', 2: 'gaussian'}


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


def _iou_one_to_many(box: Tensor, boxes: Tensor, offset: int) -> Tensor:
    """IoU of one box [4] against boxes [M, 4], with mmcv's `offset` convention. Returns [M]."""
    lt = torch.maximum(box[:2], boxes[:, :2])
    rb = torch.minimum(box[2:], boxes[:, 2:])
    wh = (rb - lt + offset).clamp(min=0)
    inter = wh[:, 0] * wh[:, 1]
    area = (box[2] - box[0] + offset) * (box[3] - box[1] + offset)
    areas = (boxes[:, 2] - boxes[:, 0] + offset) * (boxes[:, 3] - boxes[:, 1] + offset)
    return inter / (area + areas - inter)


def soft_nms_weights(iou: Tensor, method: str, iou_threshold: float, sigma: float) -> Tensor:
    """Score multipliers of soft-NMS (Bodla et al. 2017) for overlaps `iou` [M] with the box just kept."""
    if method == 'naive':
        return (iou < iou_threshold).to(iou.dtype)
    if method == 'linear':
        return torch.where(iou >= iou_threshold, 1 - iou, torch.ones_like(iou))
    if method == 'gaussian':
        return torch.exp(-(iou * iou) / sigma)
    raise ValueError(f'soft-NMS method must be one of {sorted(SOFT_NMS_METHODS.values())}, got {method!r}')


def softnms(boxes: Tensor, scores: Tensor, dets: Tensor, iou_threshold: float, sigma: float, min_score: float,
            method: int, offset: int) -> Tensor:
    """Soft-NMS as `mmcv._ext.softnms`: fills `dets` in place and returns the kept indices.

    Repeatedly keeps the highest-scoring remaining box, decays the scores of the others by their overlap with
    it, and drops boxes whose score falls below `min_score`.

    Args:
        boxes: [N, 4] boxes; scores: [N] scores.
        dets: [N, 5] output; rows `[:K]` receive (x1, y1, x2, y2, decayed score) of the kept boxes in the order
            they were kept (decreasing decayed score).
        method: 0 naive (hard), 1 linear, 2 gaussian (mmcv's codes).

    Returns:
        [K] int64 indices into `boxes` of the kept boxes, in the same order as `dets`.
    """
    method_name = SOFT_NMS_METHODS.get(int(method))
    if method_name is None:
        raise ValueError(f'soft-NMS method code must be one of {sorted(SOFT_NMS_METHODS)}, got {method}')
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
        iou = _iou_one_to_many(boxes[i], boxes[rest], offset)
        scores[rest] = scores[rest] * soft_nms_weights(iou, method_name, iou_threshold, sigma)
        alive[rest] = scores[rest] >= min_score
    inds = torch.tensor(keep, dtype=torch.long, device=boxes.device)
    dets[:len(keep), :4] = boxes[inds]
    dets[:len(keep), 4] = scores[inds]
    return inds
