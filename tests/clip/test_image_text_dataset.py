"""Image-text data sets (CSV / TSV / JSONL, tar shards) and the tokenising pipeline step."""
from __future__ import annotations

import io
import json
import os.path as osp
import tarfile

import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import DefaultScope

from eva_mm.datasets import ImageTextDataset, ImageTextShardDataset, TokenizeText
from eva_mm.models.clip import tokenize
from eva_mm.registry import DATASETS


@pytest.fixture(autouse=True)
def _mmpretrain_scope():
    import mmpretrain.datasets  # noqa: F401  (registers PackInputs, LoadImageFromFile)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        yield


def _write_images(folder, n):
    for i in range(n):
        cv2.imwrite(osp.join(folder, f'{i}.png'), np.full((8, 8, 3), 10 * i, np.uint8))


def _pipeline():
    return [dict(type='LoadImageFromFile'), dict(type='TokenizeText', context_length=16),
            dict(type='PackInputs', algorithm_keys=['text'])]


@pytest.mark.parametrize('fmt', ['csv', 'tsv', 'jsonl'])
def test_reads_pairs_and_packs_token_ids(tmp_path, fmt):
    _write_images(tmp_path, 2)
    rows = [('0.png', 'a red circle'), ('1.png', 'a blue square')]
    ann = tmp_path / f'ann.{fmt}'
    if fmt == 'jsonl':
        ann.write_text(''.join(json.dumps(dict(filepath=p, title=c)) + '\n' for p, c in rows))
    else:
        sep = ',' if fmt == 'csv' else '\t'
        ann.write_text(f'filepath{sep}title\n' + ''.join(f'{p}{sep}{c}\n' for p, c in rows))
    ds = DATASETS.build(dict(type='ImageTextDataset', ann_file=str(ann), data_prefix=str(tmp_path),
                             pipeline=_pipeline()))
    assert len(ds) == 2 and ds.get_data_info(1)['text'] == 'a blue square'
    out = ds[1]
    assert out['inputs'].shape == (3, 8, 8)
    torch.testing.assert_close(out['data_samples'].text, tokenize(['a blue square'], 16)[0])


def test_missing_column_names_file_and_line(tmp_path):
    _write_images(tmp_path, 1)
    ann = tmp_path / 'ann.jsonl'
    ann.write_text(json.dumps(dict(filepath='0.png', title='x')) + '\n' + json.dumps(dict(filepath='0.png')) + '\n')
    with pytest.raises(KeyError, match=r"ann.jsonl:2: no 'title'"):
        ImageTextDataset(ann_file=str(ann), data_prefix=str(tmp_path))


def test_missing_image_names_file_and_line(tmp_path):
    _write_images(tmp_path, 1)
    ann = tmp_path / 'ann.csv'
    ann.write_text('image,caption\n0.png,ok\n7.png,gone\n')
    with pytest.raises(FileNotFoundError, match=r'ann.csv:3: image not found: .*7.png'):
        ImageTextDataset(ann_file=str(ann), data_prefix=str(tmp_path), img_key='image', caption_key='caption')
    assert len(ImageTextDataset(ann_file=str(ann), data_prefix=str(tmp_path), img_key='image',
                                caption_key='caption', check_images=False)) == 2


def _add(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def test_tar_shards(tmp_path):
    for s in range(2):
        with tarfile.open(tmp_path / f'shard-{s}.tar', 'w') as tar:
            for i in range(2):
                key = f'{s}{i:04d}'
                img = np.full((6, 5, 3), 40 * s + 10 * i, np.uint8)
                _add(tar, f'{key}.png', cv2.imencode('.png', img)[1].tobytes())
                _add(tar, f'{key}.txt', f'caption {s} {i}'.encode())
    ds = ImageTextShardDataset(shards='shard-*.tar', data_root=str(tmp_path),
                               pipeline=[dict(type='TokenizeText'), dict(type='PackInputs', algorithm_keys=['text'])])
    assert len(ds) == 4
    info = ds.get_data_info(3)
    assert info['text'] == 'caption 1 1' and info['img'].shape == (6, 5, 3) and int(info['img'][0, 0, 0]) == 50
    torch.testing.assert_close(ds[3]['data_samples'].text, tokenize('caption 1 1')[0])


def test_tar_shard_without_caption_is_named(tmp_path):
    with tarfile.open(tmp_path / 'bad.tar', 'w') as tar:
        _add(tar, 'k1.png', cv2.imencode('.png', np.zeros((4, 4, 3), np.uint8))[1].tobytes())
    with pytest.raises(KeyError, match=r"bad.tar: sample 'k1' has no caption"):
        ImageTextShardDataset(shards=str(tmp_path / 'bad.tar'))


def test_tokenize_text_draws_one_of_several_captions():
    out = TokenizeText(context_length=8)(dict(text=['one', 'two']))
    assert out['text'].shape == (8,)
    assert any(torch.equal(out['text'], tokenize(c, 8)[0]) for c in ('one', 'two'))
    with pytest.raises(KeyError, match="no 'text'"):
        TokenizeText()(dict(img_path='x'))
