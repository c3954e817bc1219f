"""The zero-shot ImageNet and retrieval configs run through tools/test.py (tiny model, a few generated images),
and their numbers equal a direct computation with the same model."""
from __future__ import annotations

import json
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from eva_mm.evaluation import build_zero_shot_classifier, retrieval_recall
from eva_mm.models.clip import EVACLIP
from tools import test as tools_test

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
TINY = dict(vision_arch=dict(embed_dims=32, depth=1, num_heads=2, mlp_hidden=64, mlp_type='swiglu', sub_ln=True,
                             use_rope=True, attn_inner_norm=True),
            text_cfg=dict(width=32, heads=2, layers=1), embed_dim=16, img_size=32)
MEAN = torch.tensor([0.48145466, 0.4578275, 0.40821073]) * 255
STD = torch.tensor([0.26862954, 0.26130258, 0.27577711]) * 255
# `mmpretrain::` config bases import pkg_resources, which warns on setuptools >= 81 (a stack issue).
pytestmark = [pytest.mark.filterwarnings('ignore:pkg_resources is deprecated:UserWarning'),
              pytest.mark.filterwarnings("ignore:module 'sre_constants' is deprecated:DeprecationWarning")]
COLOURS = {'red': (0, 0, 255), 'green': (0, 255, 0), 'blue': (255, 0, 0)}  # BGR


def _tiny_config(tmp_path, base: str, extra: str) -> str:
    cfg = tmp_path / 'tiny.py'
    cfg.write_text(f"""_base_ = ['{ROOT}/configs/eva_clip/{base}']
model = dict(variant='eva02-clip-b-16', vision_arch={TINY['vision_arch']!r}, text_cfg={TINY['text_cfg']!r},
             embed_dim=16, img_size=32)
img_size = 32
experiment_name = 'tiny_{base[:-3]}'  # per test: mmengine warns on two runs sharing a timestamp name
test_pipeline = [dict(type='LoadImageFromFile'),
                 dict(type='ResizeEdge', scale=32, edge='short', backend='pillow', interpolation='bicubic'),
                 dict(type='CenterCrop', crop_size=32), dict(type='PackInputs', algorithm_keys=['text'])]
{extra}
""")
    return str(cfg)


def _checkpoint(tmp_path):
    torch.manual_seed(0)
    model = EVACLIP('eva02-clip-b-16', **TINY).eval()
    path = tmp_path / 'tiny.pth'
    torch.save(dict(state_dict=model.state_dict()), path)
    return model, str(path)


def _image(bgr, noise_seed):
    rng = np.random.default_rng(noise_seed)
    return np.clip(np.array(bgr, np.float32) + rng.normal(0, 30, (32, 32, 3)), 0, 255).astype(np.uint8)


def _encode(model, images_bgr):
    x = torch.stack([torch.from_numpy(im[..., ::-1].copy()).permute(2, 0, 1).float() for im in images_bgr])
    with torch.no_grad():
        return model.encode_image((x - MEAN[:, None, None]) / STD[:, None, None], normalize=True)


def test_zero_shot_in1k_config_through_tools_test(tmp_path):
    names = sorted(COLOURS)  # mmpretrain's folder layout: class folders in sorted order
    images, labels = [], []
    for c, name in enumerate(names):
        (tmp_path / 'in1k' / 'val' / name).mkdir(parents=True)
        for i in range(3):
            images.append(_image(COLOURS[name], 10 * c + i))
            labels.append(c)
            cv2.imwrite(str(tmp_path / 'in1k' / 'val' / name / f'{i}.png'), images[-1])
    extra = f"""test_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False,
    dataset=dict(data_root='{tmp_path}/in1k', pipeline=test_pipeline, metainfo=dict(classes={names!r})))
test_evaluator = dict(classnames={names!r}, templates=['a photo of {{}}.', 'a {{}} thing.'])"""
    model, ckpt = _checkpoint(tmp_path)
    metrics = tools_test.main([_tiny_config(tmp_path, 'eva02-clip-b-16_zero-shot_in1k.py', extra), ckpt,
                         '--work-dir', str(tmp_path / 'work')])
    clf = build_zero_shot_classifier(model, names, ['a photo of {}.', 'a {} thing.'])
    pred = (_encode(model, images) @ clf).argmax(1)
    expected = (pred == torch.tensor(labels)).float().mean().item() * 100
    assert metrics['zero_shot/top1'] == pytest.approx(expected, abs=1e-4)
    assert metrics['zero_shot/top5'] == pytest.approx(100.)  # 3 classes


def test_retrieval_flickr30k_config_through_tools_test(tmp_path):
    (tmp_path / 'f30k' / 'images').mkdir(parents=True)
    entries, images, captions, owner = [], [], [], []
    for i, name in enumerate(sorted(COLOURS)):
        images.append(_image(COLOURS[name], i))
        cv2.imwrite(str(tmp_path / 'f30k' / 'images' / f'{i}.png'), images[-1])
        caps = [f'a {name} picture', f'something {name}']
        captions += caps
        owner += [i, i]
        entries.append(dict(imgid=i, filename=f'{i}.png', split='test',
                            sentences=[dict(raw=c, sentid=2 * i + j) for j, c in enumerate(caps)]))
    entries.append(dict(imgid=9, filename='0.png', split='train', sentences=[dict(raw='not tested', sentid=9)]))
    (tmp_path / 'f30k' / 'ann.json').write_text(json.dumps(dict(images=entries)))
    extra = f"""test_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(data_root='{tmp_path}/f30k', ann_file='ann.json', pipeline=test_pipeline))
test_evaluator = dict(ks=(1, 2))"""
    model, ckpt = _checkpoint(tmp_path)
    metrics = tools_test.main([_tiny_config(tmp_path, 'eva02-clip-b-16_retrieval_flickr30k.py', extra), ckpt,
                         '--work-dir', str(tmp_path / 'work')])
    from eva_mm.models.clip import tokenize
    with torch.no_grad():
        txt = model.encode_text(tokenize(captions, 77), normalize=True)
    expected = retrieval_recall(_encode(model, images), F.normalize(txt, dim=-1), owner, ks=(1, 2))
    for k, v in expected.items():
        assert metrics[f'retrieval/{k}'] == pytest.approx(v, abs=1e-4), k
