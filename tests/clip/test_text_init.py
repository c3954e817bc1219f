"""Text-tower init for the recipes: Hugging Face CLIP, OpenAI and open_clip layouts, text_projection left fresh."""
from __future__ import annotations

import pytest
import torch

from eva_mm.models.clip import EVACLIP, CLIPTextTransformer
from eva_mm.models.clip.convert import load_text_tower, text_tower_state_dict


def _tower(seed):
    torch.manual_seed(seed)
    return CLIPTextTransformer(embed_dim=8, context_length=16, width=16, heads=2, layers=2)


def _as_hf(t: CLIPTextTransformer) -> dict:
    """The same weights in transformers' CLIPModel names (text_model.*, q/k/v split, projection as a Linear)."""
    sd, p = t.state_dict(), 'text_model.'
    out = {p + 'embeddings.token_embedding.weight': sd['token_embedding.weight'],
           p + 'embeddings.position_embedding.weight': sd['positional_embedding'],
           p + 'embeddings.position_ids': torch.arange(16)[None],
           p + 'final_layer_norm.weight': sd['ln_final.weight'], p + 'final_layer_norm.bias': sd['ln_final.bias'],
           'text_projection.weight': sd['text_projection'].t(), 'logit_scale': torch.tensor(4.6),
           'vision_model.embeddings.class_embedding': torch.zeros(4)}
    for i in range(2):
        s, d = f'transformer.resblocks.{i}.', f'{p}encoder.layers.{i}.'
        for kind in ('weight', 'bias'):
            for name, chunk in zip('qkv', sd[f'{s}attn.in_proj_{kind}'].chunk(3)):
                out[f'{d}self_attn.{name}_proj.{kind}'] = chunk
            out[f'{d}self_attn.out_proj.{kind}'] = sd[f'{s}attn.out_proj.{kind}']
            out[f'{d}layer_norm1.{kind}'] = sd[f'{s}ln_1.{kind}']
            out[f'{d}layer_norm2.{kind}'] = sd[f'{s}ln_2.{kind}']
            out[f'{d}mlp.fc1.{kind}'] = sd[f'{s}mlp.c_fc.{kind}']
            out[f'{d}mlp.fc2.{kind}'] = sd[f'{s}mlp.c_proj.{kind}']
    return out


def test_hf_layout_converts_exactly():
    src = _tower(0)
    got = text_tower_state_dict(_as_hf(src))
    assert got.keys() == src.state_dict().keys()
    for k, v in src.state_dict().items():
        torch.testing.assert_close(got[k], v, rtol=0, atol=0, msg=k)


@pytest.mark.parametrize('layout', ['hf', 'open_clip', 'openai'])
def test_load_text_tower_skips_projection(layout):
    src, dst = _tower(0), _tower(1)
    fresh_proj = dst.text_projection.detach().clone()
    sd = {'hf': _as_hf(src), 'open_clip': {'text.' + k: v for k, v in src.state_dict().items()},
          'openai': dict(src.state_dict())}[layout]
    load_text_tower(dst, sd)
    for (k, a), b in zip(src.state_dict().items(), dst.state_dict().values()):
        if k == 'text_projection':
            torch.testing.assert_close(b, fresh_proj)
        else:
            torch.testing.assert_close(b, a, msg=k)


def test_load_text_tower_names_what_does_not_fit():
    sd = _as_hf(_tower(0))
    del sd['text_model.encoder.layers.1.mlp.fc2.weight']
    with pytest.raises(RuntimeError, match=r"missing \['transformer.resblocks.1.mlp.c_proj.weight'\]"):
        load_text_tower(_tower(1), sd)


def test_evaclip_text_pretrained_in_init_weights(tmp_path):
    src = _tower(0)
    path = tmp_path / 'openai_text.pth'
    torch.save(_as_hf(src), path)
    model = EVACLIP('eva02-clip-b-16', vision_arch=dict(embed_dims=16, depth=1, num_heads=2, mlp_hidden=32),
                    text_cfg=dict(width=16, heads=2, layers=2, context_length=16), embed_dim=8, img_size=32,
                    text_pretrained=str(path))
    model.init_weights()
    torch.testing.assert_close(model.text.token_embedding.weight, src.token_embedding.weight)
