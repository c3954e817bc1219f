"""Format detection and key mapping of eva_mm.checkpoint.convert, built from eva_mm weights by the inverse maps."""
import re

import pytest
import torch
import torch.nn.functional as F

import eva_mm  # noqa: F401
from eva_mm.checkpoint import convert, detect_format
from eva_mm.checkpoint.formats import FORMAT_TABLE, OFFICIAL_RENAMES, CheckpointFormat, format_named, to_eva_mm_names
from eva_mm.models.backbones import EVA

EVA02_B_LIKE = dict(embed_dims=32, depth=2, num_heads=2, mlp_hidden=48, sub_ln=True)
EVA02_T_LIKE = dict(embed_dims=32, depth=2, num_heads=2, mlp_hidden=48)
EVA01_LIKE = dict(embed_dims=32, depth=2, num_heads=2, mlp_hidden=64, mlp_type='gelu', use_rope=False)


def _ours(arch, **kwargs):
    torch.manual_seed(0)
    model = EVA(arch=arch, img_size=56, final_norm=True, **kwargs)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return model.state_dict()


def _split_official(sd):
    """eva_mm -> official EVA-02 B/L MIM layout (split q/k/v without Linear bias, w1/w2, rope buffers, lm_head)."""
    out = {}
    for k, v in sd.items():
        if k.endswith('attn.qkv.weight'):
            for name, part in zip('qkv', v.chunk(3)):
                out[k.replace('qkv.weight', f'{name}_proj.weight')] = part
        elif '.mlp.w12.' in k:
            w1, w2 = v.chunk(2)
            out[k.replace('w12', 'w1')], out[k.replace('w12', 'w2')] = w1, w2
        else:
            out[k] = v
    out['rope.freqs_cos'] = torch.randn(16, 16, 16)
    out['blocks.0.attn.rope.freqs_sin'] = torch.randn(256, 16)
    out['mask_token'] = torch.randn(1, 1, 32)
    out['lm_head.weight'], out['lm_head.bias'] = torch.randn(1024, 32), torch.randn(1024)
    return out


def _assert_equal_dicts(got, expected):
    assert sorted(got) == sorted(expected)
    for k in expected:
        torch.testing.assert_close(got[k], expected[k], msg=k)


def test_official_eva02_split_layout_under_module() -> None:
    ours = _ours(EVA02_B_LIKE)
    ckpt = {'module': _split_official(ours)}
    assert detect_format(ckpt['module']) == 'official'
    _assert_equal_dicts(convert(ckpt), ours)
    kept = convert(ckpt, keep_mask_token=True)
    assert 'mask_token' in kept and not any('rope' in k or 'lm_head' in k for k in kept)


def test_official_eva01_reads_model_unless_told_ema_and_drops_heads() -> None:
    ours = _ours(EVA01_LIKE)
    ft = {k: v for k, v in ours.items() if not k.startswith('norm.')}
    ckpt = {'model': {k: torch.zeros_like(v) for k, v in ft.items()}, 'model_ema': dict(ft),
            'optimizer': {}, 'epoch': 3}
    ckpt['model_ema'].update({'fc_norm.weight': torch.ones(32), 'head.weight': torch.randn(10, 32)})
    _assert_equal_dicts(convert(ckpt, use_ema=True), ft)
    # the official default, as the official evaluation without --model_ema_eval: `model`
    assert all((v == 0).all() for v in convert(ckpt).values())
    assert all((v == 0).all() for v in convert(ckpt, use_ema=False).values())


def test_timm_layouts() -> None:
    # EVA-02 Ti/S in timm: packed GluMlp named fc1/fc2; B/L: fc1_g/fc1_x/norm/fc2 and q_proj/v_proj biases.
    ours_t = _ours(EVA02_T_LIKE)
    timm_t = {re.sub(r'\.mlp\.w12\.', '.mlp.fc1.', re.sub(r'\.mlp\.w3\.', '.mlp.fc2.', k)): v
              for k, v in ours_t.items()}
    assert detect_format(timm_t) == 'timm'
    _assert_equal_dicts(convert(timm_t), ours_t)

    ours_b = _ours(EVA02_B_LIKE)
    timm_b = {}
    for k, v in _split_official(ours_b).items():
        if 'rope' in k or 'lm_head' in k or k == 'mask_token':
            continue
        k = k.replace('mlp.w1.', 'mlp.fc1_g.').replace('mlp.w2.', 'mlp.fc1_x.').replace('mlp.w3.', 'mlp.fc2.')
        k = k.replace('mlp.ffn_ln.', 'mlp.norm.').replace('attn.q_bias', 'attn.q_proj.bias')
        timm_b[k.replace('attn.v_bias', 'attn.v_proj.bias')] = v
    assert detect_format(timm_b) == 'timm'
    _assert_equal_dicts(convert(timm_b), ours_b)


def test_open_clip_visual_prefix() -> None:
    ours = _ours(EVA02_B_LIKE)
    ckpt = {'state_dict': {**{'visual.' + k: v for k, v in _split_official(ours).items()},
                           'visual.head.weight': torch.randn(8, 32), 'text.token_embedding.weight': torch.randn(4, 8)}}
    assert detect_format(ckpt['state_dict']) == 'open_clip'
    _assert_equal_dicts(convert(ckpt), ours)


def test_mmpretrain_layouts() -> None:
    ours = _ours(EVA01_LIKE)  # BEiTViT(arch='eva-g') naming
    mmpre = {}
    for k, v in ours.items():
        k = k.replace('blocks.', 'layers.').replace('.norm1.', '.ln1.').replace('.norm2.', '.ln2.')
        k = k.replace('.mlp.fc1.', '.ffn.layers.0.0.').replace('.mlp.fc2.', '.ffn.layers.1.')
        k = k.replace('patch_embed.proj.', 'patch_embed.projection.').replace('norm.', 'ln1.') \
            if k.startswith(('patch_embed', 'norm.')) else k
        mmpre['backbone.' + k] = v
    mmpre['head.fc.weight'] = torch.randn(10, 32)
    assert detect_format(mmpre) == 'mmpretrain'
    _assert_equal_dicts(convert({'state_dict': mmpre}), ours)

    ours2 = _ours(EVA02_B_LIKE)  # ViTEVA02: fused qkv with bias q|0|v, mlp.norm
    mmpre2 = {}
    for k, v in ours2.items():
        if k.endswith('attn.q_bias'):
            v = torch.cat([v, torch.zeros_like(v), ours2[k.replace('q_bias', 'v_bias')]])
            k = k.replace('q_bias', 'qkv.bias')
        elif k.endswith('attn.v_bias'):
            continue
        k = k.replace('blocks.', 'layers.').replace('mlp.ffn_ln', 'mlp.norm').replace('patch_embed.proj.',
                                                                                        'patch_embed.projection.')
        mmpre2['backbone.' + (k.replace('norm.', 'ln1.', 1) if k.startswith('norm.') else k)] = v
    mmpre2['backbone.rope.freqs_cos'] = torch.randn(256, 16)
    _assert_equal_dicts(convert(mmpre2, qkv_bias='qv'), ours2)


def test_detectron2_vitdet_layout() -> None:
    ours = _ours(EVA01_LIKE, window_size=4, global_attn_indexes=(1,), use_rel_pos=True, with_cls_token=False)
    ours = {k: v for k, v in ours.items() if not k.startswith('norm.')}
    d2 = {'backbone.net.' + k: v for k, v in ours.items()}
    d2.update({'backbone.simfp_2.0.weight': torch.randn(4, 4), 'roi_heads.box_predictor.cls_score.weight':
               torch.randn(81, 8), 'backbone.net.rope_win.freqs_cos': torch.randn(16, 16)})
    assert detect_format(d2) == 'detectron2'
    _assert_equal_dicts(convert({'model': d2}), ours)


def test_patch14_to_16_follows_official_route() -> None:
    ours = _ours(EVA02_T_LIKE)  # patch 14, 4x4 position grid at 56
    out = convert(ours, patch_size=16)
    expected_kernel = F.interpolate(ours['patch_embed.proj.weight'], size=(16, 16), mode='bicubic',
                                    align_corners=False)
    torch.testing.assert_close(out['patch_embed.proj.weight'], expected_kernel)
    grid = ours['pos_embed'][:, 1:].reshape(1, 4, 4, -1).permute(0, 3, 1, 2)
    expected_grid = F.interpolate(grid, size=(4 * 14 // 16,) * 2, mode='bicubic', align_corners=False)
    assert out['pos_embed'].shape == (1, 1 + 3 * 3, 32)
    torch.testing.assert_close(out['pos_embed'][:, 1:], expected_grid.flatten(2).transpose(1, 2))
    torch.testing.assert_close(out['pos_embed'][:, :1], ours['pos_embed'][:, :1])


def test_qkv_bias_adaptation_is_exact() -> None:
    """Dropping a k bias is exact (softmax ignores a per-query constant): outputs equal after qv conversion."""
    torch.manual_seed(0)
    full = EVA(arch=dict(EVA01_LIKE, qkv_bias='qkv'), img_size=28).eval()
    with torch.no_grad():
        for p in full.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    qv = EVA(arch=EVA01_LIKE, img_size=28).eval()
    qv.load_state_dict(convert(full.state_dict(), qkv_bias='qv', keep_norm=False), strict=True)
    x = torch.randn(1, 3, 28, 28)
    with torch.no_grad():
        torch.testing.assert_close(qv(x)[0], full(x)[0], atol=1e-5, rtol=0)
    back = convert(qv.state_dict(), qkv_bias='qkv')
    assert torch.equal(back['blocks.0.attn.qkv.bias'][32:64], torch.zeros(32))


def test_formats_are_rows_tried_in_priority_order() -> None:
    """A new layout is one row: detection takes the first accepting row, conversion follows the row's data."""
    assert [f.name for f in FORMAT_TABLE][-1] == 'official'  # the fallback accepts everything, so it is last
    ours = _ours(EVA02_B_LIKE)
    foreign = {'encoder.' + k.replace('blocks.', 'stages.'): v for k, v in ours.items()}
    foreign['decoder.weight'] = torch.randn(2, 2)
    row = CheckpointFormat('foreign', lambda sd: any(k.startswith('encoder.stages.') for k in sd), ('encoder.',),
                           ((r'^stages\.', 'blocks.'),) + OFFICIAL_RENAMES)
    table = (row,) + FORMAT_TABLE
    assert detect_format(foreign) == 'official' and detect_format(foreign, table) == 'foreign'
    assert detect_format(ours, table) == 'official'  # earlier rows that do not accept a file leave it to later ones
    name, got = to_eva_mm_names(foreign, table=table)
    assert name == 'foreign'
    _assert_equal_dicts(got, ours)
    with pytest.raises(ValueError, match=r"'nope'.*known formats: detectron2, mmpretrain"):
        format_named('nope')
