"""What `tools/train.py` and `tools/test.py` share: common flags, config loading and runner building.

The tools follow mmdet's command line so that every eva_mm config, whatever its toolbox (mmdet, mmseg,
mmpretrain), is trained and tested the way OpenMMLab users already know.
"""
import argparse
import os
import os.path as osp
from typing import Any

from mmengine.config import Config, DictAction

from eva_mm.checkpoint.model_loading import set_load_allow

from .config_check import read_config
from .fsdp import add_fsdp_global_clip_hook
from .load_from_ema import add_checkpoint_select_hook
from .rng_state import add_rng_state_hook


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Flags both tools take: --work-dir, --cfg-options, --launcher, --local_rank."""
    parser.add_argument('--work-dir', help='folder for logs and checkpoints (default: ./work_dirs/<config name>)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config values, e.g. train_cfg.max_iters=100 (key=value pairs; lists as '
                             'key="[a,b]" or key=a,b; tuples as key="(a,b)")')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                        help='job launcher: none (one process), pytorch (torchrun), slurm, mpi')
    # torchrun sets LOCAL_RANK; torch.distributed.launch passes --local_rank / --local-rank
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0, help=argparse.SUPPRESS)


def load_config(args: argparse.Namespace) -> Config:
    """Read `args.config` with `--cfg-options` merged, the launcher set and a work dir chosen.

    Raises:
        FileNotFoundError: the config file does not exist.
    """
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file {args.config!r} not found')
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    cfg = read_config(args.config)  # a syntax error names the config file
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    return cfg


def prepare_cpu_distributed(cfg: Config) -> None:
    """Let a multi-process launch run on CPU-only machines (gloo), e.g. to test a config before booking GPUs.

    mmengine assumes CUDA for distributed runs: `init_dist` calls `torch.cuda.set_device` and DDP gets
    `device_ids=[LOCAL_RANK]`. Without CUDA we join the gloo process group ourselves (mmengine then skips its
    own `init_dist`) and wrap the model with `device_ids=None`, as DDP wants on CPU.
    """
    import torch
    import torch.distributed as dist
    if cfg.launcher == 'none' or torch.cuda.is_available():
        return
    if cfg.launcher != 'pytorch':
        raise RuntimeError(f'--launcher {cfg.launcher} without CUDA is not supported; on CPU use torchrun with '
                           f'--launcher pytorch (tools/dist_train.sh)')
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    cfg.setdefault('model_wrapper_cfg', dict(type='MMDistributedDataParallel'))
    cfg.model_wrapper_cfg.setdefault('device_ids', None)


def build_runner(cfg: Config) -> Any:
    """mmengine's `Runner`, or the runner named by `runner_type` (e.g. `FlexibleRunner`) from the registry."""
    prepare_cpu_distributed(cfg)
    # what `load_from` / `tools/test.py CHECKPOINT` may leave unloaded; anything else that does not fit stops the run
    set_load_allow(cfg.get('load_from_allow', None))
    add_checkpoint_select_hook(cfg)
    add_rng_state_hook(cfg)
    add_fsdp_global_clip_hook(cfg)
    if 'runner_type' in cfg:
        from mmengine.registry import RUNNERS
        return RUNNERS.build(cfg)
    from mmengine.runner import Runner
    return Runner.from_cfg(cfg)
