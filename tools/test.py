"""Test a checkpoint of any eva_mm config (mmdet, mmseg or mmpretrain), with mmdet's command line.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE.pkl] [--show-dir DIR] [--tta]
                                           [--cfg-options k=v ...] [--launcher none|pytorch|slurm]
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout without installing

import eva_mm  # noqa: E402,F401  (fixes the stack and registers eva_mm before any config is read)
from eva_mm.engine.cli import add_common_args, build_runner, load_config  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and evaluate) a checkpoint')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file path or URL')
    parser.add_argument('--out', help='dump the raw predictions to this pickle file')
    parser.add_argument('--show', action='store_true', help='show predictions in a window')
    parser.add_argument('--show-dir', help='save pictures of the predictions under WORK_DIR/TIMESTAMP/SHOW_DIR')
    parser.add_argument('--wait-time', type=float, default=2, help='seconds each picture is shown (--show)')
    parser.add_argument('--tta', action='store_true', help='test-time augmentation (the config\'s tta_model and '
                                                           'tta_pipeline)')
    add_common_args(parser)
    return parser.parse_args(argv)


def enable_visualization(cfg, show: bool, show_dir: str, wait_time: float) -> None:
    """Turn on the config's visualization hook (mmdet/mmseg `draw`, mmpretrain `enable`)."""
    hook = cfg.get('default_hooks', {}).get('visualization')
    if hook is None:
        raise KeyError('--show/--show-dir need `default_hooks.visualization` in the config')
    hook['draw' if 'Det' in hook['type'] or 'Seg' in hook['type'] else 'enable'] = True
    hook['show'] = show
    hook['wait_time'] = wait_time
    if show_dir:
        hook['test_out_dir' if 'Det' in hook['type'] else 'out_dir'] = show_dir


def enable_tta(cfg) -> None:
    """Wrap the model in the config's `tta_model` and test with its `tta_pipeline`."""
    if 'tta_model' not in cfg or 'tta_pipeline' not in cfg:
        raise KeyError('--tta needs `tta_model` and `tta_pipeline` in the config')
    dataset = cfg.test_dataloader.dataset
    while 'pipeline' not in dataset and 'dataset' in dataset:  # wrappers (GeneratedDataset, ...) hold it inside
        dataset = dataset.dataset
    dataset.pipeline = cfg.tta_pipeline
    cfg.tta_model.module = cfg.model
    cfg.model = cfg.tta_model


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args)
    cfg.load_from = args.checkpoint
    if args.show or args.show_dir:
        enable_visualization(cfg, args.show, args.show_dir, args.wait_time)
    if args.tta:
        enable_tta(cfg)
    runner = build_runner(cfg)
    if args.out:
        from mmengine.evaluator import DumpResults
        runner.test_evaluator.metrics.append(DumpResults(out_file_path=args.out))
    return runner.test()


if __name__ == '__main__':
    main()
