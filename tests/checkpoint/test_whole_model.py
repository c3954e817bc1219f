"""Whole-model loads (load_from, load_checkpoint, inferencers) fit released EVA layouts onto eva_mm models."""
import os.path as osp
import re
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

import eva_mm  # noqa: F401
from eva_mm.checkpoint.fit import CheckpointFitError
from eva_mm.checkpoint.whole_model import fit_state_dict, map_official_fpn, select_state_dict
from eva_mm.engine.load_from_ema import CheckpointSelectHook, add_checkpoint_select_hook
from eva_mm.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# mmseg's own heads warn on build (its defaults, as its configs use them)
pytestmark = [pytest.mark.filterwarnings('ignore:``build_loss`` would be deprecated:UserWarning'),
              pytest.mark.filterwarnings('ignore:Default ``avg_non_ignore`` is False:UserWarning')]
SEG_CFG = osp.join(ROOT, 'configs/quickstart/upernet_eva02-mini-p8_400it_ade-shapes-64x64.py')


def _segmentor(seed: int) -> torch.nn.Module:
    init_default_scope('mmseg')
    torch.manual_seed(seed)
    model = MODELS.build(Config.fromfile(SEG_CFG).model)
    with torch.no_grad():  # BN statistics too, so that they are checked as well
        for name, buf in model.named_buffers():
            if buf.is_floating_point():
                buf.uniform_(0.5, 1.5)
    return model.eval()


def _official_layout(sd: dict) -> dict:
    """eva_mm segmentor keys -> the official EVA-02 mmseg layout (EVA-02/seg/backbone/eva2.py names): split q/k/v
    and SwiGLU w1/w2, ``inner_attn_ln``, the neck's branches as ``backbone.fpn1`` / ``fpn2``, a RoPE buffer."""
    out = {}
    for k, v in sd.items():
        k = k.replace('neck.upsample_4x.', 'backbone.fpn1.').replace('neck.upsample_2x.', 'backbone.fpn2.')
        k = k.replace('.attn.inner_norm.', '.attn.inner_attn_ln.')
        if k.endswith('.attn.qkv.weight'):
            for name, part in zip('qkv', v.chunk(3)):
                out[k.replace('qkv.weight', f'{name}_proj.weight')] = part.clone()
        elif re.search(r'\.mlp\.w12\.(weight|bias)$', k):
            w1, w2 = v.chunk(2)
            out[k.replace('.w12.', '.w1.')], out[k.replace('.w12.', '.w2.')] = w1.clone(), w2.clone()
        else:
            out[k] = v.clone()
    out['backbone.rope.freqs_cos'] = torch.zeros(64, 16)  # buffers the official file carries, eva_mm recomputes
    return out


def test_official_mmseg_eva02_checkpoint_loads_exactly(tmp_path):
    """fpn1..fpn4 land on the neck, the backbone is converted, heads pass through: the fresh model then equals the
    source model in every tensor and output."""
    source, target = _segmentor(0), _segmentor(1)
    official = _official_layout(source.state_dict())
    assert any(k.startswith('backbone.fpn1.1.running_mean') for k in official)
    path = tmp_path / 'official_upernet.pth'
    torch.save({'meta': {}, 'state_dict': official}, path)

    load_checkpoint(target, str(path), strict=True)  # strict: no missing or unexpected key

    for k, v in source.state_dict().items():
        assert torch.equal(target.state_dict()[k], v), k
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(source(x, mode='tensor'), target(x, mode='tensor'))


def test_own_layout_passes_unchanged():
    model = _segmentor(0)
    sd = model.state_dict()
    fitted = fit_state_dict(sd, sd)
    assert fitted.keys() == sd.keys() and all(fitted[k] is sd[k] for k in sd)


def test_bare_official_backbone_fills_the_backbone(tmp_path):
    """An official backbone file (``model`` with bare names, a classification head) loads the segmentor's backbone."""
    source, target = _segmentor(0), _segmentor(1)
    bare = {k[len('backbone.'):]: v for k, v in _official_layout(source.state_dict()).items()
            if k.startswith('backbone.') and not k.startswith('backbone.fpn')}
    bare['head.weight'] = torch.zeros(10, 128)
    path = tmp_path / 'official_backbone.pth'
    torch.save({'model': bare, 'epoch': 3}, path)
    # backbone weights only: the neck and heads start fresh, which the config must state (load_from_allow)
    with pytest.raises(CheckpointFitError, match=r'official_backbone\.pth does not fit EncoderDecoder:\n.*missing: '
                                                 r'auxiliary_head\.(?s:.*)load_from_allow'):
        load_checkpoint(target, str(path))
    target.cfg = Config(dict(load_from_allow='mim_init'))
    load_checkpoint(target, str(path))
    for k, v in source.state_dict().items():
        if k.startswith('backbone.'):
            assert torch.equal(target.state_dict()[k], v), k


@pytest.mark.parametrize('layers, target', [({'0', '1', '3'}, 'neck.upsample_4x.'), ({'0'}, 'neck.upsample_2x.')])
def test_fpn_branch_recognised_by_its_layers(layers, target):
    """Patch 16 (fpn1 = x4) and patch 8 (fpn1 = x2) official layouts."""
    sd = {f'backbone.fpn1.{i}.weight': torch.zeros(1) for i in layers}
    assert set(map_official_fpn(sd)) == {f'{target}{i}.weight' for i in layers}


def test_unknown_fpn_branch_is_named():
    with pytest.raises(ValueError, match=r'backbone\.fpn3 has layers \[.0., .2.\]'):
        map_official_fpn({'backbone.fpn3.0.weight': torch.zeros(1), 'backbone.fpn3.2.weight': torch.zeros(1)})


def test_model_or_model_ema():
    """``model`` by default (the official evaluation's default); ``model_ema`` / mmengine's ``ema_state_dict``
    on request; asking for EMA from a file without it names what the file holds."""
    a, b = {'w': torch.zeros(1)}, {'w': torch.ones(1)}
    assert select_state_dict({'model': a, 'model_ema': b})['w'] == 0
    assert select_state_dict({'model': a, 'model_ema': b}, use_ema=True)['w'] == 1
    ema = {'module.w': torch.ones(1), 'steps': torch.tensor(5)}
    assert select_state_dict({'state_dict': a, 'ema_state_dict': ema}, use_ema=True) == {'w': torch.ones(1)}
    with pytest.raises(KeyError, match=r"no EMA weights.*\['epoch', 'model'\]"):
        select_state_dict({'model': a, 'epoch': 1}, use_ema=True)


def test_select_hook_sets_state_dict_for_load_only():
    a, b = {'w': torch.zeros(1)}, {'w': torch.ones(1)}
    ckpt = {'model': a, 'model_ema': b}
    CheckpointSelectHook(use_ema=True).after_load_checkpoint(SimpleNamespace(_resume=False), ckpt)
    assert ckpt['state_dict']['w'] == 1
    resumed = {'state_dict': a, 'model_ema': b}
    CheckpointSelectHook(use_ema=True).after_load_checkpoint(SimpleNamespace(_resume=True), resumed)
    assert resumed['state_dict']['w'] == 0
    with pytest.raises(TypeError, match='load_from_ema must be True or False'):
        CheckpointSelectHook(use_ema='yes')


def test_config_key_load_from_ema_adds_the_hook():
    cfg = Config(dict(load_from='x.pth', load_from_ema=True, custom_hooks=[dict(type='EMAHook')]))
    add_checkpoint_select_hook(cfg)
    assert cfg.custom_hooks[-1] == dict(type='CheckpointSelectHook', use_ema=True)
    add_checkpoint_select_hook(cfg)  # once only
    assert sum(h['type'] == 'CheckpointSelectHook' for h in cfg.custom_hooks) == 1
    with pytest.raises(ValueError, match='load_from_ema=True needs load_from'):
        add_checkpoint_select_hook(Config(dict(load_from_ema=True)))
