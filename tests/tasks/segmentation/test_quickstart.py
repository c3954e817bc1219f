"""The segmentation quickstart learns: a short run of its config (fewer images and iterations) on the generated
ADE20K-layout data reaches a validation mIoU far above the untrained model's. The full run (reaching mIoU >= 0.6)
is `python tools/train.py configs/quickstart/upernet_eva02-mini-p8_400it_ade-shapes-64x64.py` (README,
"Segmentation")."""
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config

import eva_mm  # noqa: F401
from eva_mm.datasets.synthetic.ade_segmentation import ADE_SHAPE_CLASSES, generate_ade_segmentation

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONFIG = osp.join(ROOT, 'configs/quickstart/upernet_eva02-mini-p8_400it_ade-shapes-64x64.py')


def test_generator_is_deterministic_and_ade_shaped(tmp_path):
    a = generate_ade_segmentation(str(tmp_path / 'a'), num_train=3, num_val=2, img_size=(40, 48))
    generate_ade_segmentation(str(tmp_path / 'b'), num_train=3, num_val=2, img_size=(40, 48))
    assert a == {'train': 3, 'val': 2}
    for sub in ('images/training/ADE_train_00000003.jpg', 'annotations/validation/ADE_val_00000002.png'):
        assert (tmp_path / 'a' / sub).read_bytes() == (tmp_path / 'b' / sub).read_bytes()
    label = cv2.imread(str(tmp_path / 'a/annotations/training/ADE_train_00000001.png'), cv2.IMREAD_UNCHANGED)
    assert label.shape == (40, 48) and label.dtype == np.uint8 and label.max() <= len(ADE_SHAPE_CLASSES)
    with pytest.raises(ValueError, match='img_size'):
        generate_ade_segmentation(str(tmp_path / 'c'), img_size=(8, 8))


def _short_cfg(tmp_path, iters: int) -> Config:
    cfg = Config.fromfile(CONFIG)
    root = str(tmp_path / 'ade_shapes')
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        ds = loader.dataset
        ds.root = ds.dataset.data_root = root
        ds.num_train, ds.num_val = 64, 16
        loader.num_workers, loader.persistent_workers = 0, False
    cfg.train_dataloader.batch_size = 8
    cfg.test_dataloader = cfg.val_dataloader
    cfg.train_cfg.max_iters = cfg.train_cfg.val_interval = iters
    cfg.param_scheduler = [
        dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0, end=10),
        dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False, begin=10, end=iters)]
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1)
    cfg.default_hooks.logger.interval = 10
    cfg.default_hooks.pop('visualization')
    cfg.work_dir = str(tmp_path / 'work')
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    # one visualizer instance per run: mmengine warns when a second run in this process reuses the name
    cfg.visualizer.name = f'visualizer_{tmp_path.name}'
    return cfg


def test_short_quickstart_learns(tmp_path):
    from mmengine.runner import Runner
    runner = Runner.from_cfg(_short_cfg(tmp_path, iters=40))
    untrained = runner.val_loop.run()['mIoU']
    runner.train()
    trained = runner.val_loop.run()
    print(f'short quickstart: untrained mIoU {untrained:.2f}, trained {trained}')
    assert set(trained) >= {'aAcc', 'mIoU', 'mAcc'}
    assert trained['mIoU'] >= 25 and trained['mIoU'] >= untrained + 15, (untrained, trained)
