"""Rel-pos attention in training: the folded fused path against eva_mm's previous path, on one global block.

``previous`` is the path before issue 20: the decomposed bias materialised as a ``[B, heads, N, N]`` tensor and
passed to SDPA as ``attn_mask`` (which, needing a gradient, sends SDPA to its math kernel); ``folded`` is
:func:`eva_mm.layers.rel_pos_attention.rel_pos_attention`. Each runs the same block (same weights) forward +
backward; reported: median seconds (interleaved rounds), peak memory of the step, and the SDPA kernels the
profiler saw.
"""
from __future__ import annotations

import contextlib
from typing import Dict, Iterator, Optional

import torch
import torch.nn.functional as F

from eva_mm.layers import EVABlock, decomposed_rel_pos_bias
from eva_mm.layers import attention as attention_mod

from .measure import autocast_context, interleaved_times, median, paired_ratio_stats, peak_memory

__all__ = ['BLOCKS', 'previous_rel_pos_path', 'run_relpos', 'format_relpos']

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


def _kernels(step) -> list:
    with torch.profiler.profile() as prof:
        step()
    return sorted({e.name.replace('aten::', '') for e in prof.events() if 'scaled_dot_product' in e.name
                   and not e.name.endswith('scaled_dot_product_attention')})


def run_relpos(block: str, img_size: int, device: torch.device, dtype: torch.dtype, batch: int = 1,
               warmup: int = 1, repeats: int = 3, timing: bool = True, dim: Optional[int] = None) -> Dict:
    """Time / peak memory / kernels of one global rel-pos block forward + backward, previous vs folded path.

    Args:
        block: a key of :data:`BLOCKS`.
        img_size: input side in pixels; the block sees ``(img_size / patch) ** 2`` tokens.
        dim: override the width (smoke tests); heads are kept, MLP scales with it.
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

    def previous() -> None:
        with previous_rel_pos_path():
            step()

    steps = dict(previous=previous, folded=step)
    result: Dict[str, object] = dict(block=block, img_size=img_size, tokens=grid[0] * grid[1], batch=batch,
                                     dim=cfg['dim'], heads=cfg['heads'], dtype=str(dtype).replace('torch.', ''))
    result['peak_bytes'] = {name: peak_memory(fn, device) for name, fn in steps.items()}
    result['kernels'] = {name: _kernels(fn) for name, fn in steps.items()}
    if timing:
        times = interleaved_times(steps, device, warmup=warmup, repeats=repeats)
        result['seconds'] = {name: median(t) for name, t in times.items()}
        result['speedup'] = paired_ratio_stats(times['previous'], times['folded'])
    return result


def format_relpos(r: Dict) -> str:
    """One table of a :func:`run_relpos` result."""
    lines = [f"rel-pos global block {r['block']} @ {r['img_size']} px ({r['tokens']} tokens, batch {r['batch']}, "
             f"{r['dtype']}), forward + backward"]
    for name in ('previous', 'folded'):
        secs = r.get('seconds', {}).get(name)
        t = f'{secs:8.3f} s' if secs is not None else '       - '
        lines.append(f"  {name:9s} {t}  peak {r['peak_bytes'][name] / 2 ** 20:9,.0f} MiB  "
                     f"kernels: {', '.join(r['kernels'][name])}")
    if 'speedup' in r:
        lines.append(f"  folded speed-up (median per-round ratio): {r['speedup']['median']:.2f}x")
    lines.append(f"  peak memory previous / folded: {r['peak_bytes']['previous'] / r['peak_bytes']['folded']:.2f}x")
    return '\n'.join(lines)
