"""Crash-safe training and multi-process training, through the real tools (subprocesses):

- a run killed with SIGKILL mid-training and restarted with `--resume` ends with the same weights as a run that
  was never interrupted;
- 2 processes (gloo, CPU, `tools/dist_train.sh`) with half the batch each end with the same weights as 1 process;
- atomic writes never leave a partial file, and a dangling `last_checkpoint` falls back to the newest checkpoint.
"""
import os
import os.path as osp
import signal
import socket
import subprocess
import sys
import time

import pytest
import torch

from eva_mm.checkpoint.reader import safe_load
from eva_mm.compat.atomic_save import atomic_write, latest_complete_checkpoint

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(osp.dirname(HERE))
CONFIG = osp.join(HERE, 'toy', 'toy_config.py')
TRAIN = osp.join(ROOT, 'tools', 'train.py')


def toy_env(**extra):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([osp.join(HERE, 'toy'), ROOT]), OMP_NUM_THREADS='1')
    env.update(extra)
    return env


def train(work_dir, *args, **env):
    result = subprocess.run([sys.executable, TRAIN, CONFIG, '--work-dir', str(work_dir), *args],
                            env=toy_env(**env), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]


def final_weights(work_dir):
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        ckpt = safe_load(f.read().strip())
    assert ckpt['meta']['iter'] == 30
    return ckpt['state_dict']


def assert_same(got, expected, atol):
    assert got.keys() == expected.keys()
    for key in expected:
        torch.testing.assert_close(got[key], expected[key], rtol=0, atol=atol, msg=key)


@pytest.fixture(scope='module')
def straight_run(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('straight')
    train(work_dir)
    return final_weights(work_dir)


def test_sigkill_then_resume_equals_uninterrupted(straight_run, tmp_path):
    work_dir = tmp_path / 'killed'
    job = subprocess.Popen([sys.executable, TRAIN, CONFIG, '--work-dir', str(work_dir)],
                           env=toy_env(TOY_SLOWDOWN='0.15'), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not osp.exists(work_dir / 'iter_10.pth') and time.time() < deadline and job.poll() is None:
        time.sleep(0.05)
    time.sleep(0.4)  # a few iterations past the checkpoint, with the next save coming
    job.send_signal(signal.SIGKILL)
    assert job.wait(timeout=60) == -signal.SIGKILL
    assert not osp.exists(work_dir / 'iter_30.pth')

    train(work_dir, '--resume')  # "auto": the latest checkpoint in the work dir
    assert_same(final_weights(work_dir), straight_run, atol=1e-7)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_two_gloo_processes_equal_one_process(straight_run, tmp_path):
    work_dir = tmp_path / 'ddp'
    result = subprocess.run(
        ['bash', osp.join(ROOT, 'tools', 'dist_train.sh'), CONFIG, '2', '--work-dir', str(work_dir),
         '--cfg-options', 'train_dataloader.batch_size=2'],  # 2 x 2 = the single process's batch of 4
        env=toy_env(PORT=str(free_port())), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    # DDP averages the two half-batch gradients: the same update as one batch, up to float summation order
    assert_same(final_weights(work_dir), straight_run, atol=1e-5)


def test_atomic_write_keeps_old_content_when_interrupted(tmp_path, monkeypatch):
    target = tmp_path / 'iter_5.pth'
    atomic_write(b'complete old checkpoint', target)

    def crash(fd):
        raise KeyboardInterrupt  # the job dies after the bytes were written, before they reached the disk

    monkeypatch.setattr(os, 'fsync', crash)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(b'new', target)
    assert target.read_bytes() == b'complete old checkpoint'
    assert os.listdir(tmp_path) == ['iter_5.pth']  # no temporary file left behind


def test_dangling_last_checkpoint_falls_back_to_newest(tmp_path):
    for n in (5, 10, 15):
        (tmp_path / f'iter_{n}.pth').write_bytes(b'x')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_20.pth'))  # its save never completed
    assert latest_complete_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_15.pth')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_10.pth'))
    assert latest_complete_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_10.pth')
