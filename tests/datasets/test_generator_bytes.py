"""Every generated data set is pinned by a hash of what it holds, so a library upgrade (OpenCV's rasteriser or
resize, NumPy's random streams) or another CPU that changes one pixel or one annotation fails here instead of
silently moving the quickstarts' numbers. Hashed: decoded pixels of the lossless PNG files (not the file bytes,
which depend on the zlib build), the annotation JSON as written, and for the JPEG images of the segmentation set
the drawn arrays before encoding (a JPEG decoder's output is not pinned by any standard).

A change that is meant to alter a data set updates its hash here, and its README numbers are measured again."""
import hashlib
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from eva_mm.datasets.synthetic import generate_coco_instances
from eva_mm.datasets.synthetic.ade_segmentation import SPLITS, draw_scene, generate_ade_segmentation
from eva_mm.datasets.synthetic.unlabeled_images import generate_unlabeled_images

EXPECTED = {
    'coco_instances': '7ef9738ba4ec0d261e166fc00fa7cc2a9751d870ec322534a03042d522ddcc63',
    'ade_segmentation': 'bd6061083e224b1dccb464f7443ba96ff5feda80c44dff27a1f9c0e740e0a97f',
    'unlabeled_images': 'a8f2ec62fedbdd0398d5fccae51d09efea539e62c381d0984f2fae4c0fbd6871',
}


def digest(root: str, skip_suffix: str = '') -> str:
    """sha256 over the sorted files under root: PNG pixels (with shape and dtype), other files' bytes."""
    h = hashlib.sha256()
    for folder, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            if skip_suffix and name.endswith(skip_suffix):
                continue
            path = osp.join(folder, name)
            h.update(osp.relpath(path, root).encode())
            if name.endswith('.png'):
                pixels = cv2.imread(path, cv2.IMREAD_UNCHANGED)
                h.update(f'{pixels.shape}{pixels.dtype}'.encode() + np.ascontiguousarray(pixels).tobytes())
            else:
                with open(path, 'rb') as f:
                    h.update(f.read())
    return h.hexdigest()


def coco_instances(root: str) -> str:
    generate_coco_instances(root, num_train=4, num_val=2, seed=3)
    return digest(root)


def ade_segmentation(root: str) -> str:
    generate_ade_segmentation(root, num_train=4, num_val=2, seed=3)
    h = hashlib.sha256(digest(root, skip_suffix='.jpg').encode())
    for split, n in (('train', 4), ('val', 2)):  # the images as drawn (same seeds as the generator's)
        offset = SPLITS[split][2]
        for index in range(n):
            image, _ = draw_scene(3 * 7_919 + offset + index, (128, 128), 4, (0.2, 0.45), 2)
            h.update(image.tobytes())
    return h.hexdigest()


def unlabeled_images(root: str) -> str:
    generate_unlabeled_images(root, num_images=4, seed=3)
    return digest(root)


@pytest.mark.parametrize('generator', [coco_instances, ade_segmentation, unlabeled_images],
                         ids=lambda f: f.__name__)
def test_generated_bytes_are_pinned(generator, tmp_path):
    got = generator(str(tmp_path / 'data'))
    assert got == EXPECTED[generator.__name__], f'{generator.__name__}: {got}'
