"""Short version of the EVA-CLIP quickstart: the same config (tiny EVA-CLIP, captioned generated shapes, the
zero-shot metric and hook) at reduced size through mmengine's Runner. Zero-shot colour classification of the
held-out images (colour-shape pairs never seen in training; 4 colours, chance 25%) must rise from chance to
near-perfect; the full quickstart measures the 12-way colour-shape top-1 (docs/eva_clip.md)."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from eva_mm.datasets.image_text_shapes import COLOURS

pytestmark = [pytest.mark.filterwarnings('ignore:pkg_resources is deprecated:UserWarning'),
              pytest.mark.filterwarnings("ignore:module 'sre_constants' is deprecated:DeprecationWarning")]
CONFIG = osp.join(osp.dirname(__file__), '..', '..', '..', 'configs', 'quickstart',
                  'eva-clip_eva02-mini-p4_1000it_captioned-shapes.py')
ITERS = 100


def short_config(root: str, work_dir: str) -> Config:
    cfg = Config.fromfile(CONFIG)
    cfg.model.update(vision_arch=dict(cfg.model.vision_arch, embed_dims=32, depth=2, num_heads=1, mlp_hidden=86),
                     patch_size=8, embed_dim=32, text_cfg=dict(cfg.model.text_cfg, width=32, layers=1))
    generator = dict(root=root, num_train=512, num_heldout=48, seed=1)
    for loader in (cfg.train_dataloader, cfg.test_dataloader):
        loader.update(num_workers=0, persistent_workers=False)
        loader.dataset.update(**generator)
        loader.dataset.dataset.data_root = root
    cfg.train_dataloader.batch_size = 32
    # colour of each held-out image (its 12-way label is colour * 3 + shape): written by the test before building
    cfg.test_dataloader.dataset.dataset.update(ann_file='meta/heldout_colour.txt',
                                               metainfo=dict(classes=list(COLOURS)))
    cfg.test_evaluator.update(classnames=list(COLOURS), templates=['a photo of a {} thing'], topk=(1,))
    cfg.train_cfg.max_iters = ITERS
    cfg.param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=10)]
    cfg.default_hooks.checkpoint.update(interval=ITERS, save_last=False)
    cfg.default_hooks.logger.interval = 50
    cfg.work_dir = work_dir
    return cfg


@pytest.fixture
def one_thread():
    """One intra-op thread, as the quickstart runs (OMP_NUM_THREADS=1): on a shared 2-core machine, two spinning
    OpenMP threads made this test 15x slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_quickstart_learns_zero_shot_colour_of_unseen_pairs(tmp_path, one_thread):
    root = str(tmp_path / 'shapes')
    runner = Runner.from_cfg(short_config(root, str(tmp_path / 'work')))
    runner.train_dataloader  # noqa: B018  (generates the data set)
    with open(osp.join(root, 'meta', 'heldout.txt')) as f:
        pairs = [line.split() for line in f if line.strip()]
    with open(osp.join(root, 'meta', 'heldout_colour.txt'), 'w') as f:
        f.write(''.join(f'{name} {int(label) // 3}\n' for name, label in pairs))
    runner.train()
    end = runner.test()
    assert end['zero_shot/top1'] >= 90, end
