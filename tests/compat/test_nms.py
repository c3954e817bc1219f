"""NMS and soft-NMS of the mmcv._ext stand-in, through mmcv's own wrappers, against plain-Python references."""
import math

import numpy as np
import pytest
import torch
from mmcv.ops import batched_nms, nms, soft_nms

from eva_mm.compat import mmcv_ext


def iou(a, b, offset=0):
    """IoU of two (x1, y1, x2, y2) boxes, as plain floats."""
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]) + offset)
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]) + offset)
    inter = w * h
    area = lambda r: (r[2] - r[0] + offset) * (r[3] - r[1] + offset)  # noqa: E731
    return inter / (area(a) + area(b) - inter)


def greedy_nms(boxes, scores, thr, offset=0):
    """Textbook greedy NMS."""
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    keep = []
    for i in order:
        if all(iou(boxes[i], boxes[k], offset) <= thr for k in keep):
            keep.append(i)
    return keep


def reference_soft_nms(boxes, scores, thr, sigma, min_score, method, offset=0):
    """Soft-NMS (Bodla et al. 2017) written directly from the paper's pseudo-code, in plain Python."""
    scores = list(scores)
    remaining = list(range(len(scores)))
    kept, kept_scores = [], []
    while remaining:
        best = max(remaining, key=lambda i: scores[i])
        kept.append(best)
        kept_scores.append(scores[best])
        remaining.remove(best)
        for i in list(remaining):
            o = iou(boxes[best], boxes[i], offset)
            if method == 'linear':
                scores[i] *= (1 - o) if o >= thr else 1.0
            elif method == 'gaussian':
                scores[i] *= math.exp(-o * o / sigma)
            else:
                scores[i] *= 0.0 if o >= thr else 1.0
            if scores[i] < min_score:
                remaining.remove(i)
    return kept, kept_scores


def random_boxes(n, seed):
    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(n, 2, generator=g) * 80
    wh = torch.rand(n, 2, generator=g) * 40 + 4
    # distinct scores: ties would make any two correct NMS orders differ
    scores = torch.randperm(n, generator=g).float() / n + 0.01
    return torch.cat([xy, xy + wh], 1), scores


@pytest.mark.parametrize('offset', [0, 1])
@pytest.mark.parametrize('thr', [0.3, 0.5, 0.7])
def test_nms_equals_greedy_reference(offset, thr):
    boxes, scores = random_boxes(200, seed=int(thr * 10) + offset)
    dets, inds = nms(boxes, scores, thr, offset=offset)
    expected = greedy_nms(boxes.tolist(), scores.tolist(), thr, offset)
    assert inds.tolist() == expected
    assert torch.equal(dets[:, :4], boxes[inds]) and torch.equal(dets[:, 4], scores[inds])


def test_nms_numpy_and_score_threshold():
    boxes, scores = random_boxes(100, seed=3)
    dets, inds = nms(boxes.numpy(), scores.numpy(), 0.5, score_threshold=0.5)
    assert isinstance(inds, np.ndarray)
    assert (scores.numpy()[inds] > 0.5).all()
    keep = [i for i in greedy_nms(boxes.tolist(), scores.tolist(), 0.5) if scores[i] > 0.5]
    assert sorted(inds.tolist()) == sorted(keep)


def test_batched_nms_is_class_wise():
    # two identical boxes of different classes both survive; same class, one does
    boxes = torch.tensor([[0., 0., 10., 10.], [0., 0., 10., 10.], [0., 0., 10., 10.]])
    scores = torch.tensor([0.9, 0.8, 0.7])
    labels = torch.tensor([0, 1, 0])
    _, keep = batched_nms(boxes, scores, labels, dict(type='nms', iou_threshold=0.5))
    assert keep.tolist() == [0, 1]


@pytest.mark.parametrize('method', ['linear', 'gaussian', 'naive'])
def test_soft_nms_equals_reference(method):
    boxes, scores = random_boxes(150, seed=11)
    dets, inds = soft_nms(boxes, scores, iou_threshold=0.6, sigma=0.5, min_score=1e-3, method=method)
    kept, kept_scores = reference_soft_nms(boxes.tolist(), scores.tolist(), 0.6, 0.5, 1e-3, method)
    assert inds.tolist() == kept
    torch.testing.assert_close(dets[:, 4], torch.tensor(kept_scores), rtol=1e-5, atol=1e-6)
    assert torch.equal(dets[:, :4], boxes[inds])


def test_soft_nms_hand_worked_linear():
    # B overlaps A with IoU 50/150 = 1/3 >= 0.3, so B's score decays to 0.8 * (1 - 1/3) = 0.533, still above C's.
    a, b, c = [0., 0., 10., 10.], [5., 0., 15., 10.], [100., 100., 110., 110.]
    boxes = torch.tensor([a, b, c])
    scores = torch.tensor([0.9, 0.8, 0.5])
    dets, inds = soft_nms(boxes, scores, iou_threshold=0.3, min_score=0.05, method='linear')
    assert inds.tolist() == [0, 1, 2]
    torch.testing.assert_close(dets[:, 4], torch.tensor([0.9, 0.8 * 2 / 3, 0.5]))
    # with C at 0.6 the decayed B drops behind it
    _, inds = soft_nms(boxes, torch.tensor([0.9, 0.8, 0.6]), iou_threshold=0.3, min_score=0.05, method='linear')
    assert inds.tolist() == [0, 2, 1]
    # at IoU threshold 0.6 (EVA's test protocol) the same overlap leaves B untouched
    dets, inds = soft_nms(boxes, scores, iou_threshold=0.6, min_score=0.05, method='linear')
    assert inds.tolist() == [0, 1, 2]
    torch.testing.assert_close(dets[:, 4], scores)


def test_soft_nms_through_batched_nms_drops_low_scores():
    boxes = torch.tensor([[0., 0., 10., 10.], [0., 0., 10., 9.], [50., 50., 60., 60.]])
    scores = torch.tensor([0.9, 0.8, 0.3])
    dets, keep = batched_nms(boxes, scores, torch.zeros(3, dtype=torch.long),
                             dict(type='soft_nms', iou_threshold=0.6, min_score=0.1, method='linear'))
    # box 1 has IoU 0.9 with box 0: its score 0.8 * 0.1 = 0.08 falls under min_score
    assert keep.tolist() == [0, 2]
    torch.testing.assert_close(dets[:, -1], torch.tensor([0.9, 0.3]))


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_nms_and_soft_nms_on_cuda():
    boxes, scores = random_boxes(300, seed=5)
    _, inds_cpu = nms(boxes, scores, 0.5)
    _, inds_gpu = nms(boxes.cuda(), scores.cuda(), 0.5)
    assert inds_gpu.is_cuda and inds_gpu.cpu().tolist() == inds_cpu.tolist()
    dets, inds = soft_nms(boxes.cuda(), scores.cuda(), 0.6)
    assert dets.is_cuda and inds.cpu().tolist() == soft_nms(boxes, scores, 0.6)[1].tolist()


def test_unknown_soft_nms_method_code_is_rejected():
    with pytest.raises(ValueError, match='method code'):
        mmcv_ext.SUPPLIED['softnms'](torch.zeros(1, 4), torch.ones(1), torch.zeros(1, 5), 0.5, 0.5, 0.0, 7, 0)
