"""A small semantic-segmentation data set in the ADE20K layout, drawn deterministically.

Layout and label semantics are those of ADEChallengeData2016, so mmseg's ADE20K pipeline (and
`LoadAnnotations(reduce_zero_label=True)`) reads it unchanged::

    root/images/{training,validation}/ADE_{train,val}_00000001.jpg
    root/annotations/{training,validation}/ADE_{train,val}_00000001.png   (uint8; 0 = "other", 1..N = classes)

A scene is sky above a random horizon and a textured floor below, with boxes (squares), balls (circles) and
signboards (triangles) in front; each class has its own colour family, jittered per object, so colour and shape
both tell the class. Thin unlabelled clutter strokes get label 0, which `reduce_zero_label` turns into the ignore
index 255, as ADE20K's "other objects".
"""
import os
import os.path as osp
from typing import Dict, Sequence, Tuple

import cv2
import numpy as np

from .coco_instances import _draw_shape

# Class names are ADE20K's (a subset). Index i here is label i + 1 in the PNGs and i after reduce_zero_label.
ADE_SHAPE_CLASSES = ('sky', 'floor', 'box', 'ball', 'signboard')
ADE_SHAPE_PALETTE = ((6, 230, 230), (80, 50, 50), (255, 0, 102), (255, 235, 0), (255, 5, 153))  # ADE20K's colours
_OBJECTS = {'box': 'square', 'ball': 'circle', 'signboard': 'triangle'}  # class -> shape drawn
# Base colour (BGR) of each object class; every object jitters it by up to +-JITTER per channel.
_OBJECT_COLORS = {'box': (40, 60, 200), 'ball': (40, 190, 60), 'signboard': (200, 40, 160)}
JITTER = 45
SPLITS = {'train': ('training', 'ADE_train', 0), 'val': ('validation', 'ADE_val', 1_000_003)}


def _sky(rng: np.random.Generator, hw: Tuple[int, int]) -> np.ndarray:
    """Smooth bluish vertical gradient, [H, W, 3] float32 (BGR)."""
    top = np.array([rng.uniform(170, 250), rng.uniform(120, 190), rng.uniform(60, 130)], np.float32)
    bottom = top * rng.uniform(0.75, 0.95) + rng.uniform(10, 40)
    t = np.linspace(0, 1, hw[0], dtype=np.float32)[:, None, None]
    return np.broadcast_to(top * (1 - t) + bottom * t, (*hw, 3)).copy()


def _floor(rng: np.random.Generator, hw: Tuple[int, int]) -> np.ndarray:
    """Brownish floor with horizontal planks and grain noise, [H, W, 3] float32 (BGR)."""
    base = np.array([rng.uniform(40, 90), rng.uniform(70, 120), rng.uniform(110, 170)], np.float32)
    period = rng.uniform(5, 12)
    rows = np.arange(hw[0], dtype=np.float32)[:, None, None]
    planks = 18 * np.sign(np.sin(2 * np.pi * rows / period))
    return base + planks + rng.normal(0, 8, size=(*hw, 3)).astype(np.float32)


def draw_scene(seed: int, hw: Tuple[int, int], max_objects: int, size_range: Tuple[float, float],
               max_clutter: int) -> Tuple[np.ndarray, np.ndarray]:
    """One image [H, W, 3] (BGR uint8) and its label map [H, W] (uint8, ADE20K convention: 0 = other)."""
    rng = np.random.default_rng(seed)
    h, w = hw
    horizon = int(rng.uniform(0.3, 0.7) * h)
    label = np.full(hw, ADE_SHAPE_CLASSES.index('floor') + 1, np.uint8)
    label[:horizon] = ADE_SHAPE_CLASSES.index('sky') + 1
    image = np.where(label[..., None] == 1, _sky(rng, hw), _floor(rng, hw))
    names = list(_OBJECTS)
    for _ in range(int(rng.integers(1, max_objects + 1))):
        name = names[int(rng.integers(len(names)))]
        size = float(rng.uniform(*size_range)) * min(h, w)
        center = (float(rng.uniform(0.1, 0.9) * w), float(rng.uniform(0.1, 0.9) * h))
        mask = _draw_shape(_OBJECTS[name], center, size, float(rng.uniform(0, np.pi)), hw).astype(bool)
        color = np.clip(np.array(_OBJECT_COLORS[name]) + rng.integers(-JITTER, JITTER + 1, size=3), 0, 255)
        image[mask] = color + rng.normal(0, 4, size=(int(mask.sum()), 3))
        label[mask] = ADE_SHAPE_CLASSES.index(name) + 1
    for _ in range(int(rng.integers(0, max_clutter + 1))):
        stroke = np.zeros(hw, np.uint8)
        p0, p1 = rng.integers(0, [w, h], size=(2, 2))
        cv2.line(stroke, tuple(int(v) for v in p0), tuple(int(v) for v in p1), 1, int(rng.integers(1, 3)))
        image[stroke.astype(bool)] = rng.integers(0, 256, size=3)
        label[stroke.astype(bool)] = 0
    return np.clip(image, 0, 255).astype(np.uint8), label


def generate_ade_segmentation(root: str, num_train: int = 400, num_val: int = 80, seed: int = 0,
                              img_size: Sequence[int] = (128, 128), max_objects: int = 4,
                              size_range: Sequence[float] = (0.2, 0.45), max_clutter: int = 2) -> Dict[str, int]:
    """Write the training and validation splits under `root` in the ADE20K layout; return images per split.

    Args:
        root: output folder; gets `images/{training,validation}` and `annotations/{training,validation}`.
        num_train, num_val: images per split.
        seed: changes every image; (seed, split, index) fixes each image on any machine.
        img_size: (height, width) in pixels.
        max_objects: at most this many objects per image (at least one).
        size_range: object size as a fraction of the shorter image side.
        max_clutter: at most this many unlabelled strokes (label 0) per image.
    """
    hw = (int(img_size[0]), int(img_size[1]))
    if min(hw) < 16 or num_train < 1 or num_val < 1:
        raise ValueError(f'generate_ade_segmentation: need img_size >= 16 and at least one image per split, got '
                         f'img_size={tuple(img_size)}, num_train={num_train}, num_val={num_val}')
    counts = {}
    for split, n in (('train', num_train), ('val', num_val)):
        folder, prefix, offset = SPLITS[split]
        for sub in ('images', 'annotations'):
            os.makedirs(osp.join(root, sub, folder), exist_ok=True)
        for index in range(n):
            image, label = draw_scene(seed * 7_919 + offset + index, hw, max_objects, tuple(size_range),
                                      max_clutter)
            name = f'{prefix}_{index + 1:08d}'
            cv2.imwrite(osp.join(root, 'images', folder, name + '.jpg'), image, [cv2.IMWRITE_JPEG_QUALITY, 95])
            cv2.imwrite(osp.join(root, 'annotations', folder, name + '.png'), label)
        counts[split] = n
    return counts
