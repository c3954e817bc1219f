"""Plain-text tables of the benchmark results (the JSON file keeps every raw number)."""
from __future__ import annotations

import json
from typing import Dict, List, Optional

__all__ = ['format_backbone', 'format_cp', 'format_machine', 'write_json']

MIB = 2 ** 20
CLASSES = ('gemm', 'attention', 'other')


def _mib(nbytes: Optional[int]) -> str:
    return '-' if nbytes is None else f'{nbytes / MIB:,.0f}'


def _table(header: List[str], rows: List[List[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    lines = ['  '.join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in [header] + rows]
    lines.insert(1, '  '.join('-' * w for w in widths))
    return '\n'.join(lines)


def format_machine(info: Dict[str, object]) -> str:
    """One line naming the machine and the software."""
    return ', '.join(f'{k}={v}' for k, v in info.items())


def format_backbone(r: Dict[str, object]) -> str:
    """Table of one :func:`~benchmarks.backbone.run_backbone` result."""
    title = (f"backbone {r['arch']} {r['img_size']}px batch {r['batch']} depth {r['depth']} {r['device']} "
             f"{r['dtype']} {'compiled' if r['compile'] else 'eager'} (median of {r['repeats']})")
    rows = []
    for name, m in r['models'].items():
        rows.append([name, f"{m['forward']['img_per_s']:.2f}", f"{m['train']['img_per_s']:.2f}",
                     f"{m['forward']['flops_per_s'] / 1e9:.1f}", f"{100 * m['forward']['fraction_of_matmul']:.0f}%",
                     f"{m['train']['flops_per_s'] / 1e9:.1f}", f"{100 * m['train']['fraction_of_matmul']:.0f}%",
                     _mib(m.get('train_peak_bytes'))])
    header = ['model', 'fwd img/s', 'fwd+bwd img/s', 'fwd GFLOP/s', 'fwd/matmul', 'fwd+bwd GFLOP/s',
              'fwd+bwd/matmul', 'fwd+bwd peak MiB']
    mm = r['matmul']
    lines = [title, _table(header, rows),
             f"matmul ceiling {mm['flops_per_s'] / 1e9:.1f} GFLOP/s for [{mm['shape'][0]}x{mm['shape'][1]}] @ "
             f"[{mm['shape'][1]}x{mm['shape'][2]}]; model GFLOPs fwd {r['flops']['forward'] / 1e9:.1f}, "
             f"fwd+bwd {r['flops']['train'] / 1e9:.1f}; eva_mm vs timm max |diff| {r['parity_max_abs_diff']:.1e}"]
    if 'speedup_vs_timm' in r:
        s = r['speedup_vs_timm']
        b = r['speedup_vs_timm_best']
        lines.append(f"eva_mm / timm throughput (medians): forward {s['forward']:.3f}x, forward+backward "
                     f"{s['train']:.3f}x; fastest rounds: {b['forward']:.3f}x, {b['train']:.3f}x")
        q = r['speedup_vs_timm_rounds']
        lines.append('per-round ratios, median [quartiles]: ' + ', '.join(
            f"{label} {q[kind]['median']:.3f}x [{q[kind]['q1']:.3f}, {q[kind]['q3']:.3f}]"
            for kind, label in (('forward', 'forward'), ('train', 'forward+backward'))))
    parts = [[f'{name} {label}'] + [f"{100 * m['breakdown'][kind][f'{c}_share']:.0f}%" for c in CLASSES]
             for name, m in r['models'].items() if 'breakdown' in m
             for kind, label in (('forward', 'fwd'), ('train', 'fwd+bwd'))]
    if parts:
        lines += ['', 'time by operator class (one profiled step each)',
                  _table(['model step', 'GEMM', 'attention', 'other'], parts)]
    if 'speedup_bound' in r:
        u = r['speedup_bound']
        lines.append(f"bound: with zero time outside GEMM and attention eva_mm / timm would be forward "
                     f"{u['forward']:.2f}x, forward+backward {u['train']:.2f}x")
    return '\n'.join(lines)


def format_cp(r: Dict[str, object], what: str) -> str:
    """Table of a with_cp on/off result (:func:`~benchmarks.detector.run_backbone_cp` or ``run_detector``)."""
    arch = r['arch']
    title = (f"{what}: {r['config']} (embed {arch['embed_dims']}, depth {arch['depth']}) {r['img_size']}px batch "
             f"{r['batch']} {r['device']} {r['dtype']}")
    rows = [[name, f"{r[name]['seconds']:.3f}", _mib(r[name]['peak_bytes'])] for name in ('plain', 'with_cp')]
    lines = [title, _table(['setting', 'step s', 'peak MiB'], rows),
             f"with_cp time / plain: {r['time_ratio_cp_over_plain']:.2f}x"]
    if 'memory_ratio_plain_over_cp' in r:
        lines[-1] += f"; plain peak memory / with_cp: {r['memory_ratio_plain_over_cp']:.2f}x"
    return '\n'.join(lines)


def write_json(path: str, payload: Dict[str, object]) -> None:
    """Write the results, indented, creating nothing but the file."""
    with open(path, 'w') as f:
        json.dump(payload, f, indent=1, sort_keys=False)
        f.write('\n')
