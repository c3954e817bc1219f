"""The MIM quickstart runs under FlexibleRunner + FSDPStrategy in 2 CPU processes (gloo), and its full-state-dict
checkpoint holds the student only and exports into an EVA backbone."""
import os
import socket
import subprocess
import sys

import pytest
from mmengine.config import Config
from mmengine.registry import MODELS

from eva_mm.checkpoint import read_checkpoint
from eva_mm.checkpoint.loading import load_pretrained

# `mmpretrain::` config bases import pkg_resources, which warns on setuptools >= 81 (a stack issue).
pytestmark = [pytest.mark.filterwarnings('ignore:pkg_resources is deprecated:UserWarning'),
              pytest.mark.filterwarnings("ignore:module 'sre_constants' is deprecated:DeprecationWarning")]
HERE = os.path.dirname(__file__)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_fsdp_two_cpu_processes(tmp_path):
    work_dir = tmp_path / 'work'
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_addr', '127.0.0.1',
           '--master_port', str(_free_port()), os.path.join(ROOT, 'tools', 'train.py'),
           os.path.join(HERE, 'fsdp_quickstart.py'), '--launcher', 'pytorch', '--work-dir', str(work_dir)]
    # without CUDA, tools/train.py joins the gloo process group itself (eva_mm/engine/cli.py)
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    log = proc.stdout + proc.stderr
    assert 'FSDPStrategy' in log and 'Iter(train) [4/4]' in log

    ckpt = read_checkpoint(str(work_dir / 'iter_4.pth'))  # weights_only + mmengine's HistoryBuffer
    names = set(ckpt['state_dict'])
    assert any(k.startswith('backbone.blocks.') for k in names) and 'head.lm_head.weight' in names
    assert not any('teacher' in k or 'trunk' in k or '_fsdp' in k for k in names)
    # full (unsharded) tensors, one file: they load into the quickstart student's trunk with nothing missing
    cfg = Config.fromfile(os.path.join(HERE, 'fsdp_quickstart.py'))
    backbone = MODELS.build(dict(cfg.model.backbone, use_mask_token=True, final_norm=True))
    report = load_pretrained(backbone, str(work_dir / 'iter_4.pth'), strict=True)
    assert not (report.missing or report.unexpected or report.mismatched)
