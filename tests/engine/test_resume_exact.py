"""Resume is bit-identical on the detection quickstart (random flips, RPN / RoI sampling) and the segmentation
quickstart (random resize / crop / flip / photometric distortion), through tools/train.py:
a run killed with SIGKILL at a random moment after a checkpoint and restarted with `--resume` ends with exactly
the weights of a run that was never interrupted. Reduced size: 8 generated images, batch 2, 12 iterations.

Also: the random-state record survives a `weights_only` load and puts every generator back."""
import os
import os.path as osp
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from eva_mm.checkpoint.reader import safe_load
from eva_mm.engine.rng_state import capture_rng_state, restore_rng_state

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TRAIN = osp.join(ROOT, 'tools', 'train.py')
DET = osp.join(ROOT, 'configs', 'quickstart', 'vitdet-mask-rcnn_eva02-mini-p8_1000it_shapes-coco.py')
ITERS, INTERVAL = 12, 4


SEG = osp.join(ROOT, 'configs', 'quickstart', 'upernet_eva02-mini-p8_400it_ade-shapes-64x64.py')


def train_args(config: str, data_root: str, work_dir: str) -> list:
    """tools/train.py on `config` at reduced size: 8 generated images, batch 2, ITERS iterations, no evaluation."""
    split = dict(root=data_root, num_train=8, num_val=2, seed=1)
    options = [f'train_dataloader.dataset.{k}={v}' for k, v in split.items()]
    options += [f'train_dataloader.dataset.dataset.data_root={data_root}',
                'val_cfg=None', 'val_dataloader=None', 'val_evaluator=None',  # weights only: no evaluation
                'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
                'train_dataloader.persistent_workers=False', f'train_cfg.max_iters={ITERS}',
                'param_scheduler=[]', f'default_hooks.checkpoint.interval={INTERVAL}',
                'default_hooks.checkpoint.max_keep_ckpts=-1', 'default_hooks.logger.interval=1']
    return [sys.executable, TRAIN, config, '--work-dir', work_dir, '--cfg-options', *options]


def env() -> dict:
    return dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')


def final_weights(work_dir) -> dict:
    ckpt = safe_load(osp.join(work_dir, f'iter_{ITERS}.pth'))
    assert ckpt['meta']['iter'] == ITERS
    return ckpt['state_dict']


def run(args: list) -> None:
    result = subprocess.run(args, env=env(), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]


@pytest.mark.parametrize('config', [DET, SEG], ids=['detection', 'segmentation'])
def test_sigkill_then_resume_is_bit_identical(config, tmp_path):
    data = str(tmp_path / 'shapes')
    run(train_args(config, data, str(tmp_path / 'straight')))
    expected = final_weights(tmp_path / 'straight')

    # Kill at a random moment between the first checkpoint and the end; the seed is printed for a re-run.
    seed = random.SystemRandom().randrange(2 ** 31)
    print(f'kill-time seed {seed}')
    delay = random.Random(seed).uniform(0.0, 1.5)
    killed = tmp_path / 'killed'
    job = subprocess.Popen(train_args(config, data, str(killed)), env=env(), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not osp.exists(killed / f'iter_{INTERVAL}.pth') and time.time() < deadline and job.poll() is None:
        time.sleep(0.02)
    time.sleep(delay)
    job.send_signal(signal.SIGKILL)
    assert job.wait(timeout=60) == -signal.SIGKILL
    if osp.exists(killed / f'iter_{ITERS}.pth'):
        pytest.fail(f'the run ended before the kill (seed {seed}); the test must interrupt it')
    resumed_from = max(int(f[5:-4]) for f in os.listdir(killed) if f.startswith('iter_') and f.endswith('.pth'))

    run(train_args(config, data, str(killed)) + ['--resume'])
    got = final_weights(killed)
    assert got.keys() == expected.keys()
    differing = [k for k in expected if not torch.equal(got[k], expected[k])]
    assert not differing, f'resumed from iter {resumed_from} (seed {seed}): {len(differing)} tensors differ, ' \
                          f'e.g. {differing[:3]}'


def test_rng_record_loads_weights_only_and_restores_every_generator(tmp_path):
    state = capture_rng_state()
    expected = (torch.rand(3), np.random.rand(3), random.random())
    torch.save(dict(rng_state=[state]), tmp_path / 'c.pth')
    loaded = torch.load(tmp_path / 'c.pth', weights_only=True)['rng_state'][0]
    torch.rand(5), np.random.rand(5), random.random()  # move every generator on
    restore_rng_state(loaded)
    got = (torch.rand(3), np.random.rand(3), random.random())
    assert torch.equal(got[0], expected[0]) and np.array_equal(got[1], expected[1]) and got[2] == expected[2]


def test_rng_record_missing_generator_is_named():
    state = capture_rng_state()
    del state['numpy']
    with pytest.raises(ValueError, match="lacks \\['numpy'\\]"):
        restore_rng_state(state)
