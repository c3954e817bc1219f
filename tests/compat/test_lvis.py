"""mmdet's LVISMetric (bbox and segm) on NumPy 2, on a tiny case whose values are worked out by hand.

One 100x100 image, two categories, one ground-truth box each, one prediction each:
- category 1 ('r'are), box [10, 10, 60, 60]: predicted exactly -> AP 1.0 at all ten IoU thresholds.
- category 2 ('f'requent), box [20, 30, 60, 80] (40x50): predicted as [20, 30, 45, 80] (25x50), IoU 25/40 =
  0.625 -> a hit at IoU 0.50, 0.55, 0.60 and a miss at 0.65...0.95, so AP = 3/10 = 0.3, AP50 = 1, AP75 = 0.
Hence AP = (1 + 0.3) / 2 = 0.65, AP50 = 1.0, AP75 = 0.5, APr = 1.0, APf = 0.3, APc = -1 (no common category),
and every object is medium-sized (32^2 < area < 96^2): APm = 0.65, APs = APl = -1.
"""
import json

import numpy as np
import pytest
import torch
from pycocotools import mask as mask_utils

GT_BOXES = {1: [10, 10, 60, 60], 2: [20, 30, 60, 80]}  # x1, y1, x2, y2
PRED_BOXES = {1: [10, 10, 60, 60], 2: [20, 30, 45, 80]}


def rectangle(x1, y1, x2, y2):
    return [[x1, y1, x2, y1, x2, y2, x1, y2]]


@pytest.fixture
def lvis_json(tmp_path):
    cats = [dict(id=1, name='rare_thing', synset='rare.n.01', synonyms=['rare_thing'], def_='', frequency='r',
                 image_count=1, instance_count=1),
            dict(id=2, name='common_thing', synset='freq.n.01', synonyms=['freq_thing'], def_='', frequency='f',
                 image_count=1, instance_count=1)]
    anns = []
    for cat, (x1, y1, x2, y2) in GT_BOXES.items():
        anns.append(dict(id=cat, image_id=1, category_id=cat, bbox=[x1, y1, x2 - x1, y2 - y1],
                         area=float((x2 - x1) * (y2 - y1)), segmentation=rectangle(x1, y1, x2, y2), iscrowd=0))
    data = dict(images=[dict(id=1, width=100, height=100, file_name='1.jpg', neg_category_ids=[],
                             not_exhaustive_category_ids=[], coco_url='')],
                annotations=anns, categories=cats)
    path = tmp_path / 'lvis_v1_val.json'
    path.write_text(json.dumps(data))
    return str(path)


def predicted_masks():
    """Masks of the predictions, cut from the rasterised ground truth so the mask IoUs equal the box IoUs."""
    masks = []
    for cat, (x1, y1, x2, y2) in GT_BOXES.items():
        gt = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(rectangle(x1, y1, x2, y2), 100, 100)))
        keep = np.zeros_like(gt)
        px1, py1, px2, py2 = PRED_BOXES[cat]
        keep[py1:py2, px1:px2] = 1
        masks.append(gt * keep)
    return torch.from_numpy(np.stack(masks)).bool()


def test_lvis_metric_bbox_and_segm(lvis_json):
    from mmdet.evaluation import LVISMetric

    metric = LVISMetric(ann_file=lvis_json, metric=['bbox', 'segm'])
    metric.dataset_meta = dict(classes=('rare_thing', 'common_thing'))
    pred = dict(bboxes=torch.tensor([PRED_BOXES[1], PRED_BOXES[2]], dtype=torch.float32),
                scores=torch.tensor([0.9, 0.8]), labels=torch.tensor([0, 1]), masks=predicted_masks())
    metric.process({}, [dict(img_id=1, ori_shape=(100, 100), pred_instances=pred)])
    results = metric.evaluate(size=1)

    expected = dict(AP=0.65, AP50=1.0, AP75=0.5, APs=-1.0, APm=0.65, APl=-1.0, APr=1.0, APc=-1.0, APf=0.3)
    for kind in ('bbox', 'segm'):
        got = {k: results[f'lvis/{kind}_{k}'] for k in expected}
        assert got == pytest.approx(expected, abs=1e-3), kind


def test_lvis_modules_see_float_but_numpy_does_not():
    import lvis.eval

    assert lvis.eval.np.float is float
    assert not hasattr(np, 'float')  # the fix does not leak into NumPy itself
