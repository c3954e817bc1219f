"""Repeat-factor sampling: factors on a hand-worked case, stochastic rounding, and the sampler's stream."""
import itertools
import math

import pytest
import torch

from eva_mm.datasets.samplers import RepeatFactorSampler, repeat_factors, stochastic_repeat


class TinyDetSet:
    """Four images; category 1 in three of them, category 2 in one, image 4 without annotations."""

    cats = [[1], [1, 1], [1, 2], []]

    def __len__(self):
        return len(self.cats)

    def get_cat_ids(self, idx):
        return self.cats[idx]


def test_factors_hand_case():
    # f(1) = 3/4, f(2) = 1/4; t = 0.5: r(1) = max(1, sqrt(0.5 / 0.75)) = 1, r(2) = sqrt(2).
    r = repeat_factors(TinyDetSet.cats, 0.5)
    torch.testing.assert_close(r, torch.tensor([1., 1., math.sqrt(2), 1.], dtype=torch.float64))
    with pytest.raises(ValueError, match='repeat_thr'):
        repeat_factors(TinyDetSet.cats, 0.)


def test_stochastic_rounding_is_unbiased_unlike_ceil():
    factors = torch.tensor([1.0, 1.25, 2.5], dtype=torch.float64)
    g = torch.Generator().manual_seed(0)
    counts = torch.stack([torch.bincount(stochastic_repeat(factors, g), minlength=3) for _ in range(4000)])
    assert set(counts[:, 0].tolist()) == {1} and set(counts[:, 1].tolist()) <= {1, 2}
    assert set(counts[:, 2].tolist()) <= {2, 3}
    torch.testing.assert_close(counts.double().mean(0), factors, atol=0.03, rtol=0)
    # mmengine's ClassBalancedDataset would repeat ceil(r): 1, 2, 3 -> means differ by 0.75 and 0.5.


def test_sampler_stream_and_rank_split():
    sampler = RepeatFactorSampler(TinyDetSet(), repeat_thr=0.5, seed=3)
    first = list(itertools.islice(iter(sampler), 400))
    counts = torch.bincount(torch.tensor(first), minlength=4).double()
    # Image 2 appears sqrt(2) times as often as each of the others.
    assert abs(counts[2] / counts[[0, 1, 3]].mean() - math.sqrt(2)) < 0.2
    sampler.rank, sampler.world_size = 1, 2
    odd = list(itertools.islice(sampler._indices_of_rank(), 100))
    assert odd == first[1:200:2]


def test_sampler_needs_category_ids():
    with pytest.raises(TypeError, match='get_cat_ids'):
        RepeatFactorSampler([1, 2, 3], seed=0)
