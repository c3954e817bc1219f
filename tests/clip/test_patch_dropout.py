"""FLIP patch dropout on the image tower and activation checkpointing on both towers."""
from __future__ import annotations

import pytest
import torch

from eva_mm.models.backbones import EVA
from eva_mm.models.clip import EVACLIP, tokenize

TINY = dict(vision_arch=dict(embed_dims=32, depth=2, num_heads=2, mlp_hidden=64, mlp_type='swiglu', sub_ln=True,
                             use_rope=True, attn_inner_norm=True),
            text_cfg=dict(width=32, heads=2, layers=2, context_length=16), embed_dim=16, img_size=64)  # 4 x 4 patches


def _model(**kw) -> EVACLIP:
    torch.manual_seed(0)
    return EVACLIP('eva02-clip-b-16', **TINY, **kw)


def test_keep_all_patches_is_the_full_forward():
    torch.manual_seed(0)
    eva = EVA(arch=TINY['vision_arch'], img_size=32, patch_size=8, final_norm=True, with_cls_token=True).eval()
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(eva.forward_tokens(x, patch_keep=torch.arange(16)), eva.forward_tokens(x))


def test_dropped_patches_get_no_gradient_and_cls_is_kept():
    torch.manual_seed(0)
    eva = EVA(arch=TINY['vision_arch'], img_size=32, patch_size=8, final_norm=True, with_cls_token=True)
    x = torch.randn(1, 3, 32, 32, requires_grad=True)
    keep = torch.tensor([0, 5, 6, 15])
    out = eva.forward_tokens(x, patch_keep=keep)
    assert out.shape == (1, 1 + 4, 32)
    out[:, 0].sum().backward()  # the cls token
    per_patch = x.grad.abs().reshape(3, 4, 8, 4, 8).sum((0, 2, 4)).flatten()
    assert (per_patch[keep] > 0).all()
    assert (per_patch[[i for i in range(16) if i not in keep]] == 0).all()


def test_patch_dropout_only_while_training():
    m, ref = _model(patch_dropout=0.5), _model()
    ref.load_state_dict(m.state_dict())
    x, t = torch.randn(2, 3, 64, 64), tokenize(['a', 'b'], 16)
    m.eval(), ref.eval()
    torch.testing.assert_close(m.encode_image(x), ref.encode_image(x))
    m.train()
    keep = m._patch_keep(x)
    assert keep.numel() == 8 and torch.equal(keep.sort().values, keep)
    loss = m(x, text=t, mode='loss')['loss_clip']
    loss.backward()
    assert all(p.grad is not None for n, p in m.named_parameters() if n.startswith(('visual.blocks', 'text.')))
    with pytest.raises(ValueError, match='patch_dropout'):
        _model(patch_dropout=1.0)


def test_grad_checkpointing_same_loss_and_gradients():
    plain, cp = _model(), _model(grad_checkpointing=True)
    cp.load_state_dict(plain.state_dict())
    assert cp.visual.with_cp and cp.text.with_cp
    x, t = torch.randn(2, 3, 64, 64), tokenize(['a red circle', 'a blue square'], 16)
    for m in (plain, cp):
        m.train()
        m(x, text=t, mode='loss')['loss_clip'].backward()
    for (n, p), q in zip(plain.named_parameters(), cp.parameters()):
        if p.grad is not None:
            torch.testing.assert_close(q.grad, p.grad, msg=n)
