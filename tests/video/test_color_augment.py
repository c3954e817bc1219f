"""Colour jitter (p=0.8, per frame) and grayscale (p=0.2) of the official EVA video training pipeline."""
import os.path as osp
import random

import numpy as np
import pytest
from mmengine.config import Config

from eva_mm.datasets.transforms import VideoColorJitter, VideoGrayScale

ROOT = osp.join(osp.dirname(__file__), '..', '..', 'configs', 'eva01', 'video')


def _clip(n=4, seed=0):
    rng = np.random.default_rng(seed)
    frame = rng.integers(0, 256, (6, 7, 3), dtype=np.uint8)
    return [frame.copy() for _ in range(n)]  # identical frames: a per-frame draw shows as differing outputs


def test_jitter_applies_with_its_probability_and_per_frame():
    random.seed(0)
    jitter = VideoColorJitter(p=0.8)
    applied = sum(not np.array_equal(jitter(dict(imgs=_clip(1)))['imgs'][0], _clip(1)[0]) for _ in range(400))
    assert 0.74 < applied / 400 < 0.86
    out = VideoColorJitter(p=1.0)(dict(imgs=_clip()))['imgs']
    assert all(o.dtype == np.uint8 and o.shape == (6, 7, 3) for o in out)
    assert len({o.tobytes() for o in out}) == 4  # official: every frame draws its own factors
    same = VideoColorJitter(p=1.0, per_frame=False)(dict(imgs=_clip()))['imgs']
    assert len({o.tobytes() for o in same}) == 1 and not np.array_equal(same[0], _clip()[0])
    assert VideoColorJitter(p=0.0)(dict(imgs=_clip()))['imgs'][0].tobytes() == _clip()[0].tobytes()


def test_grayscale_is_luma_on_every_frame_with_its_probability():
    random.seed(1)
    gray = VideoGrayScale(p=0.2)
    applied = sum(gray(dict(imgs=_clip(1)))['imgs'][0].std(axis=2).max() == 0 for _ in range(400))
    assert 0.15 < applied / 400 < 0.25
    clip = _clip(2)
    out = VideoGrayScale(p=1.0)(dict(imgs=clip))['imgs']
    rgb = clip[0].astype(np.float64)
    luma = rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114  # ITU-R 601-2
    for o in out:
        assert (o[..., 0] == o[..., 1]).all() and (o[..., 1] == o[..., 2]).all()
        assert np.abs(o[..., 0] - luma).max() <= 1.0


def test_bad_arguments_and_inputs_name_the_culprit():
    with pytest.raises(ValueError, match='VideoColorJitter: p'):
        VideoColorJitter(p=1.5)
    with pytest.raises(ValueError, match='VideoGrayScale: p'):
        VideoGrayScale(p='0.2')
    with pytest.raises(TypeError, match='VideoGrayScale.*uint8'):
        VideoGrayScale(p=1.0)(dict(imgs=[np.zeros((4, 4, 3), np.float32)]))


@pytest.mark.parametrize('name', ['eva-g-p14_k722-intermediate-ft_8f', 'eva-g-p14_k722-pre_1e_k400-16f'])
def test_configs_jitter_then_gray_after_flip(name):
    # official order (EVA-01/video/datasets/build.py): ... Flip, ColorJitter(0.8), GrayScale(0.2), Normalize
    types = [t['type'] for t in Config.fromfile(osp.join(ROOT, name + '.py')).train_dataloader.dataset.pipeline]
    i = types.index('Flip')
    assert types[i + 1:i + 4] == ['VideoColorJitter', 'VideoGrayScale', 'FormatShape']
    pipe = Config.fromfile(osp.join(ROOT, name + '.py')).train_dataloader.dataset.pipeline
    assert pipe[i + 1] == dict(type='VideoColorJitter', p=0.8, brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1)
    assert pipe[i + 2] == dict(type='VideoGrayScale', p=0.2)
