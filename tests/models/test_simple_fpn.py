"""SimpleFPN and LN2d: pyramid shapes and strides, branch layout, bad configs fail clearly."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import MODELS

from eva_mm.layers import LN2d
from eva_mm.models.necks import SimpleFPN, rescale_branch


def test_vitdet_pyramid_shapes_and_strides():
    # A stride-16 map of a 256x320 image -> P2..P6 at strides 4, 8, 16, 32, 64.
    fpn = MODELS.build(dict(type='SimpleFPN', backbone_channel=64, out_channels=32,
                            in_channels=[16, 32, 64, 64], num_outs=5))
    outs = fpn((torch.randn(2, 64, 16, 20),))
    assert [tuple(o.shape) for o in outs] == [(2, 32, 256 // s, 320 // s) for s in (4, 8, 16, 32, 64)]
    assert all(torch.isfinite(o).all() for o in outs)


def test_branch_layout_follows_vitdet():
    up4, c4 = rescale_branch(4.0, 64, dict(type='LN2d'), dict(type='GELU'))
    kinds = [type(m).__name__ for m in up4]
    assert kinds == ['ConvTranspose2d', 'LN2d', 'GELU', 'ConvTranspose2d'] and c4 == 16
    down, c_down = rescale_branch(0.5, 64, dict(type='LN2d'), dict(type='GELU'))
    assert isinstance(down, torch.nn.MaxPool2d) and c_down == 64
    fpn = SimpleFPN(backbone_channel=64, out_channels=32)
    conv = fpn.lateral_convs[0]
    assert conv.conv.bias is None and isinstance(conv.norm, LN2d) and not conv.with_activation


def test_p6_is_stride_two_subsample_of_p5():
    fpn = SimpleFPN(backbone_channel=8, out_channels=8, num_outs=5)
    outs = fpn([torch.randn(1, 8, 8, 8)])
    assert torch.equal(outs[4], outs[3][:, :, ::2, ::2])


def test_custom_scales_for_a_stride_8_backbone():
    fpn = SimpleFPN(backbone_channel=32, out_channels=16, scale_factors=(2.0, 1.0, 0.5, 0.25), num_outs=5)
    outs = fpn([torch.randn(1, 32, 16, 16)])
    assert [o.shape[-1] for o in outs] == [32, 16, 8, 4, 2]


@pytest.mark.parametrize('kwargs, match', [
    (dict(backbone_channel=64, in_channels=[16, 32, 64, 32]), 'in_channels'),
    (dict(backbone_channel=64, scale_factors=(3.0,), num_outs=1), 'powers of two'),
    (dict(backbone_channel=64, num_outs=3), 'num_outs'),
])
def test_bad_configs_name_the_culprit(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SimpleFPN(**kwargs)


def test_ln2d_normalises_channels_per_pixel():
    ln = LN2d(6)
    with torch.no_grad():
        ln.weight.copy_(torch.arange(6.) + 1)
        ln.bias.fill_(0.5)
    x = torch.randn(2, 6, 3, 4)
    ref = F.layer_norm(x.permute(0, 2, 3, 1), (6,), eps=1e-6) * (torch.arange(6.) + 1) + 0.5
    torch.testing.assert_close(ln(x), ref.permute(0, 3, 1, 2))
    with pytest.raises(ValueError, match='LN2d'):
        ln(torch.randn(2, 5, 3, 4))
