"""Train the CPU quickstarts with several seeds, one run at a time, and print each result, mean and spread.

    python tools/analysis/seed_spread.py [--tasks det seg] [--seeds 0 1 2] [--work-root work_dirs/seed_spread]
                                         [--threads N] [--summary-only]

Each run is `tools/train.py CONFIG --work-dir WORK_ROOT/TASK_sSEED --overwrite --cfg-options randomness.seed=SEED`
(the quickstarts set `randomness = dict(seed=0)`; the generated data set does not depend on it). The final
validation metrics are read from the run's `vis_data/scalars.json`, so `--summary-only` re-reads finished runs.
Exits 1 if a seed misses its task's target (README: detection bbox >= 0.5 and segm >= 0.4 mAP, segmentation
mIoU >= 60). Reproducibility docs: docs/reproducibility.md.
"""
import argparse
import glob
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import time
from typing import Dict, List, Optional

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TASKS = {
    'det': dict(config='configs/quickstart/vitdet-mask-rcnn_eva02-mini-p8_1000it_shapes-coco.py',
                targets={'coco/bbox_mAP': 0.5, 'coco/segm_mAP': 0.4}),
    'seg': dict(config='configs/quickstart/upernet_eva02-mini-p8_400it_ade-shapes-64x64.py',
                targets={'mIoU': 60.0}),
}


def final_metrics(work_dir: str, keys: List[str]) -> Optional[Dict[str, float]]:
    """The last record holding every key among the work dir's runs (newest run first), or None."""
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')), reverse=True):
        with open(path) as f:
            records = [json.loads(line) for line in f if line.strip()]
        for record in reversed(records):
            if all(k in record for k in keys):
                return {k: float(record[k]) for k in keys}
    return None


def train(task: str, seed: int, work_dir: str, threads: Optional[int]) -> float:
    """One training run; returns its wall time in seconds."""
    env = dict(os.environ)
    if threads:
        env['OMP_NUM_THREADS'] = str(threads)
    cmd = [sys.executable, 'tools/train.py', TASKS[task]['config'], '--work-dir', work_dir, '--overwrite',
           '--cfg-options', f'randomness.seed={seed}']
    start = time.time()
    with open(work_dir + '.log', 'w') as log:
        subprocess.run(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=True)
    return time.time() - start


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--tasks', nargs='+', choices=sorted(TASKS), default=['det', 'seg'])
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--work-root', default='work_dirs/seed_spread')
    parser.add_argument('--threads', type=int, help='OMP_NUM_THREADS of the runs (default: torch chooses)')
    parser.add_argument('--summary-only', action='store_true', help='read finished runs, train nothing')
    args = parser.parse_args(argv)
    os.makedirs(osp.join(ROOT, args.work_root), exist_ok=True)
    missed = False
    for task in args.tasks:
        targets = TASKS[task]['targets']
        results = {}
        for seed in args.seeds:
            work_dir = osp.join(ROOT, args.work_root, f'{task}_s{seed}')
            wall = None if args.summary_only else train(task, seed, work_dir, args.threads)
            metrics = final_metrics(work_dir, list(targets))
            if metrics is None:
                print(f'{task} seed {seed}: no final metrics in {work_dir}')
                missed = True
                continue
            results[seed] = metrics
            ok = all(metrics[k] >= t for k, t in targets.items())
            missed |= not ok
            print(f'{task} seed {seed}: ' + ', '.join(f'{k} {v:.4g}' for k, v in metrics.items())
                  + (f', wall {wall:.0f} s' if wall else '') + ('' if ok else '  MISSES THE TARGET'), flush=True)
        for key, target in targets.items():
            values = [m[key] for m in results.values()]
            if values:
                spread = statistics.stdev(values) if len(values) > 1 else 0.0
                print(f'{task} {key}: mean {statistics.mean(values):.4g}, std {spread:.2g}, min {min(values):.4g}, '
                      f'max {max(values):.4g} over {len(values)} seeds (target >= {target})')
    return 1 if missed else 0


if __name__ == '__main__':
    sys.exit(main())
