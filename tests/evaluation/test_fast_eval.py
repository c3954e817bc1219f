"""faster-coco-eval gives the AP fields of lvis 0.5.3 / pycocotools on the same inputs (boxes and masks), and the
registered metrics score the recipe's LVIS max_dets with either backend."""
import json
import os.path as osp
import sys

import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch
from mmengine.registry import METRICS, init_default_scope

import eva_mm  # noqa: F401
from eva_mm.evaluation import coco_eval_fields, limit_dets_per_image, lvis_eval_fields

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from benchmarks.evaluation import synthetic_detections, synthetic_ground_truth  # noqa: E402

pytestmark = [pytest.mark.filterwarnings('ignore:pkg_resources is deprecated:UserWarning'),
              pytest.mark.filterwarnings("ignore:The 'warn' method is deprecated:DeprecationWarning")]  # lvis 0.5.3


def with_masks(gt: dict, dets: list) -> list:
    """Detections with box-shaped RLE masks (the segm results format)."""
    size = {im['id']: (im['height'], im['width']) for im in gt['images']}
    out = []
    for d in dets:
        x, y, w, h = d['bbox']
        rle = mask_utils.frPyObjects([[x, y, x + w, y, x + w, y + h, x, y + h]], *size[d['image_id']])[0]
        rle['counts'] = rle['counts'].decode()
        out.append(dict(d, segmentation=rle))
    return out


@pytest.mark.parametrize('iou_type', ['bbox', 'segm'])
@pytest.mark.parametrize('max_dets', [300, 1000])
def test_lvis_fields_equal(iou_type, max_dets):
    gt = synthetic_ground_truth('lvis', 40, seed=3)
    dets = synthetic_detections(gt, 400 if max_dets == 300 else 1200, seed=4)
    if iou_type == 'segm':
        dets = with_masks(gt, dets)
    exact = lvis_eval_fields(gt, dets, iou_type, max_dets, backend='exact')
    faster = lvis_eval_fields(gt, dets, iou_type, max_dets, backend='faster')
    assert set(exact) == set(faster) and f'AR@{max_dets}' in exact
    for key in exact:
        assert faster[key] == pytest.approx(exact[key], abs=1e-4), key
    assert exact['AP'] > 0.1 and exact['APf'] > -1  # not a trivial case


@pytest.mark.parametrize('iou_type', ['bbox', 'segm'])
def test_coco_fields_equal(iou_type):
    gt = synthetic_ground_truth('coco', 40, seed=5)
    dets = synthetic_detections(gt, 100, seed=6)
    if iou_type == 'segm':
        dets = with_masks(gt, dets)
    exact = coco_eval_fields(gt, dets, iou_type, backend='exact')
    faster = coco_eval_fields(gt, dets, iou_type, backend='faster')
    for key in exact:
        assert faster[key] == pytest.approx(exact[key], abs=1e-4), key
    assert exact['mAP'] > 0.1


def test_max_dets_is_per_image_over_categories_and_changes_ap():
    gt = synthetic_ground_truth('lvis', 20, seed=7)
    dets = synthetic_detections(gt, 600, seed=8)
    capped = limit_dets_per_image(dets, 50)
    per_image = np.bincount([d['image_id'] for d in capped])
    assert per_image.max() == 50
    kept = {id(d) for d in capped}
    for img in {d['image_id'] for d in dets}:  # the best 50 of each image stayed
        scores = sorted((d['score'] for d in dets if d['image_id'] == img), reverse=True)
        assert min(d['score'] for d in capped if d['image_id'] == img) >= scores[49] and len(kept) == len(capped)
    low = lvis_eval_fields(gt, dets, 'bbox', 50, backend='faster')
    high = lvis_eval_fields(gt, dets, 'bbox', 600, backend='faster')
    assert high['AP'] > low['AP']


def _write_lvis(path, gt):
    path.write_text(json.dumps(gt))


@pytest.mark.parametrize('backend', ['exact', 'faster'])
def test_metric_scores_max_dets_with_either_backend(tmp_path, backend):
    gt = synthetic_ground_truth('lvis', 6, seed=9, img_size=64)
    ann = tmp_path / 'lvis_val.json'
    _write_lvis(ann, gt)
    dets = synthetic_detections(gt, 40, seed=10)
    init_default_scope('mmdet')
    results = {}
    for max_dets in (5, 40):
        metric = METRICS.build(dict(type='EVALVISMetric', ann_file=str(ann), metric=['bbox'], max_dets=max_dets,
                                    backend=backend))
        metric.dataset_meta = dict(classes=tuple(c['name'] for c in gt['categories']))
        for img in gt['images']:
            mine = [d for d in dets if d['image_id'] == img['id']]
            boxes = torch.tensor([[x, y, x + w, y + h] for x, y, w, h in (d['bbox'] for d in mine)])
            metric.process({}, [dict(img_id=img['id'], ori_shape=(64, 64), pred_instances=dict(
                bboxes=boxes, scores=torch.tensor([d['score'] for d in mine]),
                labels=torch.tensor([d['category_id'] - 1 for d in mine])))])
        results[max_dets] = metric.evaluate(size=len(gt['images']))
    assert results[40]['lvis/bbox_AP'] > results[5]['lvis/bbox_AP']
    expected = lvis_eval_fields(gt, [dict(d, bbox=[round(v, 2) for v in d['bbox']]) for d in dets], 'bbox', 40)
    assert results[40]['lvis/bbox_AP'] == pytest.approx(expected['AP'], abs=1e-3)  # mmdet rounds to 3 digits


def test_metric_rejects_bad_arguments():
    with pytest.raises(ValueError, match="backend must be one of"):
        METRICS.build(dict(type='EVALVISMetric', backend='fast'))
    with pytest.raises(ValueError, match='max_dets must be a positive int'):
        METRICS.build(dict(type='EVALVISMetric', max_dets=0))
