"""TSN-style segment sampling of the official EVA video recipe, as one clip per view for 3D recognizers.

The official pipelines (github.com/baaivision/EVA ``EVA-01/video/datasets/build.py``, an mmaction2 0.x
``SampleFrames`` copy in ``datasets/pipeline.py``) cut a video into ``T`` equal segments and take one frame of each:
``SampleFrames(clip_len=1, frame_interval=1, num_clips=T)``, a random frame per segment in training and the
segment centre (``test_mode=True``) for validation. For the multi-view test (``TEST.NUM_CLIP`` 4) the official
code swaps in ``SampleFrames(..., num_clips=T, multiview=4)`` *without* ``test_mode``: the 4 clips are 4 independent
random segment draws, not 4 fixed offsets. mmaction2 1.2.0's ``SampleFrames`` computes the same offsets (same
formulas, same ``np.random`` calls) but labels the result ``T`` clips of one frame, which a 3D recognizer would
see as ``T`` separate clips; ``UniformSample`` is SlowFast's ssv2 sampler, whose segments and test offsets differ.

``SegmentSampleFrames`` runs mmaction2's ``SampleFrames`` once per view and labels the result ``num_views`` clips of
``T`` frames, so ``FormatShape('NCTHW')`` gives ``[views x crops, C, T, H, W]``.
"""
from __future__ import annotations

from typing import Dict

import numpy as np
from mmcv.transforms import BaseTransform

from eva_mm.registry import TRANSFORMS

__all__ = ['SegmentSampleFrames']


@TRANSFORMS.register_module()
class SegmentSampleFrames(BaseTransform):
    """One frame from each of ``num_segments`` equal segments, ``num_views`` times (the official EVA sampler).

    Args:
        num_segments: frames per clip (the model's ``T``), one per segment.
        num_views: clips per video; each is an independent draw (official multi-view test: 4, random).
        test_mode: take each segment's centre instead of a random frame (official validation, one view).

    Required keys: ``total_frames``, ``start_index``. Added: ``frame_inds`` (``num_views * num_segments``),
    ``clip_len`` (``num_segments``), ``num_clips`` (``num_views``), ``frame_interval`` (None: segments, no stride).
    """

    def __init__(self, num_segments: int, num_views: int = 1, test_mode: bool = False) -> None:
        for name, value in (('num_segments', num_segments), ('num_views', num_views)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f'SegmentSampleFrames: {name} must be a positive int, got {value!r}')
        if test_mode and num_views > 1:
            # centre sampling gives the same frames for every view; the official multi-view test draws at random
            raise ValueError('SegmentSampleFrames: test_mode=True samples segment centres, so num_views > 1 would '
                             'repeat one clip; use test_mode=False for multi-view testing (as the official code)')
        # mmaction2 is imported here, not at module level, so `import eva_mm` does not load it (it is slow)
        from mmaction.datasets.transforms import SampleFrames
        self.num_segments, self.num_views, self.test_mode = num_segments, num_views, test_mode
        self._segments = SampleFrames(clip_len=1, frame_interval=1, num_clips=num_segments, test_mode=test_mode)

    def transform(self, results: Dict) -> Dict:
        """Add the frame indices of ``num_views`` clips of ``num_segments`` frames to ``results``."""
        if results.get('total_frames', 0) < 1:
            raise ValueError(f'SegmentSampleFrames: video {results.get("filename") or results.get("frame_dir")!r} '
                             f'has total_frames={results.get("total_frames")!r}; nothing to sample')
        views = [self._segments.transform(dict(total_frames=results['total_frames'],
                                                start_index=results['start_index']))['frame_inds']
                 for _ in range(self.num_views)]
        results['frame_inds'] = np.concatenate(views).astype(np.int32)
        results['clip_len'] = self.num_segments
        results['num_clips'] = self.num_views
        results['frame_interval'] = None
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_segments={self.num_segments}, num_views={self.num_views}, '
                f'test_mode={self.test_mode})')
