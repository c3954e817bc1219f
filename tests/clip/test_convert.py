"""Official EVA-CLIP ``.pt`` layout (names of github:baaivision/EVA EVA-CLIP/rei/eva_clip/eva_vit_model.py)."""
from __future__ import annotations

import pytest
import torch

from eva_mm.models.clip import EVACLIP, load_eva_clip, split_clip_state_dict


def _tiny(**kw) -> EVACLIP:
    return EVACLIP('eva02-clip-b-16', vision_arch=dict(embed_dims=64, depth=2, num_heads=2, mlp_hidden=128,
                                                        sub_ln=True, attn_inner_norm=True),
                   text_cfg=dict(width=32, heads=2, layers=2, context_length=16), embed_dim=24, img_size=64,
                   **kw).eval()


def _official_layout(model: EVACLIP) -> dict:
    """eva_mm weights renamed to the official EVA-CLIP file's keys, with its RoPE buffers."""
    sd = {}
    for k, v in model.visual.state_dict().items():
        sd['visual.' + k.replace('.attn.inner_norm.', '.attn.inner_attn_ln.')] = v
    sd['visual.rope.freqs_cos'] = torch.randn(16, 32)  # official RoPE buffer: recomputed, so dropped
    sd['visual.rope.freqs_sin'] = torch.randn(16, 32)
    sd.update({'visual.head.' + k: v for k, v in model.visual_head.state_dict().items()})
    sd.update({'text.' + k: v for k, v in model.text.state_dict().items()})
    sd['logit_scale'] = torch.tensor(2.5)
    return sd


def test_official_pt_layout_loads_strictly_and_matches():
    torch.manual_seed(0)
    src = _tiny()
    sd = _official_layout(src)
    assert any('inner_attn_ln' in k for k in sd)
    torch.manual_seed(1)
    dst = _tiny()
    load_eva_clip(dst, {'state_dict': sd})
    images, text = torch.randn(2, 3, 64, 64), torch.randint(1, 400, (2, 16))
    with torch.no_grad():
        torch.testing.assert_close(dst.encode_image(images), src.encode_image(images), atol=0, rtol=0)
        torch.testing.assert_close(dst.encode_text(text), src.encode_text(text), atol=0, rtol=0)
    assert dst.logit_scale.item() == pytest.approx(2.5)


def test_split_separates_towers_and_head():
    sd = _official_layout(_tiny())
    trunk, head, text, rest = split_clip_state_dict(sd)
    assert set(head) == {'weight', 'bias'} and set(rest) == {'logit_scale'}
    assert all(k.startswith('visual.') and '.head.' not in k for k in trunk)
    assert 'token_embedding.weight' in text


def test_missing_text_tower_is_named():
    sd = {k: v for k, v in _official_layout(_tiny()).items() if not k.startswith('text.')}
    with pytest.raises(KeyError, match='text tower'):
        load_eva_clip(_tiny(), sd)


def test_mismatched_trunk_is_an_error():
    sd = _official_layout(_tiny())
    del sd['visual.blocks.1.attn.proj.weight']
    with pytest.raises(RuntimeError):
        load_eva_clip(_tiny(), sd)
