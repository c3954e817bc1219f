"""Short version of the detection quickstart: the same config (EVA-02 ViTDet Mask R-CNN, EVA test protocol) on a
small generated data set, trained through mmengine's Runner; COCO bbox and segm mAP must rise well above their
value at initialisation. It fits the training images (the full quickstart measures generalisation on val)."""
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

pytestmark = pytest.mark.filterwarnings('ignore:pkg_resources is deprecated:UserWarning')
CONFIG = osp.join(osp.dirname(__file__), '..', '..', '..', 'configs', 'quickstart',
                  'vitdet-mask-rcnn_eva02-mini-p8_1000it_shapes-coco.py')
ITERS = 80


def short_config(root: str, work_dir: str) -> Config:
    cfg = Config.fromfile(CONFIG)
    generator = dict(num_train=8, num_val=2, seed=1)
    for loader, split in ((cfg.train_dataloader, 'train'), (cfg.val_dataloader, 'train')):
        loader.update(num_workers=0, persistent_workers=False)
        ds = loader.dataset
        ds.update(root=root, **generator)
        ds.dataset.update(data_root=root, ann_file=f'annotations/instances_{split}.json',
                          data_prefix=dict(img=f'{split}/'))
    cfg.test_dataloader = cfg.val_dataloader
    cfg.val_evaluator.ann_file = osp.join(root, 'annotations', 'instances_train.json')
    cfg.test_evaluator = cfg.val_evaluator
    cfg.train_cfg.update(max_iters=ITERS, val_interval=ITERS)
    cfg.param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20)]
    cfg.default_hooks.checkpoint.update(interval=ITERS, save_last=False)
    cfg.default_hooks.logger.interval = 50
    cfg.work_dir = work_dir
    # one visualizer instance per run: mmengine warns when a second run in this process reuses the name
    cfg.visualizer.name = 'visualizer_' + work_dir.replace(osp.sep, '_')
    return cfg


def test_quickstart_learns(tmp_path):
    runner = Runner.from_cfg(short_config(str(tmp_path / 'shapes'), str(tmp_path / 'work')))
    start = runner.val_loop.run()
    runner.train()
    end = runner.val_loop.run()
    assert end['coco/bbox_mAP'] >= start['coco/bbox_mAP'] + 0.2, (start, end)
    assert end['coco/segm_mAP'] >= start['coco/segm_mAP'] + 0.15, (start, end)
