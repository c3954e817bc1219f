"""Zero-shot classifier (prompt ensembling) and retrieval recall on hand-worked cases."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from eva_mm.evaluation.retrieval import retrieval_recall
from eva_mm.evaluation.zero_shot import OPENAI_IMAGENET_TEMPLATES, ZeroShotAccuracy, build_zero_shot_classifier
from eva_mm.models.clip import tokenize


class _BagOfTokens(nn.Module):
    """A stand-in text tower: embedding sum of the token ids (deterministic, order-free)."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.emb = nn.Embedding(49408, 8)

    def encode_text(self, ids: torch.Tensor) -> torch.Tensor:
        return self.emb(ids).sum(1)


def test_classifier_is_renormalised_mean_of_normalised_prompts():
    model = _BagOfTokens()
    templates = ['a photo of a {}.', lambda c: f'itap of a {c}.']
    got = build_zero_shot_classifier(model, ['cat', 'dog'], templates)
    assert got.shape == (8, 2)
    for j, c in enumerate(['cat', 'dog']):
        e = F.normalize(model.encode_text(tokenize([f'a photo of a {c}.', f'itap of a {c}.'])), dim=-1)
        torch.testing.assert_close(got[:, j], F.normalize(e.mean(0), dim=0))
    assert len(OPENAI_IMAGENET_TEMPLATES) == 80


def test_zero_shot_metric_topk():
    clf = torch.eye(3)  # class c <-> axis c
    metric = ZeroShotAccuracy(classifier=clf, topk=(1, 2))
    feats = torch.tensor([[1., .2, 0.], [.1, 0., 1.], [.6, .8, 0.], [0., .3, .9]])  # top-1: 0, 2, 1, 2
    labels = [0, 2, 0, 1]  # right, right, second, second
    metric.process(dict(data_samples=[dict(gt_label=torch.tensor([y])) for y in labels]), list(feats))
    res = metric.compute_metrics(metric.results)
    assert res == {'top1': pytest.approx(50.), 'top2': pytest.approx(100.)}


def test_retrieval_recall_hand_worked():
    # 2 images, 3 captions (captions 0, 1 belong to image 0; caption 2 to image 1).
    img = torch.tensor([[1., 0.], [0., 1.]])
    txt = torch.tensor([[0., 1.], [.9, .1], [.2, .8]])
    # image 0 ranks captions 1, 2, 0 -> hit at 1; image 1 ranks 0, 2, 1 -> its caption 2 at rank 2.
    # caption 0 -> image 1 first (miss at 1); caption 1 -> image 0 (hit); caption 2 -> image 1 (hit).
    r = retrieval_recall(img, txt, [0, 0, 1], ks=(1, 2))
    assert r['i2t_r1'] == pytest.approx(50.) and r['i2t_r2'] == pytest.approx(100.)
    assert r['t2i_r1'] == pytest.approx(200 / 3) and r['t2i_r2'] == pytest.approx(100.)


def test_retrieval_rejects_bad_owner():
    with pytest.raises(ValueError, match='text_to_image'):
        retrieval_recall(torch.eye(2), torch.eye(2), [0, 5])
