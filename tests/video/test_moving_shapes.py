"""The moving-shapes generator: deterministic, balanced, and the class is visible only over time."""
import hashlib
import os

import numpy as np

from eva_mm.datasets.synthetic.moving_shapes import MOTION_CLASSES, generate_moving_shapes, make_motion_clip


def _digest(root):
    h = hashlib.sha256()
    for dirpath, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            with open(os.path.join(dirpath, name), 'rb') as f:
                h.update(name.encode() + f.read())
    return h.hexdigest()


def test_deterministic_files(tmp_path):
    a, b, c = tmp_path / 'a', tmp_path / 'b', tmp_path / 'c'
    for root, seed in ((a, 0), (b, 0), (c, 1)):
        generate_moving_shapes(str(root), num_train=8, num_val=4, seed=seed, frames=4, size=16)
    assert _digest(a) == _digest(b) != _digest(c)
    lines = (a / 'train_list.txt').read_text().split('\n')[:-1]
    assert [int(x.split()[2]) for x in lines] == [0, 1, 2, 3] * 2 and lines[0].split()[1] == '4'
    assert len(os.listdir(a / 'train' / 'clip_00000')) == 4


def _centroids(clip):
    fg = clip.astype(np.int32).sum(-1) > clip.astype(np.int32).sum(-1).mean((1, 2), keepdims=True) + 100
    ys, xs = np.mgrid[:clip.shape[1], :clip.shape[2]]
    return np.stack([(xs * f).sum() / f.sum() for f in fg]), np.stack([(ys * f).sum() / f.sum() for f in fg])


def test_motion_is_the_class():
    steps = {'right': (1, 0), 'left': (-1, 0), 'down': (0, 1), 'up': (0, -1)}
    for label, name in enumerate(MOTION_CLASSES):
        cx, cy = _centroids(make_motion_clip(np.random.default_rng(label), label, frames=8, size=32))
        dx, dy = cx[-1] - cx[0], cy[-1] - cy[0]
        assert np.sign(np.round(dx / 3)) == steps[name][0] and np.sign(np.round(dy / 3)) == steps[name][1]


def test_single_frames_carry_no_direction():
    """Position of the shape over all frames: right-movers and left-movers share one distribution."""
    xs = {0: [], 1: []}
    for label in (0, 1):
        for i in range(300):
            xs[label].append(_centroids(make_motion_clip(np.random.default_rng([label, i]), label))[0])
    right, left = np.concatenate(xs[0]), np.concatenate(xs[1])
    assert abs(right.mean() - left.mean()) < 0.5 and abs(right.std() - left.std()) < 0.5
