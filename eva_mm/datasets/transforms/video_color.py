"""Colour augmentation of the official EVA video recipe: colour jitter with p=0.8, grayscale with p=0.2.

The official training pipeline (github.com/baaivision/EVA ``EVA-01/video/datasets/build.py`` and
``datasets/pipeline.py``, from X-CLIP) ends with ``ColorJitter(p=AUG.COLOR_JITTER)`` then
``GrayScale(p=AUG.GRAY_SCALE)`` (0.8 / 0.2, ``utils/config.py``): with probability p, torchvision's
``ColorJitter(brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1)`` is called on every frame (so each frame draws
its own factors and order), and torchvision's 3-channel ``Grayscale`` on every frame. mmaction2 1.2.0's
``ColorJitter`` is always applied, with other ranges and one draw per clip, and it has no grayscale transform.
Frames are RGB ``uint8`` arrays, as mmaction2's decoders give them.
"""
from __future__ import annotations

import random
from typing import Dict, List

import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image

from eva_mm.registry import TRANSFORMS

__all__ = ['VideoColorJitter', 'VideoGrayScale']


def _check_p(owner: str, p: float) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise ValueError(f'{owner}: p must be a probability in [0, 1], got {p!r}')
    return float(p)


def _frames(owner: str, results: Dict) -> List[np.ndarray]:
    imgs = results.get('imgs')
    if not imgs or any(not isinstance(i, np.ndarray) or i.dtype != np.uint8 or i.ndim != 3 or i.shape[2] != 3
                       for i in imgs):
        raise TypeError(f'{owner}: results["imgs"] must be decoded RGB uint8 frames [H, W, 3] (put it after the '
                        'decode/crop/flip steps, before FormatShape)')
    return imgs


@TRANSFORMS.register_module()
class VideoColorJitter(BaseTransform):
    """With probability ``p``, torchvision colour jitter on every frame (the official EVA / X-CLIP transform).

    Args:
        p: probability that a clip is jittered (official ``AUG.COLOR_JITTER`` 0.8).
        brightness, contrast, saturation, hue: torchvision ``ColorJitter`` ranges (official 0.4, 0.4, 0.2, 0.1).
        per_frame: draw new factors for each frame (official); False draws once per clip.
    """

    def __init__(self, p: float = 0.8, brightness: float = 0.4, contrast: float = 0.4, saturation: float = 0.2,
                 hue: float = 0.1, per_frame: bool = True) -> None:
        from torchvision.transforms import ColorJitter  # torchvision is pinned; imported when the transform is built
        self.p = _check_p('VideoColorJitter', p)
        self.per_frame = per_frame
        self.jitter = ColorJitter(brightness=brightness, contrast=contrast, saturation=saturation, hue=hue)

    def transform(self, results: Dict) -> Dict:
        """Jitter ``results['imgs']`` (a list of frames) with probability ``p``."""
        imgs = _frames('VideoColorJitter', results)
        if random.random() >= self.p:
            return results
        if self.per_frame:
            results['imgs'] = [np.asarray(self.jitter(Image.fromarray(img))) for img in imgs]
            return results
        # one draw of factors and order for the clip, through torchvision's own parameter sampler
        from torchvision.transforms import functional as F
        j = self.jitter
        order, b, c, s, h = j.get_params(j.brightness, j.contrast, j.saturation, j.hue)
        ops = {0: (F.adjust_brightness, b), 1: (F.adjust_contrast, c), 2: (F.adjust_saturation, s),
               3: (F.adjust_hue, h)}
        out = []
        for img in imgs:
            pil = Image.fromarray(img)
            for idx in order.tolist():
                fn, factor = ops[idx]
                if factor is not None:
                    pil = fn(pil, factor)
            out.append(np.asarray(pil))
        results['imgs'] = out
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(p={self.p}, jitter={self.jitter!r}, per_frame={self.per_frame})'


@TRANSFORMS.register_module()
class VideoGrayScale(BaseTransform):
    """With probability ``p``, every frame to 3-channel grayscale (official ``GrayScale``, ``AUG.GRAY_SCALE`` 0.2).

    The gray level is PIL's ``L`` conversion (ITU-R 601-2 luma), the one torchvision's ``Grayscale`` uses on images.
    """

    def __init__(self, p: float = 0.2) -> None:
        self.p = _check_p('VideoGrayScale', p)

    def transform(self, results: Dict) -> Dict:
        """Gray ``results['imgs']`` with probability ``p`` (one decision per clip)."""
        imgs = _frames('VideoGrayScale', results)
        if random.random() < self.p:
            results['imgs'] = [np.asarray(Image.fromarray(img).convert('L').convert('RGB')) for img in imgs]
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(p={self.p})'
