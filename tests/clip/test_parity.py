"""EVACLIP vs open_clip (test-only reference): random open_clip weights through the converter, same outputs."""
from __future__ import annotations

import pytest
import torch

from eva_mm.models.clip import EVACLIP, load_eva_clip, tokenize

open_clip = pytest.importorskip('open_clip')
timm = pytest.importorskip('timm')

DEPTH = 2


def _reduced_open_clip(name: str, monkeypatch: pytest.MonkeyPatch, **timm_overrides):
    """open_clip's own config with a DEPTH-block trunk and text tower (its timm call gets depth / overrides)."""
    create = timm.create_model
    monkeypatch.setattr(timm, 'create_model', lambda *a, **k: create(*a, depth=DEPTH, **timm_overrides, **k))
    torch.manual_seed(0)
    model = open_clip.create_model(name, pretrained=None)
    monkeypatch.setattr(timm, 'create_model', create)
    model.text.transformer.resblocks = model.text.transformer.resblocks[:DEPTH]
    with torch.no_grad():  # open_clip zero-inits some biases; random values make the check stronger
        for n, p in model.named_parameters():
            if n.endswith('bias') or 'norm' in n or 'ln' in n:
                p.add_(torch.randn_like(p) * 0.05)
        model.logit_scale.fill_(3.1)
    return model.eval()


@pytest.mark.parametrize('name,variant,img,overrides,loader', [
    # through mmengine's load_checkpoint, the whole-model path of load_from / tools/test.py CHECKPOINT / get_model
    ('EVA02-B-16', 'eva02-clip-b-16', 224, {}, 'load_checkpoint'),
    # g/14 at reduced width too (1408 x 2 blocks is fine, but 112 px keeps the CPU time small).
    ('EVA01-g-14', 'eva01-clip-g-14', 112, dict(img_size=112), 'load_eva_clip'),
])
def test_open_clip_parity(name, variant, img, overrides, loader, monkeypatch, tmp_path):
    ref = _reduced_open_clip(name, monkeypatch, **overrides)
    ours = EVACLIP(variant, vision_depth=DEPTH, text_depth=DEPTH, img_size=img).eval()
    if loader == 'load_checkpoint':
        from mmengine.runner import load_checkpoint
        torch.save(ref.state_dict(), tmp_path / 'open_clip.pth')
        load_checkpoint(ours, str(tmp_path / 'open_clip.pth'), map_location='cpu')
    else:
        load_eva_clip(ours, ref.state_dict())
    images = torch.randn(2, 3, img, img)
    text = tokenize(['a photo of a small red circle', 'a big blue square on grass'])
    with torch.no_grad():
        ri, rt = ref.encode_image(images), ref.encode_text(text)
        oi, ot = ours.encode_image(images), ours.encode_text(text)
        r_logits = ref.logit_scale.exp() * torch.nn.functional.normalize(ri, dim=-1) @ \
            torch.nn.functional.normalize(rt, dim=-1).t()
        o_logits, o_logits_t = ours.logits(images, text)
    torch.testing.assert_close(oi, ri, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(ot, rt, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(o_logits, r_logits, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(o_logits_t, r_logits.t())

