"""The segmentation configs' models run on CPU: EVA-02-B UperNet trains one step (layer-decay optimizer) and
slide-infers; the EVA-01 Mask2Former config (widths shrunk to CPU size, structure kept: BEiT neck, MSDeformAttn
pixel decoder, Hungarian matching, point-sampled losses) trains one step."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.optim import build_optim_wrapper
from mmengine.registry import MODELS, init_default_scope
from mmengine.structures import PixelData

import eva_mm  # noqa: F401  (registers EVA and the layer-decay constructor)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _cfg(name: str) -> Config:
    return Config.fromfile(osp.join(ROOT, 'configs', name))


def _batch(n: int, hw, num_classes: int, seed: int = 0) -> dict:
    """A data batch as the data loader gives it: uint8 BGR images [3, H, W] and SegDataSamples."""
    from mmseg.structures import SegDataSample
    g = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for _ in range(n):
        inputs.append(torch.randint(0, 256, (3, *hw), generator=g, dtype=torch.uint8))
        s = SegDataSample(metainfo=dict(img_shape=hw, ori_shape=hw, pad_shape=hw))
        label = torch.randint(0, num_classes, (1, *hw), generator=g)
        label[:, : hw[0] // 2] = 0  # large regions, so that Mask2Former's matching sees real masks
        s.gt_sem_seg = PixelData(data=label)
        samples.append(s)
    return dict(inputs=inputs, data_samples=samples)


def _train_step(model, cfg, data) -> dict:
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    before = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
    losses = model.train_step(data, optim)
    changed = [n for n, p in model.named_parameters() if p.requires_grad and not torch.equal(p, before[n])]
    return losses, changed


@pytest.mark.parametrize('name', ['eva02/upernet_eva02-b-p16_4xb8-60k_ade20k-512x512.py'])
def test_eva02_b_upernet_train_step_and_slide_inference(name, monkeypatch):
    init_default_scope('mmseg')
    cfg = _cfg(name)
    crop = (64, 64)  # full EVA-02-B and UperNet (768 ch), small images for CPU
    cfg.model.data_preprocessor.size = crop
    cfg.model.test_cfg = dict(mode='slide', crop_size=crop, stride=(43, 43))  # 512 / 341 scaled to 64
    torch.manual_seed(0)
    model = revert_sync_batchnorm(MODELS.build(cfg.model))
    assert model.backbone.embed_dims == 768 and len(model.backbone.blocks) == 12
    losses, changed = _train_step(model, cfg, _batch(2, crop, 150))
    assert set(losses) >= {'decode.loss_ce', 'aux.loss_ce'} and all(torch.isfinite(v) for v in losses.values())
    assert any(n.startswith('backbone.blocks.0.') for n in changed) and any(n.startswith('neck.') for n in changed)
    assert any(n.startswith('decode_head.') for n in changed)

    # slide inference on a 96 x 80 image: windows at rows 0, 32 and cols 0, 16 (stride 43, clipped to the border)
    model.eval()
    windows = []
    encode = model.encode_decode
    monkeypatch.setattr(model, 'encode_decode', lambda x, m: windows.append(tuple(x.shape[-2:])) or encode(x, m))
    data = _batch(1, (96, 80), 150)
    with torch.no_grad():
        out = model.test_step(data)
    assert windows == [crop] * 4
    pred = out[0].pred_sem_seg.data
    assert pred.shape == (1, 96, 80) and pred.dtype == torch.int64 and 0 <= pred.min() and pred.max() < 150
    assert out[0].seg_logits.data.shape == (150, 96, 80)


def test_mask2former_config_train_step_small():
    init_default_scope('mmseg')
    cfg = _cfg('eva01/mask2former_eva-g-p16_64xb1-20k_ade20k-896x896.py')
    dims, feat, num_classes, crop = 64, 32, 150, (64, 64)
    # EVA-01's block type (GELU MLP, q/v bias, absolute positions) at CPU width; every other setting as configured
    cfg.model.backbone.arch = dict(embed_dims=dims, depth=4, num_heads=2, mlp_hidden=128, mlp_type='gelu',
                                   use_rope=False)
    cfg.merge_from_dict({
        'model.backbone.out_indices': (0, 1, 2, 3), 'model.backbone.img_size': 64, 'model.backbone.with_cp': False,
        'model.data_preprocessor.size': crop, 'model.neck.embed_dim': dims,
        'model.decode_head.in_channels': [dims] * 4, 'model.decode_head.feat_channels': feat,
        'model.decode_head.out_channels': feat, 'model.decode_head.num_queries': 8,
        'model.decode_head.pixel_decoder.norm_cfg.num_groups': 8,
        'model.decode_head.pixel_decoder.encoder.num_layers': 2,
        'model.decode_head.pixel_decoder.encoder.layer_cfg.self_attn_cfg.embed_dims': feat,
        'model.decode_head.pixel_decoder.encoder.layer_cfg.self_attn_cfg.num_heads': 4,
        'model.decode_head.pixel_decoder.encoder.layer_cfg.ffn_cfg.embed_dims': feat,
        'model.decode_head.pixel_decoder.encoder.layer_cfg.ffn_cfg.feedforward_channels': 64,
        'model.decode_head.pixel_decoder.positional_encoding.num_feats': feat // 2,
        'model.decode_head.positional_encoding.num_feats': feat // 2,
        'model.decode_head.transformer_decoder.num_layers': 2,
        'model.decode_head.transformer_decoder.layer_cfg.self_attn_cfg.embed_dims': feat,
        'model.decode_head.transformer_decoder.layer_cfg.self_attn_cfg.num_heads': 4,
        'model.decode_head.transformer_decoder.layer_cfg.cross_attn_cfg.embed_dims': feat,
        'model.decode_head.transformer_decoder.layer_cfg.cross_attn_cfg.num_heads': 4,
        'model.decode_head.transformer_decoder.layer_cfg.ffn_cfg.embed_dims': feat,
        'model.decode_head.transformer_decoder.layer_cfg.ffn_cfg.feedforward_channels': 64,
        'model.decode_head.train_cfg.num_points': 256,
    })
    cfg.model.backbone.pop('init_cfg', None)
    torch.manual_seed(0)
    model = revert_sync_batchnorm(MODELS.build(cfg.model))
    model.init_weights()
    assert type(model.decode_head).__name__ == 'EVAMask2FormerHead'
    losses, changed = _train_step(model, cfg, _batch(2, crop, num_classes))
    assert any(k.endswith('loss_mask') for k in losses) and any(k.endswith('loss_dice') for k in losses)
    assert all(torch.isfinite(v) for v in losses.values())
    # gradients reached the backbone's first block, the neck and the deformable attention's sampling offsets
    assert any(n.startswith('backbone.blocks.0.') for n in changed) and any(n.startswith('neck.') for n in changed)
    assert any('sampling_offsets' in n for n in changed)
