"""Repeat-factor sampling for long-tailed data (Gupta et al., "LVIS", arXiv 1908.03195, Sec. 5), as detectron2's
`RepeatFactorTrainingSampler` used by ViTDet and EVA on LVIS (`repeat_thresh=0.001`, docs/recipes.md#detection).

Category c appearing in a fraction f(c) of the images gets r(c) = max(1, sqrt(t / f(c))); an image gets the
largest r(c) of its categories (1 if it has none). Each pass over the data repeats image i floor(r_i) times plus
once more with probability frac(r_i), so the expected count is exactly r_i.

Why not mmengine's `ClassBalancedDataset(oversample_thr=...)`: it computes the same r_i but repeats every image
ceil(r_i) times, e.g. r = 1.1 becomes 2, which over-samples rare-class images relative to detectron2/EVA.
"""
import itertools
import math
from typing import Iterable, Iterator, Optional, Sequence

import torch
from mmengine.dataset import InfiniteSampler
from torch import Tensor
from torch.utils.data import Dataset

from eva_mm.registry import DATA_SAMPLERS

__all__ = ['RepeatFactorSampler', 'repeat_factors', 'stochastic_repeat']


def repeat_factors(image_cat_ids: Sequence[Iterable[int]], repeat_thr: float) -> Tensor:
    """Image-level repeat factors [N] (float64) from each image's category ids."""
    if repeat_thr <= 0:
        raise ValueError(f'repeat_thr must be positive, got {repeat_thr}')
    sets = [set(ids) for ids in image_cat_ids]
    num_images = max(len(sets), 1)
    counts: dict = {}
    for ids in sets:
        for c in ids:
            counts[c] = counts.get(c, 0) + 1
    cat_repeat = {c: max(1.0, math.sqrt(repeat_thr / (n / num_images))) for c, n in counts.items()}
    return torch.tensor([max((cat_repeat[c] for c in ids), default=1.0) for ids in sets], dtype=torch.float64)


def stochastic_repeat(factors: Tensor, generator: torch.Generator) -> Tensor:
    """Indices [M] (int64, grouped by image, unshuffled) repeating image i floor(r_i) or floor(r_i) + 1 times,
    the latter with probability frac(r_i)."""
    whole = factors.floor()
    extra = torch.rand(len(factors), generator=generator, dtype=torch.float64) < (factors - whole)
    counts = (whole + extra).long()
    return torch.repeat_interleave(torch.arange(len(factors)), counts)


@DATA_SAMPLERS.register_module()
class RepeatFactorSampler(InfiniteSampler):
    """Infinite sampler (for `IterBasedTrainLoop`) drawing images by repeat factor.

    Every pass re-draws the stochastic repeats and shuffles them; ranks take interleaved slices of the one
    stream, as mmengine's `InfiniteSampler`, so all ranks must share `seed` (the default syncs it).

    Args:
        dataset: needs `get_cat_ids(idx)` (mmdet's detection data sets have it).
        repeat_thr: t (0.001 for LVIS in EVA/ViTDet).
        shuffle: shuffle each pass (True for training).
        seed: random seed shared by all ranks; None syncs a random one.
    """

    def __init__(self, dataset: Dataset, repeat_thr: float = 0.001, shuffle: bool = True,
                 seed: Optional[int] = None) -> None:
        if not hasattr(dataset, 'get_cat_ids'):
            raise TypeError(f'RepeatFactorSampler needs a data set with get_cat_ids(idx); '
                            f'{type(dataset).__name__} has none')
        self.repeat_thr = repeat_thr
        self.factors = repeat_factors([dataset.get_cat_ids(i) for i in range(len(dataset))], repeat_thr)
        super().__init__(dataset, shuffle=shuffle, seed=seed)

    def _infinite_indices(self) -> Iterator[int]:
        g = torch.Generator()
        g.manual_seed(self.seed)
        while True:
            indices = stochastic_repeat(self.factors, g)
            if self.shuffle:
                indices = indices[torch.randperm(len(indices), generator=g)]
            yield from indices.tolist()

    def _indices_of_rank(self) -> Iterator[int]:
        yield from itertools.islice(self._infinite_indices(), self.rank, None, self.world_size)
