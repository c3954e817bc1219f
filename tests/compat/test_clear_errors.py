"""Bad input gets one message that names the culprit: data, annotation schema, images, config types, checkpoints."""
import json

import pytest
import torch
from mmengine.registry import init_default_scope


@pytest.fixture(autouse=True)
def mmdet_scope():
    init_default_scope('mmdet')


def build_coco(data_root, ann_file):
    from mmdet.registry import DATASETS
    return DATASETS.build(dict(type='CocoDataset', data_root=str(data_root), ann_file=ann_file,
                               data_prefix=dict(img='images/')))


def test_missing_annotation_file(tmp_path):
    (tmp_path / 'annotations').mkdir()
    with pytest.raises(FileNotFoundError, match=r"annotation file '.*instances_train.json' not found$"):
        build_coco(tmp_path, 'annotations/instances_train.json')


def test_missing_data_root(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"not found; its folder .*no_such_root/annotations.*check data_root"):
        build_coco(tmp_path / 'no_such_root', 'annotations/instances_train.json')


@pytest.mark.parametrize('content, problem', [
    ({'images': [], 'annotations': []}, r"missing top-level key\(s\) \['categories'\]"),
    ({'images': [{'id': 1, 'height': 4, 'width': 4}], 'annotations': [], 'categories': []},
     r"images\[0\] lacks \['file_name or coco_url'\]"),
    ({'images': [], 'annotations': [{'id': 1, 'image_id': 1, 'bbox': [0, 0, 1, 1]}], 'categories': []},
     r"annotations\[0\] lacks \['category_id'\]"),
    ([1, 2, 3], 'the top level is a list'),
    ('{"images": [', 'not valid JSON'),
])
def test_wrong_annotation_schema(tmp_path, content, problem):
    (tmp_path / 'ann.json').write_text(content if isinstance(content, str) else json.dumps(content))
    with pytest.raises(ValueError, match=r"annotation file '.*ann.json' is not COCO-style instance annotations: "
                                         + problem):
        build_coco(tmp_path, 'ann.json')


def test_lvis_annotation_schema_is_checked_too(tmp_path):
    from lvis import LVIS

    (tmp_path / 'lvis.json').write_text(json.dumps({'images': [], 'annotations': []}))
    with pytest.raises(ValueError, match=r"lvis.json' is not COCO-style .*\['categories'\]"):
        LVIS(str(tmp_path / 'lvis.json'))


def test_corrupt_image_names_the_file(tmp_path):
    from mmdet.registry import TRANSFORMS

    bad = tmp_path / 'broken.jpg'
    bad.write_bytes(b'\xff\xd8 not really a jpeg')
    with pytest.raises(Exception, match='failed to load image: .*broken.jpg'):
        TRANSFORMS.build(dict(type='LoadImageFromFile'))(dict(img_path=str(bad)))


def test_unknown_type_and_arch_name_the_culprit():
    from mmdet.registry import MODELS

    with pytest.raises(KeyError, match='NoSuchNeck is not in the mmdet::model registry'):
        MODELS.build(dict(type='NoSuchNeck'))
    with pytest.raises(KeyError, match="Unknown EVA arch 'eva-xxl'; known archs: eva-g, eva-l, eva02-b"):
        MODELS.build(dict(type='EVA', arch='eva-xxl'))


def test_checkpoint_of_another_architecture_lists_mismatched_keys(tmp_path):
    from eva_mm.checkpoint.loading import load_pretrained
    from eva_mm.models.backbones.eva import EVA

    small = dict(embed_dims=32, depth=2, num_heads=2, mlp_hidden=64)
    torch.save({'model': EVA(arch=small, img_size=28).state_dict()}, tmp_path / 'small.pth')
    wider = EVA(arch=dict(small, embed_dims=48, num_heads=3), img_size=28)
    with pytest.raises(RuntimeError, match=r'(?s)small.pth.*shape.*blocks\.0\.attn\.qkv\.weight'):
        load_pretrained(wider, str(tmp_path / 'small.pth'), strict=True)
