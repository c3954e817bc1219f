"""The ViTDet-B backbone with rel-pos in every block, eva_mm against mmdet's ``projects/ViTDet`` ViT.

mmdet 3.x ships its ViTDet ViT (``projects/ViTDet/vitdet/vit.py``) in the source tree only, not in the wheel, so
it is imported from a path the user gives (the file, its folder, or an mmdetection checkout), else from an
importable ``projects.ViTDet.vitdet`` package; without either the mmdet candidate is left out and the result says
why. Both backbones are built with the ViTDet-B recipe (768 wide, 12 blocks of 12 heads, MLP 3072, patch 16,
windows of 14 with global blocks 2, 5, 8, 11, rel-pos everywhere, abs pos stored at 224) and share one set of
weights (identical state-dict keys), with non-zero rel-pos tables as in released weights; the outputs are
compared before timing. Candidates: eva_mm on each rel-pos path of :data:`benchmarks.relpos.PATHS` and mmdet;
forward + backward of the last map's sum, interleaved rounds, peak memory and attention kernels per candidate.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os.path as osp
import sys
from typing import Callable, Dict, Optional, Sequence, Tuple

import torch
from torch import nn

from eva_mm.models.backbones.eva import EVA

from .measure import autocast_context, interleaved_times, median, paired_ratio_stats, peak_memory
from .relpos import PATHS, attention_kernels, rel_pos_path

__all__ = ['VITDET_B', 'load_mmdet_vitdet', 'run_relpos_backbone', 'format_relpos_backbone']

#: ViTDet-B backbone recipe (mmdet projects/ViTDet configs; detectron2 projects/ViTDet COCO configs).
VITDET_B = dict(dim=768, depth=12, heads=12, mlp=3072, patch=16, window=14, global_blocks=(2, 5, 8, 11))

_MODULE = '_eva_mm_bench_mmdet_vitdet'


def _vit_file(path: str) -> str:
    for candidate in (path, osp.join(path, 'vit.py'), osp.join(path, 'projects', 'ViTDet', 'vitdet', 'vit.py')):
        if osp.isfile(candidate):
            return candidate
    raise FileNotFoundError(f'--mmdet-vitdet-path {path!r}: no vit.py there, in it, or under '
                            'projects/ViTDet/vitdet/ of it')


def load_mmdet_vitdet(path: Optional[str] = None) -> Tuple[Optional[type], str]:
    """mmdet's ViTDet ``ViT`` class and where it came from, or ``(None, reason)``.

    Args:
        path: ``vit.py``, its folder or an mmdetection checkout; ``None`` tries ``projects.ViTDet.vitdet``.
    """
    if path is None:
        try:
            return importlib.import_module('projects.ViTDet.vitdet').ViT, 'projects.ViTDet.vitdet'
        except ImportError as exc:
            return None, f'not importable ({exc}); give --mmdet-vitdet-path'
    file = _vit_file(path)
    if _MODULE not in sys.modules:  # importing twice would register ViT / LN2d in mmdet's registry twice
        spec = importlib.util.spec_from_file_location(_MODULE, file)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[_MODULE] = module
    return sys.modules[_MODULE].ViT, file


def _build(img_size: int, depth: int, dim: int, mmdet_cls: Optional[type]) -> Dict[str, nn.Module]:
    c = VITDET_B
    heads = c['heads']
    globals_ = tuple(i for i in c['global_blocks'] if i < depth)
    arch = dict(embed_dims=dim, depth=depth, num_heads=heads, mlp_hidden=c['mlp'] * dim // c['dim'],
                mlp_type='gelu', qkv_bias='qkv', use_rope=False, patch_size=c['patch'])
    torch.manual_seed(0)
    eva = EVA(arch=arch, img_size=img_size, pretrain_img_size=224, window_size=c['window'],
              global_attn_indexes=globals_, use_rel_pos=True, out_indices=(depth - 1,))
    with torch.no_grad():  # released tables are far from zero; zero tables would hide a wrong bias
        for name, p in eva.named_parameters():
            if 'rel_pos' in name:
                p.normal_(0, 0.02)
    models = dict(eva_mm=eva)
    if mmdet_cls is not None:
        mm = mmdet_cls(img_size=img_size, patch_size=c['patch'], embed_dim=dim, depth=depth, num_heads=heads,
                       mlp_ratio=c['mlp'] / c['dim'], qkv_bias=True, window_size=c['window'],
                       window_block_indexes=tuple(i for i in range(depth) if i not in globals_), use_rel_pos=True,
                       pretrain_img_size=224, pretrain_use_cls_token=True)
        mm.load_state_dict(eva.state_dict(), strict=True)
        models['mmdet'] = mm
    return models


def _output(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    out = model(x)
    return out[-1] if isinstance(out, (tuple, list)) else out


def run_relpos_backbone(img_size: int, device: torch.device, dtype: torch.dtype, batch: int = 1,
                        mmdet_vitdet_path: Optional[str] = None, depth: Optional[int] = None,
                        dim: Optional[int] = None, warmup: int = 1, repeats: int = 3,
                        paths: Sequence[str] = PATHS, kernels: bool = True) -> Dict:
    """Time / peak memory / kernels of the ViTDet-B backbone forward + backward: eva_mm's paths and mmdet's.

    Args:
        img_size: square input side in pixels (1024 in the recipe).
        mmdet_vitdet_path: where mmdet's ``vit.py`` is (:func:`load_mmdet_vitdet`).
        depth, dim: truncate / narrow the backbone (smoke tests); heads are kept.
        paths: eva_mm's rel-pos paths to run (a subset of :data:`~benchmarks.relpos.PATHS`).
        kernels: profile one more step per candidate for the attention kernels it runs (slow at full size).

    Returns:
        JSON-ready dict: ``seconds``, ``peak_bytes``, ``kernels`` per candidate, ``speedup_over_mmdet`` (median
        and quartiles of mmdet's seconds over each eva_mm path's, per round), ``max_rel_diff`` of the outputs.
    """
    depth, dim = depth or VITDET_B['depth'], dim or VITDET_B['dim']
    mmdet_cls, source = load_mmdet_vitdet(mmdet_vitdet_path)
    models = {name: m.to(device) for name, m in _build(img_size, depth, dim, mmdet_cls).items()}
    x = torch.randn(batch, 3, img_size, img_size, device=device)

    def step(model: nn.Module, path: Optional[str]) -> Callable[[], None]:
        def run() -> None:
            with autocast_context(device, dtype), (rel_pos_path(path) if path else contextlib.nullcontext()):
                y = _output(model, x)
            y.float().sum().backward()
            model.zero_grad(set_to_none=True)
        return run

    steps = {f'eva_mm {path}': step(models['eva_mm'], path) for path in PATHS if path in paths}
    if 'mmdet' in models:
        steps['mmdet'] = step(models['mmdet'], None)
    result: Dict[str, object] = dict(img_size=img_size, batch=batch, depth=depth, dim=dim, mmdet_source=source,
                                     dtype=str(dtype).replace('torch.', ''), tokens=(img_size // 16) ** 2)
    with torch.no_grad(), autocast_context(device, dtype):
        ref = _output(models['eva_mm'], x).float()
        if 'mmdet' in models:
            result['max_rel_diff'] = float((_output(models['mmdet'], x).float() - ref).abs().max() / ref.abs().max())
    result['peak_bytes'] = {name: peak_memory(fn, device) for name, fn in steps.items()}
    result['kernels'] = {name: attention_kernels(fn) if kernels else ['(not profiled)'] for name, fn in steps.items()}
    times = interleaved_times(steps, device, warmup=warmup, repeats=repeats)
    result['seconds'] = {name: median(t) for name, t in times.items()}
    base = 'mmdet' if 'mmdet' in times else next(iter(times))
    result['baseline'] = base
    result['speedup'] = {name: paired_ratio_stats(times[base], t) for name, t in times.items() if name != base}
    return result


def format_relpos_backbone(r: Dict) -> str:
    """One table of a :func:`run_relpos_backbone` result."""
    lines = [f"ViTDet-B backbone (depth {r['depth']}, width {r['dim']}) @ {r['img_size']} px, batch {r['batch']}, "
             f"{r['dtype']}, forward + backward; mmdet: {r['mmdet_source']}"]
    if 'max_rel_diff' in r:
        lines.append(f"  outputs eva_mm vs mmdet: max relative difference {r['max_rel_diff']:.1e}")
    base = r['baseline']
    for name, secs in r['seconds'].items():
        speed = r['speedup'].get(name)
        ratio = f"{speed['median']:.2f}x (q1 {speed['q1']:.2f}, q3 {speed['q3']:.2f})" if speed else 'baseline'
        lines.append(f"  {name:16s} {secs:8.2f} s  {ratio:26s} peak {r['peak_bytes'][name] / 2 ** 20:8,.0f} MiB  "
                     f"kernels: {', '.join(r['kernels'][name])}")
    lines.append(f'  speed-up = {base} seconds / candidate seconds, median over interleaved rounds')
    return '\n'.join(lines)
