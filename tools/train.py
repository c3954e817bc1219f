"""Train any eva_mm config (mmdet, mmseg or mmpretrain) with mmengine, with mmdet's command line.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT|auto]] [--amp] [--auto-scale-lr]
                                 [--cfg-options k=v ...] [--launcher none|pytorch|slurm]
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout without installing

import eva_mm  # noqa: E402,F401  (fixes the stack and registers eva_mm before any config is read)
from eva_mm.engine.cli import add_common_args, build_runner, load_config  # noqa: E402
from eva_mm.engine.config_check import check_train_config  # noqa: E402
from eva_mm.engine.workdir import deferred_config_dump, protect  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model from an eva_mm config')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision (AmpOptimWrapper)')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the lr by (total batch size / auto_scale_lr.base_batch_size)')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from CKPT, or with no value (or "auto") from the latest checkpoint in the '
                             'work dir')
    parser.add_argument('--overwrite', action='store_true',
                        help='start a new run in a work dir that holds checkpoints, replacing them')
    parser.add_argument('--resume-other-config', action='store_true',
                        help='allow --resume of a run that another config (name) made')
    add_common_args(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args)
    if args.amp:
        wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if wrapper == 'AmpOptimWrapper':
            print('--amp: the config already uses AmpOptimWrapper')
        elif wrapper != 'OptimWrapper':
            raise ValueError(f'--amp needs optim_wrapper.type OptimWrapper, but the config uses {wrapper}')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg or 'base_batch_size' not in cfg.auto_scale_lr:
            raise KeyError('--auto-scale-lr needs `auto_scale_lr = dict(base_batch_size=...)` in the config')
        cfg.auto_scale_lr.enable = True
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    check_train_config(cfg)
    # refuses before anything is written
    lock = protect(cfg.work_dir, args.resume, args.overwrite, config=args.config,
                   other_config=args.resume_other_config)
    try:
        with deferred_config_dump():  # the work dir's config is replaced only once the new one has built
            runner = build_runner(cfg)
        runner.train()
    finally:
        if lock is not None:
            lock.release()
    return runner


if __name__ == '__main__':
    main()
