"""The backbone's fast paths equal their reference paths, values and gradients.

Fused-vs-eager attention over whole models is covered in ``test_eva_layers.py``; here are the pieces the speed work
added: complex-multiply RoPE against the real-arithmetic rotation (any strides, prefix tokens, float64 / bfloat16).
"""
import pytest
import torch

import eva_mm  # noqa: F401
from eva_mm.models.layers import EVAAttention, apply_rope, apply_rope_complex, build_rope_2d, rope_rotation


def _qkv_views(b: int, n: int, heads: int, d: int, dtype: torch.dtype):
    """q and k as the strided ``[B, h, N, d]`` views of one fused qkv tensor, as the attention sees them."""
    qkv = torch.randn(b, n, 3, heads, d, dtype=torch.float64).to(dtype).requires_grad_()
    q, k, _ = qkv.permute(2, 0, 3, 1, 4).unbind(0)
    return qkv, q, k


def _reference_rotate(x: torch.Tensor, sin: torch.Tensor, cos: torch.Tensor, num_prefix: int) -> torch.Tensor:
    return torch.cat((x[:, :, :num_prefix], apply_rope(x[:, :, num_prefix:], sin, cos)), dim=2)


@pytest.mark.parametrize('num_prefix', [0, 1])
@pytest.mark.parametrize('dtype,atol', [(torch.float32, 1e-6), (torch.float64, 1e-6)])
def test_complex_rope_equals_reference_values_and_grads(num_prefix, dtype, atol) -> None:
    torch.manual_seed(0)
    grid, heads, d = (3, 5), 2, 8
    sin, cos = build_rope_2d(grid, d, ref_grid=(16, 16))
    n = num_prefix + grid[0] * grid[1]
    weight = torch.randn(2, heads, n, d, dtype=dtype)

    qkv, q, k = _qkv_views(2, n, heads, d, dtype)
    rot = rope_rotation(sin, cos, num_prefix)
    assert rot.shape == (n, d // 2) and rot.is_complex()
    fast = apply_rope_complex(q, rot), apply_rope_complex(k, rot)
    sum((t * weight).sum() for t in fast).backward()
    fast_grad = qkv.grad.clone()

    qkv.grad = None
    q, k, _ = qkv.permute(2, 0, 3, 1, 4).unbind(0)
    ref = _reference_rotate(q, sin, cos, num_prefix), _reference_rotate(k, sin, cos, num_prefix)
    sum((t * weight).sum() for t in ref).backward()

    for a, b in zip(fast, ref):
        assert a.dtype == b.dtype == dtype
        torch.testing.assert_close(a, b, atol=atol, rtol=0)
    torch.testing.assert_close(fast_grad, qkv.grad, atol=atol, rtol=0)
    # The value slice gets no gradient from RoPE, and prefix tokens pass through unchanged.
    assert fast_grad[:, :, 2].abs().max() == 0
    if num_prefix:
        torch.testing.assert_close(fast[0][:, :, 0], q[:, :, 0])


def test_complex_rope_in_bfloat16_rotates_in_float32_like_the_reference() -> None:
    torch.manual_seed(0)
    sin, cos = build_rope_2d((4, 4), 16)
    x = torch.randn(2, 3, 16, 16).bfloat16()
    fast = apply_rope_complex(x, rope_rotation(sin, cos))
    ref = apply_rope(x, sin, cos)
    assert fast.dtype == ref.dtype == torch.bfloat16
    # Both rotate the same bf16 inputs in float32 and round once: equal up to one bf16 rounding step.
    torch.testing.assert_close(fast.float(), ref.float(), atol=1e-2, rtol=1e-2)
    assert (fast.float() - ref.float()).abs().max() <= 2 ** -7 * x.float().abs().max() * 2


def test_complex_rope_gradcheck() -> None:
    torch.manual_seed(0)
    sin, cos = build_rope_2d((2, 3), 8, dtype=torch.float64)
    rot = rope_rotation(sin, cos, num_prefix=1)
    x = torch.randn(1, 2, 7, 8, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: apply_rope_complex(t, rot), (x,))


def test_compiled_rope_form_equals_complex_form(monkeypatch) -> None:
    """Under torch.compile attention rotates with real arithmetic (inductor has no complex codegen); same values."""
    torch.manual_seed(0)
    rope = build_rope_2d((3, 3), 8)
    qkv, q, k = _qkv_views(2, 10, 2, 8, torch.float32)
    eager = EVAAttention._rotate(q, k, rope, num_prefix=1, fast=True)
    monkeypatch.setattr(torch.compiler, 'is_compiling', lambda: True)
    compiled_form = EVAAttention._rotate(q, k, rope, num_prefix=1, fast=True)
    for a, b in zip(compiled_form, eager):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=0)
    sum(t.sum() for t in compiled_form).backward()
    assert qkv.grad[:, :, :2].abs().sum() > 0 and qkv.grad[:, :, 2].abs().max() == 0


@pytest.mark.parametrize('kwargs', [
    dict(img_size=56),  # EVA-02 classification: cls token + RoPE
    dict(img_size=48, patch_size=8, window_size=4, global_attn_indexes=(1,), use_rel_pos=True),  # ViTDet + rel-pos
])
def test_forward_traces_into_one_graph(kwargs) -> None:
    """torch.compile-friendly: no data-dependent Python branch or host read breaks the graph (train and eval)."""
    import torch._dynamo as dynamo

    from eva_mm.models.backbones import EVA
    model = EVA(arch=dict(embed_dims=32, depth=2, num_heads=2, mlp_hidden=64), **kwargs)
    x = torch.randn(2, 3, kwargs['img_size'], kwargs['img_size'])
    for mode in (False, True):
        dynamo.reset()
        explained = dynamo.explain(model.train(mode))(x)
        assert explained.graph_break_count == 0, [b.reason for b in explained.break_reasons]
        assert explained.graph_count == 1
