"""Fast rel-pos attention (eva_mm.layers.rel_pos_attention), both kernels (folded SDPA channels, query chunks),
against the explicit-bias reference; the kernel switch; and the one fast-path switch selecting every fast path
against its reference."""
import importlib
from typing import List, Tuple

import pytest
import torch
import torch.nn.functional as F

import eva_mm.layers.attention as attention_mod
from eva_mm.layers import EVABlock, build_rope_2d, rel_pos_chunked, set_fast_path, set_fused_attn, use_fast_path
from eva_mm.layers.rel_pos import decomposed_rel_pos_bias
from eva_mm.layers.rel_pos_attention import grid_onehot, rel_pos_attention, rel_pos_kernel, set_rel_pos_kernel

swiglu_mod = importlib.import_module('eva_mm.layers.swiglu_gate')  # the package re-exports a function of that name


KERNELS = ('folded', 'chunked')


@pytest.fixture(autouse=True)
def _restore_switch():
    yield
    set_fast_path(True)
    set_rel_pos_kernel('auto')


def _block(window: int, grid: Tuple[int, int], dim: int = 32, heads: int = 2) -> EVABlock:
    torch.manual_seed(0)
    block = EVABlock(dim, heads, 2 * dim, mlp_type='swiglu', window_size=window,
                     rel_pos_grid=(window, window) if window else grid)
    with torch.no_grad():  # released tables are far from zero; zero tables would hide a wrong bias
        block.attn.rel_pos_h.normal_(0, 0.5)
        block.attn.rel_pos_w.normal_(0, 0.5)
        block.attn.q_bias.normal_(0, 0.1)
    return block


def _step(block: EVABlock, x: torch.Tensor, hw: Tuple[int, int], fast: bool, dtype=torch.float32) -> List[torch.Tensor]:
    """Output and gradients (input, q/k/v weight, both rel-pos tables) of one forward + backward."""
    set_fast_path(fast)
    block.zero_grad(set_to_none=True)
    x = x.detach().clone().requires_grad_(True)
    with torch.autocast('cpu', dtype=dtype, enabled=dtype != torch.float32):
        y = block(x, hw)
    (y.float() * torch.linspace(-1, 1, y.shape[-1])).sum().backward()
    a = block.attn
    return [y.detach().float(), x.grad, a.qkv.weight.grad, a.rel_pos_h.grad, a.rel_pos_w.grad]


@pytest.mark.parametrize('kernel', KERNELS)
@pytest.mark.parametrize('window, hw', [(0, (7, 5)), (0, (6, 6)), (4, (6, 7)), (4, (8, 8))],
                         ids=['global-7x5', 'global-6x6', 'window4-padded-6x7', 'window4-8x8'])
def test_values_and_grads_equal_reference_fp32(window, hw, kernel, monkeypatch) -> None:
    set_rel_pos_kernel(kernel)
    monkeypatch.setattr(rel_pos_chunked, 'CHUNK_ELEMENTS', 1)  # chunks of 16 queries, a short last one
    block = _block(window, hw)
    x = torch.randn(2, hw[0] * hw[1], 32)
    fast, ref = _step(block, x, hw, True), _step(block, x, hw, False)
    for name, f, r in zip(('out', 'x', 'qkv', 'rel_pos_h', 'rel_pos_w'), fast, ref):
        assert r.abs().max() > 0, name
        torch.testing.assert_close(f, r, atol=1e-5 * r.abs().max().item(), rtol=1e-5, msg=name)


@pytest.mark.parametrize('kernel', KERNELS)
def test_bf16_error_no_larger_than_reference_path(kernel) -> None:
    """bf16 bound: the fast path's error against the fp32 reference stays within 2x the bf16 reference's (+1e-3)."""
    set_rel_pos_kernel(kernel)
    hw = (6, 5)
    block = _block(0, hw)
    x = torch.randn(2, 30, 32)
    exact = _step(block, x, hw, False)
    fast, ref = _step(block, x, hw, True, torch.bfloat16), _step(block, x, hw, False, torch.bfloat16)
    for name, e, f, r in zip(('out', 'x', 'qkv', 'rel_pos_h', 'rel_pos_w'), exact, fast, ref):
        scale = e.abs().max()
        err_fast, err_ref = (f - e).abs().max() / scale, (r - e).abs().max() / scale
        assert err_fast <= 2 * err_ref + 1e-3, (name, err_fast.item(), err_ref.item())
        assert err_fast < 3e-2, name


@pytest.mark.parametrize('kernel', KERNELS)
def test_function_matches_bias_formula_with_table_resize_and_bad_input(kernel) -> None:
    set_rel_pos_kernel(kernel)
    torch.manual_seed(1)
    q, k, v = (torch.randn(1, 3, 20, 8) for _ in range(3))
    tab_h, tab_w = torch.randn(5, 8), torch.randn(13, 8)  # stored for a 3 x 7 grid, run on 4 x 5: resized
    bias = decomposed_rel_pos_bias(q, tab_h, tab_w, (4, 5), (4, 5))
    ref = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
    torch.testing.assert_close(rel_pos_attention(q, k, v, tab_h, tab_w, (4, 5), 8 ** -0.5), ref,
                               atol=1e-6, rtol=1e-5)
    onehot = grid_onehot((2, 3), torch.float32, torch.device('cpu'))
    assert onehot.tolist()[4] == [0, 1, 0, 1, 0]  # token 4 = row 1, col 1
    with pytest.raises(ValueError, match='4 x 4 = 16 tokens, got 20'):
        rel_pos_attention(q, k, v, tab_h, tab_w, (4, 4), 1.0)


def _saved_numels(block: EVABlock, x: torch.Tensor, hw: Tuple[int, int]) -> List[int]:
    sizes: List[int] = []

    def pack(t: torch.Tensor) -> torch.Tensor:
        sizes.append(t.numel())
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        block(x.requires_grad_(True), hw)
    return sizes


def _profile(block: EVABlock, x: torch.Tensor, hw: Tuple[int, int]) -> Tuple[set, int]:
    """Op names and the largest memory any one op (children included) allocated in a forward + backward."""
    with torch.profiler.profile(profile_memory=True) as prof:
        block(x.clone().requires_grad_(True), hw).sum().backward()
    return {e.name for e in prof.events()}, max(e.cpu_memory_usage for e in prof.events())


@pytest.mark.parametrize('kernel', KERNELS)
def test_no_n_by_n_tensor_in_autograd_graph_and_fused_kernel_runs(kernel, monkeypatch) -> None:
    hw = (32, 32)  # head dim 16 + 64 extra channels stays well below N = 1024
    n = hw[0] * hw[1]
    # The chunk budget bounds the chunked kernel's logits; at this toy size its default would cover all queries.
    monkeypatch.setattr(rel_pos_chunked, 'CHUNK_ELEMENTS', n * n // 4)
    block = _block(0, hw)
    x = torch.randn(1, n, 32)
    set_fast_path(False)  # both checks can fail: the reference saves and allocates N x N tensors
    assert max(_saved_numels(block, x.clone(), hw)) >= n * n
    assert _profile(block, x, hw)[1] >= n * n * 4
    set_fast_path(True)
    set_rel_pos_kernel(kernel)
    assert max(_saved_numels(block, x.clone(), hw)) < n * n
    names, biggest = _profile(block, x, hw)
    assert 'aten::_scaled_dot_product_attention_math' not in names
    assert ('aten::_scaled_dot_product_flash_attention_for_cpu_backward' in names) == (kernel == 'folded')
    assert ('_ChunkedRelPosAttentionBackward' in names) == (kernel == 'chunked')
    assert biggest < n * n * 4, biggest  # no op allocates even one head's fp32 N x N logits


def test_kernel_switch_default_explicit_choice_and_bad_input() -> None:
    cpu, cuda = torch.device('cpu'), torch.device('cuda')
    assert (rel_pos_kernel(cpu), rel_pos_kernel(cuda), rel_pos_kernel(cpu, dropout_p=0.1)) == ('folded',) * 3
    set_rel_pos_kernel('chunked')
    assert rel_pos_kernel(cuda) == 'chunked'
    with pytest.raises(ValueError, match="'chunked' has no attention dropout"):
        rel_pos_kernel(cpu, dropout_p=0.1)
    with pytest.raises(ValueError, match="one of .*got 'flash'"):
        set_rel_pos_kernel('flash')
    assert rel_pos_kernel(cpu) == 'chunked'  # a rejected name changes nothing


def test_chunked_function_odd_chunks_bf16_and_bad_grid() -> None:
    """Every chunk size (1, odd, > N) gives the same values and gradients; bf16 inputs come back bf16."""
    torch.manual_seed(2)
    hw, n = (3, 5), 15
    leaves = [torch.randn(2, 3, n, s) for s in (8, 8, 8, 3, 5)]  # q, k, v, rel_h, rel_w

    def run(chunk, dtype=torch.float32):
        ins = [t.detach().to(dtype, copy=True).requires_grad_(True) for t in leaves]
        out = rel_pos_chunked.chunked_rel_pos_attention(*ins, hw, 8 ** -0.5, chunk)
        (out.float() * torch.linspace(-1, 1, 8)).sum().backward()
        return [out] + [t.grad for t in ins]

    ins = [t.clone().requires_grad_(True) for t in leaves]
    bias = (ins[3][..., :, None] + ins[4][..., None, :]).flatten(-2)
    ref_out = F.scaled_dot_product_attention(*ins[:3], attn_mask=bias)
    (ref_out * torch.linspace(-1, 1, 8)).sum().backward()
    ref = [ref_out] + [t.grad for t in ins]
    for chunk in (1, 4, 15, 64):
        for name, got, want in zip(('out', 'q', 'k', 'v', 'rel_h', 'rel_w'), run(chunk), ref):
            torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5, msg=f'{name} chunk {chunk}')
    half = run(4, torch.bfloat16)
    assert all(t.dtype == torch.bfloat16 for t in half)
    assert (half[0].float() - ref[0]).abs().max() < 3e-2
    with pytest.raises(ValueError, match=r'grid \(4, 4\) does not match 15 tokens'):
        rel_pos_chunked.chunked_rel_pos_attention(*leaves, (4, 4), 1.0)
    with pytest.raises(ValueError, match='chunk must be >= 1'):
        rel_pos_chunked.chunked_rel_pos_attention(*leaves, hw, 1.0, chunk=-2)


def test_one_switch_selects_every_fast_path_or_every_reference(monkeypatch) -> None:
    calls = dict(sdpa=0, rel_pos=0, split_rotate=0, swiglu=0)

    def spy(name, fn):
        def wrapped(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)
        return wrapped

    monkeypatch.setattr(attention_mod.F, 'scaled_dot_product_attention', spy('sdpa', F.scaled_dot_product_attention))
    monkeypatch.setattr(attention_mod, 'rel_pos_attention', spy('rel_pos', attention_mod.rel_pos_attention))
    monkeypatch.setattr(attention_mod, 'split_rotate_qkv', spy('split_rotate', attention_mod.split_rotate_qkv))
    monkeypatch.setattr(swiglu_mod._SwiGLUGate, 'apply', spy('swiglu', swiglu_mod._SwiGLUGate.apply))
    hw = (4, 4)
    rope_block = EVABlock(32, 2, 64, mlp_type='swiglu')
    rel_block = _block(0, hw)
    rope = build_rope_2d(hw, 16)

    def run() -> None:
        x = torch.randn(1, 16, 32, requires_grad=True)
        (rope_block(x, hw, rope).sum() + rel_block(x, hw).sum()).backward()

    set_fused_attn(False)  # the kept alias drives the same switch
    assert not use_fast_path()
    run()
    assert calls == dict(sdpa=0, rel_pos=0, split_rotate=0, swiglu=0)
    set_fast_path(True)
    run()
    assert all(calls.values()), calls
