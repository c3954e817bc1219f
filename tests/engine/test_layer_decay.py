"""Layer-wise lr decay and weight-decay exemptions of EVALayerDecayOptimWrapperConstructor."""
import pytest
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from torch import nn

import eva_mm  # noqa: F401
from eva_mm.models.backbones import EVA

TINY = dict(embed_dims=16, depth=3, num_heads=2, mlp_hidden=32)


class Detector(nn.Module):
    """A backbone and a head, as mmdet/mmseg/mmpretrain models hold them."""

    def __init__(self) -> None:
        super().__init__()
        self.backbone = EVA(arch=TINY, img_size=28, final_norm=True)
        self.head = nn.Linear(16, 4)


def _groups(model, **paramwise):
    cfg = dict(optimizer=dict(type='AdamW', lr=1.0, weight_decay=0.05),
               constructor='EVALayerDecayOptimWrapperConstructor', paramwise_cfg=dict(layer_decay_rate=0.5,
                                                                                      **paramwise))
    wrapper = build_optim_wrapper(model, cfg)
    return {name: (g['lr'], g['weight_decay']) for g in wrapper.optimizer.param_groups for name in g['param_names']}


def test_lr_scale_and_weight_decay_per_parameter() -> None:
    groups = _groups(Detector())
    # rate ** (num_layers + 1 - depth) with num_layers = 3
    assert groups['backbone.patch_embed.proj.weight'] == (0.5 ** 4, 0.05)
    assert groups['backbone.pos_embed'] == (0.5 ** 4, 0.0)
    assert groups['backbone.cls_token'] == (0.5 ** 4, 0.0)
    assert groups['backbone.blocks.0.attn.qkv.weight'] == (0.5 ** 3, 0.05)
    assert groups['backbone.blocks.0.attn.q_bias'] == (0.5 ** 3, 0.0)
    assert groups['backbone.blocks.2.norm1.weight'] == (0.5, 0.0)
    assert groups['backbone.norm.weight'] == (1.0, 0.0)
    assert groups['head.weight'] == (1.0, 0.05) and groups['head.bias'] == (1.0, 0.0)


def test_detection_recipe_decays_everything_and_num_layers_override() -> None:
    groups = _groups(Detector(), no_decay_1d=False, no_decay_names=(), num_layers=5)
    assert groups['backbone.pos_embed'] == (0.5 ** 6, 0.05)
    assert groups['backbone.blocks.1.norm1.bias'] == (0.5 ** 4, 0.05)
    assert groups['head.weight'] == (1.0, 0.05)


def test_bare_backbone_custom_keys_and_frozen_params() -> None:
    backbone = EVA(arch=TINY, img_size=28, freeze_patch_embed=True)
    groups = _groups(backbone, custom_keys={'blocks.2.mlp': dict(lr_mult=0.1, decay_mult=2.0)})
    assert 'patch_embed.proj.weight' not in groups  # frozen: not given to the optimizer
    assert groups['blocks.2.mlp.w12.weight'] == pytest.approx((0.5 * 0.1, 0.1))
    assert groups['blocks.2.attn.qkv.weight'] == (0.5, 0.05)


@pytest.mark.parametrize('scope', ['mmdet', 'mmseg', 'mmpretrain'])
def test_constructor_resolves_under_each_scope(scope) -> None:
    with DefaultScope.overwrite_default_scope(scope):
        groups = _groups(Detector())
    assert groups['backbone.blocks.0.attn.qkv.weight'] == (0.5 ** 3, 0.05)


def test_model_without_layer_depth_is_rejected() -> None:
    with pytest.raises(TypeError, match='get_layer_depth'):
        _groups(nn.Sequential(nn.Linear(2, 2)))
