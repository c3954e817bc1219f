"""mmdet's `LVISMetric` and `CocoMetric` with the recipe's LVIS `max_dets` and a choice of evaluator.

`EVALVISMetric(max_dets=300 | 1000, backend='faster' | 'exact')` and `EVACocoMetric(backend=...)` take every
argument of mmdet's metrics and report the same keys. mmdet's own flow (result files, class-wise tables,
`format_only`, proposals) runs unchanged; only the evaluator objects it creates are swapped for the call:

* `backend='exact'`: lvis 0.5.3 / pycocotools, as mmdet; LVIS with `max_dets` detections per image (mmdet fixes
  300, the LVIS default; the official EVA-01 and EVA-02-L-1536 LVIS protocols score 1,000).
* `backend='faster'` (default): faster-coco-eval's C++ evaluator (LVIS-style for LVIS), the same AP fields as the
  exact one (to 1e-12 on generated val-size sets, `tests/evaluation/`), several times faster.

Multi-GPU testing needs nothing here: mmengine's `BaseMetric.evaluate` gathers every rank's results once, and
rank 0 evaluates.
"""
from __future__ import annotations

import contextlib
import importlib
import logging
from typing import Iterator

from mmdet.evaluation.metrics import CocoMetric, LVISMetric

from eva_mm.registry import METRICS

from .fast_eval import BACKENDS

__all__ = ['EVACocoMetric', 'EVALVISMetric']

_LVIS_MODULE = 'mmdet.evaluation.metrics.lvis_metric'
_COCO_MODULE = 'mmdet.evaluation.metrics.coco_metric'


@contextlib.contextmanager
def _swapped(module_name: str, **names) -> Iterator[None]:
    module = importlib.import_module(module_name)
    saved = {k: getattr(module, k) for k in names}
    for k, v in names.items():
        setattr(module, k, v)
    try:
        yield
    finally:
        for k, v in saved.items():
            setattr(module, k, v)


def _check(backend: str, max_dets: int = 300) -> None:
    if backend not in BACKENDS:
        raise ValueError(f'backend must be one of {BACKENDS}, got {backend!r}')
    if not isinstance(max_dets, int) or max_dets < 1:
        raise ValueError(f'max_dets must be a positive int, got {max_dets!r}')
    if backend == 'faster':
        importlib.import_module('faster_coco_eval')  # fail at build time, naming the package


def _faster_api(dataset: dict):
    from faster_coco_eval import COCO
    return COCO(dataset)


class _FasterLVISEval:
    """`lvis.LVISEval`'s interface over faster-coco-eval's LVIS-style evaluator (what mmdet's metric calls)."""

    def __init__(self, lvis_gt, lvis_dt, iou_type: str, max_dets: int) -> None:
        from faster_coco_eval import COCOeval_faster
        gt = _faster_api(lvis_gt.dataset)
        dt = gt.loadRes(lvis_dt.dataset['annotations'])
        self._eval = COCOeval_faster(gt, dt, iou_type, lvis_style=True,
                                     print_function=logging.getLogger(__name__).debug)
        self._eval.params.maxDets = [max_dets]
        self.params = self._eval.params
        self._max_dets = max_dets

    def evaluate(self) -> None:
        self._eval.evaluate()

    def accumulate(self) -> None:
        self._eval.accumulate()

    def summarize(self) -> None:
        self._eval.summarize()

    @property
    def eval(self) -> dict:
        return self._eval.eval

    def get_results(self) -> dict:
        s, n = self._eval.stats_as_dict, self._max_dets
        out = dict(AP=s['AP_all'], AP50=s['AP_50'], AP75=s['AP_75'], APs=s['AP_small'], APm=s['AP_medium'],
                   APl=s['AP_large'], APr=s['APr'], APc=s['APc'], APf=s['APf'])
        out[f'AR@{n}'] = s['AR_all']
        out.update({f'AR{a[0]}@{n}': s[f'AR_{a}'] for a in ('small', 'medium', 'large')})
        return out

    def print_results(self) -> None:
        logging.getLogger(__name__).info('LVIS results (faster-coco-eval): %s', self.get_results())


@METRICS.register_module()
class EVALVISMetric(LVISMetric):
    """mmdet's `LVISMetric`, scoring `max_dets` detections per image with the chosen evaluator.

    Args:
        max_dets: detections kept per image over all categories (300: the LVIS default; 1,000: EVA-01 and
            EVA-02-L at 1536, detectron2's `LVISEvaluator(max_dets_per_image=1000)`).
        backend: 'faster' (faster-coco-eval) or 'exact' (lvis 0.5.3); the same AP fields.
        **kwargs: mmdet's `LVISMetric` arguments.
    """

    def __init__(self, *args, max_dets: int = 300, backend: str = 'faster', **kwargs) -> None:
        _check(backend, max_dets)
        super().__init__(*args, **kwargs)
        self.max_dets = max_dets
        self.backend = backend

    def compute_metrics(self, results: list) -> dict:
        from lvis import LVISEval, LVISResults
        max_dets, backend = self.max_dets, self.backend

        def results_factory(gt, dets):
            # mmdet passes a JSON path; LVISResults reads it and keeps the top max_dets per image.
            return LVISResults(gt, dets, max_dets=max_dets)

        def eval_factory(gt, dt, iou_type):
            if backend == 'faster':
                return _FasterLVISEval(gt, dt, iou_type, max_dets)
            ev = LVISEval(gt, dt, iou_type)
            ev.params.max_dets = max_dets
            return ev

        with _swapped(_LVIS_MODULE, LVISResults=results_factory, LVISEval=eval_factory):
            return super().compute_metrics(results)


@METRICS.register_module()
class EVACocoMetric(CocoMetric):
    """mmdet's `CocoMetric` with the chosen evaluator: 'faster' (faster-coco-eval) or 'exact' (pycocotools)."""

    def __init__(self, *args, backend: str = 'faster', **kwargs) -> None:
        _check(backend)
        super().__init__(*args, **kwargs)
        self.backend = backend

    def compute_metrics(self, results: list) -> dict:
        if self.backend == 'exact':
            return super().compute_metrics(results)
        from faster_coco_eval import COCOeval_faster

        def eval_factory(coco_gt, coco_dt, iou_type):
            gt = _faster_api(coco_gt.dataset)
            return COCOeval_faster(gt, gt.loadRes(coco_dt.dataset['annotations']), iou_type,
                                   print_function=logging.getLogger(__name__).debug)

        with _swapped(_COCO_MODULE, COCOeval=eval_factory, COCOevalMP=eval_factory):
            return super().compute_metrics(results)
