"""Generated captioned images for the EVA-CLIP quickstart: one shape per image, captioned by its attributes.

"a photo of a small red circle" (or a partial caption, :data:`CAPTIONS`): a shape (circle / square / triangle,
drawn by the detection quickstart's rasteriser, ``synthetic.coco_instances``), a colour (red / green / blue /
yellow, jittered) and a size (small / big) on a random smooth background. Some colour-shape combinations never
occur in training (:data:`HELD_OUT`; every colour and every shape still does); the held-out split holds only
those, so a zero-shot classifier over all 12 colour-shape names must compose words it saw in other combinations
(chance 1/12).

Layout: ``train/NNNNNN.png`` + ``train.csv`` (``filepath,title``: :class:`ImageTextDataset`), ``heldout/`` +
``meta/heldout.txt`` (``path label`` lines: mmpretrain's ``CustomDataset``) and ``classes.txt``. Deterministic
given ``seed``.
"""
from __future__ import annotations

import csv
import os
import os.path as osp
from typing import List, Sequence, Tuple

import cv2
import numpy as np

from .synthetic.coco_instances import _background, _draw_shape

__all__ = ['SHAPES', 'COLOURS', 'SIZES', 'HELD_OUT', 'CLASSNAMES', 'CAPTIONS', 'generate_captioned_shapes',
           'draw_captioned']

SHAPES = ('circle', 'square', 'triangle')
COLOURS = {'red': (220, 30, 30), 'green': (30, 190, 40), 'blue': (30, 60, 230), 'yellow': (235, 215, 30)}  # RGB
SIZES = {'small': (0.30, 0.42), 'big': (0.62, 0.80)}  # side / diameter as a fraction of the image side
#: Colour-shape pairs never seen in training: one per colour, each shape at least once.
HELD_OUT = (('red', 'triangle'), ('green', 'circle'), ('blue', 'square'), ('yellow', 'triangle'))
#: The zero-shot class names, label order of the held-out split.
CLASSNAMES = tuple(f'{c} {s}' for c in COLOURS for s in SHAPES)
#: Caption forms, drawn uniformly per image: full descriptions and partial ones, as web captions mention some
#: attributes only, in either order. The partial ones give each word its own contrast (a red thing vs a blue
#: thing) and the two orders keep a word's meaning off its position, which is what lets unseen colour-shape
#: pairs be composed at test time.
CAPTIONS = ('a photo of a {size} {colour} {shape}', 'a {colour} {shape}', 'a {shape} that is {colour}',
            'a {size} {shape} in {colour}', 'a photo of a {colour} thing', 'a photo of a {shape}',
            'something {colour} and {size}')


def draw_captioned(rng: np.random.Generator, colour: str, shape: str, size: str, side: int) -> np.ndarray:
    """One ``[side, side, 3]`` BGR uint8 image of a ``size`` ``colour`` ``shape``."""
    img = (_background(rng, (side, side)).astype(np.float32) * 0.5 + 64).astype(np.uint8)  # muted: colour stands out
    extent = float(rng.uniform(*SIZES[size])) * side
    margin = extent / 2 + 1
    center = (float(rng.uniform(margin, side - margin)), float(rng.uniform(margin, side - margin)))
    # upright shapes: at a few pixels a rotated square is hard to tell from a circle
    angle = -np.pi / 2 if shape == 'triangle' else np.pi / 4
    mask = _draw_shape(shape, center, extent, angle, (side, side)).astype(bool)
    rgb = np.clip(np.array(COLOURS[colour]) + rng.integers(-20, 21, 3), 0, 255)
    img[mask] = rgb[::-1].astype(np.uint8)  # BGR
    return img


def _combos(held_out: bool) -> List[Tuple[str, str]]:
    return [(c, s) for c in COLOURS for s in SHAPES if ((c, s) in HELD_OUT) == held_out]


def generate_captioned_shapes(root: str, num_train: int = 2000, num_heldout: int = 200, seed: int = 0,
                              img_size: int = 32, held_out: Sequence[Sequence[str]] = HELD_OUT) -> str:
    """Write the train and held-out splits under ``root``; return ``root``.

    Args:
        root: Output folder.
        num_train: Training pairs (drawn uniformly over the seen combinations and the two sizes).
        num_heldout: Held-out images (uniform over the unseen combinations and sizes).
        seed: Changes every image.
        img_size: Image side in pixels.
        held_out: Must be :data:`HELD_OUT` (a parameter so that the data set's READY record names it).
    """
    if tuple(map(tuple, held_out)) != HELD_OUT:
        raise ValueError(f'generate_captioned_shapes: held_out must be {HELD_OUT}')
    rng = np.random.default_rng(seed)
    for split in ('train', 'heldout', 'meta'):
        os.makedirs(osp.join(root, split), exist_ok=True)
    seen, unseen, sizes = _combos(False), _combos(True), list(SIZES)
    with open(osp.join(root, 'train.csv'), 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['filepath', 'title'])
        for i in range(num_train):
            colour, shape = seen[int(rng.integers(len(seen)))]
            size = sizes[int(rng.integers(2))]
            name = f'{i:06d}.png'
            cv2.imwrite(osp.join(root, 'train', name), draw_captioned(rng, colour, shape, size, img_size))
            form = CAPTIONS[int(rng.integers(len(CAPTIONS)))]
            writer.writerow([name, form.format(size=size, colour=colour, shape=shape)])
    lines = []
    for i in range(num_heldout):
        colour, shape = unseen[i % len(unseen)]
        size = sizes[(i // len(unseen)) % 2]
        name = f'{i:06d}.png'
        cv2.imwrite(osp.join(root, 'heldout', name), draw_captioned(rng, colour, shape, size, img_size))
        lines.append(f'{name} {CLASSNAMES.index(f"{colour} {shape}")}')
    with open(osp.join(root, 'meta', 'heldout.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    with open(osp.join(root, 'classes.txt'), 'w') as f:
        f.write('\n'.join(CLASSNAMES) + '\n')
    return root
