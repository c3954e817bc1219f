"""Generated video clips whose class is a motion: one shape moving right, left, down or up.

Every frame alone is class-free: the start point is uniform over the positions that keep the whole path in
view, so over a clip's frames each direction visits the same distribution of positions as its mirror image, and
shape, size, colours and noise are drawn independently of the class. Only the order of frames tells the class.
Written as mmaction2 ``RawFrameDataset`` folders (``<split>/<clip>/img_00001.png``) with list files
``<split>_list.txt`` of ``<clip_dir> <total_frames> <label>`` lines. Deterministic given ``seed``.
"""
import os
import os.path as osp
from typing import List, Tuple

import cv2
import numpy as np

__all__ = ['MOTION_CLASSES', 'generate_moving_shapes', 'make_motion_clip']

MOTION_CLASSES = ('right', 'left', 'down', 'up')
_STEPS = {'right': (1, 0), 'left': (-1, 0), 'down': (0, 1), 'up': (0, -1)}


def make_motion_clip(rng: np.random.Generator, label: int, frames: int = 8, size: int = 32) -> np.ndarray:
    """One clip ``[frames, size, size, 3]`` uint8 of class ``MOTION_CLASSES[label]``."""
    dx, dy = _STEPS[MOTION_CLASSES[label]]
    side = int(rng.integers(size // 5, size // 3))
    speed = float(rng.uniform(0.6, 1.0)) * (size - side) / max(frames - 1, 1) * 0.8
    travel = speed * (frames - 1)
    # Along the motion axis the start leaves room for the whole path; across it, anywhere in view.
    lo, hi = 0.0, size - side - travel
    along = rng.uniform(lo, hi)
    across = rng.uniform(0, size - side)
    fg = rng.integers(128, 256, 3)
    bg = rng.integers(0, 100, 3)
    disk = bool(rng.integers(2))
    clip = np.empty((frames, size, size, 3), np.uint8)
    for t in range(frames):
        pos = along + speed * t if (dx + dy) > 0 else along + travel - speed * t
        x, y = (pos, across) if dx else (across, pos)
        img = np.broadcast_to(bg, (size, size, 3)).astype(np.int16)
        img = img + rng.integers(-12, 13, (size, size, 3))
        x0, y0 = int(round(x)), int(round(y))
        if disk:
            mask = np.zeros((size, size), np.uint8)
            cv2.circle(mask, (x0 + side // 2, y0 + side // 2), side // 2, 1, -1)
            img[mask.astype(bool)] = fg
        else:
            img[y0:y0 + side, x0:x0 + side] = fg
        clip[t] = np.clip(img, 0, 255).astype(np.uint8)
    return clip


def _write_split(root: str, split: str, num: int, seed: int, frames: int, size: int) -> None:
    lines: List[str] = []
    for i in range(num):
        label = i % len(MOTION_CLASSES)  # balanced classes
        rng = np.random.default_rng([seed, 0 if split == 'train' else 1, i])
        clip = make_motion_clip(rng, label, frames, size)
        name = f'{split}/clip_{i:05d}'
        os.makedirs(osp.join(root, name), exist_ok=True)
        for t, frame in enumerate(clip):
            cv2.imwrite(osp.join(root, name, f'img_{t + 1:05d}.png'), frame[..., ::-1])  # stored RGB -> BGR file
        lines.append(f'{name} {frames} {label}')
    with open(osp.join(root, f'{split}_list.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')


def generate_moving_shapes(root: str, num_train: int = 400, num_val: int = 120, seed: int = 0, frames: int = 8,
                           size: int = 32) -> Tuple[str, str]:
    """Write the train and val splits under ``root``; returns the two list files' paths."""
    for split, num in (('train', num_train), ('val', num_val)):
        _write_split(root, split, num, seed, frames, size)
    with open(osp.join(root, 'classes.txt'), 'w') as f:
        f.write('\n'.join(MOTION_CLASSES) + '\n')
    return osp.join(root, 'train_list.txt'), osp.join(root, 'val_list.txt')
