"""Federated sigmoid CE: class subset selection and loss value on hand-worked cases; use inside mmdet's box head."""
import json

import pytest
import torch
import torch.nn.functional as F
from mmdet.registry import MODELS  # mmdet's scope: the head and its parts come from mmdet, ours from the root

from eva_mm.models.losses import FederatedLoss, fed_loss_classes, load_class_image_counts


def test_classes_present_are_always_covered_and_enough_means_no_sampling():
    labels = torch.tensor([0, 2, 2, 5])  # 5 = background for K = 5
    classes = fed_loss_classes(labels, num_classes=5, num_fed_classes=3, weight=torch.ones(5))
    assert sorted(classes.tolist()) == [0, 2, 5]


def test_sampled_negatives_follow_weights_and_exclude_present():
    labels = torch.tensor([0, 4])  # one fg class + background, K = 4
    # Only class 1 is both absent and of positive weight: it must be the one sampled.
    classes = fed_loss_classes(labels, 4, 3, weight=torch.tensor([1., 1., 0., 0.]))
    assert sorted(classes.tolist()) == [0, 1, 4]
    # Asking for more than exist returns what there is, no duplicates.
    classes = fed_loss_classes(labels, 4, 10, weight=torch.tensor([1., 1., 1., 0.]))
    assert sorted(classes.tolist()) == [0, 1, 2, 4]


def test_sampling_frequency_tracks_weights():
    g = torch.Generator().manual_seed(0)
    weight = torch.tensor([0., 1., 9.])  # class 0 present; one negative drawn from {1, 2} at odds 1:9
    draws = [fed_loss_classes(torch.tensor([0]), 3, 2, weight, generator=g)[1].item() for _ in range(2000)]
    assert abs(draws.count(2) / 2000 - 0.9) < 0.03


def test_loss_value_hand_case():
    loss = FederatedLoss(num_classes=4, class_freq=[4., 1., 0., 0.], num_fed_classes=3)
    logits = torch.tensor([[2.0, -1.0, 3.0, 0.5, 9.0], [-0.5, 1.5, -2.0, 1.0, 9.0]])
    labels = torch.tensor([0, 4])
    # Covered classes: {0, 4(bg)} present + class 1 (only positive-weight absent class); bg column never trained.
    target = torch.tensor([[1., 0.], [0., 0.]])
    expected = F.binary_cross_entropy_with_logits(logits[:, :2], target, reduction='sum') / 2
    torch.testing.assert_close(loss(logits, labels), expected)
    torch.testing.assert_close(loss(logits, labels, avg_factor=4.), expected / 2)
    weight = torch.tensor([1., 0.])
    expected_w = F.binary_cross_entropy_with_logits(logits[:1, :2], target[:1], reduction='sum') / 2
    torch.testing.assert_close(loss(logits, labels, weight=weight), expected_w)


def test_all_classes_covered_equals_plain_sigmoid_ce():
    loss = FederatedLoss(num_classes=3, class_freq=[1., 1., 1.], num_fed_classes=50)
    logits, labels = torch.randn(6, 4), torch.tensor([0, 1, 2, 3, 3, 1])
    target = F.one_hot(labels, 4)[:, :3].float()
    expected = F.binary_cross_entropy_with_logits(logits[:, :3], target, reduction='sum') / 6
    torch.testing.assert_close(loss(logits, labels), expected)


def test_class_freq_from_lvis_file_and_errors(tmp_path):
    ann = tmp_path / 'lvis.json'
    ann.write_text(json.dumps(dict(categories=[dict(id=2, image_count=9), dict(id=1, image_count=4)])))
    assert load_class_image_counts(str(ann)).tolist() == [4., 9.]
    loss = FederatedLoss(num_classes=2, class_freq=str(ann))
    torch.testing.assert_close(loss.class_weight, torch.tensor([2., 3.]))  # freq ** 0.5, read lazily
    with pytest.raises(ValueError, match='num_classes=3'):
        FederatedLoss(num_classes=3, class_freq=[1., 2.])
    with pytest.raises(ValueError, match='expected 3 logits'):
        FederatedLoss(num_classes=2, class_freq=[1., 1.])(torch.randn(2, 5), torch.tensor([0, 1]))


def test_in_mmdet_box_head():
    head = MODELS.build(dict(
        type='Shared4Conv1FCBBoxHead', in_channels=8, conv_out_channels=8, fc_out_channels=16, roi_feat_size=7,
        num_classes=5, norm_cfg=dict(type='LN2d'), reg_class_agnostic=True,
        loss_cls=dict(type='FederatedLoss', num_classes=5, class_freq=[5., 4., 3., 2., 1.], num_fed_classes=3)))
    assert head.fc_cls.out_features == 6  # K + 1, background last
    cls_score, _ = head(torch.randn(4, 8, 7, 7))
    scores = head.loss_cls.get_activation(cls_score)
    torch.testing.assert_close(scores[:, :5], cls_score[:, :5].sigmoid())
    assert (scores[:, 5] == 0).all()
    losses = head.loss(cls_score, None, None, torch.tensor([0, 3, 5, 5]), torch.ones(4), None, None)
    assert torch.isfinite(losses['loss_cls']) and 'acc_fg' in losses
    losses['loss_cls'].backward()
    assert head.fc_cls.weight.grad is not None
