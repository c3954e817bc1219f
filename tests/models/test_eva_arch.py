"""Architecture table, parameter counts, registration and construction options of the EVA backbone."""
import pytest
import torch
from mmengine.registry import DefaultScope

import eva_mm  # noqa: F401
from eva_mm.models.backbones import ARCH_ZOO, EVA, resolve_arch
from eva_mm.registry import MODELS

# Official headless counts at 224 (patch embed, cls, pos_embed, blocks, final norm): docs/architecture.md.
OFFICIAL_PARAMS = {
    'eva-g': 1_011_146_112,
    'eva02-t': 5_502_144,
    'eva02-s': 21_621_120,
    'eva02-b': 85_758_720,
    'eva02-l': 303_268_800,
}
TINY = dict(embed_dims=32, depth=4, num_heads=2, mlp_hidden=64)


@pytest.mark.parametrize('arch,expected', sorted(OFFICIAL_PARAMS.items()))
def test_full_size_parameter_count_equals_official(arch: str, expected: int) -> None:
    with torch.device('meta'):  # no memory for 1B parameters
        model = EVA(arch=arch, img_size=224, final_norm=True)
    assert sum(p.numel() for p in model.parameters()) == expected


def test_eva_l_has_full_qkv_bias_and_vit_l_size() -> None:
    with torch.device('meta'):
        model = EVA(arch='eva-l', final_norm=True)
    assert model.blocks[0].attn.qkv.bias is not None and model.blocks[0].attn.q_bias is None
    assert abs(sum(p.numel() for p in model.parameters()) / 1e6 - 303.2) < 0.5  # "303M"


def test_unknown_arch_lists_known_ones() -> None:
    with pytest.raises(KeyError) as err:
        EVA(arch='eva03-x')
    for name in ARCH_ZOO:
        assert name in str(err.value)


def test_custom_arch_dict_validated() -> None:
    assert resolve_arch(dict(embed_dims=64, depth=2, num_heads=2, mlp_ratio=2.0))['mlp_hidden'] == 128
    with pytest.raises(ValueError, match='missing keys'):
        resolve_arch(dict(embed_dims=64, depth=2))
    with pytest.raises(ValueError, match='unknown keys'):
        resolve_arch(dict(TINY, bogus=1))


@pytest.mark.parametrize('scope', ['mmdet', 'mmseg', 'mmpretrain'])
def test_builds_under_each_default_scope(scope: str) -> None:
    with DefaultScope.overwrite_default_scope(scope):
        model = MODELS.build(dict(type='EVA', arch=TINY, img_size=28, out_indices=(1, 3)))
    assert isinstance(model, EVA)
    outs = model(torch.randn(1, 3, 28, 28))
    assert [o.shape for o in outs] == [(1, 32, 2, 2)] * 2


def test_out_indices_and_final_norm() -> None:
    torch.manual_seed(0)
    model = EVA(arch=TINY, img_size=28, out_indices=(0, -1), final_norm=True).eval()
    with torch.no_grad():
        first, last = model(torch.randn(2, 3, 28, 28))
        tokens = model.forward_tokens(torch.randn(2, 3, 28, 28))
    assert first.shape == last.shape == (2, 32, 2, 2)
    # The final norm acts on the last block: per-token LayerNorm output has ~zero mean over channels.
    assert last.mean(dim=1).abs().max() < 1e-5 and first.mean(dim=1).abs().max() > 1e-3
    assert tokens.shape == (2, 1 + 4, 32)
    with pytest.raises(ValueError, match='out of range'):
        EVA(arch=TINY, out_indices=(4,))


def test_patch16_no_cls_and_pos_embed_grid() -> None:
    model = EVA(arch=TINY, img_size=64, patch_size=16, pretrain_img_size=224, with_cls_token=False)
    assert model.pos_embed.shape == (1, 1 + 14 * 14, 32) and model.cls_token is None
    (out,) = model(torch.randn(1, 3, 64, 96))
    assert out.shape == (1, 32, 4, 6)


def test_mask_token_replaces_masked_patches_before_pos_embed() -> None:
    torch.manual_seed(0)
    model = EVA(arch=TINY, img_size=28, use_mask_token=True).eval()
    x = torch.randn(2, 3, 28, 28)
    mask = torch.zeros(2, 4, dtype=torch.bool)
    mask[:, 1] = True
    tokens, hw = model._embed(x, mask)
    plain, _ = model._embed(x, None)
    grid_pe = model.pos_embed[:, 2:3]  # slot of patch 1 (after the cls slot)
    torch.testing.assert_close(tokens[:, 2], (model.mask_token + grid_pe).expand(2, 1, -1)[:, 0])
    torch.testing.assert_close(tokens[:, [0, 1, 3, 4]], plain[:, [0, 1, 3, 4]])
    with pytest.raises(ValueError, match='use_mask_token'):
        EVA(arch=TINY, img_size=28)(x, mask)


def test_frozen_stages_and_patch_embed() -> None:
    model = EVA(arch=TINY, img_size=28, frozen_stages=2)
    model.train()
    frozen = [n for n, p in model.named_parameters() if not p.requires_grad]
    assert 'pos_embed' in frozen and 'cls_token' in frozen and 'patch_embed.proj.weight' in frozen
    assert all(not n.startswith(('blocks.2', 'blocks.3')) for n in frozen)
    assert any(n.startswith('blocks.1.') for n in frozen)
    assert not model.blocks[1].training and model.blocks[2].training
    only_patch = EVA(arch=TINY, img_size=28, freeze_patch_embed=True)
    assert [n for n, p in only_patch.named_parameters() if not p.requires_grad] == ['patch_embed.proj.weight',
                                                                                     'patch_embed.proj.bias']


def test_get_layer_depth() -> None:
    model = EVA(arch=TINY)
    assert model.get_layer_depth('backbone.pos_embed', 'backbone.') == (0, 6)
    assert model.get_layer_depth('backbone.patch_embed.proj.weight', 'backbone.') == (0, 6)
    assert model.get_layer_depth('backbone.blocks.2.attn.qkv.weight', 'backbone.') == (3, 6)
    assert model.get_layer_depth('backbone.norm.weight', 'backbone.') == (5, 6)
    assert model.get_layer_depth('neck.conv.weight', 'backbone.') == (5, 6)
    assert model.get_layer_depth('blocks.0.norm1.weight') == (1, 6)


def test_drop_path_rates_increase_linearly() -> None:
    model = EVA(arch=TINY, drop_path_rate=0.3)
    rates = [getattr(b.drop_path, 'drop_prob', 0.) for b in model.blocks]
    assert rates == pytest.approx([0.0, 0.1, 0.2, 0.3])


def test_mmpretrain_eva_algorithm_stays_reachable_under_new_name() -> None:
    from mmpretrain.models.selfsup import EVA as PretrainEVA
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        from mmpretrain.registry import MODELS as PRETRAIN_MODELS
        assert PRETRAIN_MODELS.get('EVA') is EVA
        assert PRETRAIN_MODELS.get('MMPretrainEVA') is PretrainEVA
