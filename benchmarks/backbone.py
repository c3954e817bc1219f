"""eva_mm's EVA against timm's ``Eva`` built for the same architecture, in one process.

Both models get the same random weights (timm's, converted by ``eva_mm.checkpoint.convert``), so they compute the
same function; the outputs' largest difference is reported as a sanity check. Each is measured for forward
(inference, ``no_grad``) and forward+backward (a training step without the optimizer) throughput and peak memory,
interleaved after warm-up. Achieved FLOP/s are compared with a plain matrix product the size of the model's widest
GEMM, measured in the same interleaved rounds: the practical ceiling of the device.
"""
from __future__ import annotations

import contextlib
from typing import Callable, Dict, Optional, Tuple

import timm
import torch
from torch import nn

from eva_mm.checkpoint import convert
from eva_mm.layers import set_fused_attn, use_fused_attn
from eva_mm.models.backbones import ARCH_ZOO, EVA

from .breakdown import op_breakdown, speedup_bound
from .measure import (
    autocast_context,
    count_flops,
    interleaved_times,
    matmul_step,
    median,
    paired_ratio_stats,
    peak_memory,
)

__all__ = ['TIMM_NAMES', 'build_pair', 'run_backbone']

#: timm model for each eva_mm arch (timm has no EVA-01 L).
TIMM_NAMES: Dict[str, str] = {
    'eva-g': 'eva_giant_patch14_224',
    'eva02-t': 'eva02_tiny_patch14_224',
    'eva02-s': 'eva02_small_patch14_224',
    'eva02-b': 'eva02_base_patch14_224',
    'eva02-l': 'eva02_large_patch14_224',
}

Forward = Callable[[torch.Tensor], torch.Tensor]


def build_pair(arch: str, img_size: int, depth: Optional[int] = None, seed: int = 0) -> Tuple[nn.Module, nn.Module]:
    """timm's model and eva_mm's EVA with identical random weights, both returning all tokens after the final norm.

    Args:
        arch: eva_mm arch name with a timm counterpart (:data:`TIMM_NAMES`).
        img_size: Square input size; the position grid is built for it in both models.
        depth: Truncate both to this many blocks (``None``: the arch's depth).
        seed: Seed of timm's initialisation.

    Returns:
        ``(eva_mm_model, timm_model)`` on CPU, float32. Call ``eva.forward_tokens`` and ``timm.forward_features``.
    """
    if arch not in TIMM_NAMES:
        raise KeyError(f'no timm counterpart for arch {arch!r}; choose from {sorted(TIMM_NAMES)}')
    torch.manual_seed(seed)
    extra = {} if depth is None else dict(depth=depth)
    reference = timm.create_model(TIMM_NAMES[arch], pretrained=False, num_classes=0, img_size=img_size, **extra)
    state = reference.state_dict()
    has_norm = 'norm.weight' in state  # EVA-02 MIM models end in fc_norm (dropped with the head), EVA-g in norm
    settings = dict(ARCH_ZOO[arch], **extra)
    model = EVA(arch=settings, img_size=img_size, out_indices=(-1,), final_norm=has_norm,
                pos_embed_antialias=True)
    model.load_state_dict(convert(state, qkv_bias=settings.get('qkv_bias', 'qv'), keep_norm=has_norm), strict=True)
    return model, reference


def _widest_gemm(model: EVA, tokens: int) -> Tuple[int, int, int]:
    """``(m, k, n)`` of the backbone's largest GEMM: the first MLP projection over every token of the batch."""
    mlp = model.blocks[0].mlp
    first = mlp.w12 if hasattr(mlp, 'w12') else mlp.fc1
    return tokens, first.in_features, first.out_features


def _steps(forward: Forward, module: nn.Module, x: torch.Tensor, dtype: torch.dtype) -> Dict[str, Callable]:
    def infer() -> None:
        module.eval()
        with torch.no_grad(), autocast_context(x.device, dtype):
            forward(x)

    def train() -> None:
        module.train()
        module.zero_grad(set_to_none=True)
        with autocast_context(x.device, dtype):
            out = forward(x)
        out.float().mean().backward()
        # Free the gradients now rather than at the next step, so two models' gradients are never alive at once
        # (EVA-g: 4 GB each in fp32).
        module.zero_grad(set_to_none=True)

    return dict(forward=infer, train=train)


@contextlib.contextmanager
def _eager_attention():
    """The eager attention path: FlopCounterMode counts its matmuls (it has no formula for CPU flash SDPA)."""
    before = use_fused_attn()
    set_fused_attn(False)
    try:
        yield
    finally:
        set_fused_attn(before)


def run_backbone(arch: str, img_size: int, batch: int, device: torch.device, dtype: torch.dtype,
                 depth: Optional[int] = None, compile: bool = False, warmup: int = 1, repeats: int = 3,
                 with_timm: bool = True, memory: bool = True, breakdown: bool = True) -> Dict[str, object]:
    """Throughput, FLOP/s and peak memory of eva_mm's backbone (and timm's), interleaved.

    Args:
        arch: eva_mm arch name (timm counterpart required when ``with_timm``).
        img_size: Square input size.
        batch: Images per call.
        device: Where to run.
        dtype: ``torch.float32``, or ``torch.bfloat16`` / ``torch.float16`` for autocast runs (weights stay fp32).
        depth: Truncate to this many blocks.
        compile: ``torch.compile`` both models' forward functions.
        warmup: Untimed rounds (also triggers compilation).
        repeats: Timed rounds.
        with_timm: Measure timm's model too.
        memory: Measure peak memory of one training step per model.
        breakdown: Profile one step per model and kind, splitting its time into GEMM / attention / other
            (:mod:`.breakdown`), and derive the largest eva_mm / timm speed-up reachable with these GEMMs.

    Returns:
        A JSON-ready dict: settings, per-model medians (s, img/s), FLOPs, achieved FLOP/s, the matmul ceiling,
        ratios eva_mm / timm and eva_mm / ceiling, peak memory, time by operator class, the parity check.
    """
    eva, reference = build_pair(arch, img_size, depth)
    eva, reference = eva.to(device), reference.to(device)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(batch, 3, img_size, img_size, generator=gen).to(device)

    with torch.no_grad():
        parity = float((eva.eval().forward_tokens(x) - reference.eval().forward_features(x)).abs().max())
    with _eager_attention():
        flops = {name: count_flops(step) for name, step in _steps(eva.forward_tokens, eva, x, dtype).items()}

    forwards: Dict[str, Tuple[Forward, nn.Module]] = {'eva_mm': (eva.forward_tokens, eva)}
    if with_timm:
        forwards['timm'] = (reference.forward_features, reference)
    steps: Dict[str, Callable] = {}
    for name, (forward, module) in forwards.items():
        fn = torch.compile(forward) if compile else forward
        for kind, step in _steps(fn, module, x, dtype).items():
            steps[f'{name}/{kind}'] = step
    tokens = (img_size // eva.patch_size) ** 2 + int(eva.with_cls_token)
    m, k, n = _widest_gemm(eva, batch * tokens)
    gemm_dtype = torch.float32 if dtype == torch.float32 else dtype
    steps['matmul'] = matmul_step(m, k, n, device, gemm_dtype)

    times = interleaved_times(steps, device, warmup=warmup, repeats=repeats)
    med = {name: median(t) for name, t in times.items()}
    matmul_flops = 2 * m * k * n / med['matmul']
    result: Dict[str, object] = dict(
        arch=arch, img_size=img_size, batch=batch, depth=depth or ARCH_ZOO[arch]['depth'], device=str(device),
        dtype=str(dtype).replace('torch.', ''), compile=compile, warmup=warmup, repeats=repeats,
        parity_max_abs_diff=parity, flops=flops, matmul=dict(shape=[m, k, n], seconds=med['matmul'],
                                                             flops_per_s=matmul_flops),
        times=times, models={})
    for name in forwards:
        entry: Dict[str, object] = {}
        for kind in ('forward', 'train'):
            sec = med[f'{name}/{kind}']
            entry[kind] = dict(seconds=sec, img_per_s=batch / sec, flops_per_s=flops[kind] / sec,
                               fraction_of_matmul=flops[kind] / sec / matmul_flops)
        if memory:
            entry['train_peak_bytes'] = peak_memory(steps[f'{name}/train'], device)
        if breakdown:
            entry['breakdown'] = {kind: op_breakdown(steps[f'{name}/{kind}'], device) for kind in ('forward', 'train')}
        result['models'][name] = entry
    if with_timm:
        result['speedup_vs_timm'] = {kind: med[f'timm/{kind}'] / med[f'eva_mm/{kind}'] for kind in ('forward', 'train')}
        # Contention only ever adds time, so the fastest round of each is a second, burst-robust estimate.
        best = {name: min(t) for name, t in times.items()}
        result['speedup_vs_timm_best'] = {kind: best[f'timm/{kind}'] / best[f'eva_mm/{kind}']
                                          for kind in ('forward', 'train')}
        # Each round runs both models back to back, so the per-round ratios pair them under the same load; their
        # spread (quartiles) says how much a single ratio on this machine can be trusted.
        result['speedup_vs_timm_rounds'] = {kind: paired_ratio_stats(times[f'timm/{kind}'], times[f'eva_mm/{kind}'])
                                            for kind in ('forward', 'train')}
        if breakdown:
            eva_parts = result['models']['eva_mm']['breakdown']
            result['speedup_bound'] = {kind: speedup_bound(med[f'eva_mm/{kind}'], eva_parts[kind], med[f'timm/{kind}'])
                                       for kind in ('forward', 'train')}
    return result
