"""Measurement primitives: interleaved timing, peak memory, FLOP counts, the matmul ceiling, machine facts.

Timing runs every candidate once per round, in turn, after warm-up, and reports medians: on a shared machine
(other jobs, turbo, thermal state) the load drifts during a run, and interleaving exposes all candidates to the
same drift, so their *ratio* stays meaningful even when the absolute numbers are inflated.
"""
from __future__ import annotations

import os
import platform
import statistics
import subprocess
import time
from typing import Callable, Dict, List, Mapping

import torch
from torch.utils.flop_counter import FlopCounterMode

__all__ = ['synchronize', 'interleaved_times', 'median', 'paired_ratio_stats', 'peak_memory', 'count_flops',
           'matmul_step', 'machine_info', 'autocast_context']

Step = Callable[[], object]


def synchronize(device: torch.device) -> None:
    """Wait for queued device work, so wall-clock timing covers it (a no-op on CPU)."""
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def interleaved_times(steps: Mapping[str, Step], device: torch.device, warmup: int = 1,
                      repeats: int = 3) -> Dict[str, List[float]]:
    """Seconds per call of each step, measured round-robin after ``warmup`` untimed rounds.

    Args:
        steps: Named zero-argument callables (e.g. one training step of each model).
        device: Device to synchronise before and after every call.
        warmup: Untimed rounds first (allocator, oneDNN/cuBLAS heuristics, compilation).
        repeats: Timed rounds; each round calls every step once, in turn.

    Returns:
        ``{name: [seconds, ...]}`` with ``repeats`` entries each.
    """
    if repeats < 1:
        raise ValueError(f'repeats must be >= 1, got {repeats}')
    for _ in range(warmup):
        for step in steps.values():
            step()
    synchronize(device)
    times: Dict[str, List[float]] = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            synchronize(device)
            times[name].append(time.perf_counter() - start)
    return times


def median(values: List[float]) -> float:
    """Median of a non-empty list."""
    return float(statistics.median(values))


def paired_ratio_stats(numerators: List[float], denominators: List[float]) -> Dict[str, float]:
    """Median and quartiles of the per-round ratios ``numerators[i] / denominators[i]``.

    Used with interleaved times (round i of two candidates ran back to back): e.g. timm's seconds over eva_mm's
    give eva_mm's speed-up per round. With fewer than two rounds all three numbers are that one ratio.
    """
    if len(numerators) != len(denominators) or not numerators:
        raise ValueError(f'need equally many rounds, got {len(numerators)} and {len(denominators)}')
    ratios = sorted(a / b for a, b in zip(numerators, denominators))
    if len(ratios) == 1:
        return dict(median=ratios[0], q1=ratios[0], q3=ratios[0])
    q1, _, q3 = statistics.quantiles(ratios, n=4, method='inclusive')
    return dict(median=float(statistics.median(ratios)), q1=float(q1), q3=float(q3))


def peak_memory(step: Step, device: torch.device) -> int:
    """Peak bytes allocated by one call above what was allocated before it.

    The baseline (parameters, inputs, optimizer state already present) is excluded, so the number is what the
    step itself needs: activations kept for backward, gradients and temporaries.

    On CUDA this reads the caching allocator's statistics. On CPU there is no such counter, so the step runs
    under ``torch.profiler`` with ``profile_memory=True``: every tensor allocation and free through PyTorch's CPU
    allocator is an event with a signed byte count, and the running sum of those events in time order is the
    live tensor memory; its maximum is the peak. Unlike the process RSS this is exact, independent of
    ``malloc`` caching and of other processes, and it counts the same thing as ``max_memory_allocated``
    (library-internal scratch buffers such as oneDNN's are invisible to both).

    The step should start and end in the same state, freeing what it allocates (e.g. gradients set to ``None``
    at its end, as mmengine's optimizer wrapper does): frees of blocks allocated before the call lower the
    running sum when the profiler knows their size, and a step that began by freeing the previous step's
    gradients would then report a peak too low by their size.
    """
    if device.type == 'cuda':
        synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device)
        step()
        synchronize(device)
        return int(torch.cuda.max_memory_allocated(device) - before)
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        step()
    events = sorted((e.start_ns(), e.nbytes()) for e in prof.profiler.kineto_results.events()
                    if e.name() == '[memory]' and str(e.device_type()).endswith('CPU'))
    live = peak = 0
    for _, nbytes in events:
        live += nbytes
        peak = max(peak, live)
    return int(peak)


def count_flops(step: Step) -> int:
    """Floating-point operations of one call (matrix products, convolutions and attention; 2 per MAC)."""
    with FlopCounterMode(display=False) as counter:
        step()
    return int(counter.get_total_flops())


def matmul_step(m: int, k: int, n: int, device: torch.device, dtype: torch.dtype) -> Step:
    """A plain ``[m, k] @ [k, n]`` product: the practical FLOP/s ceiling of the device for GEMMs of that size.

    Returns:
        A zero-argument callable doing one product (``2 * m * k * n`` FLOPs).
    """
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(m, k, generator=gen).to(device=device, dtype=dtype)
    b = torch.randn(k, n, generator=gen).to(device=device, dtype=dtype)
    return lambda: torch.mm(a, b)


def autocast_context(device: torch.device, dtype: torch.dtype):
    """``torch.autocast`` for bf16/fp16 runs; a disabled one for fp32 (so call sites stay uniform)."""
    return torch.autocast(device.type, dtype=dtype, enabled=dtype != torch.float32)


def _cpu_model() -> str:
    try:
        out = subprocess.run(['lscpu'], capture_output=True, text=True, timeout=10).stdout
        for line in out.splitlines():
            if line.startswith('Model name:'):
                return line.split(':', 1)[1].strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return platform.processor() or platform.machine()


def machine_info(device: torch.device) -> Dict[str, object]:
    """Facts needed to read the numbers: CPU model and cores, threads, accelerator, library versions, load."""
    import timm
    info: Dict[str, object] = dict(
        cpu=_cpu_model(), cpu_cores=os.cpu_count(), torch_threads=torch.get_num_threads(),
        torch=torch.__version__, timm=timm.__version__, python=platform.python_version(),
        device=str(device))
    if hasattr(os, 'getloadavg'):
        info['load_avg_1m'] = round(os.getloadavg()[0], 2)  # > cores means the numbers are taken under contention
    if device.type == 'cuda':
        info['gpu'] = torch.cuda.get_device_name(device)
        info['cuda'] = torch.version.cuda
    return info
