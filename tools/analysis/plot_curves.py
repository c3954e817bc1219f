"""Draw training curves (loss, learning rate, validation metrics) from an mmengine work dir to a PNG.

    python tools/analysis/plot_curves.py WORK_DIR_OR_SCALARS_JSON [--keys loss lr coco/bbox_mAP ...] [--out FILE.png]

mmengine writes `<work_dir>/<timestamp>/vis_data/scalars.json`, one JSON object per line: training lines carry
`lr`, `loss*`, `iter` and `step` (and `epoch` in epoch-based runs); validation lines carry the metrics and a `step`
that may be the iteration, the epoch, or 0 (an iteration-based run whose LoggerHook keeps the default
`log_metric_by_epoch=True`). Lines are written in time order, so a metric is drawn at the iteration of the last
training line before it, whatever its `step` says. A work dir that was resumed holds several timestamped runs; they
are read in time order and a later value for the same iteration replaces an earlier one. Each key has its own panel.
"""
import argparse
import glob
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import matplotlib

matplotlib.use('Agg')  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

from eva_mm.datasets.json_lines import iter_json_lines  # noqa: E402

# Bookkeeping entries of every log line, never curves.
NOT_CURVES = ('iter', 'step', 'epoch', 'time', 'data_time', 'memory')
Curve = Tuple[List[float], List[float], str]  # x values, y values, x-axis label


def scalar_files(path: str) -> List[str]:
    """The scalars.json files of a work dir (in time order), or `path` itself when it is a file."""
    if osp.isfile(path):
        return [path]
    if not osp.isdir(path):
        raise FileNotFoundError(f'no such work dir or log file: {path}')
    files = sorted(glob.glob(osp.join(path, '*', 'vis_data', 'scalars.json'))
                   + glob.glob(osp.join(path, 'vis_data', 'scalars.json')))
    if not files:
        raise FileNotFoundError(f'{path} holds no */vis_data/scalars.json (is it an mmengine work dir?)')
    return files


def read_records(files: Sequence[str]) -> List[dict]:
    """Every JSON line of the files, in order; a line that is not a JSON object is an error naming file and line."""
    return [record for file in files for _, record in iter_json_lines(file)]


def is_train(record: dict) -> bool:
    """Training lines log the learning rate and losses; validation lines log neither."""
    return 'lr' in record or any(key.startswith('loss') for key in record)


def default_keys(records: Sequence[dict]) -> List[str]:
    """`loss`, `lr`, then every validation metric, in first-seen order."""
    keys = [k for k in ('loss', 'lr') if any(k in r for r in records if is_train(r))]
    for record in records:
        if not is_train(record):
            keys += [k for k in record if k not in NOT_CURVES and k not in keys]
    return keys


def curve(records: Sequence[dict], key: str) -> Curve:
    """The (x, y) points of one key, x in iterations: a training line's own, a metric's from the line before it."""
    points: Dict[float, float] = {}
    iteration = None  # of the last training line read; None until one is (a log of testing only)
    for record in records:
        if is_train(record):
            iteration = record.get('iter', record.get('step', iteration))
        if key in record and isinstance(record[key], (int, float)):
            x = iteration if iteration is not None else record.get('step')
            if x is not None:
                points[float(x)] = float(record[key])  # a resumed run overwrites the iterations it repeats
    xs = sorted(points)
    return xs, [points[x] for x in xs], 'iteration' if any(is_train(r) for r in records) else 'step'


def plot(curves: Dict[str, Curve], out: str, title: str = '') -> None:
    """One panel per curve, stacked, each drawn in its own colour of matplotlib's default cycle."""
    fig, axes = plt.subplots(len(curves), 1, figsize=(8, 2.6 * len(curves)), squeeze=False)
    for i, (ax, (key, (xs, ys, xlabel))) in enumerate(zip(axes[:, 0], curves.items())):
        ax.plot(xs, ys, color=f'C{i}', marker='.' if len(xs) < 30 else None, linewidth=1.5)
        ax.set_ylabel(key)
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3)
    if title:
        axes[0, 0].set_title(title)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Plot loss / lr / metric curves of an mmengine work dir.')
    parser.add_argument('path', help='work dir (reads */vis_data/scalars.json) or one scalars.json file')
    parser.add_argument('--keys', nargs='+', help='keys to draw (default: loss, lr and every validation metric)')
    parser.add_argument('--out', help='PNG to write (default: <work dir>/curves.png)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> str:
    """Draw the curves; returns the PNG's path."""
    args = parse_args(argv)
    records = read_records(scalar_files(args.path))
    available = default_keys(records) + sorted({k for r in records for k in r} - set(NOT_CURVES)
                                               - set(default_keys(records)))
    keys = args.keys or default_keys(records)
    unknown = [k for k in keys if k not in available]
    if unknown or not keys:
        raise KeyError(f'{args.path}: no values logged for {unknown or "any key"}; logged keys: {available}')
    curves = {key: curve(records, key) for key in keys}
    out = args.out or osp.join(args.path if osp.isdir(args.path) else osp.dirname(args.path), 'curves.png')
    plot(curves, out, title=osp.basename(osp.normpath(args.path)))
    print(f'curves of {", ".join(keys)} written to {out}')
    return out


if __name__ == '__main__':
    try:
        main()
    except (FileNotFoundError, KeyError, ValueError) as e:
        sys.exit(f'error: {e.args[0] if isinstance(e, KeyError) else e}')
