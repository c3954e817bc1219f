"""Every whole-model and backbone load route stops on a checkpoint that does not fit, unless the config says so.

The issue's three cases (a wider model's weights, a 4-block file into 6 blocks, a file with no key in common),
through `init_cfg=dict(type='Pretrained')` and through `load_from` (mmengine's `load_checkpoint`, what
`tools/train.py` / `tools/test.py` / the inferencers call); the stated partial loads still load and list what
they skipped.
"""
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import load_checkpoint
from torch import nn

import eva_mm  # noqa: F401
from eva_mm.checkpoint.fit import CheckpointFitError
from eva_mm.checkpoint.model_loading import set_load_allow
from eva_mm.models.backbones import EVA

SMALL = dict(embed_dims=32, depth=6, num_heads=2, mlp_hidden=64)


def small(use_rel_pos: bool = False, **kwargs) -> EVA:
    rel_pos = dict(use_rel_pos=True, window_size=2, use_rope=False) if use_rel_pos else {}
    return EVA(arch=dict(SMALL, **kwargs), img_size=32, patch_size=8, **rel_pos)


class Detector(nn.Module):
    """A backbone and a neck, named as mmdet / mmseg models are."""

    def __init__(self, backbone: nn.Module) -> None:
        super().__init__()
        self.backbone, self.neck = backbone, nn.Conv2d(32, 4, 1)


CASES = {
    # eva02-b into eva02-s, at toy size: same depth, wider
    'wider': (lambda: small(embed_dims=48, num_heads=3).state_dict(),
              r'(?s)wider\.pth \(format .*does not fit EVA.*shape-mismatched: .*48.*the file: .*cls_token \[1, 1, 48\]'
              r'.*the model: .*cls_token \[1, 1, 32\]'),
    'four_blocks': (lambda: small(depth=4).state_dict(),
                    r'(?s)four_blocks\.pth .*does not fit EVA.*missing: blocks\.4\..*4 blocks \(0..3\)'
                    r'.*the model: .*6 blocks \(0..5\)'),
    'nothing_in_common': (lambda: nn.Linear(4, 4).state_dict(),
                          r'(?s)nothing_in_common\.pth .*does not fit EVA: no key in common.*the file: 2 '
                          r'tensors; prefixes weight'),
}


@pytest.fixture
def saved(tmp_path):
    def save(case):
        torch.save({'state_dict': CASES[case][0]()}, tmp_path / f'{case}.pth')
        return str(tmp_path / f'{case}.pth')
    return save


@pytest.mark.parametrize('case', sorted(CASES))
def test_init_cfg_pretrained_that_does_not_fit_stops(saved, case):
    model = small()
    model.init_cfg = dict(type='Pretrained', checkpoint=saved(case))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(CheckpointFitError, match=CASES[case][1]):
        model.init_weights()
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())


@pytest.mark.parametrize('case', sorted(CASES))
def test_load_from_that_does_not_fit_stops(saved, case):
    path = saved(case)
    with open(path, 'rb') as f:
        raw = f.read()
    detector = Detector(small())
    pattern = r'(?s)' + case + r'\.pth does not fit Detector.*the file: .*the model: .*load_from_allow'
    with pytest.raises(CheckpointFitError, match=pattern):
        load_checkpoint(detector, path)
    with open(path, 'rb') as f:
        assert f.read() == raw  # nothing lost


def test_stated_partial_loads_load_and_list_what_they_skipped(tmp_path, caplog):
    mim = small(use_rel_pos=True)
    source = {k: v for k, v in small().state_dict().items()}  # MIM weights: no rel-pos tables
    torch.save({'state_dict': source}, tmp_path / 'mim.pth')
    # backbone route: the rel-pos tables may be missing by default
    mim.init_cfg = dict(type='Pretrained', checkpoint=str(tmp_path / 'mim.pth'))
    mim.init_weights()
    assert torch.equal(mim.blocks[5].attn.proj.weight, source['blocks.5.attn.proj.weight'])
    # ... and `allow` states more: a 4-block file into the first 4 of 6 blocks
    torch.save({'state_dict': small(depth=4).state_dict()}, tmp_path / 'four.pth')
    six = small()
    six.init_cfg = dict(type='Pretrained', checkpoint=str(tmp_path / 'four.pth'), allow=[r'^blocks\.[45]\.'])
    six.init_weights()
    # whole-model route: backbone weights into a detector (neck fresh) with the config's load_from_allow
    backbone_only = {f'backbone.{k}': v for k, v in source.items()}
    torch.save({'state_dict': backbone_only}, tmp_path / 'backbone.pth')
    detector = Detector(small(use_rel_pos=True))
    with pytest.raises(CheckpointFitError, match=r'missing: backbone\.blocks\.0\.attn\.rel_pos_h'):
        load_checkpoint(detector, str(tmp_path / 'backbone.pth'))
    try:
        set_load_allow('mim_init')  # what tools/train.py does with `load_from_allow = 'mim_init'`
        load_checkpoint(detector, str(tmp_path / 'backbone.pth'))
    finally:
        set_load_allow(None)
    assert torch.equal(detector.backbone.blocks[0].attn.proj.weight, source['blocks.0.attn.proj.weight'])
    # an inferencer's model carries its config, which is read first
    other = Detector(small())
    other.cfg = Config(dict(load_from_allow=[r'^neck\.']))
    load_checkpoint(other, str(tmp_path / 'backbone.pth'))
    with pytest.raises(TypeError, match='load_from_allow must be'):
        set_load_allow(5)
