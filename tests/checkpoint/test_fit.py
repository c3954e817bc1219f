"""A checkpoint that does not fit the model stops with one message, unless the partial load is stated."""
import pytest
import torch
from torch import nn

from eva_mm.checkpoint.fit import CheckpointFitError, check_fit
from eva_mm.models.backbones.eva import EVA


def tiny(depth=4, dims=32, **kwargs):
    return EVA(arch=dict(embed_dims=dims, depth=depth, num_heads=2, mlp_hidden=2 * dims, patch_size=16),
               img_size=64, **kwargs)


class Detector(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone, self.neck = backbone, nn.Conv2d(32, 8, 1)


@pytest.mark.parametrize('file_model, message', [
    (lambda: tiny(dims=48), r'mismatched: .*\(file \[48.*model \[32.*\n.*the file: .*cls_token \[1, 1, 48\]'),
    (lambda: tiny(depth=2), r'missing: blocks\.2\..*\n.*the file: .*2 blocks \(0..1\).*\n.*the model: .*4 blocks'),
    (lambda: tiny(depth=6), r'unexpected: blocks\.4\.'),
    (lambda: nn.Linear(3, 3), r'does not fit EVA: no key in common:\n.*missing.*\n.*unexpected: bias, weight'),
])
def test_checkpoint_of_another_architecture_stops(file_model, message):
    with pytest.raises(CheckpointFitError, match=message):
        check_fit(file_model().state_dict(), tiny(), source='other.pth')


def test_same_architecture_fits():
    assert check_fit(tiny().state_dict(), tiny()).skipped() == []


def test_mim_init_of_a_detector_skips_neck_and_rel_pos_and_lists_them():
    detector = Detector(tiny(use_rel_pos=True, window_size=2, with_cls_token=False))
    mim = {f'backbone.{k}': v for k, v in tiny(with_cls_token=False).state_dict().items()}
    with pytest.raises(CheckpointFitError, match=r'missing: backbone\.blocks\.0\.attn\.rel_pos'):
        check_fit(mim, detector)
    skipped = check_fit(mim, detector, allow='mim_init').skipped()
    assert 'neck.weight' in skipped and skipped and all(k.startswith('neck.') or 'rel_pos' in k for k in skipped)
    # the preset does not hide a wrong backbone
    wrong = {f'backbone.{k}': v for k, v in tiny(dims=48, with_cls_token=False).state_dict().items()}
    with pytest.raises(CheckpointFitError, match='mismatched'):
        check_fit(wrong, detector, allow='mim_init')


def test_explicit_regex_allows_a_new_head():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 5))
    state = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 3)).state_dict()
    with pytest.raises(CheckpointFitError, match=r'1\.weight \(file \[3, 2\], model \[5, 2\]\)'):
        check_fit(state, model)
    assert check_fit(state, model, allow=[r'^1\.']).mismatched == ['1.bias (file [3], model [5])',
                                                                   '1.weight (file [3, 2], model [5, 2])']
    assert torch.is_tensor(state['0.weight'])
