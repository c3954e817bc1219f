"""BEiT-style block-wise masking for MIM (BEiT, arXiv 2106.08254; used by EVA, arXiv 2211.07636 and 2303.11331).

Rectangles of at least ``min_num_patches`` patches with a log-uniform aspect ratio are dropped on the patch grid
until the wanted number of patches is masked. BEiT's own generator may stop short of the target when no rectangle
fits; here a short fall is topped up with unmasked neighbours of the masked region, so every sample masks exactly
``num_masking_patches`` patches (EVA: 105 of the 256 patches of a 224 / 14 image, about 40%).
"""
from __future__ import annotations

import math
from typing import List, Optional, Sequence, Tuple

import numpy as np

from eva_mm.registry import TRANSFORMS

__all__ = ['BlockwiseMaskGenerator', 'sample_block_mask']

Rect = Tuple[int, int, int, int]  # top, left, height, width (in patches)
_ATTEMPTS = 10  # tries per rectangle before shrinking the target (BEiT uses the same number)


def _place_block(mask: np.ndarray, rng: np.random.Generator, min_area: int, max_area: int,
                 log_aspect: Tuple[float, float]) -> Optional[Rect]:
    """Mask one rectangle of ``min_area..max_area`` *new* patches in ``mask`` ([h, w] bool, in place)."""
    h, w = mask.shape
    for _ in range(_ATTEMPTS):
        area = rng.uniform(min_area, max_area)
        aspect = math.exp(rng.uniform(*log_aspect))
        bh, bw = int(round(math.sqrt(area * aspect))), int(round(math.sqrt(area / aspect)))
        if not (1 <= bh < h and 1 <= bw < w):
            continue
        top, left = int(rng.integers(0, h - bh + 1)), int(rng.integers(0, w - bw + 1))
        new = bh * bw - int(mask[top:top + bh, left:left + bw].sum())
        if 0 < new <= max_area:
            mask[top:top + bh, left:left + bw] = True
            return top, left, bh, bw
    return None


def _top_up(mask: np.ndarray, rng: np.random.Generator, count: int) -> None:
    """Mask ``count`` more patches, preferring unmasked 4-neighbours of the masked region (in place)."""
    for _ in range(count):
        grown = np.zeros_like(mask)
        grown[1:] |= mask[:-1]
        grown[:-1] |= mask[1:]
        grown[:, 1:] |= mask[:, :-1]
        grown[:, :-1] |= mask[:, 1:]
        candidates = np.flatnonzero(grown & ~mask)
        if candidates.size == 0:
            candidates = np.flatnonzero(~mask)
        mask.flat[int(rng.choice(candidates))] = True


def sample_block_mask(
    grid: Tuple[int, int],
    num_masking_patches: int,
    rng: np.random.Generator,
    min_num_patches: int = 16,
    max_num_patches: Optional[int] = None,
    aspect_range: Tuple[float, float] = (0.3, 1 / 0.3),
) -> Tuple[np.ndarray, List[Rect]]:
    """Sample a block-wise MIM mask.

    Args:
        grid: ``(h, w)`` patch grid, e.g. ``(16, 16)`` for 224 / 14.
        num_masking_patches: Exact number of patches to mask.
        rng: Source of randomness (a seeded generator makes the mask reproducible).
        min_num_patches: Smallest rectangle area (in new patches) while at least that many remain to be masked.
        max_num_patches: Largest rectangle area; ``None`` means ``num_masking_patches``.
        aspect_range: ``(min, max)`` of the rectangle's height / width, sampled log-uniformly.

    Returns:
        ``mask`` ``[h, w]`` bool with exactly ``num_masking_patches`` True, and the placed rectangles
        ``(top, left, height, width)`` in order (top-up patches are not rectangles and are not listed).
    """
    h, w = grid
    if not 0 <= num_masking_patches <= h * w:
        raise ValueError(f'num_masking_patches={num_masking_patches} must be in [0, {h * w}] for grid {grid}')
    if not 0 < aspect_range[0] <= aspect_range[1]:
        raise ValueError(f'aspect_range={aspect_range} must satisfy 0 < min <= max')
    max_num = num_masking_patches if max_num_patches is None else max_num_patches
    log_aspect = (math.log(aspect_range[0]), math.log(aspect_range[1]))
    mask = np.zeros((h, w), dtype=bool)
    rects: List[Rect] = []
    while True:
        remaining = num_masking_patches - int(mask.sum())
        if remaining < max(min_num_patches, 1):
            break
        rect = _place_block(mask, rng, min_num_patches, min(remaining, max_num), log_aspect)
        if rect is None:
            break
        rects.append(rect)
    _top_up(mask, rng, num_masking_patches - int(mask.sum()))
    return mask, rects


@TRANSFORMS.register_module()
class BlockwiseMaskGenerator:
    """Add ``results['mask']``, a BEiT block-wise MIM mask ``[h, w]`` bool over the patch grid.

    mmpretrain's ``PackInputs`` moves it to ``data_sample.mask``. Defaults are EVA's: 105 of 16 x 16 patches
    (224 / 14), rectangles of at least 16 patches with aspect ratio in [0.3, 1 / 0.3].

    Args:
        input_size: Patch grid side or ``(h, w)``.
        num_masking_patches: Patches masked per image.
        min_num_patches: Smallest rectangle area.
        max_num_patches: Largest rectangle area (``None``: ``num_masking_patches``).
        min_aspect: Smallest height / width; the largest is ``1 / min_aspect`` unless ``max_aspect`` is given.
        max_aspect: Largest height / width.
        seed: ``None`` draws from numpy's global generator (seeded per data loader worker by mmengine);
            an int makes the mask sequence reproducible.
    """

    def __init__(self, input_size: int | Sequence[int] = 16, num_masking_patches: int = 105,
                 min_num_patches: int = 16, max_num_patches: Optional[int] = None, min_aspect: float = 0.3,
                 max_aspect: Optional[float] = None, seed: Optional[int] = None) -> None:
        self.grid = (input_size, input_size) if isinstance(input_size, int) else tuple(input_size)
        if self.grid[0] < 2 or self.grid[1] < 2:
            raise ValueError(f'BlockwiseMaskGenerator: input_size {input_size} must be at least 2 patches a side')
        self.num_masking_patches = num_masking_patches
        self.min_num_patches = min_num_patches
        self.max_num_patches = max_num_patches
        self.aspect_range = (min_aspect, max_aspect or 1 / min_aspect)
        self.seed = seed
        self._rng = np.random.default_rng(seed) if seed is not None else None
        sample_block_mask(self.grid, num_masking_patches, np.random.default_rng(0), min_num_patches,
                          max_num_patches, self.aspect_range)  # validate the arguments now, not in a worker

    def __call__(self, results: dict) -> dict:
        """Add ``results['mask']`` (``[h, w]`` bool)."""
        rng = self._rng if self._rng is not None else np.random.default_rng(np.random.randint(2 ** 31))
        results['mask'], _ = sample_block_mask(self.grid, self.num_masking_patches, rng, self.min_num_patches,
                                               self.max_num_patches, self.aspect_range)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(input_size={self.grid}, num_masking_patches={self.num_masking_patches}, '
                f'min_num_patches={self.min_num_patches}, max_num_patches={self.max_num_patches}, '
                f'aspect_range={self.aspect_range}, seed={self.seed})')
