"""A MIM checkpoint (runner format) loads into detection, segmentation and classification EVA backbones with no
missing, unexpected or mismatched keys (patch 14 -> 16 resampling for the dense ones)."""
import glob

import pytest
import torch
from mmengine.registry import MODELS, DefaultScope
from mmengine.runner.checkpoint import save_checkpoint

from eva_mm.checkpoint.loading import load_pretrained

# `mmdet::` / `mmpretrain::` config bases import pkg_resources, which warns on setuptools >= 81 (a stack issue).
pytestmark = [pytest.mark.filterwarnings('ignore:pkg_resources is deprecated:UserWarning'),
              pytest.mark.filterwarnings("ignore:module 'sre_constants' is deprecated:DeprecationWarning")]

ARCH = dict(embed_dims=48, depth=4, num_heads=3, mlp_hidden=128)


@pytest.fixture(scope='module')
def mim_checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='MIMCLIP', backbone=dict(type='EVA', arch=ARCH, img_size=56),
        head=dict(type='MIMCLIPHead', in_channels=48, target_channels=16),
        teacher=dict(type='CLIPTeacher', tower='eva_clip', arch=dict(ARCH, depth=1), out_channels=16, img_size=56)))
    path = str(tmp_path_factory.mktemp('mim') / 'iter_10.pth')
    # what mmengine's CheckpointHook writes: meta + state_dict (+ optimizer etc.)
    save_checkpoint({'meta': dict(iter=10), 'state_dict': model.state_dict(),
                     'optimizer': dict(state={}, param_groups=[])}, path)
    return path, model.backbone.state_dict()


TARGETS = {
    'detection (ViTDet: patch 16, windows, no cls)': dict(
        img_size=64, patch_size=16, pretrain_img_size=56, window_size=2, global_attn_indexes=(1, 3),
        out_indices=(3,)),
    'segmentation (UperNet: patch 16, 4 outputs)': dict(img_size=64, patch_size=16, out_indices=(0, 1, 2, 3)),
    'classification (mean pool, no final norm)': dict(img_size=84, out_indices=-1, final_norm=False,
                                                      freeze_patch_embed=True),
    'classification (final norm)': dict(img_size=56, final_norm=True),
}


@pytest.mark.parametrize('name', list(TARGETS))
def test_mim_checkpoint_loads_without_missing_keys(mim_checkpoint, name):
    path, student = mim_checkpoint
    backbone = MODELS.build(dict(type='EVA', arch=ARCH, **TARGETS[name]))
    report = load_pretrained(backbone, path, strict=True)  # raises on any missing / unexpected / mismatched key
    assert report.source_format == 'eva_mm'
    assert not (report.missing or report.unexpected or report.mismatched)
    for key, value in backbone.state_dict().items():
        if key.startswith('blocks.') and 'rel_pos' not in key:
            torch.testing.assert_close(value, student[key])  # transformer weights carried over unchanged
    if backbone.patch_size == 16:
        assert backbone.patch_embed.proj.weight.shape[-1] == 16
    out = backbone(torch.randn(1, 3, *backbone.img_size))
    assert all(torch.isfinite(o).all() for o in out)


def test_rel_pos_tables_are_the_only_new_keys(mim_checkpoint):
    """EVA-01 detection adds zero-initialised decomposed rel-pos tables, learned in fine-tuning (docs/recipes.md)."""
    backbone = MODELS.build(dict(type='EVA', arch=ARCH, img_size=64, patch_size=16, window_size=2,
                                 global_attn_indexes=(3,), use_rel_pos=True, out_indices=(3,)))
    report = load_pretrained(backbone, mim_checkpoint[0])
    assert report.missing and all(k.endswith(('rel_pos_h', 'rel_pos_w')) for k in report.missing)
    assert not (report.unexpected or report.mismatched)


def test_mim_checkpoint_fits_the_dense_quickstart_backbones(tmp_path):
    """The MIM quickstart's model, with each dense quickstart's trunk, exports into that quickstart's backbone; and
    the MIM quickstart as shipped has the trunk of at least one of them (so its result fine-tunes there as is)."""
    from mmengine.config import Config
    pre = Config.fromfile('configs/quickstart/mim-clip_eva02-mini-p8_200it_unlabeled-shapes.py')
    dense = []
    for cfg_file in sorted(glob.glob('configs/quickstart/*.py')):
        backbone = Config.fromfile(cfg_file).model.get('backbone')
        if backbone is not None and backbone.get('type') == 'EVA' and 'mim-clip' not in cfg_file:
            dense.append((cfg_file, backbone.to_dict()))
    assert dense, 'no EVA-backbone quickstart (detection / segmentation) found'
    assert any(b['arch'] == pre.model.backbone.arch and b.get('patch_size') == pre.model.backbone.patch_size
               for _, b in dense), 'the MIM quickstart student matches no dense quickstart trunk'
    for i, (cfg_file, backbone_cfg) in enumerate(dense):
        mim_cfg = pre.model.to_dict()
        mim_cfg['backbone'].update(arch=backbone_cfg['arch'], patch_size=backbone_cfg.get('patch_size'))
        mim_cfg['head']['in_channels'] = backbone_cfg['arch']['embed_dims']
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            model = MODELS.build(mim_cfg)
        path = str(tmp_path / f'mim{i}.pth')
        save_checkpoint({'state_dict': model.state_dict()}, path)
        backbone_cfg.pop('_scope_', None)
        backbone_cfg.update(type='EVA', init_cfg=None)
        report = load_pretrained(MODELS.build(backbone_cfg), path, strict=True)
        assert not (report.missing or report.unexpected or report.mismatched), cfg_file
