"""The CUDA bf16 benchmark in one run of at most about 5 minutes, for a session that is lent a GPU.

    python benchmarks/gpu.py [--out-dir DIR] [--budget-s 270]      # on a CUDA machine
    python benchmarks/gpu.py --dry-run [--out-dir DIR]             # same jobs at smoke size on CPU (tests)

Jobs run in order, cheapest and most important first: eva_mm vs timm backbones under bf16 autocast (eager),
activation checkpointing at 1024 for the ViTDet-B recipe (backbone memory, detector train step), then the same
backbone comparison compiled. A job that would start after ``--budget-s`` is recorded as skipped; a job that fails
(e.g. a compiler error) is recorded with its error and the run goes on. Writes ``gpu_benchmark.json`` and prints
the tables.
"""
from __future__ import annotations

import argparse
import os
import os.path as osp
import sys
import time
import traceback
from typing import Callable, Dict, List, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout without installing

import torch  # noqa: E402

import eva_mm  # noqa: E402,F401
from benchmarks.backbone import run_backbone  # noqa: E402
from benchmarks.detector import DEFAULT_DETECTOR_CONFIG, run_backbone_cp, run_detector  # noqa: E402
from benchmarks.measure import machine_info  # noqa: E402
from benchmarks.report import format_backbone, format_cp, format_machine, write_json  # noqa: E402

SMOKE_CONFIG = osp.join(osp.dirname(osp.abspath(__file__)), 'configs',
                        'cascade-mask-rcnn_eva02-mini_smoke_synthetic.py')

#: (name, function, its kwargs, table formatter, estimated seconds on the target GPU)
Job = Tuple[str, Callable[..., dict], Dict[str, object], Callable[[dict], str], float]


def _backbone_job(name: str, estimate_s: float, **kw) -> Job:
    return name, run_backbone, kw, format_backbone, estimate_s


def _cp_job(name: str, estimate_s: float, fn: Callable[..., dict], what: str, **kw) -> Job:
    return name, fn, kw, lambda r: format_cp(r, what), estimate_s


def cuda_jobs() -> List[Job]:
    """The full-size plan for one modern GPU (sized for an 80-140 GB card; each job well under a minute)."""
    bf16 = torch.bfloat16
    common = dict(device=torch.device('cuda'), dtype=bf16, warmup=3, repeats=10)
    det = dict(config=DEFAULT_DETECTOR_CONFIG, img_size=1024, device=torch.device('cuda'), dtype=bf16, warmup=2)
    return [
        _backbone_job('eva02-b_224_b256_eager', 20, arch='eva02-b', img_size=224, batch=256, **common),
        _backbone_job('eva02-l_224_b128_eager', 25, arch='eva02-l', img_size=224, batch=128, **common),
        _backbone_job('eva-g_224_b32_eager', 40, arch='eva-g', img_size=224, batch=32, **common),
        _cp_job('vitdet-b_1024_backbone_cp', 20, run_backbone_cp, 'backbone forward+backward', batch=4, repeats=5,
                **det),
        _cp_job('vitdet-b_1024_detector_cp', 40, run_detector, 'detector train step', batch=2, repeats=3, **det),
        # Compilation dominates these (two graphs per model: inference and training).
        _backbone_job('eva02-b_224_b256_compiled', 90, arch='eva02-b', img_size=224, batch=256, compile=True,
                      **common),
    ]


def dry_jobs() -> List[Job]:
    """The same jobs at smoke size on CPU, so the script cannot rot where no GPU is available."""
    bf16 = torch.bfloat16
    cpu = torch.device('cpu')
    common = dict(device=cpu, dtype=bf16, warmup=1, repeats=1, img_size=28, batch=2, depth=1)
    det = dict(config=SMOKE_CONFIG, img_size=128, device=cpu, dtype=bf16, warmup=0, repeats=1)
    return [
        _backbone_job('eva02-t_28_b2_eager', 5, arch='eva02-t', memory=False, **common),
        _cp_job('smoke_backbone_cp', 5, run_backbone_cp, 'backbone forward+backward', batch=1, **det),
        # torchvision's CPU RoIAlign backward has no bf16 kernel (CUDA has): the CPU smoke detector runs in fp32.
        _cp_job('smoke_detector_cp', 5, run_detector, 'detector train step', batch=1, rois=16, memory=False,
                **dict(det, dtype=torch.float32)),
    ]


def run_jobs(jobs: List[Job], budget_s: float) -> Dict[str, dict]:
    """Run jobs in order within a time budget; every job ends as a result, an error or a skip.

    A job is skipped when its estimate would take the run past ``budget_s``, so the whole run stays within the
    budget plus the misestimate of one job.
    """
    start = time.perf_counter()
    results: Dict[str, dict] = {}
    for name, fn, kwargs, fmt, estimate_s in jobs:
        elapsed = time.perf_counter() - start
        if elapsed + estimate_s > budget_s:
            results[name] = dict(skipped=f'budget of {budget_s:.0f} s spent ({elapsed:.0f} s)')
            print(f'\n{name}: skipped, {results[name]["skipped"]}', flush=True)
            continue
        t0 = time.perf_counter()
        try:
            results[name] = fn(**kwargs)
            print(f'\n[{name}]\n' + fmt(results[name]), flush=True)
        except Exception as e:  # a failed job must not lose the others' numbers
            results[name] = dict(error=f'{type(e).__name__}: {e}', traceback=traceback.format_exc(limit=5))
            print(f'\n{name}: FAILED {results[name]["error"]}', flush=True)
        results[name]['job_wall_s'] = time.perf_counter() - t0
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    return results


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--dry-run', action='store_true', help='smoke-size jobs on CPU (no GPU needed)')
    parser.add_argument('--out-dir', default=os.environ.get('OUT', '.'), help='where gpu_benchmark.json goes')
    parser.add_argument('--budget-s', type=float, default=270.,
                        help='start no job whose estimate would end past this many seconds')
    args = parser.parse_args(argv)
    if not args.dry_run and not torch.cuda.is_available():
        parser.error('CUDA is not available; use --dry-run to exercise the script on CPU')
    device = torch.device('cpu' if args.dry_run else 'cuda')
    payload = dict(machine=machine_info(device), dry_run=args.dry_run, budget_s=args.budget_s)
    print(format_machine(payload['machine']), flush=True)
    payload['results'] = run_jobs(dry_jobs() if args.dry_run else cuda_jobs(), args.budget_s)
    os.makedirs(args.out_dir, exist_ok=True)
    path = osp.join(args.out_dir, 'gpu_benchmark.json')
    write_json(path, payload)
    print(f'\nwrote {path}')
    return payload


if __name__ == '__main__':
    main()
