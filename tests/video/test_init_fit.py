"""A backbone init_cfg checkpoint that does not fit EVAVideo is one clear error, not a silent partial load."""
import pytest
import torch

from eva_mm.checkpoint.fit import CheckpointFitError
from eva_mm.models.backbones import EVA, EVAVideo
from tests.video.conftest import EVA01_TINY


def _image_file(tmp_path, depth):
    torch.manual_seed(0)
    img = EVA(arch=dict(EVA01_TINY, depth=depth), img_size=28, patch_size=7)
    path = tmp_path / f'img_{depth}.pth'
    torch.save({'model': img.state_dict()}, path)
    return img, str(path)


def _video(path, **init):
    return EVAVideo(arch=EVA01_TINY, num_frames=2, img_size=28, patch_size=7,
                    init_cfg=dict(type='Pretrained', checkpoint=path, **init))


def test_image_init_fits_and_loads(tmp_path):
    img, path = _image_file(tmp_path, depth=2)
    vid = _video(path)
    vid.init_weights()  # only fc_norm has no value in an image file; allowed by default
    torch.testing.assert_close(vid.blocks[1].attn.proj.weight, img.blocks[1].attn.proj.weight)


def test_deeper_file_is_an_error_naming_it_unless_allowed(tmp_path):
    _, path = _image_file(tmp_path, depth=3)
    vid = _video(path)
    before = vid.blocks[0].attn.proj.weight.detach().clone()
    with pytest.raises(CheckpointFitError, match=r'img_3\.pth(.|\n)*blocks\.2'):
        vid.init_weights()
    assert torch.equal(vid.blocks[0].attn.proj.weight, before)  # checked before anything is loaded
    ok = _video(path, allow=[r'^fc_norm\.', r'^blocks\.2\.'])
    ok.init_weights()  # a stated partial load
