"""EVAVideo: shapes, T=1 equals the image backbone, resizing, with_cp gradients, layer decay, bad input."""
import pytest
import torch
import torch.nn.functional as F

from eva_mm.models.backbones import EVA, EVAVideo
from tests.video.conftest import EVA01_TINY


def _randomise(model):
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.2)
    return model


def test_shapes(tiny_arch):
    m = EVAVideo(arch=tiny_arch, num_frames=4, img_size=28, patch_size=7).eval()
    x = torch.randn(2, 3, 4, 28, 28)
    assert m.forward_tokens(x).shape == (2, 1 + 4 * 16, 32)
    assert m(x).shape == (2, 32)
    if m.time_embed is None:
        assert m.pos_embed.shape == (1, 1 + 4 * 16, 32)
    else:
        assert m.pos_embed.shape == (1, 1 + 16, 32) and m.time_embed.shape == (1, 4, 32)


def test_t1_equals_image_backbone(tiny_arch):
    img = _randomise(EVA(arch=tiny_arch, img_size=28, patch_size=7)).eval()
    vid = EVAVideo(arch=tiny_arch, num_frames=1, img_size=28, patch_size=7).eval()
    vid.load_checkpoint(img.state_dict(), strict=False)
    frame = torch.randn(2, 3, 28, 28)
    torch.testing.assert_close(vid.forward_tokens(frame[:, :, None]), img.forward_tokens(frame), atol=1e-5, rtol=0)


def test_frames_and_size_resize_at_run_time(tiny_arch):
    m = _randomise(EVAVideo(arch=tiny_arch, num_frames=4, img_size=28, patch_size=7)).eval()
    assert m(torch.randn(1, 3, 6, 35, 21)).shape == (1, 32)
    assert m.forward_tokens(torch.randn(1, 3, 2, 14, 14)).shape == (1, 1 + 2 * 4, 32)


def test_temporal_order_matters(tiny_arch):
    """Reversing time changes the output (the time information is not lost in the embedding)."""
    m = _randomise(EVAVideo(arch=tiny_arch, num_frames=4, img_size=14, patch_size=7)).eval()
    if m.time_embed is not None:
        with torch.no_grad():
            m.time_embed.normal_()
    x = torch.randn(1, 3, 4, 14, 14)
    assert (m(x) - m(x.flip(2))).abs().max() > 1e-3


def test_trilinear_pos_embed_resize():
    m = _randomise(EVAVideo(arch=EVA01_TINY, num_frames=2, img_size=14, patch_size=7)).eval()
    grid = m.pos_embed[:, 1:].unflatten(1, (2, 2, 2))
    want = F.interpolate(grid.permute(0, 4, 1, 2, 3), size=(4, 3, 3), mode='trilinear', align_corners=False)
    big = EVAVideo(arch=EVA01_TINY, num_frames=4, img_size=21, patch_size=7)
    big.load_checkpoint({'module': m.state_dict()}, strict=True)
    torch.testing.assert_close(big.pos_embed[:, 1:].unflatten(1, (4, 3, 3)), want.permute(0, 2, 3, 4, 1))
    torch.testing.assert_close(big.pos_embed[:, :1], m.pos_embed[:, :1])


def test_with_cp_gradients_match(tiny_arch):
    torch.manual_seed(0)
    ref = _randomise(EVAVideo(arch=tiny_arch, num_frames=2, img_size=14, patch_size=7))
    cp = EVAVideo(arch=tiny_arch, num_frames=2, img_size=14, patch_size=7, with_cp=True)
    cp.load_state_dict(ref.state_dict())
    x = torch.randn(2, 3, 2, 14, 14)
    grads = []
    for m in (ref, cp):
        m.train()
        m(x).square().sum().backward()
        grads.append({k: p.grad.clone() for k, p in m.named_parameters() if p.grad is not None})
    assert grads[0].keys() == grads[1].keys() and len(grads[0]) == len(list(ref.parameters()))
    for k in grads[0]:
        torch.testing.assert_close(grads[1][k], grads[0][k], atol=1e-5, rtol=1e-5)


def test_layer_depth_and_no_weight_decay(tiny_arch):
    m = EVAVideo(arch=tiny_arch, num_frames=2, img_size=14, patch_size=7)
    assert m.get_layer_depth('backbone.time_embed', 'backbone.') == (0, 4)
    assert m.get_layer_depth('backbone.patch_embed.proj.weight', 'backbone.') == (0, 4)
    assert m.get_layer_depth('backbone.blocks.1.attn.qkv.weight', 'backbone.') == (2, 4)
    assert m.get_layer_depth('backbone.fc_norm.weight', 'backbone.') == (3, 4)
    assert 'time_embed' in m.no_weight_decay()


def test_bad_input():
    m = EVAVideo(arch=EVA01_TINY, num_frames=2, img_size=14, patch_size=7)
    with pytest.raises(ValueError, match=r'\[B, C, T, H, W\]'):
        m(torch.randn(1, 3, 14, 14))
    with pytest.raises(ValueError, match='window_size'):
        EVAVideo(arch=EVA01_TINY, window_size=4)
    with pytest.raises(ValueError, match='tubelet_size'):
        EVAVideo(arch=EVA01_TINY, num_frames=3, tubelet_size=2)
