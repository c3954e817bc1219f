"""The backbone's fast paths equal their reference paths, values and gradients.

Fused-vs-eager attention over whole models is covered in ``test_eva_layers.py``; here are the pieces the speed work
added: complex-multiply RoPE against the real-arithmetic rotation (any strides, prefix tokens, float64 / bfloat16),
the q/k/v split that rotates q and k in one multiply with a one-buffer backward, and the SwiGLU gate whose backward
writes both gradient halves in place.
"""
import pytest
import torch

import eva_mm  # noqa: F401
from eva_mm.layers import EVAAttention, apply_rope, apply_rope_complex, build_rope_2d, rope_rotation
from eva_mm.layers.qkv_rope import split_rotate_qkv
from eva_mm.layers.swiglu_gate import swiglu_gate, swiglu_gate_reference


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


def test_compiled_rope_form_equals_eager_fast_path() -> None:
    """Under torch.compile attention rotates with real arithmetic (inductor has no complex codegen); same values."""
    torch.manual_seed(0)
    rope = build_rope_2d((3, 3), 8)
    qkv = torch.randn(2, 10, 3 * 2 * 8, requires_grad=True)
    q, k, _ = (t.transpose(1, 2) for t in qkv.view(2, 10, 3, 2, 8).unbind(2))
    compiled_form = EVAAttention._rotate(q, k, rope, num_prefix=1, fast=True)
    eager = split_rotate_qkv(qkv, 2, rope_rotation(*rope, num_prefix=1))
    for a, b in zip(compiled_form, eager):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=0)
    sum(t.sum() for t in compiled_form).backward()
    grad = qkv.grad.view(2, 10, 3, 2, 8)
    assert grad[:, :, :2].abs().sum() > 0 and grad[:, :, 2].abs().max() == 0


def _reference_split_rotate(qkv: torch.Tensor, heads: int, rope, num_prefix: int):
    b, n, _ = qkv.shape
    q, k, v = (t.transpose(1, 2) for t in qkv.view(b, n, 3, heads, -1).unbind(2))
    return _reference_rotate(q, *rope, num_prefix), _reference_rotate(k, *rope, num_prefix), v


@pytest.mark.parametrize('num_prefix', [0, 1])
@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_split_rotate_qkv_equals_reference_values_and_grads(num_prefix, dtype) -> None:
    torch.manual_seed(0)
    heads, d, grid = 3, 8, (2, 3)
    rope = build_rope_2d(grid, d, dtype=dtype)
    n = num_prefix + grid[0] * grid[1]
    qkv = torch.randn(2, n, 3 * heads * d, dtype=dtype, requires_grad=True)
    weights = [torch.randn(2, heads, n, d, dtype=dtype) for _ in range(3)]

    def run(fn):
        qkv.grad = None
        outs = fn()
        sum((o * w).sum() for o, w in zip(outs, weights)).backward()
        return outs, qkv.grad.clone()

    fast, fast_grad = run(lambda: split_rotate_qkv(qkv, heads, rope_rotation(*rope, num_prefix=num_prefix)))
    ref, ref_grad = run(lambda: _reference_split_rotate(qkv, heads, rope, num_prefix))
    for a, b in zip(fast, ref):
        assert a.shape == b.shape == (2, heads, n, d) and a.dtype == dtype
        torch.testing.assert_close(a, b, atol=1e-6, rtol=0)
    torch.testing.assert_close(fast_grad, ref_grad, atol=1e-6, rtol=0)


def test_split_rotate_qkv_gradcheck_and_unused_outputs() -> None:
    torch.manual_seed(0)
    rot = rope_rotation(*build_rope_2d((2, 2), 8, dtype=torch.float64), num_prefix=1)
    qkv = torch.randn(2, 5, 3 * 2 * 8, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: split_rotate_qkv(t, 2, rot), (qkv,))
    # Outputs that get no gradient (None in backward) leave zeros in their slice of the qkv gradient.
    q, _, _ = split_rotate_qkv(qkv, 2, rot)
    q.sum().backward()
    grad = qkv.grad.view(2, 5, 3, 2, 8)
    assert grad[:, :, 0].abs().min() > 0 and grad[:, :, 1:].abs().max() == 0


def test_split_rotate_qkv_in_bfloat16_rotates_in_float32_like_the_reference() -> None:
    torch.manual_seed(0)
    rope = build_rope_2d((2, 2), 8)
    qkv = torch.randn(2, 5, 3 * 2 * 8).bfloat16().requires_grad_()
    weights = [torch.randn(2, 2, 5, 8) for _ in range(3)]
    results = []
    for fn in (lambda: split_rotate_qkv(qkv, 2, rope_rotation(*rope, num_prefix=1)),
               lambda: _reference_split_rotate(qkv, 2, rope, 1)):
        qkv.grad = None
        outs = fn()
        sum((o.float() * w).sum() for o, w in zip(outs, weights)).backward()
        results.append((outs, qkv.grad.clone()))
    (fast, fast_grad), (ref, ref_grad) = results
    for a, b in zip(fast, ref):
        assert a.dtype == torch.bfloat16
        # Both rotate the bf16 inputs in float32 and round once: equal up to one bf16 rounding step.
        torch.testing.assert_close(a.float(), b.float(), atol=2e-2, rtol=1e-2)
    assert fast_grad.dtype == torch.bfloat16
    torch.testing.assert_close(fast_grad.float(), ref_grad.float(), atol=2e-2, rtol=1e-2)


@pytest.mark.parametrize('dtype', [torch.float32, torch.float64, torch.bfloat16])
def test_swiglu_gate_equals_reference_values_and_grads(dtype) -> None:
    torch.manual_seed(0)
    h = torch.randn(2, 5, 2 * 6, dtype=torch.float64).to(dtype).requires_grad_()
    weight = torch.randn(2, 5, 6, dtype=torch.float64).to(dtype)
    fast = swiglu_gate(h)
    (fast * weight).sum().backward()
    fast_grad, h.grad = h.grad, None
    ref = swiglu_gate_reference(h)
    (ref * weight).sum().backward()
    assert fast.grad_fn is not None and type(fast.grad_fn).__name__ != type(ref.grad_fn).__name__  # the custom path ran
    # The same kernels in the same order: equal to the last bit, in every dtype.
    torch.testing.assert_close(fast, ref, atol=0, rtol=0)
    torch.testing.assert_close(fast_grad, h.grad, atol=0, rtol=0)


def test_swiglu_gate_gradcheck_no_grad_path_and_bad_input() -> None:
    torch.manual_seed(0)
    h = torch.randn(3, 8, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(swiglu_gate, (h,))
    with torch.no_grad():
        torch.testing.assert_close(swiglu_gate(h), swiglu_gate_reference(h), atol=0, rtol=0)
    with pytest.raises(ValueError, match=r'even last dim.*\(3, 7\)'):
        swiglu_gate(torch.randn(3, 7))


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
