"""EVA's test protocol as configured in mmdet: linear soft-NMS (class-wise or across classes) and maskness."""
import pytest
import torch
from mmdet.models.layers import multiclass_nms
from mmengine.config import ConfigDict
from mmengine.registry import MODELS
from mmengine.structures import InstanceData

from eva_mm.models.roi_heads import maskness, select_class_masks


def soft_nms_cfg(class_agnostic: bool) -> dict:
    return dict(type='soft_nms', iou_threshold=0.6, min_score=0.05, method='linear', class_agnostic=class_agnostic)


def two_overlapping_boxes():
    # Box B overlaps box A with IoU 0.8 (A = [0, 0, 10, 10]; B = [0, 0, 10, 8] lies inside A: 80 / 100).
    boxes = torch.tensor([[0., 0., 10., 10.], [0., 0., 10., 8.]])
    return boxes


def test_soft_nms_class_wise_leaves_other_classes_alone():
    boxes = two_overlapping_boxes()
    # A is class 0 (0.9), B is class 1 (0.7); background column last.
    scores = torch.tensor([[0.9, 0.0, 0.1], [0.0, 0.7, 0.3]])
    dets, labels = multiclass_nms(boxes, scores, 0.05, soft_nms_cfg(class_agnostic=False), max_num=10)
    torch.testing.assert_close(dets[:, 4], torch.tensor([0.9, 0.7]))
    assert labels.tolist() == [0, 1]


def test_soft_nms_across_classes_decays_linearly():
    boxes = two_overlapping_boxes()
    scores = torch.tensor([[0.9, 0.0, 0.1], [0.0, 0.7, 0.3]])
    dets, labels = multiclass_nms(boxes, scores, 0.05, soft_nms_cfg(class_agnostic=True), max_num=10)
    # IoU 0.8 >= 0.6: B's score is multiplied by 1 - 0.8.
    torch.testing.assert_close(dets[:, 4], torch.tensor([0.9, 0.7 * 0.2]))
    assert labels.tolist() == [0, 1]


def test_soft_nms_same_class_below_threshold_is_untouched_and_above_is_decayed():
    boxes = torch.tensor([[0., 0., 10., 10.], [0., 0., 10., 5.], [0., 0., 10., 9.]])  # IoU with A: 0.5, 0.9
    scores = torch.tensor([[0.9, 0.1], [0.8, 0.2], [0.6, 0.4]])
    dets, _ = multiclass_nms(boxes, scores, 0.05, soft_nms_cfg(class_agnostic=False), max_num=10)
    # A kept at 0.9; the 0.5-IoU box keeps 0.8; the 0.9-IoU box: 0.6 * (1 - 0.9) = 0.06, then vs the 0.5-IoU box
    # (IoU 5/9 < 0.6) untouched -> 0.06 >= min_score, kept last.
    torch.testing.assert_close(dets[:, 4], torch.tensor([0.9, 0.8, 0.06]))
    torch.testing.assert_close(dets[:, :4], boxes)


def test_maskness_hand_case():
    probs = torch.tensor([[[0.9, 0.7], [0.2, 0.4]],   # confident pixels 0.9, 0.7 -> 0.8
                          [[0.3, 0.1], [0.2, 0.4]],   # none above 0.5 -> 0
                          [[1.0, 1.0], [0.6, 0.5]]])  # 0.5 is not above 0.5 -> (1 + 1 + 0.6) / 3
    torch.testing.assert_close(maskness(probs, 0.5), torch.tensor([0.8, 0.0, 2.6 / 3]))
    with pytest.raises(ValueError, match='maskness'):
        maskness(torch.rand(2, 1, 4, 4))


def test_select_class_masks():
    preds = torch.arange(2 * 3 * 1 * 1.).view(2, 3, 1, 1)
    assert select_class_masks(preds, torch.tensor([2, 0])).flatten().tolist() == [2., 3.]
    assert select_class_masks(preds[:, :1], torch.tensor([2, 0])).flatten().tolist() == [0., 3.]


# mmdet's own FCNMaskHead warns about `new_tensor(tensor)` on the cascade (activate_map=True) path.
@pytest.mark.filterwarnings('ignore:To copy construct from a tensor:UserWarning')
@pytest.mark.parametrize('activate_map', [False, True])
def test_mask_head_rescores_with_maskness(activate_map):
    head = MODELS.build(dict(type='MasknessFCNMaskHead', num_convs=0, in_channels=4, conv_out_channels=4,
                             num_classes=2))
    # 2 detections, 28x28 mask maps for 2 classes; detection 0 (label 1) has a crisp map of 0.9 in its left
    # half, detection 1 (label 0) is unsure everywhere (0.6).
    probs = torch.full((2, 2, 28, 28), 0.1)
    probs[0, 1, :, :14] = 0.9
    probs[1, 0] = 0.6
    preds = probs if activate_map else torch.logit(probs)
    results = InstanceData(bboxes=torch.tensor([[0., 0., 20., 20.], [5., 5., 30., 30.]]),
                           labels=torch.tensor([1, 0]), scores=torch.tensor([0.8, 0.5]))
    meta = dict(img_shape=(32, 32), ori_shape=(32, 32), scale_factor=(1., 1.))
    cfg = ConfigDict(mask_thr_binary=0.5, maskness_thr=0.5)
    out = head.predict_by_feat((preds,), [results], [meta], cfg, rescale=False, activate_map=activate_map)[0]
    torch.testing.assert_close(out.scores, torch.tensor([0.8 * 0.9, 0.5 * 0.6]))
    assert out.masks.shape == (2, 32, 32)
    # Without the option, mmdet's behaviour is unchanged.
    results.scores = torch.tensor([0.8, 0.5])
    plain = head.predict_by_feat((preds,), [results], [meta], ConfigDict(mask_thr_binary=0.5), rescale=False,
                                 activate_map=activate_map)[0]
    torch.testing.assert_close(plain.scores, torch.tensor([0.8, 0.5]))
