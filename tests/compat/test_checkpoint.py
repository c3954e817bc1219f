"""Safe checkpoint loading: mmengine Runner checkpoints resume under weights_only=True; anything else is refused."""
import http.server
import os
import os.path as osp
import threading

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer
from mmengine.model import BaseModel
from mmengine.runner import CheckpointLoader, Runner

from eva_mm.checkpoint.reader import UnsafeCheckpointError, safe_load


class TinyModel(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.bn = nn.BatchNorm1d(3)
        self.fc = nn.Linear(3, 1)

    def forward(self, x, y, mode='loss'):
        out = self.fc(self.bn(torch.stack(x))).squeeze(1)
        if mode == 'loss':
            return {'loss': ((out - torch.stack(y)) ** 2).mean()}
        return [dict(pred=o) for o in out]


class RegressionData(torch.utils.data.Dataset):
    metainfo = dict(classes=('a', 'b'), scale=np.float32(2.0))  # numpy scalars end up in the checkpoint meta

    def __len__(self) -> int:
        return 20

    def __getitem__(self, i):
        x = torch.randn(3, generator=torch.Generator().manual_seed(i))
        return dict(x=x, y=x @ torch.tensor([1.0, -2.0, 0.5]) + 0.3)


class Crash(Exception):
    """Stands for a killed job."""


class CrashAfter(Hook):
    """Raise once iteration `at` is done (after the checkpoint hook, whose priority is higher)."""

    priority = 'LOWEST'

    def __init__(self, at: int) -> None:
        self.at = at

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if runner.iter + 1 == self.at:
            raise Crash


def make_runner(work_dir, max_iters=12, crash_at=None, **kwargs) -> Runner:
    torch.manual_seed(0)  # the model is built here, before the Runner seeds anything
    return Runner(
        model=TinyModel(), work_dir=str(work_dir),
        train_dataloader=dict(dataset=RegressionData(), batch_size=4, num_workers=0,
                              sampler=dict(type='DefaultSampler', shuffle=True)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=0.05, weight_decay=0.01), clip_grad=dict(max_norm=5.0)),
        param_scheduler=[dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=4),
                         dict(type='MultiStepLR', milestones=[9], by_epoch=False)],
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=6),
                           logger=dict(type='LoggerHook', interval=2)),
        custom_hooks=[dict(type='EMAHook', momentum=0.1)] + ([CrashAfter(crash_at)] if crash_at else []),
        randomness=dict(seed=1, deterministic=True), default_scope='mmengine', **kwargs)


def final_weights(runner):
    return {k: v.clone() for k, v in runner.model.state_dict().items()}


def test_runner_resume_reaches_the_same_weights(tmp_path):
    straight = make_runner(tmp_path / 'straight')
    straight.train()
    expected = final_weights(straight)

    with pytest.raises(Crash):
        make_runner(tmp_path / 'interrupted', crash_at=8).train()  # dies 2 iterations after the checkpoint
    ckpt = tmp_path / 'interrupted' / 'iter_6.pth'
    # the saved file really holds what made mmengine fail under weights_only=True
    with pytest.raises(Exception, match='Unsupported global'):
        torch.load(ckpt, weights_only=True)

    resumed = make_runner(tmp_path / 'resumed', resume=True, load_from=str(ckpt))
    resumed.train()
    assert resumed.iter == 12
    got = final_weights(resumed)
    assert got.keys() == expected.keys()
    for key in expected:
        torch.testing.assert_close(got[key], expected[key], rtol=0, atol=1e-7, msg=key)
    # the message hub came back too: the loss history continues across the resume
    assert len(resumed.message_hub.get_scalar('train/loss').data[0]) == 12


def test_runner_checkpoint_contents_load(tmp_path):
    with pytest.raises(Crash):
        make_runner(tmp_path, crash_at=7).train()
    ckpt = safe_load(tmp_path / 'iter_6.pth')
    assert {'meta', 'state_dict', 'message_hub', 'optimizer', 'param_schedulers', 'ema_state_dict'} <= set(ckpt)
    history = ckpt['message_hub']['log_scalars']['train/loss']
    assert isinstance(history, HistoryBuffer) and history.statistics('mean') > 0
    assert ckpt['meta']['dataset_meta']['scale'] == np.float32(2.0)


class _Payload:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}',))


class _GetattrPayload:
    def __reduce__(self):
        return (getattr, (HistoryBuffer, '__init__'))


def test_malicious_checkpoint_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'w': torch.ones(1)}, 'meta': _Payload(str(marker))}, path)
    for load in (lambda: CheckpointLoader.load_checkpoint(str(path)), lambda: safe_load(path)):
        with pytest.raises(UnsafeCheckpointError, match=r'`posix\.system`') as info:
            load()
        assert 'evil.pth' in str(info.value)
    assert not marker.exists()


def test_resume_from_malicious_checkpoint_is_refused(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': TinyModel().state_dict(), 'meta': {'iter': 1}, 'x': _Payload(str(marker))}, path)
    runner = make_runner(tmp_path / 'w', max_iters=2, resume=True, load_from=str(path))
    with pytest.raises(UnsafeCheckpointError, match='posix.system'):
        runner.train()
    assert not marker.exists()


def test_getattr_is_limited_to_history_buffer_statistics(tmp_path):
    path = tmp_path / 'getattr.pth'
    torch.save({'x': _GetattrPayload()}, path)
    with pytest.raises(UnsafeCheckpointError, match=r"getattr\(.*HistoryBuffer.*'__init__'\)"):
        safe_load(path)


@pytest.fixture
def http_root(tmp_path):
    """Serve tmp_path/'srv' over HTTP on the loopback interface."""
    root = tmp_path / 'srv'
    root.mkdir()
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(root), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    server.RequestHandlerClass.log_message = lambda *a, **k: None
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f'http://127.0.0.1:{server.server_address[1]}'
    server.shutdown()
    thread.join(timeout=5)


def test_http_checkpoints_are_cached_and_loaded_safely(http_root, tmp_path, monkeypatch):
    root, url = http_root
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    torch.save({'state_dict': {'w': torch.arange(3.0)}}, root / 'good.pth')
    ckpt = CheckpointLoader.load_checkpoint(f'{url}/good.pth')
    assert torch.equal(ckpt['state_dict']['w'], torch.arange(3.0))
    assert osp.isfile(tmp_path / 'torch_home' / 'hub' / 'checkpoints' / 'good.pth')

    marker = tmp_path / 'pwned'
    torch.save({'x': _Payload(str(marker))}, root / 'evil.pth')
    with pytest.raises(UnsafeCheckpointError, match='posix.system'):
        CheckpointLoader.load_checkpoint(f'{url}/evil.pth')
    assert not marker.exists()


def test_official_save_model_file_loads_with_its_argparse_namespace(tmp_path):
    """EVA / EVA-02's `save_model()` writes {'model', 'optimizer', 'epoch', 'scaler', 'args'}, args a Namespace."""
    import argparse
    path = tmp_path / 'checkpoint-best.pth'
    args = argparse.Namespace(model='eva02_base_patch14_448', lr=3e-4, layer_decay=0.65, input_size=448,
                              drop_path=0.1, resume='', sizes=[1, 2])
    torch.save({'model': {'w': torch.ones(2)}, 'optimizer': {'state': {}, 'param_groups': [{'lr': 3e-4}]},
                'epoch': 29, 'scaler': {'scale': 65536.0, 'growth_factor': 2.0}, 'args': args}, path)
    loaded = safe_load(path)
    assert isinstance(loaded['args'], argparse.Namespace) and vars(loaded['args']) == vars(args)
    assert torch.equal(loaded['model']['w'], torch.ones(2)) and loaded['epoch'] == 29
    # a Namespace is only plain data: what it holds passes the same allow-list
    marker = tmp_path / 'pwned'
    torch.save({'model': {}, 'args': argparse.Namespace(x=_Payload(str(marker)))}, tmp_path / 'evil.pth')
    with pytest.raises(UnsafeCheckpointError, match='posix.system'):
        safe_load(tmp_path / 'evil.pth')
    assert not marker.exists()
