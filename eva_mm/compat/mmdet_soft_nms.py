"""mmdet's soft-NMS, all classes of an image at once, when eva_mm's `mmcv._ext` stand-in is in use.

mmcv's `batched_nms` runs `soft_nms` once per class above `split_thr` (10,000) candidates, each a loop with one
host round trip per kept box; EVA's test protocol (1,000 RoIs x 80 or 1,203 classes, score threshold 0 or 0.001)
makes that the slowest part of testing. Both entry points are rerouted to `ext_ops.soft_nms_batched` for
`nms=dict(type='soft_nms', ...)` only, with the same config keys and results:

* `mmdet.models.layers.multiclass_nms` (the R-CNN heads): it knows the boxes are class-agnostic (ViTDet's cascade
  regresses one box per RoI), so one RoI x RoI weight matrix serves every class, and it knows `max_num`, so the
  loop stops once nothing can enter the image's top `max_num`.
* `mmcv.ops.batched_nms` (any other caller, e.g. test-time augmentation): per-candidate boxes.

Semantics (`ext_ops.soft_nms_batched`): class-wise groups, or one group with `class_agnostic=True` whatever the
number of candidates (`split_thr` is not needed: no step holds more than one weight per candidate). IoUs are those
of the real boxes (mmcv offsets each class's boxes by a large coordinate, which only rounds them). A compiled mmcv
keeps mmcv's own path.
"""
import sys
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

import torch
from torch import Tensor

from .ext_ops.soft_nms_batched import SOFT_NMS_METHODS, grouped_soft_nms, weights_from_boxes
from .import_hooks import when_imported

__all__ = ['batched_soft_nms', 'multiclass_soft_nms', 'soft_nms_settings', 'install']

# mmcv.ops.soft_nms's defaults.
_DEFAULTS = dict(iou_threshold=0.3, sigma=0.5, min_score=1e-3, method='linear', offset=0)
# Keys of mmcv's batched_nms itself; split_thr is accepted and has nothing left to do.
_BATCHED_KEYS = ('type', 'class_agnostic', 'split_thr', 'max_num')


def soft_nms_settings(nms_cfg: Optional[Mapping[str, Any]]) -> Optional[Dict[str, Any]]:
    """The soft-NMS settings of an mmdet `nms` config, or None when it is not `type='soft_nms'`.

    Raises:
        ValueError: naming an unknown key or method, as one message.
    """
    if nms_cfg is None or nms_cfg.get('type', 'nms') != 'soft_nms':
        return None
    unknown = sorted(set(nms_cfg) - set(_DEFAULTS) - set(_BATCHED_KEYS))
    if unknown:
        raise ValueError(f"nms=dict(type='soft_nms', ...): unknown key(s) {unknown}; allowed: "
                         f'{sorted(set(_DEFAULTS) | set(_BATCHED_KEYS))}')
    settings = {k: nms_cfg.get(k, v) for k, v in _DEFAULTS.items()}
    if settings['method'] not in SOFT_NMS_METHODS.values():
        raise ValueError(f"nms=dict(type='soft_nms', method={settings['method']!r}): method must be one of "
                         f'{sorted(SOFT_NMS_METHODS.values())}')
    if settings['offset'] not in (0, 1):
        raise ValueError(f"nms=dict(type='soft_nms', offset={settings['offset']!r}): offset must be 0 or 1")
    settings['class_agnostic'] = nms_cfg.get('class_agnostic', None)
    settings['max_num'] = nms_cfg.get('max_num', -1)
    return settings


def _top(a: int, b: int) -> int:
    """The tighter of two `max_num` limits (<= 0 means none)."""
    limits = [n for n in (a, b) if n > 0]
    return min(limits) if limits else -1


def batched_soft_nms(boxes: Tensor, scores: Tensor, idxs: Tensor, settings: Dict[str, Any],
                     class_agnostic: bool = False, max_num: int = -1) -> Tuple[Tensor, Tensor]:
    """`mmcv.ops.batched_nms` for soft-NMS settings: boxes [N, 4], scores [N], idxs [N] (class of each box).

    Returns:
        dets [K, 5] (boxes and decayed scores) and keep [K] (indices into the inputs), by decreasing score.
    """
    agnostic = settings['class_agnostic'] if settings['class_agnostic'] is not None else class_agnostic
    cands = torch.arange(len(scores), device=scores.device)
    groups = torch.zeros_like(cands) if agnostic or len(idxs) == 0 else torch.unique(idxs, return_inverse=True)[1]
    weights = weights_from_boxes(boxes, settings['method'], settings['iou_threshold'], settings['sigma'],
                                 settings['offset'])
    keep, kept = grouped_soft_nms(groups, scores, cands, cands, weights, settings['min_score'],
                                  _top(max_num, settings['max_num']))
    return torch.cat([boxes[keep], kept[:, None]], -1), keep


def multiclass_soft_nms(multi_bboxes: Tensor, multi_scores: Tensor, score_thr: float, settings: Dict[str, Any],
                        max_num: int = -1, score_factors: Optional[Tensor] = None,
                        return_inds: bool = False) -> Tuple[Tensor, ...]:
    """`mmdet.models.layers.multiclass_nms` for soft-NMS settings and 4-d boxes, same arguments and results.

    Args:
        multi_bboxes: [n, 4] class-agnostic boxes or [n, C * 4] class-specific ones.
        multi_scores: [n, C + 1] scores, background last.
    """
    num_rois, num_classes = multi_scores.size(0), multi_scores.size(1) - 1
    scores = multi_scores[:, :-1]
    valid = scores > score_thr  # before the score factors, as mmdet does
    if score_factors is not None:
        scores = scores * score_factors.view(-1, 1)
    rois, labels = valid.nonzero().unbind(1)  # row-major, as mmdet's flattening
    inds = rois * num_classes + labels  # candidate r * C + c: RoI r, class c
    cand_scores = scores[rois, labels]  # no copy of the whole [n, C] slice
    if len(inds) == 0:
        dets = multi_scores.new_zeros((0, 5))
        return (dets, labels, inds) if return_inds else (dets, labels)
    if multi_bboxes.shape[1] > 4:  # class-specific: candidate r * C + c has its own box
        boxes, keys = multi_bboxes.reshape(num_rois * num_classes, 4), inds
    else:  # class-agnostic: every class of RoI r shares box r (only the RoIs that have candidates)
        present, keys = torch.unique(rois, return_inverse=True)
        boxes = multi_bboxes[present]
    weights = weights_from_boxes(boxes, settings['method'], settings['iou_threshold'], settings['sigma'],
                                 settings['offset'])
    groups = torch.zeros_like(labels) if settings['class_agnostic'] else labels
    keep, kept = grouped_soft_nms(groups, cand_scores, inds, keys, weights, settings['min_score'],
                                  _top(max_num, settings['max_num']))
    kept_boxes = boxes[keep] if multi_bboxes.shape[1] > 4 else multi_bboxes[keep // num_classes]
    dets = torch.cat([kept_boxes, kept[:, None]], -1)
    labels = keep % num_classes
    return (dets, labels, keep) if return_inds else (dets, labels)


def _wrap_batched_nms(original: Callable) -> Callable:
    def batched_nms(boxes: Tensor, scores: Tensor, idxs: Tensor, nms_cfg: Optional[Dict],
                    class_agnostic: bool = False) -> Tuple[Tensor, Tensor]:
        settings = soft_nms_settings(nms_cfg) if isinstance(nms_cfg, Mapping) else None
        if settings is None or boxes.size(-1) != 4:
            return original(boxes, scores, idxs, nms_cfg, class_agnostic)
        return batched_soft_nms(boxes, scores, idxs, settings, class_agnostic)

    batched_nms.__doc__ = original.__doc__
    batched_nms.__wrapped__ = original
    return batched_nms


def _wrap_multiclass_nms(original: Callable) -> Callable:
    def multiclass_nms(multi_bboxes: Tensor, multi_scores: Tensor, score_thr: float, nms_cfg: Any,
                       max_num: int = -1, score_factors: Optional[Tensor] = None, return_inds: bool = False,
                       box_dim: int = 4) -> Tuple[Tensor, ...]:
        settings = soft_nms_settings(nms_cfg) if isinstance(nms_cfg, Mapping) else None
        if settings is None or box_dim != 4 or torch.onnx.is_in_onnx_export():
            return original(multi_bboxes, multi_scores, score_thr, nms_cfg, max_num, score_factors, return_inds,
                            box_dim)
        return multiclass_soft_nms(multi_bboxes, multi_scores, score_thr, settings, max_num, score_factors,
                                   return_inds)

    multiclass_nms.__doc__ = original.__doc__
    multiclass_nms.__wrapped__ = original
    return multiclass_nms


def _rebind(name: str, original: Callable, replacement: Callable) -> None:
    """Point every already-imported module's `name` that is `original` at `replacement`."""
    for module in list(sys.modules.values()):
        # The module's own namespace only: getattr would wake lazy modules (and the stand-in makes up stubs).
        if getattr(module, '__dict__', {}).get(name) is original:
            setattr(module, name, replacement)


def _patch(attr: str, wrap: Callable[[Callable], Callable]) -> Callable:
    def fix(module) -> None:
        original = getattr(module, attr)
        if getattr(original, '__wrapped__', None) is not None:
            return  # already routed
        _rebind(attr, original, wrap(original))
    return fix


def install() -> None:
    """Reroute soft-NMS as soon as mmcv's and mmdet's NMS modules are imported (only the stand-in's users)."""
    when_imported('mmcv.ops.nms', _patch('batched_nms', _wrap_batched_nms))
    when_imported('mmdet.models.layers.bbox_nms', _patch('multiclass_nms', _wrap_multiclass_nms))
