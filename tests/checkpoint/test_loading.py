"""Converting loads through init_cfg=dict(type='Pretrained'), with one report of what did not match."""
import pytest
import torch

import eva_mm  # noqa: F401
from eva_mm.checkpoint.fit import CheckpointFitError
from eva_mm.checkpoint.loading import load_pretrained
from eva_mm.models.backbones import EVA

TINY = dict(embed_dims=32, depth=2, num_heads=2, mlp_hidden=48, sub_ln=True)


def _official_file(tmp_path, **kwargs):
    torch.manual_seed(0)
    source = EVA(arch=TINY, img_size=56, final_norm=True, use_mask_token=True, **kwargs)
    sd = dict(source.state_dict())
    sd['rope.freqs_cos'] = torch.randn(256, 16)
    sd['lm_head.weight'] = torch.randn(64, 32)
    path = tmp_path / 'eva02_pt.pt'
    torch.save({'module': sd}, path)
    return source, path


def test_init_cfg_pretrained_converts_patch14_to_16_and_drops_mim_parts(tmp_path) -> None:
    source, path = _official_file(tmp_path)
    model = EVA(arch=TINY, img_size=64, patch_size=16, pretrain_img_size=56, window_size=2,
                global_attn_indexes=(1,), init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    model.init_weights()
    torch.testing.assert_close(model.blocks[1].attn.qkv.weight, source.blocks[1].attn.qkv.weight)
    assert model.patch_embed.proj.weight.shape[-1] == 16 and model.pos_embed.shape == (1, 1 + 3 * 3, 32)
    report = load_pretrained(model, str(path))
    assert report.source_format == 'official'
    assert report.missing == [] and report.mismatched == []
    # Built without final norm and cls token (ViTDet): those are dropped on purpose, not reported.
    assert report.unexpected == []


def test_report_lists_missing_unexpected_and_mismatched(tmp_path) -> None:
    _, path = _official_file(tmp_path)
    other = EVA(arch=dict(TINY, mlp_hidden=40), img_size=56, use_mask_token=True, use_rel_pos=True)
    ckpt = torch.load(path, weights_only=True)
    ckpt['module']['blocks.0.gamma_1'] = torch.ones(32)  # BEiT layer scale: not an EVA parameter
    before = {k: v.clone() for k, v in other.state_dict().items()}
    with pytest.raises(CheckpointFitError) as error:
        load_pretrained(other, ckpt)
    message = str(error.value)
    assert message.startswith("<state dict> (format official, converted to the model's names) does not fit EVA:")
    assert '1 unexpected: blocks.0.gamma_1' in message
    assert 'shape-mismatched: ' in message and 'w12.weight (file [96, 32], model [80, 32])' in message
    assert 'missing' not in message  # the rel-pos tables MIM weights lack are allowed by default
    assert 'allow=[regexes]' in message and 'the file: ' in message and 'the model: ' in message
    assert all(torch.equal(v, other.state_dict()[k]) for k, v in before.items())  # nothing loaded
    # the same load, stated as partial: a report of what did not load
    report = load_pretrained(other, ckpt, allow=[r'gamma_1$', r'\.mlp\.', 'rel_pos'])
    assert report.unexpected == ['blocks.0.gamma_1']
    assert 'blocks.0.attn.rel_pos_h' in report.missing
    assert ('blocks.0.mlp.w12.weight', (96, 32), (80, 32)) in report.mismatched
    with pytest.raises(CheckpointFitError, match='shape-mismatched'):
        load_pretrained(other, ckpt, strict=True, allow='.')


def test_rel_pos_tables_resized_on_load(tmp_path) -> None:
    torch.manual_seed(0)
    source = EVA(arch=TINY, img_size=64, patch_size=16, window_size=2, global_attn_indexes=(1,), use_rel_pos=True)
    with torch.no_grad():
        source.blocks[1].attn.rel_pos_h.normal_()
    path = tmp_path / 'det.pth'
    torch.save({'model': {'backbone.net.' + k: v for k, v in source.state_dict().items()}}, path)
    bigger = EVA(arch=TINY, img_size=96, patch_size=16, window_size=2, global_attn_indexes=(1,), use_rel_pos=True)
    report = load_pretrained(bigger, str(path))
    assert report.source_format == 'detectron2' and not report.mismatched and not report.missing
    assert bigger.blocks[1].attn.rel_pos_h.shape == (11, 16)
    torch.testing.assert_close(bigger.blocks[1].attn.rel_pos_h[0], source.blocks[1].attn.rel_pos_h[0])


def test_init_cfg_chooses_model_or_model_ema(tmp_path) -> None:
    """A file with both `model` and `model_ema`: init_cfg reads `model` unless `use_ema=True`."""
    from eva_mm.models.backbones import EVA
    kw = dict(arch=dict(embed_dims=32, depth=1, num_heads=2, mlp_hidden=64), img_size=28, patch_size=14)
    src = EVA(**kw).state_dict()
    ckpt = {'model': {k: torch.zeros_like(v) for k, v in src.items()},
            'model_ema': {k: torch.ones_like(v) for k, v in src.items()}, 'epoch': 1}
    path = tmp_path / 'both.pth'
    torch.save(ckpt, path)
    for use_ema, value in ((None, 0.0), (False, 0.0), (True, 1.0)):
        init = dict(type='Pretrained', checkpoint=str(path))
        if use_ema is not None:
            init['use_ema'] = use_ema
        model = EVA(**kw, init_cfg=init)
        model.init_weights()
        assert all((p == value).all() for p in model.parameters()), use_ema
