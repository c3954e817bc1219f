"""Multi-scale deformable attention on the mmcv._ext stand-in: the compiled-op path (what CUDA tensors take)
must equal mmcv's pure PyTorch path in values and gradients, and the module must run on CPU."""
import pytest
import torch

from eva_mm.compat import mmcv_ext
from eva_mm.compat.ext_ops import msda

pytestmark = pytest.mark.skipif(mmcv_ext.compiled_mmcv_available(), reason='a compiled mmcv keeps its own kernels')


def _inputs(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    shapes = torch.tensor([[6, 5], [3, 3], [2, 1]])
    starts = torch.cat([shapes.new_zeros(1), shapes.prod(1).cumsum(0)[:-1]])
    b, q, heads, c, points = 2, 7, 4, 8, 3
    value = torch.randn(b, int(shapes.prod(1).sum()), heads, c, generator=g, dtype=torch.float64)
    # include locations outside [0, 1] (zero padding) and on the border
    loc = torch.rand(b, q, heads, len(shapes), points, 2, generator=g, dtype=torch.float64) * 1.2 - 0.1
    weights = torch.rand(b, q, heads, len(shapes), points, generator=g, dtype=torch.float64).softmax(-1)
    return value, shapes, starts, loc, weights


def test_stand_in_has_msda():
    import sys
    ext = sys.modules['mmcv._ext']
    assert ext.ms_deform_attn_forward is msda.ms_deform_attn_forward
    assert ext.ms_deform_attn_backward is msda.ms_deform_attn_backward


def test_compiled_path_matches_pytorch_path_values_and_grads():
    from mmcv.ops.multi_scale_deform_attn import MultiScaleDeformableAttnFunction, multi_scale_deformable_attn_pytorch
    value, shapes, starts, loc, weights = _inputs()
    leaves_a = [t.clone().requires_grad_(True) for t in (value, loc, weights)]
    leaves_b = [t.clone().requires_grad_(True) for t in (value, loc, weights)]
    out_a = MultiScaleDeformableAttnFunction.apply(leaves_a[0], shapes, starts, leaves_a[1], leaves_a[2], 64)
    out_b = multi_scale_deformable_attn_pytorch(leaves_b[0], shapes, leaves_b[1], leaves_b[2])
    assert out_a.shape == (2, 7, 4 * 8)
    torch.testing.assert_close(out_a, out_b)
    grad = torch.randn_like(out_a)
    out_a.backward(grad)
    out_b.backward(grad)
    for a, b in zip(leaves_a, leaves_b):
        assert a.grad is not None and a.grad.abs().sum() > 0
        torch.testing.assert_close(a.grad, b.grad)


def test_backward_matches_finite_differences():
    from mmcv.ops.multi_scale_deform_attn import MultiScaleDeformableAttnFunction
    value, shapes, starts, loc, weights = _inputs(1)
    # keep locations away from pixel centres where bilinear sampling has kinks
    args = [t.requires_grad_(True) for t in (value[:1, :, :1, :2], loc[:1, :2, :1], weights[:1, :2, :1])]

    def fn(v, sl, aw):
        return MultiScaleDeformableAttnFunction.apply(v, shapes, starts, sl, aw, 64)

    assert torch.autograd.gradcheck(fn, args, eps=1e-6, atol=1e-4)


def test_module_runs_on_cpu():
    from mmcv.ops import MultiScaleDeformableAttention
    attn = MultiScaleDeformableAttention(embed_dims=32, num_heads=4, num_levels=2, num_points=2, batch_first=True)
    shapes = torch.tensor([[4, 4], [2, 2]])
    starts = torch.tensor([0, 16])
    value = torch.randn(1, 20, 32)
    ref = torch.rand(1, 20, 2, 2)
    out = attn(value, value=value, reference_points=ref, spatial_shapes=shapes, level_start_index=starts)
    assert out.shape == (1, 20, 32) and torch.isfinite(out).all()
