"""EVA equals timm's eva.py on converted random weights, at the native and at non-native input sizes."""
import pytest
import timm
import torch

import eva_mm  # noqa: F401  (first: fixes the stack, registers EVA)
from eva_mm.checkpoint import convert
from eva_mm.models.backbones import ARCH_ZOO, EVA

CASES = [
    ('eva02_tiny_patch14_224', 'eva02-t'),
    ('eva02_small_patch14_224', 'eva02-s'),
    ('eva02_base_patch14_224', 'eva02-b'),
    ('eva02_large_patch14_224', 'eva02-l'),
    ('eva_giant_patch14_224', 'eva-g'),
]
DEPTH = 2


@pytest.mark.parametrize('timm_name,arch', CASES)
def test_matches_timm_forward_intermediates(timm_name: str, arch: str) -> None:
    torch.manual_seed(0)
    reference = timm.create_model(timm_name, pretrained=False, depth=DEPTH, img_size=56, dynamic_img_size=True,
                                  num_classes=0).eval()
    # timm's init leaves q/v biases at zero; randomise every tensor so the biases are exercised too.
    state = {k: torch.randn_like(v) * 0.05 if v.is_floating_point() else v for k, v in reference.state_dict().items()}
    reference.load_state_dict(state)
    settings = dict(ARCH_ZOO[arch], depth=DEPTH)
    model = EVA(arch=settings, img_size=56, out_indices=(DEPTH - 1,), pos_embed_antialias=True).eval()
    model.load_state_dict(convert(state, qkv_bias='qv', keep_norm=False), strict=True)
    for size in (56, 70):  # native 4x4 grid, and 5x5 (pos_embed resampled, RoPE rescaled)
        x = torch.randn(2, 3, size, size)
        with torch.no_grad():
            expected = reference.forward_intermediates(x, indices=[DEPTH - 1], norm=False, output_fmt='NCHW',
                                                       intermediates_only=True)[0]
            (out,) = model(x)
        assert out.shape == expected.shape == (2, settings['embed_dims'], size // 14, size // 14)
        torch.testing.assert_close(out, expected, atol=1e-4, rtol=0)
