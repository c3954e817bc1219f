"""EVA's test-time post-processing at the recipes' real sizes: soft-NMS against hard NMS on the same input.

Each protocol is one image's R-CNN output as mmdet's ``multiclass_nms`` receives it (1,000 RoIs, class-agnostic
boxes, softmax scores with a background column), run through the recipe's test config. Three candidates, timed
round-robin in one run: the batched soft-NMS (what eva_mm runs), mmdet's hard NMS with the same IoU threshold and
class grouping (mmcv's ``batched_nms`` over torchvision), and optionally the sequential soft-NMS eva_mm ran before
(mmcv's per-class loop over the one-box-at-a-time stand-in), which is minutes per image for the 0.001-threshold
LVIS protocols.

The outputs are generated (:func:`synthetic_rcnn_outputs`): RoIs jittered around a few objects plus background
boxes, the object's class scoring with the RoI's overlap, a few confusable classes, and a log-normal tail over the
rest, so that per-class candidate counts and overlaps look like a trained detector's rather than uniform noise.
"""
from __future__ import annotations

import contextlib
import importlib
import math
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import torch
from torch import Tensor

from .measure import interleaved_times, median, synchronize

__all__ = ['PROTOCOLS', 'synthetic_rcnn_outputs', 'sequential_soft_nms', 'run_postprocess']

#: name -> (classes, score_thr, soft-NMS min_score, max_per_img, class_agnostic, objects per image); the values
#: of configs/_base_/models/cascade-mask-rcnn_eva-vitdet*.py and the LVIS configs. As in the official
#: ``fast_rcnn.py`` of EVA-01 and EVA-02, soft-NMS is class-wise and keeps decayed scores down to 1e-3 (or the
#: protocol's score threshold). ``lvis_eva01`` (1,000 detections at 0.001) is also the EVA-02-L-1536 protocol.
PROTOCOLS: Dict[str, Tuple[int, float, float, int, bool, int]] = {
    'coco_eva02': (80, 0.0, 1e-3, 100, False, 7),
    'lvis_eva02': (1203, 0.02, 1e-3, 300, False, 12),
    'lvis_eva01': (1203, 0.001, 0.001, 1000, False, 12),
}


def synthetic_rcnn_outputs(num_rois: int, num_classes: int, num_objects: int, img_size: int = 1024,
                           seed: int = 0) -> Tuple[Tensor, Tensor]:
    """One image's cascade output: class-agnostic boxes [num_rois, 4] and scores [num_rois, num_classes + 1].

    80% of the RoIs are jittered copies of an object's box (quality = their IoU with it), the rest random
    background boxes. A RoI's foreground probability grows with its quality; 80% of it goes to the object's
    class, 20% to three classes it is confused with, and 10% of the remaining mass spreads log-normally over all
    classes (the long tail a 0.001 threshold keeps part of); the background column takes the rest.
    """
    g = torch.Generator().manual_seed(seed)
    size = torch.exp(torch.rand(num_objects, 2, generator=g) * math.log(12) + math.log(32))  # 32..384 px
    corner = torch.rand(num_objects, 2, generator=g) * (img_size - size)
    objects = torch.cat([corner, corner + size], 1)
    obj_cls = torch.randint(0, num_classes, (num_objects, 4), generator=g)  # own class, then 3 confusable ones
    num_fg = int(0.8 * num_rois)
    which = torch.randint(0, num_objects, (num_fg,), generator=g)
    ctr = (objects[which, :2] + objects[which, 2:]) / 2 + torch.randn(num_fg, 2, generator=g) * 0.12 * size[which]
    wh = size[which] * torch.exp(torch.randn(num_fg, 2, generator=g) * 0.2)
    fg = torch.cat([ctr - wh / 2, ctr + wh / 2], 1)
    bg_wh = torch.exp(torch.rand(num_rois - num_fg, 2, generator=g) * math.log(16) + math.log(16))
    bg_xy = torch.rand(num_rois - num_fg, 2, generator=g) * img_size
    boxes = torch.cat([fg, torch.cat([bg_xy, bg_xy + bg_wh], 1)]).clamp(0, img_size)
    from eva_mm.compat.ext_ops.soft_nms_batched import pairwise_iou
    quality = torch.zeros(num_rois)
    quality[:num_fg] = pairwise_iou(boxes[:num_fg], objects[which])
    p_fg = torch.sigmoid(12 * (quality - 0.55))
    scores = torch.zeros(num_rois, num_classes + 1)
    tail = torch.exp(torch.randn(num_rois, num_classes, generator=g) * 1.5)
    scores[:, :-1] = 0.1 * (1 - p_fg)[:, None] * tail / tail.sum(1, keepdim=True)
    rows = torch.arange(num_fg)
    split = torch.rand(num_fg, 3, generator=g)
    scores[rows, obj_cls[which, 0]] += 0.8 * p_fg[:num_fg]
    for k in range(3):
        scores[rows, obj_cls[which, k + 1]] += 0.2 * p_fg[:num_fg] * split[:, k] / split.sum(1)
    scores[:, -1] = (1 - scores[:, :-1].sum(1)).clamp(min=0)
    return boxes, scores / scores.sum(1, keepdim=True)


@contextlib.contextmanager
def sequential_soft_nms() -> Iterator[None]:
    """Within the block, soft-NMS runs as before the batched loop: mmdet's and mmcv's own functions over the
    stand-in's one-box-at-a-time ``softnms`` (no-op for the parts a compiled mmcv serves)."""
    from eva_mm.compat.ext_ops.nms import softnms_reference
    mmcv_nms = importlib.import_module('mmcv.ops.nms')  # `mmcv.ops.nms` the attribute is the function
    ext = mmcv_nms.ext_module
    saved = ext.softnms
    ext.softnms = softnms_reference
    patched = {}
    from mmdet.models.roi_heads.bbox_heads import bbox_head
    for module, name in ((bbox_head, 'multiclass_nms'), (mmcv_nms, 'batched_nms')):
        fn = getattr(module, name)
        if hasattr(fn, '__wrapped__'):
            patched[(module, name)] = fn
            setattr(module, name, fn.__wrapped__)
    # mmdet's own multiclass_nms calls mmcv's batched_nms through its module's binding.
    import mmdet.models.layers.bbox_nms as bbox_nms
    if hasattr(bbox_nms.batched_nms, '__wrapped__'):
        patched[(bbox_nms, 'batched_nms')] = bbox_nms.batched_nms
        bbox_nms.batched_nms = bbox_nms.batched_nms.__wrapped__
    try:
        yield
    finally:
        ext.softnms = saved
        for (module, name), fn in patched.items():
            setattr(module, name, fn)


def run_postprocess(device: torch.device, protocols: Optional[Sequence[str]] = None, num_rois: int = 1000,
                    sequential: Sequence[str] = (), warmup: int = 1, repeats: int = 3,
                    seed: int = 0) -> Dict[str, object]:
    """Per-image post-processing time of each protocol: batched soft-NMS, hard NMS and (for the protocols named
    in ``sequential``) the sequential soft-NMS, interleaved on the same input.

    Returns:
        JSON-ready ``{protocol: {...seconds, candidates, kept, soft_over_hard...}}``.
    """
    from mmdet.models.roi_heads.bbox_heads import bbox_head
    names = list(protocols or PROTOCOLS)
    unknown = sorted(set(names) - set(PROTOCOLS)) + sorted(set(sequential) - set(PROTOCOLS))
    if unknown:
        raise ValueError(f'unknown post-processing protocol(s) {unknown}; known: {sorted(PROTOCOLS)}')
    out: Dict[str, object] = {}
    for name in names:
        num_classes, score_thr, min_score, max_num, agnostic, num_objects = PROTOCOLS[name]
        boxes, scores = synthetic_rcnn_outputs(num_rois, num_classes, num_objects, seed=seed)
        boxes, scores = boxes.to(device), scores.to(device)
        soft = dict(type='soft_nms', iou_threshold=0.6, min_score=min_score, method='linear',
                    class_agnostic=agnostic)
        hard = dict(type='nms', iou_threshold=0.6, class_agnostic=agnostic)
        kept: Dict[str, int] = {}

        def call(cfg: dict, key: str):
            def run() -> None:
                dets, _ = bbox_head.multiclass_nms(boxes, scores, score_thr, cfg, max_num)
                kept[key] = len(dets)
            return run

        def call_sequential() -> None:
            with sequential_soft_nms():
                dets, _ = bbox_head.multiclass_nms(boxes, scores, score_thr, soft, max_num)
            kept['soft_nms_sequential'] = len(dets)

        steps = dict(soft_nms=call(soft, 'soft_nms'), hard_nms=call(hard, 'hard_nms'))
        if name in sequential:
            steps['soft_nms_sequential'] = call_sequential
        times = interleaved_times(steps, device, warmup=warmup if name not in sequential else 0, repeats=repeats)
        synchronize(device)
        med = {k: median(v) for k, v in times.items()}
        r: Dict[str, object] = dict(
            classes=num_classes, rois=num_rois, score_thr=score_thr, min_score=min_score, max_per_img=max_num,
            class_agnostic=agnostic, candidates=int((scores[:, :-1] > score_thr).sum()), kept=kept,
            seconds=med, times=times, soft_over_hard=med['soft_nms'] / med['hard_nms'])
        if 'soft_nms_sequential' in med:
            r['sequential_over_soft'] = med['soft_nms_sequential'] / med['soft_nms']
        out[name] = r
    return out


def format_postprocess(r: Dict[str, object]) -> str:
    """Table of :func:`run_postprocess` results."""
    from .report import _table
    rows: List[List[str]] = []
    for name, p in r.items():
        s = p['seconds']
        seq = s.get('soft_nms_sequential')
        rows.append([name, f"{p['rois']}x{p['classes']}", f"{p['score_thr']:g}/{p['min_score']:g}",
                     str(p['max_per_img']), 'across' if p['class_agnostic'] else 'class-wise', f"{p['candidates']:,}",
                     f"{1e3 * s['soft_nms']:.1f}", f"{1e3 * s['hard_nms']:.1f}", f"{p['soft_over_hard']:.2f}x",
                     '-' if seq is None else f'{1e3 * seq:,.0f}'])
    header = ['protocol', 'RoIs x classes', 'thr/min', 'max', 'classes', 'candidates', 'soft-NMS ms', 'hard NMS ms',
              'soft/hard', 'sequential ms']
    return 'post-processing per image (median; soft-NMS linear, IoU 0.6)\n' + _table(header, rows)
