"""Rel-pos attention in training: eva_mm's kernels against its previous path, on one global block.

``previous`` is the path before issue 20: the decomposed bias materialised as a ``[B, heads, N, N]`` tensor and
passed to SDPA as ``attn_mask`` (which, needing a gradient, sends SDPA to its math kernel); ``folded`` and
``chunked`` are the two kernels of :func:`eva_mm.layers.rel_pos_attention.rel_pos_attention` (forced with
:func:`~eva_mm.layers.rel_pos_attention.set_rel_pos_kernel`). Each runs the same block (same weights) forward +
backward; reported: median seconds (interleaved rounds), peak memory of the step, and the attention kernels the
profiler saw.
"""
from __future__ import annotations

import contextlib
from typing import Dict, Iterator, Optional, Sequence

import torch
import torch.nn.functional as F

from eva_mm.layers import EVABlock, decomposed_rel_pos_bias
from eva_mm.layers import attention as attention_mod
from eva_mm.layers.rel_pos_attention import get_rel_pos_kernel, set_rel_pos_kernel

from .measure import autocast_context, interleaved_times, median, paired_ratio_stats, peak_memory

__all__ = ['BLOCKS', 'PATHS', 'previous_rel_pos_path', 'rel_pos_path', 'attention_kernels', 'run_relpos',
           'format_relpos']

#: Global rel-pos blocks of the recipes: width, heads, MLP hidden, patch (ViTDet-B: mmdet projects/ViTDet
#: configs; EVA-g: baaivision/EVA EVA-01/det, 1408 wide, 16 heads, 6144 MLP, patch 16 at 1280 px).
BLOCKS = {
    'vitdet-b': dict(dim=768, heads=12, mlp=3072, patch=16),
    'eva-g': dict(dim=1408, heads=16, mlp=6144, patch=16),
}


def _previous(q, k, v, rel_pos_h, rel_pos_w, hw, scale, interp='linear', dropout_p=0.):
    bias = decomposed_rel_pos_bias(q, rel_pos_h, rel_pos_w, hw, hw, interp)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=bias, dropout_p=dropout_p, scale=scale)


@contextlib.contextmanager
def previous_rel_pos_path() -> Iterator[None]:
    """Run EVA attention's rel-pos blocks as before issue 20 (explicit N x N bias as SDPA's ``attn_mask``)."""
    saved = attention_mod.rel_pos_attention
    attention_mod.rel_pos_attention = _previous
    try:
        yield
    finally:
        attention_mod.rel_pos_attention = saved


#: eva_mm's rel-pos paths, in table order.
PATHS = ('previous', 'folded', 'chunked')


@contextlib.contextmanager
def rel_pos_path(path: str) -> Iterator[None]:
    """Run eva_mm's rel-pos blocks on one of :data:`PATHS` (the fast-path switch itself stays on)."""
    if path not in PATHS:
        raise ValueError(f'rel-pos path must be one of {PATHS}, got {path!r}')
    if path == 'previous':
        with previous_rel_pos_path():
            yield
        return
    saved = get_rel_pos_kernel()
    set_rel_pos_kernel(path)
    try:
        yield
    finally:
        set_rel_pos_kernel(saved)


def attention_kernels(step) -> list:
    """Attention kernels one call runs: SDPA's backends, the chunked function, or an eager softmax."""
    with torch.profiler.profile() as prof:
        step()
    names = set()
    for e in prof.events():
        if 'scaled_dot_product' in e.name and not e.name.endswith('scaled_dot_product_attention'):
            names.add(e.name.replace('aten::', ''))
        elif e.name.startswith('_ChunkedRelPosAttention'):
            names.add(e.name)
        elif e.name in ('aten::_softmax', 'aten::_softmax_backward_data'):
            names.add('eager ' + e.name.replace('aten::', ''))
    return sorted(names)


def run_relpos(block: str, img_size: int, device: torch.device, dtype: torch.dtype, batch: int = 1,
               warmup: int = 1, repeats: int = 3, timing: bool = True, dim: Optional[int] = None,
               paths: Sequence[str] = PATHS) -> Dict:
    """Time / peak memory / kernels of one global rel-pos block forward + backward, each of :data:`PATHS`.

    Args:
        block: a key of :data:`BLOCKS`.
        img_size: input side in pixels; the block sees ``(img_size / patch) ** 2`` tokens.
        dim: override the width (smoke tests); heads are kept, MLP scales with it.
        paths: the subset of :data:`PATHS` to run (speed-ups need ``'previous'``).
    """
    cfg = dict(BLOCKS[block])
    if dim is not None:
        cfg.update(mlp=cfg['mlp'] * dim // cfg['dim'], dim=dim)
    grid = (img_size // cfg['patch'],) * 2
    torch.manual_seed(0)
    model = EVABlock(cfg['dim'], cfg['heads'], cfg['mlp'], mlp_type='gelu', qkv_bias='qkv',
                     rel_pos_grid=grid).to(device)
    x = torch.randn(batch, grid[0] * grid[1], cfg['dim'], device=device)

    def step() -> None:
        with autocast_context(device, dtype):
            y = model(x.requires_grad_(True), grid)
        y.float().sum().backward()
        model.zero_grad(set_to_none=True)
        x.grad = None

    def on(path: str):
        def run() -> None:
            with rel_pos_path(path):
                step()
        return run

    steps = {path: on(path) for path in PATHS if path in paths}
    result: Dict[str, object] = dict(block=block, img_size=img_size, tokens=grid[0] * grid[1], batch=batch,
                                     dim=cfg['dim'], heads=cfg['heads'], dtype=str(dtype).replace('torch.', ''))
    result['peak_bytes'] = {name: peak_memory(fn, device) for name, fn in steps.items()}
    result['kernels'] = {name: attention_kernels(fn) for name, fn in steps.items()}
    if timing:
        times = interleaved_times(steps, device, warmup=warmup, repeats=repeats)
        result['seconds'] = {name: median(t) for name, t in times.items()}
        result['speedup'] = {name: paired_ratio_stats(times['previous'], times[name])
                             for name in times if name != 'previous' and 'previous' in times}
    return result


def format_relpos(r: Dict) -> str:
    """One table of a :func:`run_relpos` result."""
    lines = [f"rel-pos global block {r['block']} @ {r['img_size']} px ({r['tokens']} tokens, batch {r['batch']}, "
             f"{r['dtype']}), forward + backward"]
    for name in r['peak_bytes']:
        secs = r.get('seconds', {}).get(name)
        t = f'{secs:8.3f} s' if secs is not None else '       - '
        lines.append(f"  {name:9s} {t}  peak {r['peak_bytes'][name] / 2 ** 20:9,.0f} MiB  "
                     f"kernels: {', '.join(r['kernels'][name])}")
    for name in r['peak_bytes']:
        speed = r.get('speedup', {}).get(name)
        if speed:
            lines.append(f"  {name} speed-up over previous (median per-round ratio): {speed['median']:.2f}x "
                         f"(q1 {speed['q1']:.2f}, q3 {speed['q3']:.2f})")
        if name == 'previous' or 'previous' not in r['peak_bytes']:
            continue
        lines.append(f"  peak memory previous / {name}: {r['peak_bytes']['previous'] / r['peak_bytes'][name]:.2f}x")
    return '\n'.join(lines)
