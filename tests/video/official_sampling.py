"""An independent re-statement of the official EVA video frame sampler, for the sampling tests only.

Written from github.com/baaivision/EVA ``EVA-01/video/datasets/pipeline.py`` (``SampleFrames`` with ``clip_len=1``,
``frame_interval=1``, ``out_of_bound_opt='loop'``) and ``datasets/build.py`` (which sampler each split uses): train
draws a random frame per segment, validation takes segment centres (``test_mode=True``), and the 4-view test is
``multiview=4`` *without* ``test_mode``, i.e. four independent train-style draws. Uses ``np.random`` as the official
code does, so under one seed it must give the very same indices.
"""
import numpy as np


def official_frame_indices(total_frames, num_frames, views=1, test_mode=False, start_index=0):
    """Official frame indices for a video of ``total_frames`` frames, ``views`` clips of ``num_frames``."""
    if test_mode:
        seg = total_frames / float(num_frames)
        offsets = (np.arange(num_frames) * seg + seg / 2.0).astype(int)
    else:
        offsets = np.concatenate([_random_segments(total_frames, num_frames) for _ in range(views)])
    return np.mod(offsets, total_frames).astype(int) + start_index


def _random_segments(total_frames, num_frames):
    seg = total_frames // num_frames
    if seg > 0:  # one random frame of each equal segment (the tail after T * seg frames is never drawn)
        return np.arange(num_frames) * seg + np.random.randint(seg, size=num_frames)
    if total_frames > num_frames:  # unreachable with clip_len 1 (seg == 0 means total < T); kept as written
        return np.sort(np.random.randint(total_frames, size=num_frames))
    return np.around(np.arange(num_frames) * (total_frames / num_frames))  # fewer frames than T: spread, repeat
