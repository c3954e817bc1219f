"""An unlabeled image set for MIM quickstarts: the shapes images of ``coco_instances`` without annotations.

Layout (what mmpretrain's ``CustomDataset(with_label=False)`` reads): ``root/images/NNNNNN.png`` and an image list
``root/meta/train.txt`` with one relative path per line.
"""
import os
import os.path as osp
from typing import Tuple

import cv2

from .coco_instances import draw_image

_SEED_OFFSET = 5_000_011  # keeps these images distinct from the detection splits drawn with the same seed


def generate_unlabeled_images(root: str, num_images: int = 512, seed: int = 0,
                              img_size: Tuple[int, int] = (128, 128), max_objects: int = 6,
                              size_range: Tuple[float, float] = (0.1, 0.5)) -> str:
    """Write ``num_images`` images under ``root/images`` and their list ``root/meta/train.txt``; return the list.

    Args:
        root: Output folder.
        num_images: Number of images.
        seed: Changes every image.
        img_size: ``(height, width)`` in pixels.
        max_objects: At most this many shapes per image.
        size_range: Shape size as a fraction of the shorter side.
    """
    os.makedirs(osp.join(root, 'images'), exist_ok=True)
    os.makedirs(osp.join(root, 'meta'), exist_ok=True)
    names = []
    for index in range(num_images):
        image, _ = draw_image(seed * 7_919 + _SEED_OFFSET + index, tuple(img_size), max_objects, tuple(size_range))
        names.append(f'{index:06d}.png')
        cv2.imwrite(osp.join(root, 'images', names[-1]), image)
    list_file = osp.join(root, 'meta', 'train.txt')
    with open(list_file, 'w') as f:
        f.write('\n'.join(names) + '\n')
    return list_file
