"""mmdet's LVISMetric on a tiny LVIS v1 case (through eva_mm's NumPy-2 fix for lvis 0.5.3): AP and APr/APc/APf."""
import json

import numpy as np
import pytest
import torch
from mmengine.registry import METRICS, init_default_scope

BOXES = {1: [(2, 2, 12, 12, 1)], 2: [(20, 4, 16, 10, 2), (4, 20, 10, 8, 3)]}  # image: (x, y, w, h, category)


def write_lvis(path):
    cats = [dict(id=1, name='rare_thing', frequency='r', image_count=1, synset='a.n.01'),
            dict(id=2, name='common_thing', frequency='c', image_count=1, synset='b.n.01'),
            dict(id=3, name='frequent_thing', frequency='f', image_count=1, synset='c.n.01')]
    images, anns = [], []
    for img_id, boxes in BOXES.items():
        images.append(dict(id=img_id, height=40, width=40, neg_category_ids=[], not_exhaustive_category_ids=[],
                           coco_url=f'http://images.cocodataset.org/val2017/{img_id:012d}.jpg'))
        for x, y, w, h, c in boxes:
            poly = [x, y, x + w, y, x + w, y + h, x, y + h]
            anns.append(dict(id=len(anns) + 1, image_id=img_id, category_id=c, bbox=[x, y, w, h], area=w * h,
                             segmentation=[poly]))
    path.write_text(json.dumps(dict(images=images, annotations=anns, categories=cats)))


def prediction(img_id, shift):
    boxes = BOXES[img_id]
    masks = np.zeros((len(boxes), 40, 40), bool)
    for i, (x, y, w, h, _) in enumerate(boxes):
        masks[i, y:y + h, x + shift:x + w] = True
    return dict(img_id=img_id, ori_shape=(40, 40), pred_instances=dict(
        bboxes=torch.tensor([[x + shift, y, x + w, y + h] for x, y, w, h, _ in boxes], dtype=torch.float),
        scores=torch.full((len(boxes),), 0.9), labels=torch.tensor([c - 1 for *_, c in boxes]),
        masks=torch.from_numpy(masks)))


@pytest.mark.parametrize('shift, expect_perfect', [(0, True), (6, False)])
def test_lvis_metric_reports_frequency_groups(tmp_path, shift, expect_perfect):
    ann = tmp_path / 'lvis_v1_val.json'
    write_lvis(ann)
    init_default_scope('mmdet')
    metric = METRICS.build(dict(type='LVISMetric', ann_file=str(ann), metric=['bbox', 'segm']))
    metric.dataset_meta = dict(classes=('rare_thing', 'common_thing', 'frequent_thing'))
    metric.process({}, [prediction(1, shift), prediction(2, shift)])
    results = metric.evaluate(size=2)
    for kind in ('bbox', 'segm'):
        for key in ('AP', 'APr', 'APc', 'APf'):
            value = results[f'lvis/{kind}_{key}']
            assert value == 1.0 if expect_perfect else value < 0.9, (kind, key, value)
