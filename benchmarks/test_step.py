"""A paper config's test step on a generated image, with the time split into the stages of EVA's test protocol.

The model is the config's, at its test size, with random weights (no checkpoint): backbone, SimpleFPN neck, RPN
(with its hard NMS), the three cascade stages (RoI pooling, box heads, score averaging), the R-CNN NMS (soft-NMS
in EVA's protocol), maskness rescoring, and mask pasting into the image. Each stage's wall time is taken by
wrapping the function that does it (synchronising CUDA around it), so the parts add up to the step; "RoI heads" is
the R-CNN's time less the NMS, maskness and pasting inside it, and "other" the step less every part
(preprocessing, result packing).

Random weights give near-uniform class scores (every class of every RoI above a 0.0 threshold), the hardest input
for the soft-NMS's early stop; :mod:`benchmarks.postprocess` measures it on trained-looking scores as well.
"""
from __future__ import annotations

import contextlib
import copy
import importlib
import time
from typing import Callable, Dict, Iterator, List, Optional

import torch
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope

from .detector import DEFAULT_DETECTOR_CONFIG, synthetic_detection_batch
from .measure import median, synchronize
from .postprocess import sequential_soft_nms

__all__ = ['DEFAULT_TEST_CONFIGS', 'STAGES', 'stage_timers', 'run_test_step', 'format_test_step', 'run_test_bench',
           'format_test_bench']

#: EVA-02-B COCO at 1024 (80 classes) and the same model's LVIS recipe (1,203 classes, 300 detections @ 0.02).
DEFAULT_TEST_CONFIGS = [DEFAULT_DETECTOR_CONFIG, DEFAULT_DETECTOR_CONFIG.replace('60k_coco', '50k_lvis-v1')]

STAGES = ('backbone', 'neck', 'rpn', 'roi_heads', 'nms', 'maskness', 'mask_paste', 'other')


def _timed(fn: Callable, name: str, acc: Dict[str, float], device: torch.device) -> Callable:
    def wrapper(*args, **kwargs):
        synchronize(device)
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            synchronize(device)
            acc[name] = acc.get(name, 0.0) + time.perf_counter() - start
    wrapper.__wrapped__ = fn
    return wrapper


@contextlib.contextmanager
def stage_timers(model: torch.nn.Module, device: torch.device) -> Iterator[Dict[str, float]]:
    """Within the block, accumulate seconds per stage of ``model``'s predict into the yielded dict.

    Keys: backbone, neck, rpn, roi_total (the whole R-CNN predict), nms, maskness, mask_paste.
    """
    import mmdet.models.roi_heads.bbox_heads.bbox_head as bbox_head_module
    from mmdet.models.roi_heads.mask_heads import FCNMaskHead

    # the package re-exports the function under the module's name, so take the module itself
    maskness_module = importlib.import_module('eva_mm.models.roi_heads.maskness')
    acc: Dict[str, float] = {}
    saved: List[tuple] = []

    def wrap(owner, attr: str, name: str) -> None:
        saved.append((owner, attr, owner.__dict__[attr] if isinstance(owner, type) else getattr(owner, attr)))
        setattr(owner, attr, _timed(getattr(owner, attr), name, acc, device))

    wrap(model.backbone, 'forward', 'backbone')
    wrap(model.neck, 'forward', 'neck')
    wrap(model.rpn_head, 'predict', 'rpn')
    wrap(model.roi_head, 'predict', 'roi_total')
    wrap(bbox_head_module, 'multiclass_nms', 'nms')
    wrap(maskness_module, 'maskness', 'maskness')
    wrap(FCNMaskHead, '_predict_by_feat_single', 'mask_paste')
    try:
        yield acc
    finally:
        for owner, attr, original in reversed(saved):
            if isinstance(owner, torch.nn.Module):
                delattr(owner, attr)  # back to the class's method
            else:
                setattr(owner, attr, original)


def run_test_step(config: str, device: torch.device, img_size: Optional[int] = None, warmup: int = 1,
                  repeats: int = 2, sequential: bool = False, rois: Optional[int] = None) -> Dict[str, object]:
    """Per-image test-step time of ``config`` (random weights) on a generated image, split by stage.

    Args:
        config: mmdet config of an EVA Cascade Mask R-CNN (e.g. the EVA-02-B COCO recipe).
        img_size: square input (default: the config's fixed batch padding, i.e. its test size).
        sequential: also time one step with the sequential soft-NMS eva_mm ran before (the "before" column).
        rois: RPN proposals per image (default: the config's, 1,000 in the recipes).

    Returns:
        JSON-ready dict with per-stage medians (``seconds``), every round (``rounds``) and the shares.
    """
    cfg = Config.fromfile(config)
    cfg.model.backbone.init_cfg = None
    pads = [a for a in cfg.model.data_preprocessor.get('batch_augments') or [] if a.get('type') == 'BatchFixedSizePad']
    size = img_size or (pads[0].size[0] if pads else cfg.model.backbone.img_size)
    for aug in pads:
        aug.size = (size, size)
    if rois is not None:
        cfg.model.test_cfg.rpn.update(nms_pre=rois, max_per_img=rois)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(cfg.model)).to(device).eval()
    batch = synthetic_detection_batch(size, 1)

    def step() -> Dict[str, float]:
        with torch.no_grad(), stage_timers(model, device) as acc:
            synchronize(device)
            start = time.perf_counter()
            results = model.test_step(batch)
            synchronize(device)
            total = time.perf_counter() - start
        acc['total'] = total
        acc['detections'] = len(results[0].pred_instances)
        return acc

    for _ in range(warmup):
        step()
    rounds = [step() for _ in range(repeats)]
    before = None
    if sequential:
        with sequential_soft_nms():
            before = _split(step())
    parts = [_split(r) for r in rounds]
    seconds = {k: median([p[k] for p in parts]) for k in parts[0]}
    out: Dict[str, object] = dict(
        config=config.rsplit('/', 1)[-1], img_size=size, device=str(device),
        classes=model.roi_head.bbox_head[-1].num_classes, rois=cfg.model.test_cfg.rpn.max_per_img,
        test_cfg=cfg.model.test_cfg.rcnn.to_dict(), seconds=seconds, rounds=parts,
        shares={k: v / seconds['total'] for k, v in seconds.items() if k != 'total'},
        nms_maskness_share=(seconds['nms'] + seconds['maskness']) / seconds['total'])
    if before is not None:
        out['sequential'] = before
        out['sequential_nms_over_nms'] = before['nms'] / seconds['nms']
    return out


def _split(acc: Dict[str, float]) -> Dict[str, float]:
    """Raw timer sums -> the disjoint stages of :data:`STAGES` plus the total."""
    inner = acc.get('nms', 0.) + acc.get('maskness', 0.) + acc.get('mask_paste', 0.)
    parts = {k: acc.get(k, 0.) for k in ('backbone', 'neck', 'rpn', 'nms', 'maskness', 'mask_paste')}
    parts['roi_heads'] = acc.get('roi_total', 0.) - inner
    parts['other'] = acc['total'] - acc.get('backbone', 0.) - acc.get('neck', 0.) - acc.get('rpn', 0.) \
        - acc.get('roi_total', 0.)
    parts['total'] = acc['total']
    parts['detections'] = acc['detections']
    return {k: parts[k] for k in STAGES + ('total', 'detections')}


def format_test_step(results: List[Dict[str, object]]) -> str:
    """One table: a row per config (and its sequential soft-NMS row), a column per stage."""
    from .report import _table
    rows = []
    for r in results:
        entries = [(f"{r['config']} {r['img_size']}px {r['device']}", r['seconds'])]
        if 'sequential' in r:
            entries.append(('  same, sequential soft-NMS (before)', r['sequential']))
        for label, s in entries:
            rows.append([label] + [f'{s[k]:.3f}' for k in STAGES] + [f"{s['total']:.3f}",
                        f"{100 * (s['nms'] + s['maskness']) / s['total']:.1f}%"])
    header = ['test step, s per image'] + list(STAGES) + ['total', 'NMS+maskness']
    return _table(header, rows)


def run_test_bench(configs: List[str], devices: List[torch.device], img_size: Optional[int] = None,
                   rois: Optional[int] = None, warmup: int = 1, repeats: int = 2, before: bool = False,
                   protocols: Optional[List[str]] = None, sequential_protocols: List[str] = (),
                   post_repeats: int = 3) -> Dict[str, object]:
    """The ``--bench test`` section: every config's split test step on every device (the first config also with
    the sequential soft-NMS when ``before``), then the post-processing micro-benchmark on every device."""
    from .postprocess import run_postprocess
    steps = [run_test_step(c, d, img_size, warmup, repeats, sequential=before and i == 0, rois=rois)
             for d in devices for i, c in enumerate(configs)]
    post = {str(d): run_postprocess(d, protocols, sequential=sequential_protocols, warmup=warmup,
                                    repeats=post_repeats) for d in devices}
    return dict(test_step=steps, postprocess=post)


def format_test_bench(r: Dict[str, object]) -> str:
    """Tables of :func:`run_test_bench`."""
    from .postprocess import format_postprocess
    parts = [format_test_step(r['test_step'])]
    parts += [f'{device}: ' + format_postprocess(p) for device, p in r['postprocess'].items()]
    return '\n\n'.join(parts)
