"""Fused vs eager attention, activation checkpointing, windows with padding, rel-pos and RoPE helpers."""
import math

import pytest
import torch
import torch.nn.functional as F

import eva_mm  # noqa: F401
from eva_mm.layers import (
    apply_rope,
    build_rope_2d,
    get_rel_pos,
    set_fused_attn,
    use_fused_attn,
    window_partition,
    window_unpartition,
)
from eva_mm.models.backbones import EVA

TINY = dict(embed_dims=32, depth=4, num_heads=2, mlp_hidden=64)
TINY_GELU = dict(TINY, mlp_type='gelu', use_rope=False)


@pytest.fixture
def eager():
    """Run a block of code on the eager reference path, restoring the switch afterwards."""
    before = use_fused_attn()
    set_fused_attn(False)
    yield
    set_fused_attn(before)


def _randomise(model: torch.nn.Module) -> None:
    # Zero-initialised biases and rel-pos tables would hide bugs in their paths.
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)


def _values_and_grads(model: torch.nn.Module, x: torch.Tensor, forward=None):
    """Outputs and parameter gradients of ``model`` for ``x``, run through ``forward`` (default: the model)."""
    model.zero_grad()
    outs = (model if forward is None else forward)(x)
    sum((o * torch.linspace(-1, 1, o.numel()).view_as(o)).sum() for o in outs).backward()
    return [o.detach() for o in outs], {n: p.grad.clone() for n, p in model.named_parameters()}


def _assert_same(a, b, atol: float) -> None:
    for x, y in zip(a[0], b[0]):
        torch.testing.assert_close(x, y, atol=atol, rtol=0)
    assert a[1].keys() == b[1].keys()
    for name in a[1]:
        torch.testing.assert_close(a[1][name], b[1][name], atol=atol, rtol=1e-4, msg=name)


DENSE = dict(img_size=(48, 64), patch_size=8, window_size=4, global_attn_indexes=(1, 3), use_rel_pos=True)


@pytest.mark.parametrize('arch,kwargs', [
    (TINY, {}),  # EVA-02 style: RoPE, cls token
    (TINY_GELU, {}),  # EVA-01 style
    (TINY, DENSE),  # EVA-02 detection: windows + global RoPE tables (+ rel pos here)
    (TINY_GELU, DENSE),  # EVA-01 detection: windows, rel-pos bias passed as attn_mask
])
def test_sdpa_equals_eager_values_and_grads(arch, kwargs, eager) -> None:
    torch.manual_seed(0)
    model = EVA(arch=arch, out_indices=(1, 3), **kwargs).train()
    _randomise(model)
    x = torch.randn(2, 3, 40, 56)  # 5x7 grid at patch 8: windows of 4 need padding
    reference = _values_and_grads(model, x)
    set_fused_attn(True)
    fused = _values_and_grads(model, x)
    _assert_same(fused, reference, atol=1e-5)


@pytest.mark.parametrize('kwargs', [{}, DENSE])
def test_with_cp_equals_plain_values_and_grads(kwargs) -> None:
    torch.manual_seed(0)
    model = EVA(arch=TINY, out_indices=(1, 3), drop_path_rate=0.0, **kwargs).train()
    _randomise(model)
    x = torch.randn(2, 3, 40, 56)
    plain = _values_and_grads(model, x)
    model.set_grad_checkpointing(True)
    checkpointed = _values_and_grads(model, x)
    _assert_same(checkpointed, plain, atol=1e-6)


def test_compiled_training_step_equals_eager() -> None:
    """Under torch.compile the custom-backward paths give way to the plain formulas; values and gradients agree."""
    torch.manual_seed(0)
    model = EVA(arch=dict(TINY, depth=2, sub_ln=True), img_size=56).train()
    _randomise(model)
    x = torch.randn(2, 3, 56, 56)
    eager = _values_and_grads(model, x)
    torch._dynamo.reset()
    compiled = _values_and_grads(model, x, forward=torch.compile(model, fullgraph=True))
    _assert_same(compiled, eager, atol=1e-5)


def test_window_partition_round_trip_with_padding() -> None:
    x = torch.randn(2, 5, 7, 3)
    windows, pad_hw = window_partition(x, 4)
    assert pad_hw == (8, 8) and windows.shape == (2 * 2 * 2, 4, 4, 3)
    torch.testing.assert_close(windows[1], F.pad(x, (0, 0, 0, 1, 0, 3))[0, :4, 4:8])
    torch.testing.assert_close(window_unpartition(windows, 4, pad_hw, (5, 7)), x)


def _reference_attention(attn, x, hw, rope, rel):
    """Direct computation: separate q/k/v, per-pair rel-pos lookup, softmax, no helpers but the RoPE rotation."""
    b, n, c = x.shape
    h, d = attn.num_heads, c // attn.num_heads
    wq, wk, wv = attn.qkv.weight.chunk(3)
    q = (x @ wq.t() + attn.q_bias).view(b, n, h, d).transpose(1, 2)
    k = (x @ wk.t()).view(b, n, h, d).transpose(1, 2)
    v = (x @ wv.t() + attn.v_bias).view(b, n, h, d).transpose(1, 2)
    if rope is not None:
        q, k = apply_rope(q, *rope), apply_rope(k, *rope)
    logits = q @ k.transpose(-2, -1) / math.sqrt(d)
    if rel:
        rows = torch.arange(n) // hw[1]
        cols = torch.arange(n) % hw[1]
        rh = attn.rel_pos_h[rows[:, None] - rows[None, :] + hw[0] - 1]  # [n, n, d]
        rw = attn.rel_pos_w[cols[:, None] - cols[None, :] + hw[1] - 1]
        logits = logits + torch.einsum('bhqd,qkd->bhqk', q_unrot := (x @ wq.t() + attn.q_bias).view(
            b, n, h, d).transpose(1, 2), rh) + torch.einsum('bhqd,qkd->bhqk', q_unrot, rw)
    out = (logits.softmax(-1) @ v).transpose(1, 2).reshape(b, n, c)
    return out @ attn.proj.weight.t() + attn.proj.bias


def _reference_block(blk, x, hw, rope_window, rope_global, rel):
    """ViTDet block by hand: pad the normed grid, loop over windows, crop, residuals."""
    b, _, c = x.shape
    y = blk.norm1(x).view(b, *hw, c)
    ws = blk.window_size
    if ws:
        hp, wp = math.ceil(hw[0] / ws) * ws, math.ceil(hw[1] / ws) * ws
        padded = torch.zeros(b, hp, wp, c)
        padded[:, :hw[0], :hw[1]] = y
        out = torch.zeros_like(padded)
        for i in range(0, hp, ws):
            for j in range(0, wp, ws):
                win = padded[:, i:i + ws, j:j + ws].reshape(b, ws * ws, c)
                out[:, i:i + ws, j:j + ws] = _reference_attention(blk.attn, win, (ws, ws), rope_window,
                                                                   rel).view(b, ws, ws, c)
        y = out[:, :hw[0], :hw[1]].reshape(b, -1, c)
    else:
        y = _reference_attention(blk.attn, y.reshape(b, -1, c), hw, rope_global, rel)
    x = x + y
    return x + blk.mlp(blk.norm2(x))


@pytest.mark.parametrize('arch,rel', [(TINY, False), (TINY_GELU, True)])
def test_windowed_and_global_blocks_equal_direct_reference(arch, rel) -> None:
    torch.manual_seed(0)
    # Position grid 4x4 (resampled to 5x7); rel-pos tables sized for the 5x7 grid and the 4x4 windows.
    model = EVA(arch=arch, img_size=(40, 56), pretrain_img_size=32, patch_size=8, window_size=4,
                global_attn_indexes=(1, 3), use_rel_pos=rel, out_indices=(3,)).eval()
    _randomise(model)
    x = torch.randn(2, 3, 40, 56)
    hw = (5, 7)
    head_dim = 16
    rope_window = build_rope_2d((4, 4), head_dim) if model.use_rope else None
    rope_global = build_rope_2d(hw, head_dim) if model.use_rope else None
    with torch.no_grad():
        (out,) = model(x)
        tokens = model.patch_embed.proj(x).flatten(2).transpose(1, 2)
        grid_pe = F.interpolate(model.pos_embed[:, 1:].reshape(1, 4, 4, -1).permute(0, 3, 1, 2), size=hw,
                                mode='bicubic', align_corners=False)
        tokens = tokens + grid_pe.flatten(2).transpose(1, 2)
        for blk in model.blocks:
            tokens = _reference_block(blk, tokens, hw, rope_window, rope_global, rel)
    expected = tokens.transpose(1, 2).reshape(2, -1, *hw)
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=0)


def test_rel_pos_table_is_interpolated_for_other_sizes() -> None:
    table = torch.randn(7, 4)  # learned for a 4-token axis
    same = get_rel_pos(4, 4, table)
    torch.testing.assert_close(same[2, 0], table[2 - 0 + 3])
    bigger = get_rel_pos(6, 6, table)  # needs 11 rows: linear resampling keeps the end points
    assert bigger.shape == (6, 6, 4)
    torch.testing.assert_close(bigger[5, 0], table[-1])
    torch.testing.assert_close(bigger[0, 5], table[0])


def test_rope_tables_follow_eva02_definition() -> None:
    sin, cos = build_rope_2d((8, 4), head_dim=16, ref_grid=(16, 16))
    assert sin.shape == cos.shape == (32, 16)
    freqs = 1.0 / 10000 ** (torch.arange(0, 8, 2).float() / 8)  # official: 1/theta^(arange(0, dim, 2)/dim), dim=8
    token = 2 * 4 + 3  # row 2, column 3
    row_angle, col_angle = 2 / 8 * 16 * freqs, 3 / 4 * 16 * freqs
    expected = torch.cat([row_angle.repeat_interleave(2), col_angle.repeat_interleave(2)])
    torch.testing.assert_close(sin[token], expected.sin())
    torch.testing.assert_close(cos[token], expected.cos())
    # Rotation of interleaved pairs preserves each pair's norm and is the identity at angle zero.
    x = torch.randn(3, 32, 16)
    rotated = apply_rope(x, sin, cos)
    torch.testing.assert_close(rotated.unflatten(-1, (-1, 2)).norm(dim=-1), x.unflatten(-1, (-1, 2)).norm(dim=-1))
    torch.testing.assert_close(rotated[:, 0], x[:, 0])
