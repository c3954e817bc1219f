"""Where a step's time goes, by operator class: GEMMs, attention kernels, and everything else.

Two models with the same GEMMs and the same attention kernel can only differ in the rest (element-wise ops,
norms, copies, reductions, allocation). Profiling one step of each and splitting the operator time three ways
therefore bounds what work on "the rest" can buy: with zero time outside GEMMs and attention, eva_mm would take
``median_step * (gemm + attention share)``, and timm's median step over that is the largest speed-up any
implementation with these GEMMs and this attention kernel can reach on the device.
"""
from __future__ import annotations

import time
from typing import Callable, Dict

import torch

__all__ = ['GEMM_OPS', 'op_class', 'op_breakdown', 'speedup_bound']

#: aten operators whose own time is matrix multiplication (convolutions are the patch embedding's GEMM).
GEMM_OPS = frozenset({
    'aten::mm', 'aten::addmm', 'aten::bmm', 'aten::baddbmm', 'aten::addbmm', 'aten::_addmm_activation',
    'aten::mkldnn_convolution', 'aten::convolution_backward', 'aten::cudnn_convolution',
    'aten::_mkldnn_convolution', 'aten::_slow_conv2d_forward', 'aten::_slow_conv2d_backward',
})


def op_class(name: str) -> str:
    """``'gemm'``, ``'attention'`` (any fused scaled-dot-product kernel) or ``'other'`` for an aten operator name."""
    if name in GEMM_OPS:
        return 'gemm'
    if 'scaled_dot_product' in name or 'flash_attention' in name or 'efficient_attention' in name:
        return 'attention'
    return 'other'


def op_breakdown(step: Callable[[], object], device: torch.device) -> Dict[str, float]:
    """Time of one call of ``step``, split into GEMM / attention / other.

    Operator self time (an operator's time minus its children's) is summed per class, so nothing counts twice:
    ``aten::linear`` has almost none, the ``aten::addmm`` under it has the GEMM. On CPU the shares are of the
    profiled call's wall time, so Python and autograd-engine time between operators counts as "other"; on CUDA
    they are of the summed kernel time (host work overlaps it). Absolute numbers include the profiler's overhead;
    the shares are what to read.

    Returns:
        ``{'gemm_s', 'attention_s', 'other_s', 'total_s', 'gemm_share', 'attention_share', 'other_share'}``.
    """
    from torch.profiler import ProfilerActivity, profile
    cuda = device.type == 'cuda'
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    with profile(activities=activities) as prof:
        start = time.perf_counter()
        step()
        if cuda:
            torch.cuda.synchronize(device)
        wall = time.perf_counter() - start
    seconds = dict(gemm=0., attention=0., other=0.)
    for event in prof.key_averages():
        if not event.key.startswith('aten::'):
            continue  # autograd-engine and Python frames wrap operators; their time is the operators'
        us = event.self_device_time_total if cuda else event.self_cpu_time_total
        seconds[op_class(event.key)] += us / 1e6
    total = sum(seconds.values()) if cuda else max(wall, seconds['gemm'] + seconds['attention'])
    seconds['other'] = total - seconds['gemm'] - seconds['attention']  # on CPU this takes in the time between ops
    out = {f'{k}_s': v for k, v in seconds.items()}
    out['total_s'] = total
    out.update({f'{k}_share': (v / total if total else 0.) for k, v in seconds.items()})
    return out


def speedup_bound(eva_step_s: float, eva_breakdown: Dict[str, float], timm_step_s: float) -> float:
    """timm's step time over eva_mm's if everything but GEMMs and attention cost nothing (see the module doc)."""
    floor = eva_step_s * (eva_breakdown['gemm_share'] + eva_breakdown['attention_share'])
    return timm_step_s / floor if floor > 0 else float('inf')
