"""The post-processing benchmark's protocols are the configs' test settings (a config change must show here)."""
import os.path as osp

import pytest
from mmengine.config import Config

from benchmarks.postprocess import PROTOCOLS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = {
    'coco_eva02': ['configs/eva02/cascade-mask-rcnn_eva02-b_lsj-1024-60k_coco.py',
                   'configs/eva01/cascade-mask-rcnn_eva-g_lsj-1280-45k_coco.py'],
    'lvis_eva02': ['configs/eva02/cascade-mask-rcnn_eva02-l_lsj-1024-40k_lvis-v1.py'],
    'lvis_eva01': ['configs/eva01/cascade-mask-rcnn_eva-g_lsj-1280-75k_lvis-v1.py',
                   'configs/eva02/cascade-mask-rcnn_eva02-l_lsj-1536-40k_lvis-v1.py'],
}


@pytest.mark.parametrize('name, path', [(n, p) for n, paths in CONFIGS.items() for p in paths])
def test_protocol_matches_config(name, path):
    if not osp.exists(osp.join(ROOT, path)):
        pytest.fail(f'{path} is gone: update CONFIGS and PROTOCOLS in benchmarks/postprocess.py')
    rcnn = Config.fromfile(osp.join(ROOT, path)).model.test_cfg.rcnn
    classes, score_thr, min_score, max_per_img, agnostic, _ = PROTOCOLS[name]
    assert (rcnn.score_thr, rcnn.nms.min_score, rcnn.max_per_img) == (score_thr, min_score, max_per_img)
    assert rcnn.nms.type == 'soft_nms' and rcnn.nms.iou_threshold == 0.6 and rcnn.nms.method == 'linear'
    assert rcnn.nms.get('class_agnostic', False) == agnostic
