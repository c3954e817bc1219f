"""Under FSDP, clip_grad clips the global gradient norm: 2 CPU processes (gloo, full sharding, half the batch
each) end one clipped SGD step with the weights of 1 process on the whole batch; mmengine's per-shard clip does
not (which is what the fix changes)."""
import os
import os.path as osp
import socket
import subprocess
import sys

import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from torch import nn

from eva_mm.engine.fsdp import add_fsdp_global_clip_hook

HERE = osp.dirname(osp.abspath(__file__))
sys.path.insert(0, HERE)
from fsdp_clip_worker import model_and_batch  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def one_process_step() -> dict:
    model, x, y = model_and_batch()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1.0), clip_grad=dict(max_norm=0.05))
    wrapper.update_params(nn.functional.mse_loss(model(x), y))
    return model.state_dict()


def test_fsdp_two_processes_clip_equals_one_process(tmp_path):
    out = tmp_path / 'fsdp.pth'
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_addr', '127.0.0.1',
           '--master_port', str(free_port()), osp.join(HERE, 'fsdp_clip_worker.py'), str(out)]
    root = osp.dirname(osp.dirname(HERE))
    proc = subprocess.run(cmd, env=dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=root), capture_output=True,
                          text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    got = torch.load(out, weights_only=True)
    expected = one_process_step()
    start = model_and_batch()[0].state_dict()
    for key in expected:
        torch.testing.assert_close(got['global_clip'][key], expected[key], rtol=0, atol=1e-6, msg=key)
    # the clip was active, and clipping each shard by its own norm moves the weights elsewhere
    assert not torch.allclose(expected['0.weight'], start['0.weight'])
    worst = max((got['shard_clip'][k] - expected[k]).abs().max().item() for k in expected)
    assert worst > 1e-4, worst


def test_hook_added_for_fsdp_strategy_only():
    fsdp = Config(dict(strategy=dict(type='FSDPStrategy'), custom_hooks=[dict(type='EMAHook')]))
    add_fsdp_global_clip_hook(fsdp)
    add_fsdp_global_clip_hook(fsdp)  # once only
    assert [h['type'] for h in fsdp.custom_hooks] == ['EMAHook', 'FSDPGlobalClipHook']
    plain = Config(dict(strategy=dict(type='DDPStrategy')))
    add_fsdp_global_clip_hook(plain)
    assert not plain.get('custom_hooks')
