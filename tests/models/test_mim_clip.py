"""MIM-CLIP loss, head, algorithm and teacher: hand-computed loss, masked-only gradients, frozen and unsaved teacher,
teacher checkpoint formats (OpenAI, EVA-CLIP official, open_clip timm)."""
import math

import numpy as np
import pytest
import torch
from mmengine.registry import MODELS
from mmengine.runner.checkpoint import save_checkpoint
from mmpretrain.structures import DataSample

from eva_mm.datasets.transforms import sample_block_mask
from eva_mm.models.losses import negative_cosine_similarity
from eva_mm.models.teachers import CLIPTeacher

TINY = dict(embed_dims=32, depth=2, num_heads=2, mlp_hidden=64)
TEACHER = dict(embed_dims=24, depth=1, num_heads=2, mlp_hidden=48)
OPENAI = dict(width=32, layers=2, heads=2, patch_size=14, out_channels=16)


def _model(**kw):
    cfg = dict(type='MIMCLIP', backbone=dict(type='EVA', arch=TINY, img_size=56),
               head=dict(type='MIMCLIPHead', in_channels=32, target_channels=16),
               teacher=dict(type='CLIPTeacher', tower='eva_clip', arch=TEACHER, out_channels=16, img_size=56))
    cfg.update(kw)
    return MODELS.build(cfg)


def _samples(batch=2, grid=4, count=6):
    return [DataSample().set_mask(sample_block_mask((grid, grid), count, np.random.default_rng(i),
                                                    min_num_patches=2)[0]) for i in range(batch)]


def test_loss_equals_hand_computation():
    pred = torch.tensor([[1., 0.], [0., 2.], [3., 4.]])
    target = torch.tensor([[2., 0.], [1., 1.], [-3., -4.]])
    expected = -(1.0 + 1 / math.sqrt(2) - 1.0) / 3
    assert negative_cosine_similarity(pred, target).item() == pytest.approx(expected, abs=1e-7)
    # fp32 even for half inputs
    assert negative_cosine_similarity(pred.half(), target.half()).dtype == torch.float32


def test_loss_rejects_bad_input():
    with pytest.raises(ValueError, match='differ in shape'):
        negative_cosine_similarity(torch.zeros(3, 2), torch.zeros(3, 4))
    with pytest.raises(ValueError, match='no masked tokens'):
        negative_cosine_similarity(torch.zeros(0, 2), torch.zeros(0, 2))


def test_head_uses_masked_tokens_only():
    head = MODELS.build(dict(type='MIMCLIPHead', in_channels=8, target_channels=4))
    tokens = torch.randn(2, 6, 8, requires_grad=True)
    target = torch.randn(2, 6, 4)
    mask = torch.tensor([[1, 0, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1]], dtype=torch.bool)
    loss = head.loss(tokens, target, mask)
    expected = negative_cosine_similarity(head.lm_head(tokens[mask]), target[mask])
    torch.testing.assert_close(loss, expected)
    loss.backward()
    assert (tokens.grad[~mask] == 0).all() and (tokens.grad[mask].abs().sum(-1) > 0).all()
    changed = target.clone()
    changed[~mask] = torch.randn_like(changed[~mask])
    torch.testing.assert_close(head.loss(tokens, changed, mask), loss)


def test_algorithm_masked_pixels_are_invisible_and_teacher_is_frozen(tmp_path):
    torch.manual_seed(0)
    model = _model()
    samples = _samples()
    x = torch.randn(2, 3, 56, 56)
    mask = torch.stack([s.mask for s in samples]).flatten(1)
    # pixels inside masked patches must not reach the student: the mask token replaces them before pos_embed
    y = x.clone()
    pix = mask.view(2, 4, 4).repeat_interleave(14, 1).repeat_interleave(14, 2)
    y[pix.unsqueeze(1).expand_as(y)] += 5.0
    model.eval()
    torch.testing.assert_close(model.student_tokens(x, mask), model.student_tokens(y, mask))
    assert not torch.allclose(model.teacher(x), model.teacher(y))  # the teacher does see the full image
    model.train()
    loss = model(x, samples, mode='loss')['loss']
    loss.backward()
    assert all(p.grad is None and not p.requires_grad for p in model.teacher.parameters())
    assert model.backbone.mask_token.grad is not None and model.backbone.mask_token.grad.abs().sum() > 0
    assert not model.teacher.training
    names = set(model.state_dict())
    assert names and not any('teacher' in k or 'trunk' in k for k in names)
    assert not any(p is q for p in model.parameters() for q in model.teacher.parameters())
    save_checkpoint({'state_dict': model.state_dict()}, str(tmp_path / 'ckpt.pth'))
    saved = torch.load(tmp_path / 'ckpt.pth', weights_only=True)['state_dict']
    assert set(saved) == names


def test_patch_embed_grad_scale():
    torch.manual_seed(0)
    x, samples = torch.randn(2, 3, 56, 56), _samples()
    grads = []
    for scale in (1.0, 0.1):
        torch.manual_seed(1)
        model = _model(patch_embed_grad_scale=scale)
        model(x, samples, mode='loss')['loss'].backward()
        grads.append((model.backbone.patch_embed.proj.weight.grad.clone(), model.backbone.pos_embed.grad.clone()))
    torch.testing.assert_close(grads[1][0], grads[0][0] * 0.1)
    torch.testing.assert_close(grads[1][1], grads[0][1])


def test_mismatched_teacher_is_rejected():
    with pytest.raises(ValueError, match='target_channels'):
        _model(head=dict(type='MIMCLIPHead', in_channels=32, target_channels=8))
    with pytest.raises(ValueError, match='patch size'):
        _model(teacher=dict(type='CLIPTeacher', tower='openai', arch=dict(OPENAI, patch_size=8), img_size=56))


def test_teacher_is_seeded():
    a = CLIPTeacher(tower='eva_clip', arch=TEACHER, out_channels=16, img_size=56, init_seed=3)
    b = CLIPTeacher(tower='eva_clip', arch=TEACHER, out_channels=16, img_size=56, init_seed=3)
    x = torch.randn(1, 3, 56, 56)
    torch.testing.assert_close(a(x), b(x))
    assert a(x).shape == (1, 16, 16)


def test_openai_checkpoint_loads(tmp_path):
    ref = CLIPTeacher(tower='openai', arch=OPENAI, img_size=56, init_seed=1)
    sd = {'visual.' + k: v for k, v in ref.tower.net.state_dict().items()}
    sd.update({'token_embedding.weight': torch.zeros(10, 8), 'text_projection': torch.zeros(8, 16)})  # text tower
    torch.save(sd, tmp_path / 'openai.pt')
    loaded = CLIPTeacher(tower='openai', arch=OPENAI, img_size=56, init_seed=2, checkpoint=str(tmp_path / 'openai.pt'))
    x = torch.randn(2, 3, 56, 56)
    torch.testing.assert_close(loaded(x), ref(x))
    assert loaded(x).shape == (2, 16, 16)  # cls dropped, projected to out_channels


@pytest.mark.parametrize('layout', ['eva_clip', 'open_clip'])
def test_eva_clip_checkpoint_loads(tmp_path, layout):
    ref = CLIPTeacher(tower='eva_clip', arch=TEACHER, out_channels=16, img_size=56, init_seed=1)
    trunk, head = ref.tower.trunk.state_dict(), ref.tower.head.state_dict()
    if layout == 'eva_clip':  # official EVA-CLIP: visual.<trunk>, visual.head.{weight,bias}
        sd = {'visual.' + k: v for k, v in trunk.items()}
        sd.update({'visual.head.' + k: v for k, v in head.items()})
    else:  # open_clip with a timm trunk: visual.trunk.<trunk>, visual.head.proj.weight
        sd = {'visual.trunk.' + k: v for k, v in trunk.items()}
        sd['visual.head.proj.weight'] = head['weight']
        with torch.no_grad():
            ref.tower.head.bias.zero_()
    sd['text.token_embedding.weight'] = torch.zeros(4, 4)
    torch.save({'state_dict': sd}, tmp_path / 'evaclip.pt')
    loaded = CLIPTeacher(tower='eva_clip', arch=TEACHER, out_channels=16, img_size=56, init_seed=2,
                         checkpoint=str(tmp_path / 'evaclip.pt'))
    x = torch.randn(2, 3, 56, 56)
    torch.testing.assert_close(loaded(x), ref(x))


def test_teacher_bad_arguments():
    with pytest.raises(ValueError, match='tower'):
        CLIPTeacher(tower='siglip')
    with pytest.raises(KeyError, match='vit-l-14'):
        CLIPTeacher(tower='openai', arch='vit-h-14')


@pytest.mark.filterwarnings('ignore:.*torch.jit.trace.* is deprecated:FutureWarning')  # making the test archive
def test_openai_torchscript_archive_loads(tmp_path):
    """OpenAI's released ViT-L-14.pt is a TorchScript archive (clip.load's format), not a pickled state dict."""
    ref = CLIPTeacher(tower='openai', arch=OPENAI, img_size=56, init_seed=1)

    class Released(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.visual = ref.tower.net

        def forward(self, x):
            return self.visual.conv1(x)

    torch.jit.trace(Released(), torch.randn(1, 3, 56, 56)).save(str(tmp_path / 'ViT-L-14.pt'))
    loaded = CLIPTeacher(tower='openai', arch=OPENAI, img_size=56, init_seed=2,
                         checkpoint=str(tmp_path / 'ViT-L-14.pt'))
    x = torch.randn(1, 3, 56, 56)
    torch.testing.assert_close(loaded(x), ref(x))
