"""A small instance-segmentation data set of coloured shapes, written in COCO format.

Every image is drawn from a seed derived from (seed, split, index), so the same arguments always give the same
files on any machine. Shapes overlap: an instance's mask is what stays visible after the shapes drawn over it,
and instances that end up mostly hidden are dropped, as in real occlusion.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np

SHAPE_CLASSES = ('square', 'circle', 'triangle')
MIN_VISIBLE_FRACTION = 0.5  # an occluded instance is kept while at least this much of it shows
MIN_AREA = 16  # pixels; smaller visible remnants are not annotated


def _draw_shape(kind: str, center: Tuple[float, float], size: float, angle: float, hw: Tuple[int, int]) -> np.ndarray:
    """Binary mask [H, W] (uint8 0/1) of one shape of side / diameter `size` pixels."""
    mask = np.zeros(hw, np.uint8)
    cx, cy = center
    if kind == 'circle':
        cv2.circle(mask, (int(round(cx)), int(round(cy))), max(int(round(size / 2)), 1), 1, thickness=-1)
        return mask
    corners = 4 if kind == 'square' else 3
    theta = angle + np.arange(corners) * 2 * np.pi / corners
    radius = size / np.sqrt(2) if kind == 'square' else size / np.sqrt(3)
    points = np.stack([cx + radius * np.cos(theta), cy + radius * np.sin(theta)], axis=1)
    cv2.fillPoly(mask, [np.round(points).astype(np.int32)], 1)
    return mask


def _background(rng: np.random.Generator, hw: Tuple[int, int]) -> np.ndarray:
    """A smooth random colour gradient with mild noise, [H, W, 3] uint8 (BGR)."""
    h, w = hw
    corners = rng.uniform(40, 215, size=(2, 2, 3)).astype(np.float32)
    base = cv2.resize(corners, (w, h), interpolation=cv2.INTER_LINEAR)
    noise = rng.normal(0, 6, size=(h, w, 3)).astype(np.float32)
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def _polygons(mask: np.ndarray) -> List[List[float]]:
    """COCO polygons (flat x, y lists) of the outer contours of a binary mask."""
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return [c.reshape(-1).astype(float).tolist() for c in contours if len(c) >= 3]


def draw_image(seed: int, hw: Tuple[int, int], max_objects: int, size_range: Tuple[float, float],
               classes: Sequence[str] = SHAPE_CLASSES) -> Tuple[np.ndarray, List[Dict]]:
    """One image [H, W, 3] (BGR uint8) and its instances (`category_id` 1-based, `mask` [H, W] visible part)."""
    rng = np.random.default_rng(seed)
    image = _background(rng, hw)
    h, w = hw
    drawn = []
    for _ in range(int(rng.integers(1, max_objects + 1))):
        label = int(rng.integers(len(classes)))
        size = float(rng.uniform(*size_range)) * min(h, w)
        center = (float(rng.uniform(0.1, 0.9) * w), float(rng.uniform(0.1, 0.9) * h))
        mask = _draw_shape(classes[label], center, size, float(rng.uniform(0, np.pi)), hw)
        if mask.sum() < MIN_AREA:
            continue
        color = rng.integers(0, 256, size=3)
        # Keep shapes distinguishable from the background they sit on.
        color = np.where(np.abs(color - image[mask.astype(bool)].mean(0)) < 60, 255 - color, color)
        image[mask.astype(bool)] = color.astype(np.uint8)
        for earlier in drawn:
            earlier['mask'] &= 1 - mask
        drawn.append(dict(category_id=label + 1, mask=mask, full_area=int(mask.sum())))
    instances = [d for d in drawn if d['mask'].sum() >= max(MIN_AREA, MIN_VISIBLE_FRACTION * d['full_area'])]
    return image, instances


def _annotation(instance: Dict, ann_id: int, image_id: int) -> Dict:
    mask = instance['mask']
    ys, xs = np.nonzero(mask)
    x0, y0 = float(xs.min()), float(ys.min())
    return dict(id=ann_id, image_id=image_id, category_id=instance['category_id'], iscrowd=0,
                area=float(mask.sum()), bbox=[x0, y0, float(xs.max()) + 1 - x0, float(ys.max()) + 1 - y0],
                segmentation=_polygons(mask))


def generate_split(root: str, split: str, num_images: int, seed: int, hw: Tuple[int, int], max_objects: int,
                   size_range: Tuple[float, float], classes: Sequence[str] = SHAPE_CLASSES) -> str:
    """Write `root/{split}/NNNNNN.png` and `root/annotations/instances_{split}.json`; return the json path."""
    os.makedirs(osp.join(root, split), exist_ok=True)
    os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
    images, annotations = [], []
    split_offset = {'train': 0, 'val': 1_000_003, 'test': 2_000_003}.get(split, 3_000_003)
    for index in range(num_images):
        image_id = index + 1
        image, instances = draw_image(seed * 7_919 + split_offset + index, hw, max_objects, size_range, classes)
        file_name = f'{image_id:06d}.png'
        cv2.imwrite(osp.join(root, split, file_name), image)
        images.append(dict(id=image_id, file_name=file_name, height=hw[0], width=hw[1]))
        for instance in instances:
            annotations.append(_annotation(instance, len(annotations) + 1, image_id))
    categories = [dict(id=i + 1, name=name, supercategory='shape') for i, name in enumerate(classes)]
    path = osp.join(root, 'annotations', f'instances_{split}.json')
    with open(path, 'w') as f:
        json.dump(dict(images=images, annotations=annotations, categories=categories), f)
    return path


def generate_coco_instances(root: str, num_train: int = 200, num_val: int = 50, seed: int = 0,
                            img_size: Tuple[int, int] = (128, 128), max_objects: int = 4,
                            size_range: Tuple[float, float] = (0.15, 0.45)) -> Dict[str, str]:
    """Write the train and val splits under `root` (COCO layout) and return their annotation paths.

    Args:
        root: output folder; gets `train/`, `val/` and `annotations/instances_{train,val}.json`.
        num_train, num_val: images per split.
        seed: changes every image.
        img_size: (height, width) in pixels.
        max_objects: at most this many shapes are drawn per image (at least one).
        size_range: shape size as a fraction of the shorter image side.
    """
    common = dict(seed=seed, hw=tuple(img_size), max_objects=max_objects, size_range=tuple(size_range))
    return {split: generate_split(root, split, n, **common) for split, n in (('train', num_train), ('val', num_val))}
