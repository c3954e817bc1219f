"""Bad data stops with one error naming the image file or the annotation entry (eva_mm.datasets.checks).

Each case breaks one thing of a small generated COCO set and loads it the way the detection configs do (mmdet's
CocoDataset, mmcv's LoadImageFromFile, LoadAnnotations with masks).
"""
import json
import struct
import zlib

import pytest
from mmengine.registry import init_default_scope

import eva_mm  # noqa: F401
from eva_mm.datasets.checks import AnnotationError, ImageFileError
from eva_mm.datasets.synthetic import generate_coco_instances
from eva_mm.registry import DATASETS

CLASSES = ('square', 'circle', 'triangle')


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header says width x height, with a few real rows: enough for a reader that trusts the header."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
    rows = zlib.compress(b'\x00' * (1 + 3 * width) * 2)
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0))
            + chunk(b'IDAT', rows) + chunk(b'IEND', b''))


def _break_image(how):
    def apply(root, ann):
        path = root / 'train' / ann['images'][0]['file_name']
        data = path.read_bytes()
        path.write_bytes({'empty': b'', 'truncated': data[:len(data) // 2],
                          'bomb': _png_header_only(40000, 40000) if how == 'bomb' else b''}[how])
        return str(path)
    return apply


def _break_annotation(how):
    def apply(root, ann):
        entry = ann['annotations'][0]
        if how == 'bbox_3_numbers':
            entry['bbox'] = entry['bbox'][:3]
        elif how == 'bbox_string':
            entry['bbox'] = ' '.join(str(v) for v in entry['bbox'])
        elif how == 'no_segmentation':
            del entry['segmentation']
        image = next(i for i in ann['images'] if i['id'] == entry['image_id'])
        return rf"annotation id {entry['id']} \(image '{image['file_name']}'\)"
    return apply


CASES = {
    'empty_image': (_break_image('empty'), ImageFileError, r'image {}: empty file \(0 bytes\)'),
    'truncated_image': (_break_image('truncated'), ImageFileError, r'image {}: truncated \(\d+ bytes, no PNG IEND'),
    'decompression_bomb': (_break_image('bomb'), ImageFileError,
                           r'image {}: Image size \(1600000000 pixels\) exceeds limit.*Refusing to decode'),
    'bbox_3_numbers': (_break_annotation('bbox_3_numbers'), AnnotationError,
                       r"instances_train\.json: {}: 'bbox' must be 4 numbers \[x, y, width, height\], got \["),
    'bbox_string': (_break_annotation('bbox_string'), AnnotationError, r"{}: 'bbox' must be 4 numbers.*got '"),
    'no_segmentation': (_break_annotation('no_segmentation'), AnnotationError,
                        r"{}: no 'segmentation', but the pipeline loads masks"),
}


@pytest.fixture(scope='module')
def clean_set(tmp_path_factory):
    root = tmp_path_factory.mktemp('shapes')
    generate_coco_instances(str(root), num_train=3, num_val=1, img_size=(48, 48), max_objects=2)
    return root


def _dataset(root, classes=CLASSES):
    init_default_scope('mmdet')
    return DATASETS.build(dict(
        type='CocoDataset', data_root=str(root), ann_file='annotations/instances_train.json',
        data_prefix=dict(img='train/'), metainfo=dict(classes=classes), test_mode=True,
        pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True, with_mask=True)]))


@pytest.mark.parametrize('case', sorted(CASES))
def test_bad_data_is_named(clean_set, tmp_path, case):
    import shutil
    root = tmp_path / 'data'
    shutil.copytree(clean_set, root)
    ann_path = root / 'annotations/instances_train.json'
    ann = json.loads(ann_path.read_text())
    breaker, error, message = CASES[case]
    culprit = breaker(root, ann)
    ann_path.write_text(json.dumps(ann))
    pattern = message.format(culprit if error is AnnotationError else culprit.replace('.', r'\.'))
    with pytest.raises(error, match=pattern):
        dataset = _dataset(root)
        for i in range(len(dataset)):
            dataset[i]


def test_class_names_matching_no_category_are_named(clean_set):
    with pytest.raises(AnnotationError, match=r"instances_train\.json: class names \['hexagon'\] match no category "
                                              r"of the file \(its categories: \['square', 'circle', 'triangle'\]"):
        _dataset(clean_set, classes=('square', 'hexagon'))


def test_clean_set_loads(clean_set):
    dataset = _dataset(clean_set)
    assert len(dataset) == 3 and dataset[0]['img'].shape == (48, 48, 3) and len(dataset[0]['gt_masks']) >= 1
