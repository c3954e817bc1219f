"""The video configs sample the frames the official EVA recipe samples (train, validation, 4-view test)."""
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

from .official_sampling import official_frame_indices

ROOT = osp.join(osp.dirname(__file__), '..', '..', 'configs', 'eva01', 'video')
CONFIGS = {'eva-g-p14_k722-intermediate-ft_8f': 8, 'eva-g-p14_k722-pre_1e_k400-16f': 16}
LENGTHS = (1, 5, 8, 15, 16, 17, 31, 100, 301)  # shorter than T, equal, just over, typical 10 s clips at 30 fps


def _sampler(cfg, split):
    import mmaction.datasets  # noqa: F401  (mmaction's TRANSFORMS, which falls back to eva_mm's)
    from mmaction.registry import TRANSFORMS
    return TRANSFORMS.build(cfg[f'{split}_dataloader'].dataset.pipeline[1])


@pytest.mark.parametrize('name', sorted(CONFIGS))
@pytest.mark.parametrize('split,views,test_mode', [('train', 1, False), ('val', 1, True), ('test', 4, False)])
def test_config_sampler_matches_the_official_one(name, split, views, test_mode):
    frames = CONFIGS[name]
    sampler = _sampler(Config.fromfile(osp.join(ROOT, name + '.py')), split)
    for length in LENGTHS:
        for seed in range(3):
            np.random.seed(seed)
            got = sampler(dict(total_frames=length, start_index=0))
            np.random.seed(seed)
            want = official_frame_indices(length, frames, views=views, test_mode=test_mode)
            assert got['frame_inds'].tolist() == want.tolist(), (name, split, length, seed)
            assert (got['clip_len'], got['num_clips']) == (frames, views)
            assert got['frame_inds'].min() >= 0 and got['frame_inds'].max() < length


def test_test_views_are_independent_draws_and_val_is_the_centre():
    from eva_mm.datasets.transforms import SegmentSampleFrames
    np.random.seed(0)
    inds = SegmentSampleFrames(8, num_views=4)(dict(total_frames=300, start_index=1))['frame_inds'].reshape(4, 8)
    assert len({tuple(v) for v in inds}) == 4  # four different clips
    assert all((np.diff(v) > 0).all() and ((v - 1) // 37 == np.arange(8)).all() for v in inds)  # one per segment
    centre = SegmentSampleFrames(4, test_mode=True)(dict(total_frames=100, start_index=0))['frame_inds']
    assert centre.tolist() == [12, 37, 62, 87]


def test_4x3_views_reach_the_recognizer_as_12_clips():
    import mmaction.datasets  # noqa: F401
    from mmaction.registry import TRANSFORMS
    from mmengine.dataset import Compose
    from mmengine.registry import DefaultScope
    cfg = Config.fromfile(osp.join(ROOT, 'eva-g-p14_k722-intermediate-ft_8f.py'))
    pipe = cfg.test_dataloader.dataset.pipeline
    assert [t['type'] for t in pipe[:3]] == ['PyAVInit', 'SegmentSampleFrames', 'PyAVDecode']
    # build in mmaction's scope whatever scope an earlier test left as default (mmseg has no ThreeCrop)
    with DefaultScope.overwrite_default_scope('mmaction'):
        results = TRANSFORMS.build(pipe[1])(dict(total_frames=90, start_index=0))
        results.update(imgs=[np.full((240, 320, 3), i, np.uint8) for i in results['frame_inds']],
                       original_shape=(240, 320), img_shape=(240, 320), modality='RGB', label=0)
        packed = Compose([TRANSFORMS.build(t) for t in pipe[3:]])(results)
    assert tuple(packed['inputs'].shape) == (12, 3, 8, 224, 224)
    # crop-major like mmaction's ThreeCrop: each of the 3 crops holds the 4 views in order, frames in time order
    first = packed['inputs'][:4, 0, :, 0, 0].numpy()
    assert first.reshape(-1).tolist() == results['frame_inds'][:32].tolist()


def test_bad_sampler_arguments_name_the_culprit():
    from eva_mm.datasets.transforms import SegmentSampleFrames
    with pytest.raises(ValueError, match='num_segments'):
        SegmentSampleFrames(0)
    with pytest.raises(ValueError, match='num_views'):
        SegmentSampleFrames(8, num_views=2.0)
    with pytest.raises(ValueError, match='test_mode=True.*num_views'):
        SegmentSampleFrames(8, num_views=4, test_mode=True)
    with pytest.raises(ValueError, match="'a.mp4'.*total_frames=0"):
        SegmentSampleFrames(8)(dict(total_frames=0, start_index=0, filename='a.mp4'))
