"""The generated COCO-format shapes data set: deterministic, consistent, created once."""
import json
import os

import numpy as np
import pytest
from pycocotools.coco import COCO

from eva_mm.datasets.synthetic import SHAPE_CLASSES, generate_coco_instances, prepare_dataset
from eva_mm.datasets.synthetic.coco_instances import draw_image
from eva_mm.datasets.synthetic.prepare import READY_FILE

SMALL = dict(num_train=6, num_val=3, img_size=(64, 80), max_objects=4)


def test_same_arguments_give_identical_files(tmp_path):
    generate_coco_instances(str(tmp_path / 'a'), **SMALL)
    generate_coco_instances(str(tmp_path / 'b'), **SMALL)
    for rel in ['annotations/instances_train.json', 'annotations/instances_val.json', 'train/000003.png',
                'val/000002.png']:
        assert (tmp_path / 'a' / rel).read_bytes() == (tmp_path / 'b' / rel).read_bytes(), rel
    generate_coco_instances(str(tmp_path / 'c'), **dict(SMALL, seed=1))
    assert (tmp_path / 'a/train/000001.png').read_bytes() != (tmp_path / 'c/train/000001.png').read_bytes()


def test_annotations_are_consistent_with_the_pixels(tmp_path):
    paths = generate_coco_instances(str(tmp_path), **dict(SMALL, num_train=20))
    coco = COCO(paths['train'])
    assert [c['name'] for c in coco.loadCats(coco.getCatIds())] == list(SHAPE_CLASSES)
    assert len(coco.getImgIds()) == 20
    anns = coco.loadAnns(coco.getAnnIds())
    assert len(anns) >= 20  # at least one object per image on average, several classes
    assert len({a['category_id'] for a in anns}) == len(SHAPE_CLASSES)
    for ann in anns:
        x, y, w, h = ann['bbox']
        assert 0 <= x and 0 <= y and x + w <= 80 and y + h <= 64 and w > 0 and h > 0
        mask = coco.annToMask(ann)
        ys, xs = np.nonzero(mask)
        # the polygon rasterises to (almost) the same pixels as the visible mask the box was taken from
        assert abs(int(mask.sum()) - ann['area']) <= 0.25 * ann['area'] + 8
        assert xs.min() >= x - 1 and xs.max() <= x + w and ys.min() >= y - 1 and ys.max() <= y + h


def test_occluded_instances_keep_only_their_visible_part():
    for seed in range(40):
        image, instances = draw_image(seed, (64, 64), max_objects=4, size_range=(0.3, 0.6))
        masks = np.stack([i['mask'] for i in instances]) if instances else np.zeros((0, 64, 64))
        # visible parts never overlap: every pixel belongs to at most one instance
        assert masks.sum(0).max() <= 1
        for inst in instances:
            assert inst['mask'].sum() >= 0.5 * inst['full_area']


def test_prepare_dataset_creates_once_and_regenerates_on_change(tmp_path):
    root = str(tmp_path / 'shapes')
    prepare_dataset(root, generate_coco_instances, **SMALL)
    ready = os.path.join(root, READY_FILE)
    stamp = os.stat(ready).st_mtime_ns
    prepare_dataset(root, generate_coco_instances, **SMALL)  # same arguments: untouched
    assert os.stat(ready).st_mtime_ns == stamp
    prepare_dataset(root, generate_coco_instances, **dict(SMALL, num_train=4))
    with open(os.path.join(root, 'annotations/instances_train.json')) as f:
        assert len(json.load(f)['images']) == 4
    assert not [p for p in os.listdir(tmp_path) if p.startswith('.tmp-')]  # no leftovers


def test_failed_generation_leaves_no_data_set(tmp_path):
    def broken(root, **kwargs):
        generate_coco_instances(root, **kwargs)
        raise RuntimeError('disk full')

    root = tmp_path / 'shapes'
    with pytest.raises(RuntimeError, match='disk full'):
        prepare_dataset(str(root), broken, **SMALL)
    assert not root.exists()
    assert not [p for p in os.listdir(tmp_path) if p.startswith('.tmp-')]


def test_generated_dataset_unknown_generator_names_the_known_ones(tmp_path):
    from eva_mm.datasets import GeneratedDataset

    with pytest.raises(KeyError, match="unknown generator 'nope'.*coco_instances"):
        GeneratedDataset(generator='nope', root=str(tmp_path), dataset=dict(type='CocoDataset'))


def test_generated_dataset_lazy_init_generates_nothing(tmp_path):
    from mmengine.registry import init_default_scope

    from eva_mm.datasets import GeneratedDataset

    init_default_scope('mmdet')
    root = tmp_path / 'shapes'
    inner = dict(type='CocoDataset', data_root=str(root), ann_file='annotations/instances_val.json',
                 data_prefix=dict(img='val/'),
                 metainfo=dict(classes=SHAPE_CLASSES))
    lazy = GeneratedDataset(generator='coco_instances', root=str(root), dataset=inner, lazy_init=True, **SMALL)
    assert lazy.metainfo['classes'] == SHAPE_CLASSES and not root.exists()
    full = GeneratedDataset(generator='coco_instances', root=str(root), dataset=inner, **SMALL)
    assert len(full) == SMALL['num_val'] and root.exists()
