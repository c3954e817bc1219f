"""The MIM quickstart config, shortened (25 iterations, batch 8), trains on generated images and its loss falls by
at least 0.3 from the first iteration; the result is a Runner checkpoint without the teacher."""
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from eva_mm.checkpoint import read_checkpoint

# `mmpretrain::` config bases import pkg_resources, which warns on setuptools >= 81 (a stack issue).
pytestmark = [pytest.mark.filterwarnings('ignore:pkg_resources is deprecated:UserWarning'),
              pytest.mark.filterwarnings("ignore:module 'sre_constants' is deprecated:DeprecationWarning")]
QUICKSTART = 'configs/quickstart/mim-clip_eva02-mini-p8_200it_unlabeled-shapes.py'


def test_quickstart_loss_falls(tmp_path):
    cfg = Config.fromfile(QUICKSTART)
    iters = 25
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters)
    cfg.param_scheduler = [dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=3),
                           dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=False, begin=3, end=iters)]
    cfg.train_dataloader.batch_size = 8
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False
    cfg.train_dataloader.dataset.root = str(tmp_path / 'data')  # generated here: 64 images are enough
    cfg.train_dataloader.dataset.num_images = 64
    cfg.train_dataloader.dataset.dataset.data_root = str(tmp_path / 'data')
    cfg.default_hooks.checkpoint.interval = iters
    cfg.default_hooks.logger.interval = 10
    runner = Runner.from_cfg(cfg)
    runner.train()
    losses = np.asarray(runner.message_hub.get_scalar('train/loss').data[0])
    assert len(losses) == iters and np.isfinite(losses).all()
    print("quickstart losses:", np.round(losses, 3).tolist())
    assert losses[-5:].mean() <= losses[0] - 0.3, losses
    ckpt = read_checkpoint(str(tmp_path / 'work' / f'iter_{iters}.pth'))
    assert not any('teacher' in k for k in ckpt['state_dict'])
