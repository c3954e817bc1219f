"""COCO and LVIS AP by the exact evaluators (pycocotools, lvis 0.5.3) or by faster-coco-eval, field for field.

Both backends take the same ground truth (a dict or a JSON path) and detections (COCO results format) and return
the same keys: pycocotools' 12 `stats` as mmdet names them, or lvis's `get_results()` (AP, AP50, AP75, APs, APm,
APl, APr, APc, APf, AR@N, ARs@N, ARm@N, ARl@N). LVIS keeps the top `max_dets` detections of each image over all
categories (`LVISResults.limit_dets_per_image`), applied here the same way for both backends; the official EVA-01
and EVA-02-L-1536 LVIS protocols score 1,000 (detectron2's `LVISEvaluator(max_dets_per_image=1000)`), the others
300 (the LVIS default).
"""
from __future__ import annotations

import contextlib
import io
import json
import logging
from collections import defaultdict
from typing import Dict, List, Union

__all__ = ['BACKENDS', 'COCO_FIELDS', 'coco_eval_fields', 'limit_dets_per_image', 'lvis_eval_fields']

BACKENDS = ('exact', 'faster')
#: pycocotools' `COCOeval.stats`, in order, with mmdet's names.
COCO_FIELDS = ('mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l', 'AR@100', 'AR@300', 'AR@1000', 'AR_s@1000',
               'AR_m@1000', 'AR_l@1000')
_AREAS = ('small', 'medium', 'large')

GroundTruth = Union[str, dict]


def _check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise ValueError(f'evaluation backend must be one of {BACKENDS}, got {backend!r}')


def _load(gt: GroundTruth) -> dict:
    if isinstance(gt, dict):
        return gt
    with open(gt) as f:
        return json.load(f)


def limit_dets_per_image(dets: List[dict], max_dets: int) -> List[dict]:
    """The top `max_dets` detections of each image by score, as `lvis.LVISResults` keeps them (stable on ties)."""
    if max_dets < 0:
        return list(dets)
    per_image: Dict[int, List[dict]] = defaultdict(list)
    for d in dets:
        per_image[d['image_id']].append(d)
    out: List[dict] = []
    for anns in per_image.values():
        out += anns if len(anns) <= max_dets else sorted(anns, key=lambda a: a['score'], reverse=True)[:max_dets]
    return out


def _faster_coco(gt: GroundTruth):
    from faster_coco_eval import COCO
    return COCO(_load(gt) if isinstance(gt, dict) else gt)


def lvis_eval_fields(gt: GroundTruth, dets: List[dict], iou_type: str = 'bbox', max_dets: int = 300,
                     backend: str = 'exact', gt_api=None) -> Dict[str, float]:
    """LVIS AP fields of `dets` against LVIS v1 ground truth `gt`.

    Args:
        gt_api: an already loaded ground truth of the backend (`lvis.LVIS` or `faster_coco_eval.COCO`), to skip
            loading `gt` again.
    """
    _check_backend(backend)
    dets = limit_dets_per_image(dets, max_dets)
    if backend == 'exact':
        from lvis import LVIS, LVISEval, LVISResults
        lvis_gt = gt_api or _lvis_from(gt, LVIS)
        with contextlib.redirect_stdout(io.StringIO()):
            ev = LVISEval(lvis_gt, LVISResults(lvis_gt, dets, max_dets=-1), iou_type)
            ev.params.max_dets = max_dets
            ev.run()
        return {k: float(v) for k, v in ev.get_results().items()}
    from faster_coco_eval import COCOeval_faster
    coco_gt = gt_api or _faster_coco(gt)
    ev = COCOeval_faster(coco_gt, coco_gt.loadRes(dets) if dets else _empty_results(coco_gt), iou_type,
                         lvis_style=True, print_function=logging.getLogger(__name__).debug)
    ev.params.maxDets = [max_dets]
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
    s = ev.stats_as_dict
    out = dict(AP=s['AP_all'], AP50=s['AP_50'], AP75=s['AP_75'], APs=s['AP_small'], APm=s['AP_medium'],
               APl=s['AP_large'], APr=s['APr'], APc=s['APc'], APf=s['APf'])
    out[f'AR@{max_dets}'] = s['AR_all']
    for area in _AREAS:
        out[f'AR{area[0]}@{max_dets}'] = s[f'AR_{area}']
    return {k: float(v) for k, v in out.items()}


def coco_eval_fields(gt: GroundTruth, dets: List[dict], iou_type: str = 'bbox', backend: str = 'exact',
                     max_dets=(100, 300, 1000), gt_api=None) -> Dict[str, float]:
    """COCO AP fields (pycocotools' 12 stats, :data:`COCO_FIELDS`) with mmdet's `maxDets` (100, 300, 1000)."""
    _check_backend(backend)
    if backend == 'exact':
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval
        with contextlib.redirect_stdout(io.StringIO()):
            if gt_api is None:
                gt_api = COCO()
                gt_api.dataset = _load(gt)
                gt_api.createIndex()
            ev = COCOeval(gt_api, gt_api.loadRes(dets), iou_type)
            ev.params.maxDets = list(max_dets)
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
        stats = ev.stats
    else:
        from faster_coco_eval import COCOeval_faster
        coco_gt = gt_api or _faster_coco(gt)
        ev = COCOeval_faster(coco_gt, coco_gt.loadRes(dets), iou_type,
                             print_function=logging.getLogger(__name__).debug)
        ev.params.maxDets = list(max_dets)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
        stats = ev.stats
    return {k: float(v) for k, v in zip(COCO_FIELDS, stats)}


def _lvis_from(gt: GroundTruth, lvis_cls):
    if isinstance(gt, str):
        return lvis_cls(gt)
    api = lvis_cls.__new__(lvis_cls)  # lvis 0.5.3 only reads files; same object from a dict
    api.logger = logging.getLogger('lvis.lvis')
    api.dataset = gt
    api._create_index()
    return api


def _empty_results(coco_gt):
    from faster_coco_eval import COCO
    res = COCO()
    res.dataset = dict(images=list(coco_gt.dataset['images']), categories=list(coco_gt.dataset['categories']),
                       annotations=[])
    res.createIndex()
    return res
