"""Activation checkpointing (``with_cp``) on and off: backbone training memory and detector train-step cost.

Both measurements build from one detector config (default: the EVA-02-B ViTDet Cascade Mask R-CNN COCO recipe),
so "ViTDet-B at 1024" means exactly the recipe's backbone (windows of 16, global blocks 2, 5, 8, 11, RoPE).
The two settings are the same model with :meth:`EVA.set_grad_checkpointing` flipped between interleaved runs.
"""
from __future__ import annotations

import copy
import os.path as osp
from typing import Callable, Dict, Optional

import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import MODELS, init_default_scope
from mmengine.structures import InstanceData

from eva_mm.models.backbones import ARCH_ZOO

from .measure import autocast_context, interleaved_times, median, peak_memory

__all__ = ['DEFAULT_DETECTOR_CONFIG', 'load_detector_config', 'synthetic_detection_batch', 'run_backbone_cp',
           'run_detector']

DEFAULT_DETECTOR_CONFIG = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs', 'eva02',
                                   'cascade-mask-rcnn_eva02-b_lsj-1024-60k_coco.py')


def load_detector_config(config: str, img_size: int, arch: Optional[str] = None, depth: Optional[int] = None,
                         rois: Optional[int] = None) -> Config:
    """A detector config resized for ``img_size`` inputs, optionally with a smaller trunk.

    Args:
        config: Path of an mmdet config with an ``EVA`` backbone and a ``SimpleFPN`` neck.
        img_size: Square training input; sets the backbone's nominal size and the fixed-size batch padding.
        arch: Replace the backbone arch (the neck's input width follows).
        depth: Truncate the backbone to this many blocks (global blocks beyond it are dropped, the last block is
            the output).
        rois: RoIs sampled per image per R-CNN stage (and 2x as many RPN proposals kept); ``None`` keeps the
            recipe's. The heads' cost grows with it, the backbone's does not.

    Returns:
        The modified config, with ``init_cfg`` removed (random weights).
    """
    cfg = Config.fromfile(config)
    backbone = cfg.model.backbone
    if backbone.get('type') != 'EVA':
        raise ValueError(f'{config}: model.backbone.type must be EVA, got {backbone.get("type")!r}')
    backbone.init_cfg = None
    backbone.img_size = img_size
    if arch is not None or depth is not None:
        base = ARCH_ZOO[arch or backbone.arch] if isinstance(arch or backbone.arch, str) else dict(backbone.arch)
        settings = dict(base, **({} if depth is None else dict(depth=depth)))
        backbone.arch = settings
        backbone.global_attn_indexes = tuple(i for i in backbone.get('global_attn_indexes', ())
                                             if i < settings['depth'])
        backbone.out_indices = (settings['depth'] - 1,)
        cfg.model.neck.backbone_channel = settings['embed_dims']
    if rois is not None:
        cfg.model.train_cfg.rpn_proposal.update(nms_pre=4 * rois, max_per_img=2 * rois)
        stages = cfg.model.train_cfg.rcnn
        for stage in stages if isinstance(stages, list) else [stages]:
            stage.sampler.num = rois
    for aug in cfg.model.data_preprocessor.get('batch_augments') or []:
        if aug.get('type') == 'BatchFixedSizePad':
            aug.size = (img_size, img_size)
    return cfg


def synthetic_detection_batch(size: int, batch: int = 1) -> dict:
    """``batch`` images of ``size`` x ``size`` with two boxed and masked rectangles each, as mmdet packs them."""
    from mmdet.structures import DetDataSample
    from mmdet.structures.mask import BitmapMasks
    inputs, samples = [], []
    boxes = torch.tensor([[0.1, 0.1, 0.4, 0.4], [0.5, 0.6, 0.7, 0.9]]) * size
    for _ in range(batch):
        img = torch.full((3, size, size), 120, dtype=torch.uint8)
        masks = torch.zeros(len(boxes), size, size, dtype=torch.uint8)
        for i, (x0, y0, x1, y1) in enumerate(boxes.long().tolist()):
            img[:, y0:y1, x0:x1] = 250 if i == 0 else 10
            masks[i, y0:y1, x0:x1] = 1
        meta = dict(img_shape=(size, size), ori_shape=(size, size), pad_shape=(size, size), scale_factor=(1., 1.),
                    batch_input_shape=(size, size))
        gt = InstanceData(bboxes=boxes.clone(), labels=torch.tensor([1, 2]),
                          masks=BitmapMasks(masks.numpy(), size, size))
        inputs.append(img)
        samples.append(DetDataSample(metainfo=meta, gt_instances=gt))
    return dict(inputs=inputs, data_samples=samples)


def _cp_report(times: Dict[str, list], memory: Dict[str, int]) -> Dict[str, object]:
    med = {name: median(t) for name, t in times.items()}
    out: Dict[str, object] = {name: dict(seconds=med[name], peak_bytes=memory.get(name)) for name in times}
    out['times'] = times
    out['time_ratio_cp_over_plain'] = med['with_cp'] / med['plain']
    if memory:
        out['memory_ratio_plain_over_cp'] = memory['plain'] / max(memory['with_cp'], 1)
    return out


def run_backbone_cp(config: str, img_size: int, batch: int, device: torch.device, dtype: torch.dtype,
                    arch: Optional[str] = None, depth: Optional[int] = None, warmup: int = 1,
                    repeats: int = 2) -> Dict[str, object]:
    """Forward+backward time and peak training memory of the config's backbone, ``with_cp`` off and on.

    Returns:
        JSON-ready dict; ``memory_ratio_plain_over_cp`` is the memory target (>= 2.5 for ViTDet-B at 1024).
    """
    cfg = load_detector_config(config, img_size, arch, depth)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    backbone = MODELS.build(copy.deepcopy(cfg.model.backbone)).to(device).train()
    x = torch.randn(batch, 3, img_size, img_size, generator=torch.Generator().manual_seed(0)).to(device)

    def step(with_cp: bool) -> Callable[[], None]:
        def run() -> None:
            backbone.set_grad_checkpointing(with_cp)
            with autocast_context(device, dtype):
                outs = backbone(x)
            sum(o.float().mean() for o in outs).backward()
            # Free the gradients inside the step (as an optimizer step with zero_grad does), so every step starts
            # from the same state and its peak counts its own gradients (see measure.peak_memory).
            backbone.zero_grad(set_to_none=True)
        return run

    steps = dict(plain=step(False), with_cp=step(True))
    times = interleaved_times(steps, device, warmup=warmup, repeats=repeats)
    memory = {name: peak_memory(fn, device) for name, fn in steps.items()}
    return dict(config=osp.basename(config), img_size=img_size, batch=batch, device=str(device),
                dtype=str(dtype).replace('torch.', ''), arch=backbone.arch_settings, **_cp_report(times, memory))


def run_detector(config: str, img_size: int, batch: int, device: torch.device, dtype: torch.dtype,
                 arch: Optional[str] = None, depth: Optional[int] = None, warmup: int = 1, repeats: int = 1,
                 memory: bool = True, rois: Optional[int] = None) -> Dict[str, object]:
    """Full mmengine ``train_step`` (preprocess, losses, backward, optimizer step) with ``with_cp`` off and on.

    The config's optimizer and layer-decay constructor are used; its AMP wrapper is replaced by a plain one with
    ``torch.autocast`` around the step for bf16/fp16 (no loss scaling: bf16 needs none), so CPU runs work too.
    """
    cfg = load_detector_config(config, img_size, arch, depth, rois)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    torch.manual_seed(0)
    # Constructor initialisation only: ``init_weights`` would log every tensor and does not change the cost.
    model = MODELS.build(copy.deepcopy(cfg.model)).to(device).train()
    wrapper_cfg = copy.deepcopy(cfg.optim_wrapper)
    wrapper_cfg.type = 'OptimWrapper'
    for key in ('_delete_', 'loss_scale', 'dtype'):
        wrapper_cfg.pop(key, None)
    optim_wrapper = build_optim_wrapper(model, wrapper_cfg)

    def step(with_cp: bool) -> Callable[[], None]:
        def run() -> None:
            model.backbone.set_grad_checkpointing(with_cp)
            with autocast_context(device, dtype):
                model.train_step(synthetic_detection_batch(img_size, batch), optim_wrapper)
        return run

    steps = dict(plain=step(False), with_cp=step(True))
    times = interleaved_times(steps, device, warmup=warmup, repeats=repeats)
    peaks = {name: peak_memory(fn, device) for name, fn in steps.items()} if memory else {}
    return dict(config=osp.basename(config), img_size=img_size, batch=batch, device=str(device),
                dtype=str(dtype).replace('torch.', ''), arch=model.backbone.arch_settings,
                sampled_rois=cfg.model.train_cfg.rcnn[0].sampler.num, **_cp_report(times, peaks))
