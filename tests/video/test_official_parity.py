"""Parity with the official EVA-01 video definition (reduced size) and loading of its checkpoint layouts."""
import torch

from eva_mm.checkpoint.video import official_video_to_recognizer
from eva_mm.models.backbones import EVA, EVAVideo
from tests.video.conftest import EVA01_TINY
from tests.video.official_reference import OfficialVideoViT


def _official(frames=4, img=28):
    torch.manual_seed(0)
    ref = OfficialVideoViT(img, frames, 7, 32, 2, 4, 64, num_classes=5).eval()
    with torch.no_grad():
        for p in ref.parameters():
            p.normal_(0, 0.2)
    return ref


def test_parity_with_official_definition():
    ref = _official()
    ours = EVAVideo(arch=EVA01_TINY, num_frames=4, img_size=28, patch_size=7).eval()
    missing, unexpected = ours.load_checkpoint({'module': ref.state_dict()}, strict=True)
    assert missing == [] and unexpected == []
    x = torch.randn(2, 3, 4, 28, 28)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), ref.forward_features(x.transpose(1, 2)), atol=1e-4, rtol=0)


def test_official_file_as_recognizer_checkpoint():
    """The whole official file (backbone + 400-way-style head) in mmaction2 Recognizer3D keys."""
    import mmaction.models  # noqa: F401
    from mmaction.registry import MODELS
    from mmengine.registry import DefaultScope

    import eva_mm  # noqa: F401

    ref = _official()
    with DefaultScope.overwrite_default_scope('mmaction'):
        rec = MODELS.build(dict(
            type='Recognizer3D',
            backbone=dict(type='EVAVideo', arch=EVA01_TINY, num_frames=4, img_size=28, patch_size=7),
            cls_head=dict(type='TimeSformerHead', num_classes=5, in_channels=32),
            data_preprocessor=dict(type='ActionDataPreprocessor', format_shape='NCTHW'))).eval()
    rec.load_state_dict(official_video_to_recognizer({'model': ref.state_dict()}['model']), strict=True)
    x = torch.randn(2, 3, 4, 28, 28)
    with torch.no_grad():
        got = rec.cls_head(rec.backbone(x))
        torch.testing.assert_close(got, ref(x.transpose(1, 2)), atol=1e-4, rtol=0)


def test_eight_to_sixteen_frame_transfer():
    """Stage 2 of the recipe: an 8-frame (K722) file into a 16-frame model, positions resized trilinearly."""
    ref = _official(frames=8, img=14)
    ours = EVAVideo(arch=EVA01_TINY, num_frames=16, img_size=14, patch_size=7).eval()
    ours.load_checkpoint({'module': ref.state_dict()}, strict=True)
    grid = ref.pos_embed[:, 1:].unflatten(1, (8, 2, 2))
    got = ours.pos_embed[:, 1:].unflatten(1, (16, 2, 2))
    # Trilinear (align_corners=False) doubling in time: frame 2i+1 lies a quarter of the way from i to i+1.
    torch.testing.assert_close(got[:, 3], 0.75 * grid[:, 1] + 0.25 * grid[:, 2])
    torch.testing.assert_close(got[:, 0], grid[:, 0])
    assert ours(torch.randn(1, 3, 16, 14, 14)).shape == (1, 32)


def test_image_checkpoint_inflates_like_official_loader():
    img = EVA(arch=EVA01_TINY, img_size=28, patch_size=7)
    with torch.no_grad():
        for p in img.parameters():
            p.normal_()
    vid = EVAVideo(arch=EVA01_TINY, num_frames=4, tubelet_size=2, img_size=28, patch_size=7)
    missing, _ = vid.load_checkpoint({'model': img.state_dict()})
    assert sorted(missing) == ['fc_norm.bias', 'fc_norm.weight']
    k2 = img.patch_embed.proj.weight
    torch.testing.assert_close(vid.patch_embed.proj.weight, k2.unsqueeze(2).repeat(1, 1, 2, 1, 1) / 2)
    pe = img.pos_embed
    torch.testing.assert_close(vid.pos_embed, torch.cat((pe[:, :1], pe[:, 1:].repeat(1, 2, 1)), dim=1))
    torch.testing.assert_close(vid.blocks[1].mlp.fc2.weight, img.blocks[1].mlp.fc2.weight)
