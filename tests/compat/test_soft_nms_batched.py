"""The batched soft-NMS (all classes of an image at once) equals the sequential definition exactly.

The reference runs `softnms_reference` (one box per iteration) on each class separately, or on every candidate at
once across classes, and merges the kept boxes by (decayed score descending, candidate index ascending) in plain
Python. Kept boxes, their order and their decayed scores must be identical, on inputs with tied scores, duplicated
boxes, `min_score > 0`, pixel offsets, class-agnostic and class-specific boxes, and empty inputs.
"""
import mmdet.models.layers
import mmdet.models.roi_heads.bbox_heads.bbox_head as bbox_head
import pytest
import torch
from mmcv.ops import batched_nms
from mmdet.models.layers import multiclass_nms

from eva_mm.compat.ext_ops.nms import softnms, softnms_reference
from eva_mm.compat.ext_ops.soft_nms_batched import grouped_soft_nms, weights_from_boxes

METHOD_CODES = {'naive': 0, 'linear': 1, 'gaussian': 2}
DEVICES = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])


def detections(num_rois: int, num_classes: int, seed: int, class_specific: bool = False, ties: bool = True):
    """R-CNN-like outputs: boxes clustered on a few objects (many overlaps), softmax scores with a background
    column; `ties` rounds the logits so that many scores are equal, and repeats some boxes exactly."""
    g = torch.Generator().manual_seed(seed)
    centres = torch.rand(5, 2, generator=g) * 200
    obj = torch.randint(0, 5, (num_rois,), generator=g)
    xy = centres[obj] + torch.randn(num_rois, 2, generator=g) * 8
    wh = torch.rand(num_rois, 2, generator=g) * 30 + 20
    boxes = torch.cat([xy, xy + wh], 1)
    boxes[num_rois // 2:num_rois // 2 + 4] = boxes[:4]
    if class_specific:
        boxes = (boxes[:, None] + torch.randn(num_rois, num_classes, 4, generator=g)).reshape(num_rois, -1)
    logits = torch.randn(num_rois, num_classes + 1, generator=g) * 2
    if ties:
        logits = (logits * 2).round() / 2
    return boxes, logits.softmax(-1)


def reference_multiclass(multi_bboxes, multi_scores, score_thr, cfg, max_num):
    """[(decayed score, candidate index r * C + c)] of the kept boxes, best first, from the sequential loop."""
    num_classes = multi_scores.shape[1] - 1
    scores = multi_scores[:, :-1]
    inds = (scores > score_thr).reshape(-1).nonzero().squeeze(1)
    if multi_bboxes.shape[1] > 4:
        boxes = multi_bboxes.reshape(-1, 4)[inds]
    else:
        boxes = multi_bboxes[inds // num_classes]
    labels = inds % num_classes
    groups = torch.zeros_like(labels) if cfg.get('class_agnostic') else labels
    kept = []
    for group in groups.unique().tolist():
        members = (groups == group).nonzero().squeeze(1)
        dets = boxes.new_zeros(len(members), 5)
        keep = softnms_reference(boxes[members], scores.reshape(-1)[inds][members], dets, cfg['iou_threshold'],
                                 cfg.get('sigma', 0.5), cfg['min_score'], METHOD_CODES[cfg['method']],
                                 cfg.get('offset', 0))
        kept += [(float(dets[j, 4]), int(inds[members][k])) for j, k in enumerate(keep.tolist())]
    kept.sort(key=lambda t: (-t[0], t[1]))
    return kept[:max_num] if max_num > 0 else kept


def test_mmdet_and_mmcv_entry_points_are_routed():
    # Every binding the R-CNN heads use is the routed function, which keeps mmdet's own as __wrapped__.
    assert bbox_head.multiclass_nms is mmdet.models.layers.multiclass_nms is multiclass_nms
    assert hasattr(multiclass_nms, '__wrapped__') and hasattr(batched_nms, '__wrapped__')


@pytest.mark.parametrize('method', ['linear', 'gaussian', 'naive'])
def test_one_group_equals_sequential(method):
    for seed, (min_score, offset) in enumerate([(0.0, 0), (0.05, 1), (0.2, 0)]):
        boxes, scores = detections(90, 1, seed)
        scores = scores[:, 0]
        d_ref, d_new = boxes.new_zeros(90, 5), boxes.new_zeros(90, 5)
        i_ref = softnms_reference(boxes, scores, d_ref, 0.5, 0.5, min_score, METHOD_CODES[method], offset)
        i_new = softnms(boxes, scores, d_new, 0.5, 0.5, min_score, METHOD_CODES[method], offset)
        assert torch.equal(i_new, i_ref) and torch.equal(d_new, d_ref)


@pytest.mark.parametrize('class_specific', [False, True])
@pytest.mark.parametrize('class_agnostic', [False, True])
@pytest.mark.parametrize('method', ['linear', 'gaussian', 'naive'])
def test_multiclass_equals_sequential_per_class(method, class_agnostic, class_specific):
    settings = [(0.0, 0.0, 30), (0.02, 0.02, 12), (0.01, 0.001, -1)]  # (score_thr, min_score, max_num)
    for seed, (score_thr, min_score, max_num) in enumerate(settings):
        boxes, scores = detections(40, 6, seed, class_specific=class_specific, ties=seed != 1)
        cfg = dict(type='soft_nms', iou_threshold=0.6, min_score=min_score, method=method,
                   class_agnostic=class_agnostic, offset=seed % 2)
        dets, labels, inds = multiclass_nms(boxes, scores, score_thr, cfg, max_num, return_inds=True)
        expected = reference_multiclass(boxes, scores, score_thr, cfg, max_num)
        assert list(zip(dets[:, 4].tolist(), inds.tolist())) == expected
        assert torch.equal(labels, inds % 6)
        own = boxes.reshape(-1, 4)[inds] if class_specific else boxes[inds // 6]
        assert torch.equal(dets[:, :4], own)


def test_multiclass_score_factors_empty_input_and_config_errors():
    boxes, scores = detections(30, 4, seed=7)
    factors = torch.rand(30, generator=torch.Generator().manual_seed(0))
    cfg = dict(type='soft_nms', iou_threshold=0.6, min_score=0.01, method='linear')
    dets, _ = multiclass_nms(boxes, scores, 0.05, cfg, 20, score_factors=factors)
    # mmdet thresholds before multiplying by the factors: the reference sees the scaled scores of the same set
    scaled = torch.cat([scores[:, :-1] * factors[:, None], scores[:, -1:]], 1)
    kept = (scores[:, :-1] > 0.05).reshape(-1)
    masked = torch.where(kept.view(30, 4), scaled[:, :-1], torch.full_like(scaled[:, :-1], -1.0))
    expected = reference_multiclass(boxes, torch.cat([masked, scaled[:, -1:]], 1), -0.5, cfg, 20)
    assert dets[:, 4].tolist() == [s for s, _ in expected]
    dets, labels, inds = multiclass_nms(boxes, scores, 1.0, cfg, 20, return_inds=True)
    assert dets.shape == (0, 5) and labels.numel() == 0 and inds.numel() == 0
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['iou_thr'\]"):
        multiclass_nms(boxes, scores, 0.05, dict(type='soft_nms', iou_thr=0.5), 20)
    with pytest.raises(ValueError, match="method='hard'"):
        multiclass_nms(boxes, scores, 0.05, dict(type='soft_nms', method='hard'), 20)


@pytest.mark.parametrize('class_agnostic', [False, True])
def test_batched_nms_equals_sequential_per_class(class_agnostic):
    boxes, scores = detections(50, 3, seed=3)
    flat_boxes = boxes.repeat_interleave(3, 0)
    flat_scores = scores[:, :-1].reshape(-1)
    idxs = torch.arange(3).repeat(50) * 7 + 2  # any class ids, not only 0..C-1
    cfg = dict(type='soft_nms', iou_threshold=0.5, min_score=0.05, method='linear')
    dets, keep = batched_nms(flat_boxes, flat_scores, idxs, cfg, class_agnostic=class_agnostic)
    expected = reference_multiclass(boxes, scores, -1.0, dict(cfg, class_agnostic=class_agnostic), -1)
    assert list(zip(dets[:, 4].tolist(), keep.tolist())) == expected
    assert torch.equal(dets[:, :4], flat_boxes[keep])


def test_work_stops_once_nothing_can_enter_the_top_max_num():
    # 30 classes, 80 RoIs: the full loop makes 80 steps of 30 picks; the top 10 of the image are known much
    # earlier, and the classes that cannot reach them stop.
    boxes, scores = detections(80, 30, seed=5, ties=False)
    calls = []
    inner = weights_from_boxes(boxes, 'linear', 0.6, 0.5)

    def counting(picked, keys):
        calls.append(picked.shape[0])
        return inner(picked, keys)

    flat = scores[:, :-1].reshape(-1)
    cands = torch.arange(len(flat))
    keep, kept = grouped_soft_nms(cands % 30, flat, cands, cands // 30, counting, 0.0, max_num=10)
    assert sum(calls) < 80 * 30 / 10
    expected = reference_multiclass(boxes, scores, -1.0, dict(iou_threshold=0.6, min_score=0.0, method='linear'),
                                    10)
    assert list(zip(kept.tolist(), keep.tolist())) == expected


@pytest.mark.parametrize('device', DEVICES)
def test_devices_agree_with_the_cpu_reference(device):
    boxes, scores = detections(60, 5, seed=11)
    cfg = dict(type='soft_nms', iou_threshold=0.6, min_score=0.001, method='linear')
    dets, labels = multiclass_nms(boxes.to(device), scores.to(device), 0.001, cfg, 25)
    assert dets.device.type == device
    expected = reference_multiclass(boxes, scores, 0.001, cfg, 25)
    assert dets[:, 4].cpu().tolist() == [s for s, _ in expected]
    assert labels.cpu().tolist() == [c % 5 for _, c in expected]
