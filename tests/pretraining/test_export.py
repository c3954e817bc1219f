"""A MIM checkpoint (runner format) loads into detection, segmentation and classification EVA backbones with no
missing, unexpected or mismatched keys (patch 14 -> 16 resampling for the dense ones)."""
import pytest
import torch
from mmengine.registry import MODELS, DefaultScope
from mmengine.runner.checkpoint import save_checkpoint

from eva_mm.checkpoint.loading import load_pretrained

# `mmdet::` / `mmpretrain::` config bases import pkg_resources, which warns on setuptools >= 81 (a stack issue).
pytestmark = pytest.mark.filterwarnings('ignore:pkg_resources is deprecated:UserWarning')

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
    """EVA-01 detection adds zero-initialised decomposed rel-pos tables, learned in fine-tuning (eva.md Sec. 4.2)."""
    backbone = MODELS.build(dict(type='EVA', arch=ARCH, img_size=64, patch_size=16, window_size=2,
                                 global_attn_indexes=(3,), use_rel_pos=True, out_indices=(3,)))
    report = load_pretrained(backbone, mim_checkpoint[0])
    assert report.missing and all(k.endswith(('rel_pos_h', 'rel_pos_w')) for k in report.missing)
    assert not (report.unexpected or report.mismatched)


def test_mim_checkpoint_fits_the_dense_quickstart_backbones(mim_checkpoint, tmp_path):
    """The quickstart MIM model's trunk loads into the detection / segmentation quickstart backbones."""
    from mmengine.config import Config
    pre = Config.fromfile('configs/quickstart/mim-clip_eva02-mini-p8_200it_unlabeled-shapes.py')
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(pre.model)
    path = str(tmp_path / 'mim.pth')
    save_checkpoint({'state_dict': model.state_dict()}, path)
    for cfg_file in ('configs/quickstart/vitdet-mask-rcnn_eva02-mini-p8_2000it_shapes-coco.py',
                     'configs/quickstart/upernet_eva02-ti6-p8_8xb1-800it_ade-shapes-128x128.py'):
        backbone_cfg = Config.fromfile(cfg_file).model.backbone.to_dict()
        backbone_cfg.pop('_scope_', None)
        backbone_cfg.update(type='EVA', init_cfg=None)
        backbone = MODELS.build(backbone_cfg)
        report = load_pretrained(backbone, path, strict=True)
        assert not (report.missing or report.unexpected or report.mismatched), cfg_file
