"""The data pipelines of the official EVA video recipe, built for a number of frames (configs import this).

From github.com/baaivision/EVA ``EVA-01/video/datasets/build.py``: PyAV decoding here where the official code uses
decord; TSN-style segment sampling (``SegmentSampleFrames``); training: short side to ``256 / 224 * size``,
``MultiScaleCrop`` (scales 1 / 0.875 / 0.75 / 0.66, corner and centre crops), resize to ``size``, flip 0.5, colour
jitter p=0.8 (per frame) and grayscale p=0.2; validation: short side ``256 / 224 * size``, centre crop, one clip of
segment centres; test (``TEST.NUM_CLIP`` 4, ``TEST.NUM_CROP`` 3): short side ``size``, ``ThreeCrop``, four random
segment draws. Normalisation is the recognizer's data preprocessor's (ImageNet mean / std, RGB).
"""
from typing import List, Tuple

__all__ = ['kinetics_pipelines']


def kinetics_pipelines(num_frames: int, size: int = 224, test_views: int = 4) -> Tuple[List[dict], List[dict],
                                                                                   List[dict]]:
    """``(train, val, test)`` pipelines for ``num_frames``-frame clips of ``size`` pixels (plain dicts)."""
    resize = int(256 / 224 * size)  # official scale_resize
    train = [
        dict(type='PyAVInit'),
        dict(type='SegmentSampleFrames', num_segments=num_frames),
        dict(type='PyAVDecode'),
        dict(type='Resize', scale=(-1, resize)),
        dict(type='MultiScaleCrop', input_size=size, scales=(1, 0.875, 0.75, 0.66), random_crop=False,
             max_wh_scale_gap=1),
        dict(type='Resize', scale=(size, size), keep_ratio=False),
        dict(type='Flip', flip_ratio=0.5),
        dict(type='VideoColorJitter', p=0.8, brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1),
        dict(type='VideoGrayScale', p=0.2),
        dict(type='FormatShape', input_format='NCTHW'),
        dict(type='PackActionInputs'),
    ]
    val = [
        dict(type='PyAVInit'),
        dict(type='SegmentSampleFrames', num_segments=num_frames, test_mode=True),
        dict(type='PyAVDecode'),
        dict(type='Resize', scale=(-1, resize)),
        dict(type='CenterCrop', crop_size=size),
        dict(type='FormatShape', input_format='NCTHW'),
        dict(type='PackActionInputs'),
    ]
    test = [
        dict(type='PyAVInit'),
        dict(type='SegmentSampleFrames', num_segments=num_frames, num_views=test_views),
        dict(type='PyAVDecode'),
        dict(type='Resize', scale=(-1, size)),
        dict(type='ThreeCrop', crop_size=size),
        dict(type='FormatShape', input_format='NCTHW'),
        dict(type='PackActionInputs'),
    ]
    return train, val, test
