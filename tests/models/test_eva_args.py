"""One validation of EVA's arguments and inputs: every bad value is one error naming argument, value, allowed."""
import pytest
import torch

from eva_mm.models.backbones.eva import EVA

TINY = dict(embed_dims=32, depth=4, num_heads=2, mlp_hidden=64, patch_size=16)


@pytest.mark.parametrize('kwargs, error, message', [
    (dict(arch=5), TypeError, r'EVA\(arch=5\): expected an architecture name'),
    (dict(arch='eva02-zz'), KeyError, 'Unknown EVA arch'),
    (dict(patch_size=0), ValueError, r'EVA\(patch_size=0\): allowed an integer >= 1'),
    (dict(patch_size=-4), ValueError, r'patch_size=-4'),
    (dict(patch_size=14.0), TypeError, r'EVA\(patch_size=14.0\): expected an integer'),
    (dict(patch_size=128), ValueError, r'EVA\(img_size=64\): each side must be a positive multiple of patch_size=128'),
    (dict(img_size=0), ValueError, r'EVA\(img_size=0\)'),
    (dict(img_size=-64), ValueError, r'EVA\(img_size=-64\)'),
    (dict(img_size=72), ValueError, r'EVA\(img_size=72\): each side must be a positive multiple of patch_size=16'),
    (dict(img_size=(64, 64, 3)), TypeError, r'pair of integers'),
    (dict(pretrain_img_size=8), ValueError, r'EVA\(pretrain_img_size=8\): each side must be at least patch_size=16'),
    (dict(in_channels=0), ValueError, r'EVA\(in_channels=0\)'),
    (dict(out_indices=()), ValueError, r'EVA\(out_indices=\(\)\): at least one block index'),
    (dict(out_indices=(1.5,)), TypeError, r'EVA\(out_indices=\(1.5,\)\): expected an integer or a sequence'),
    (dict(out_indices='3'), TypeError, r'out_indices=\'3\''),
    (dict(out_indices=(4,)), ValueError, r'index 4 is out of range; allowed -4..3 for 4 blocks'),
    (dict(window_size=-2), ValueError, r'EVA\(window_size=-2\): allowed an integer >= 0'),
    (dict(global_attn_indexes=(1, 4)), ValueError, r'global_attn_indexes=\(1, 4\)\): index 4 .* allowed 0..3'),
    (dict(global_attn_indexes=(-1,)), ValueError, r'index -1 is out of range; allowed 0..3'),
    (dict(drop_path_rate=1.5), ValueError, r'EVA\(drop_path_rate=1.5\): allowed a probability in \[0, 1\)'),
    (dict(drop_rate='0.1'), TypeError, r'EVA\(drop_rate=\'0.1\'\)'),
    (dict(attn_drop_rate=-0.1), ValueError, r'attn_drop_rate=-0.1'),
    (dict(frozen_stages=9), ValueError, r'EVA\(frozen_stages=9\): allowed -1..4'),
])
def test_bad_argument_is_one_clear_error(kwargs, error, message):
    kwargs = {'arch': TINY, 'img_size': 64, **kwargs}
    with pytest.raises(error, match=message):
        EVA(**kwargs)


def test_valid_edge_values_build():
    model = EVA(arch=TINY, img_size=(32, 64), out_indices=(-1, 0), global_attn_indexes=(0, 3), window_size=2,
                with_cls_token=False, drop_path_rate=0.0, frozen_stages=4)
    assert model.out_indices == (3, 0) and model.global_attn_indexes == (0, 3)


@pytest.mark.parametrize('x, mask, message', [
    (torch.zeros(3, 64, 64), None, r'EVA.forward\(x\): expected shape \[B, 3, H, W\], got \[3, 64, 64\]'),
    (torch.zeros(1, 1, 64, 64), None, r'got \[1, 1, 64, 64\]'),
    (torch.zeros(2, 3, 64, 64), torch.zeros(4, 16, dtype=torch.bool), r'EVA.forward\(mask\): expected shape '
     r'\[2, 16\] or \[2, 4, 4\] .* got \[4, 16\]'),
    (torch.zeros(2, 3, 64, 64), torch.zeros(2, 15, dtype=torch.bool), r'got \[2, 15\]'),
])
def test_bad_input_is_one_clear_error(x, mask, message):
    model = EVA(arch=TINY, img_size=64, use_mask_token=True)
    with pytest.raises(ValueError, match=message):
        model(x, mask)
