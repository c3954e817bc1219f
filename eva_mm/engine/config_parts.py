"""Builders for config values that depend on another value (a schedule on its length, a pipeline on its size).

mmengine evaluates a ``_base_`` file once, so a leaf that changes ``max_iters`` or the image size would otherwise
restate every list derived from it. A config imports these (``from eva_mm.engine.config_parts import ...``; mmengine
drops imported functions from the config) and calls them with its own numbers. Each returns plain dicts and lists,
exactly what a config would spell out.
"""
from typing import Any, Sequence


def step_schedule(max_iters: int, warmup_iters: int, milestones: Sequence[int] | None = None,
                  warmup_factor: float = 0.001) -> list[dict]:
    """Linear warmup from ``warmup_factor`` over ``warmup_iters``, then x0.1 at each milestone (ViTDet / EVA
    detection: 80% and 90% of ``max_iters`` unless given), iteration-based."""
    if milestones is None:
        milestones = [int(max_iters * 0.8), int(max_iters * 0.9)]
    return [
        dict(type='LinearLR', start_factor=warmup_factor, by_epoch=False, begin=0, end=warmup_iters),
        dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters, milestones=list(milestones), gamma=0.1),
    ]


def _annotations(with_mask: bool) -> dict:
    """Boxes, and masks for instance segmentation (the key is left out without masks, as mmdet's box configs)."""
    return dict(type='LoadAnnotations', with_bbox=True, with_mask=True) if with_mask else \
        dict(type='LoadAnnotations', with_bbox=True)


def lsj_train_pipeline(size: tuple[int, int], with_mask: bool = True, **load_args: Any) -> list[dict]:
    """Large-scale jitter (ViTDet / EVA): flip, resize to ``size`` x [0.1, 2.0], random crop of ``size`` (the data
    preprocessor pads the batch to the square); ``load_args`` go to ``LoadImageFromFile`` (e.g. backend_args)."""
    return [
        dict(type='LoadImageFromFile', **load_args),
        _annotations(with_mask),
        dict(type='RandomFlip', prob=0.5),
        dict(type='RandomResize', scale=size, ratio_range=(0.1, 2.0), keep_ratio=True),
        dict(type='RandomCrop', crop_type='absolute_range', crop_size=size, recompute_bbox=True,
             allow_negative_crop=True),
        dict(type='FilterAnnotations', min_gt_bbox_wh=(1e-2, 1e-2)),
        dict(type='PackDetInputs'),
    ]


def lsj_test_pipeline(size: tuple[int, int], with_mask: bool = True, **load_args: Any) -> list[dict]:
    """The LSJ test resize: longer side to ``size``, aspect kept; annotations loaded for the evaluator."""
    return [
        dict(type='LoadImageFromFile', **load_args),
        dict(type='Resize', scale=size, keep_ratio=True),
        _annotations(with_mask),
        dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
    ]


def warmup_cosine(max_epochs: int, warmup_epochs: int, eta_min: float, warmup_factor: float = 1e-3) -> list[dict]:
    """Linear warmup over ``warmup_epochs`` then cosine to ``eta_min`` at ``max_epochs``, stepped per iteration
    (EVA / EVA-02 fine-tuning and MIM)."""
    return [
        dict(type='LinearLR', start_factor=warmup_factor, by_epoch=True, begin=0, end=warmup_epochs,
             convert_to_iter_based=True),
        dict(type='CosineAnnealingLR', eta_min=eta_min, by_epoch=True, begin=warmup_epochs, end=max_epochs,
             convert_to_iter_based=True),
    ]


def randaug_train_pipeline(img_size: int, fill: Sequence[float]) -> list[dict]:
    """EVA fine-tuning augmentation at ``img_size``: RandomResizedCrop (bicubic), flip, RandAugment m9 (timm
    'rand-m9-mstd0.5-inc1', 2 ops) filling with ``fill`` (the RGB mean, 0-255; applied as BGR)."""
    return [
        dict(type='LoadImageFromFile'),
        dict(type='RandomResizedCrop', scale=img_size, backend='pillow', interpolation='bicubic'),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(type='RandAugment', policies='timm_increasing', num_policies=2, total_level=10, magnitude_level=9,
             magnitude_std=0.5, hparams=dict(pad_val=[round(x) for x in fill[::-1]], interpolation='bicubic')),
        dict(type='PackInputs'),
    ]


def center_crop_test_pipeline(img_size: int, resize: int | None = None) -> list[dict]:
    """Short side to ``resize`` (default ``img_size``: crop_pct 1.0), bicubic, then a center crop of ``img_size``."""
    return [
        dict(type='LoadImageFromFile'),
        dict(type='ResizeEdge', scale=resize or img_size, edge='short', backend='pillow', interpolation='bicubic'),
        dict(type='CenterCrop', crop_size=img_size),
        dict(type='PackInputs'),
    ]


def warmup_poly(max_iters: int, warmup_iters: int, warmup_factor: float = 1e-6) -> list[dict]:
    """Linear warmup from ``warmup_factor`` over ``warmup_iters``, then poly (power 1.0) to 0 at ``max_iters``
    (EVA / BEiT semantic segmentation), iteration-based."""
    return [
        dict(type='LinearLR', start_factor=warmup_factor, by_epoch=False, begin=0, end=warmup_iters),
        dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False, begin=warmup_iters, end=max_iters),
    ]


def _seg_annotations(reduce_zero_label: bool | None) -> dict:
    """``LoadAnnotations``; ``None`` leaves reduce_zero_label out (mmseg's default, as its COCO-Stuff configs)."""
    if reduce_zero_label is None:
        return dict(type='LoadAnnotations')
    return dict(type='LoadAnnotations', reduce_zero_label=reduce_zero_label)


def seg_train_pipeline(scale: tuple[int, int], crop_size: tuple[int, int],
                       reduce_zero_label: bool | None = None) -> list[dict]:
    """mmseg's training augmentation: resize to ``scale`` x [0.5, 2.0], random crop (cat_max_ratio 0.75), flip,
    photometric distortion."""
    return [
        dict(type='LoadImageFromFile'),
        _seg_annotations(reduce_zero_label),
        dict(type='RandomResize', scale=scale, ratio_range=(0.5, 2.0), keep_ratio=True),
        dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
        dict(type='RandomFlip', prob=0.5),
        dict(type='PhotoMetricDistortion'),
        dict(type='PackSegInputs'),
    ]


def seg_test_pipeline(scale: tuple[int, int], reduce_zero_label: bool | None = None,
                      size_divisor: int | None = None) -> list[dict]:
    """Resize to ``scale`` (aspect kept), optionally to a multiple of ``size_divisor`` (EVA-01's 896 test)."""
    multiple = [dict(type='ResizeToMultiple', size_divisor=size_divisor)] if size_divisor else []
    return [
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=scale, keep_ratio=True),
        *multiple,
        _seg_annotations(reduce_zero_label),
        dict(type='PackSegInputs'),
    ]
