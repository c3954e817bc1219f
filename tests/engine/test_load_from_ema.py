"""``load_from`` of an official-style file ``{'model', 'model_ema'}`` through mmengine's Runner: ``model`` by
default, ``model_ema`` with ``load_from_ema = True``, also next to mmengine's EMAHook (which reads
``checkpoint['state_dict']`` and would fail on such a file by itself)."""
import importlib
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from eva_mm.engine.cli import build_runner

HERE = osp.dirname(osp.abspath(__file__))
CONFIG = osp.join(HERE, 'toy', 'toy_config.py')


@pytest.mark.parametrize('use_ema', [False, True])
@pytest.mark.parametrize('with_ema_hook', [False, True])
def test_runner_loads_model_or_model_ema(tmp_path, monkeypatch, use_ema, with_ema_hook):
    monkeypatch.syspath_prepend(osp.join(HERE, 'toy'))
    cfg = Config.fromfile(CONFIG)
    cfg.launcher = 'none'
    toy = importlib.import_module('toy_regression').ToyRegressor().state_dict()
    model = {k: torch.full_like(v, 1.0) for k, v in toy.items()}
    ema = {k: torch.full_like(v, 2.0) for k, v in toy.items()}
    path = tmp_path / 'official.pth'
    torch.save({'model': model, 'model_ema': ema, 'epoch': 9}, path)

    cfg.work_dir = str(tmp_path / 'run')
    cfg.experiment_name = tmp_path.name  # one logger / visualizer instance per test
    cfg.load_from = str(path)
    cfg.load_from_ema = use_ema
    if with_ema_hook:
        cfg.custom_hooks = [*cfg.custom_hooks, dict(type='EMAHook')]
    runner = build_runner(cfg)
    runner.call_hook('before_run')  # as Runner.train() does before it loads (EMAHook builds its copy here)
    runner.load_or_resume()
    expected = 2.0 if use_ema else 1.0
    for k in toy:
        assert torch.all(runner.model.state_dict()[k] == expected), k
