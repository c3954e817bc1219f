"""The released EVA-01 segmentation files' whole layout (``backbone.*`` of the official BEiTAdapter and
``decode_head.*`` of the official mmseg 0.20 / mmcv 1.x Mask2Former) loads into eva_mm's mmseg 1.x model with
nothing missing or unexpected, through the whole-model loader (what ``load_from`` and ``tools/test.py`` use), and
the loaded head computes what the official head computes.

The official layout is written here from the official code's names (baaivision/EVA ``EVA-01/seg/mmseg_custom/
models/decode_heads/mask2former_head.py``, ``plugins/msdeformattn_pixel_decoder.py``, the configs'
``operation_order`` and mmcv 1.x ``BaseTransformerLayer`` / ``FFN`` / ``MultiScaleDeformableAttention`` /
``MultiheadAttention``), at reduced size and random weights; the reference forward below restates the official
head's ``forward`` in plain torch, reading those official names.
"""
import math
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

from eva_mm.checkpoint.heads import fit_heads

sys.path.insert(0, str(Path(__file__).parent))
from test_vit_adapter_parity import RefBEiTAdapter, ref_msda_core  # noqa: E402

ROOT = Path(__file__).parents[2]
COCO = ROOT / 'configs/eva01/mask2former_eva-g-p16-adapter_32xb1-60k_coco-stuff164k-896x896.py'
# reduced size: ViT width 64 (4 blocks, one per interaction), head width 32, 4 heads, 2 encoder / 3 decoder layers
D, FEAT, FFN, HEADS, QUERIES, ENC, DEC, LEVELS, POINTS, GROUPS = 64, 32, 64, 4, 8, 2, 3, 3, 4, 8
NUM_CLASSES = 171


def official_head_shapes(in_channels=(D,) * 4, feat=FEAT, ffn=FFN, heads=HEADS, queries=QUERIES, enc=ENC,
                         dec=DEC, levels=LEVELS, points=POINTS, num_classes=NUM_CLASSES) -> dict:
    """``decode_head.*`` names and shapes of the official Mask2FormerHead (mmseg 0.20, mmcv 1.x)."""
    s = {}
    pd = 'decode_head.pixel_decoder.'
    for i in range(levels):  # input_convs: ConvModule(bias=True, GN), coarsest level first
        s.update({f'{pd}input_convs.{i}.conv.weight': (feat, in_channels[-1 - i], 1, 1),
                  f'{pd}input_convs.{i}.conv.bias': (feat,), f'{pd}input_convs.{i}.gn.weight': (feat,),
                  f'{pd}input_convs.{i}.gn.bias': (feat,)})
    for n in range(enc):  # BaseTransformerLayer ('self_attn', 'norm', 'ffn', 'norm')
        p = f'{pd}encoder.layers.{n}.'
        msda = {'sampling_offsets': heads * levels * points * 2, 'attention_weights': heads * levels * points,
                'value_proj': feat, 'output_proj': feat}
        for name, out in msda.items():
            s.update({f'{p}attentions.0.{name}.weight': (out, feat), f'{p}attentions.0.{name}.bias': (out,)})
        s.update(_ffn(p + 'ffns.0.', feat, ffn))
        s.update(_norms(p, 2, feat))
    s[f'{pd}level_encoding.weight'] = (levels, feat)
    # one lateral / output conv for the finest level; GN, so no conv bias (official use_bias = norm_cfg is None)
    s.update({f'{pd}lateral_convs.0.conv.weight': (feat, in_channels[0], 1, 1),
              f'{pd}lateral_convs.0.gn.weight': (feat,), f'{pd}lateral_convs.0.gn.bias': (feat,),
              f'{pd}output_convs.0.conv.weight': (feat, feat, 3, 3),
              f'{pd}output_convs.0.gn.weight': (feat,), f'{pd}output_convs.0.gn.bias': (feat,),
              f'{pd}mask_feature.weight': (feat, feat, 1, 1), f'{pd}mask_feature.bias': (feat,)})
    for n in range(dec):  # DetrTransformerDecoderLayer ('cross_attn', 'norm', 'self_attn', 'norm', 'ffn', 'norm')
        p = f'decode_head.transformer_decoder.layers.{n}.'
        for a in (0, 1):
            s.update({f'{p}attentions.{a}.attn.in_proj_weight': (3 * feat, feat),
                      f'{p}attentions.{a}.attn.in_proj_bias': (3 * feat,),
                      f'{p}attentions.{a}.attn.out_proj.weight': (feat, feat),
                      f'{p}attentions.{a}.attn.out_proj.bias': (feat,)})
        s.update(_ffn(p + 'ffns.0.', feat, ffn))
        s.update(_norms(p, 3, feat))
    s.update({'decode_head.transformer_decoder.post_norm.weight': (feat,),
              'decode_head.transformer_decoder.post_norm.bias': (feat,),
              'decode_head.query_embed.weight': (queries, feat), 'decode_head.query_feat.weight': (queries, feat),
              'decode_head.level_embed.weight': (levels, feat),
              'decode_head.cls_embed.weight': (num_classes + 1, feat),
              'decode_head.cls_embed.bias': (num_classes + 1,)})
    for i in (0, 2, 4):  # Linear, ReLU, Linear, ReLU, Linear
        s.update({f'decode_head.mask_embed.{i}.weight': (feat, feat), f'decode_head.mask_embed.{i}.bias': (feat,)})
    return s


def _ffn(p, feat, hidden):
    return {f'{p}layers.0.0.weight': (hidden, feat), f'{p}layers.0.0.bias': (hidden,),
            f'{p}layers.1.weight': (feat, hidden), f'{p}layers.1.bias': (feat,)}


def _norms(p, n, feat):
    return {f'{p}norms.{i}.{w}': (feat,) for i in range(n) for w in ('weight', 'bias')}


def official_file(seed=0) -> dict:
    """A released ``eva_sem_seg_mask2former_*.pth`` in miniature: mmseg 0.20's ``{'meta', 'state_dict'}``."""
    g = torch.Generator().manual_seed(seed)
    ref = RefBEiTAdapter(D, 4, 4, 128, 64, [[0, 0], [1, 1], [2, 2], [3, 3]], 4, 4, 0.5, 0.25, 8)
    sd = {}
    for k, v in ref.state_dict().items():
        if k.endswith('running_var'):
            v = torch.rand(v.shape, generator=g) + 0.5
        elif v.is_floating_point():
            v = torch.randn(v.shape, generator=g) * 0.1
        sd[f'backbone.{k}'] = v
    for k, shape in official_head_shapes().items():
        if k.endswith(('norms.0.weight', 'norms.1.weight', 'norms.2.weight', 'gn.weight', 'post_norm.weight')):
            sd[k] = 1 + 0.1 * torch.randn(shape, generator=g)
        else:
            sd[k] = torch.randn(shape, generator=g) * (0.3 / math.sqrt(shape[1]) if len(shape) > 1 else 0.1)
    return dict(meta=dict(mmseg_version='0.20.2', mmcv_version='1.4.2'), state_dict=sd)


def small_model():
    import mmdet.models  # noqa: F401  (Mask2Former's pixel decoder and matcher live in mmdet)
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    cfg = Config.fromfile(str(COCO))
    pd, td = 'model.decode_head.pixel_decoder.', 'model.decode_head.transformer_decoder.'
    cfg.model.backbone.arch = dict(embed_dims=D, depth=4, num_heads=4, mlp_hidden=128, mlp_type='gelu',
                                   use_rope=False)
    cfg.merge_from_dict({
        'model.backbone.img_size': 64, 'model.backbone.pretrain_img_size': 64, 'model.backbone.with_cp': False,
        'model.backbone.interaction_indexes': [[0, 0], [1, 1], [2, 2], [3, 3]],
        'model.backbone.deform_num_heads': 4, 'model.backbone.conv_inplane': 8,
        'model.backbone.adapter_norm_cfg': dict(type='BN'), 'model.data_preprocessor.size': (64, 64),
        'model.decode_head.in_channels': [D] * 4, 'model.decode_head.feat_channels': FEAT,
        'model.decode_head.out_channels': FEAT, 'model.decode_head.num_queries': QUERIES,
        pd + 'norm_cfg.num_groups': GROUPS, pd + 'encoder.num_layers': ENC,
        pd + 'encoder.layer_cfg.self_attn_cfg.embed_dims': FEAT,
        pd + 'encoder.layer_cfg.self_attn_cfg.num_heads': HEADS,
        pd + 'encoder.layer_cfg.ffn_cfg.embed_dims': FEAT, pd + 'encoder.layer_cfg.ffn_cfg.feedforward_channels': FFN,
        pd + 'positional_encoding.num_feats': FEAT // 2, 'model.decode_head.positional_encoding.num_feats': FEAT // 2,
        td + 'num_layers': DEC, td + 'layer_cfg.self_attn_cfg.embed_dims': FEAT,
        td + 'layer_cfg.self_attn_cfg.num_heads': HEADS, td + 'layer_cfg.cross_attn_cfg.embed_dims': FEAT,
        td + 'layer_cfg.cross_attn_cfg.num_heads': HEADS, td + 'layer_cfg.ffn_cfg.embed_dims': FEAT,
        td + 'layer_cfg.ffn_cfg.feedforward_channels': FFN,
    })
    cfg.model.backbone.init_cfg = None
    init_default_scope('mmseg')
    torch.manual_seed(0)
    return MODELS.build(cfg.model).eval()


# --------------------------------------------- the official head's forward, restated in plain torch (official names)

def _lin(x, sd, p):
    return F.linear(x, sd[p + '.weight'], sd[p + '.bias'])


def _ln(x, sd, p):
    return F.layer_norm(x, x.shape[-1:], sd[p + '.weight'], sd[p + '.bias'])


def _conv_gn(x, sd, p, padding=0, relu=False):
    x = F.conv2d(x, sd[p + '.conv.weight'], sd.get(p + '.conv.bias'), padding=padding)
    x = F.group_norm(x, GROUPS, sd[p + '.gn.weight'], sd[p + '.gn.bias'])
    return F.relu(x) if relu else x


def _sine(b, h, w, num_feats):
    """mmcv 1.x SinePositionalEncoding(normalize=True) of an unpadded map: ``[B, 2 * num_feats, h, w]``."""
    eps, scale = 1e-6, 2 * math.pi
    y = torch.arange(1, h + 1, dtype=torch.float32)[:, None].expand(h, w) / (h + eps) * scale
    x = torch.arange(1, w + 1, dtype=torch.float32)[None, :].expand(h, w) / (w + eps) * scale
    dim_t = 10000 ** (2 * (torch.arange(num_feats) // 2) / num_feats)

    def enc(e):
        e = e[..., None] / dim_t
        return torch.stack((e[..., 0::2].sin(), e[..., 1::2].cos()), -1).flatten(-2)
    return torch.cat((enc(y), enc(x)), -1).permute(2, 0, 1)[None].expand(b, -1, -1, -1)


def _ffn_fwd(x, sd, p):
    return x + _lin(F.relu(_lin(x, sd, p + 'layers.0.0')), sd, p + 'layers.1')


def _msda_fwd(x, pos, ref, shapes, sd, p):
    """mmcv 1.x MultiScaleDeformableAttention: value = the query without its position, identity added."""
    b, n, _ = x.shape
    q = x + pos
    v = _lin(x, sd, p + 'value_proj').view(b, n, HEADS, FEAT // HEADS)
    off = _lin(q, sd, p + 'sampling_offsets').view(b, n, HEADS, LEVELS, POINTS, 2)
    aw = F.softmax(_lin(q, sd, p + 'attention_weights').view(b, n, HEADS, -1), -1).view(b, n, HEADS, LEVELS, POINTS)
    norm = torch.stack([shapes[:, 1], shapes[:, 0]], -1).float()
    locs = ref[:, :, None, :, None, :] + off / norm[None, None, None, :, None, :]
    return x + _lin(ref_msda_core(v, shapes, locs, aw), sd, p + 'output_proj')


def _mha_fwd(q_in, k_in, v_in, q_pos, k_pos, mask, sd, p):
    """mmcv 1.x MultiheadAttention (nn.MultiheadAttention inside): positions on query and key, identity added;
    ``mask`` True = not attended, ``[B * heads, Q, K]``."""
    wq, wk, wv = sd[p + 'attn.in_proj_weight'].chunk(3)
    bq, bk, bv = sd[p + 'attn.in_proj_bias'].chunk(3)
    b, nq, _ = q_in.shape

    def split(t):
        return t.view(b, -1, HEADS, FEAT // HEADS).transpose(1, 2)
    q, k = split(F.linear(q_in + q_pos, wq, bq)), split(F.linear(k_in + k_pos, wk, bk))
    v = split(F.linear(v_in, wv, bv))
    logits = q @ k.transpose(-1, -2) / math.sqrt(FEAT // HEADS)
    if mask is not None:
        logits = logits.masked_fill(mask.view(b, HEADS, nq, -1), float('-inf'))
    out = (logits.softmax(-1) @ v).transpose(1, 2).reshape(b, nq, FEAT)
    return q_in + _lin(out, sd, p + 'attn.out_proj')


def official_pixel_decoder(feats, sd):
    pd = 'decode_head.pixel_decoder.'
    b = feats[0].shape[0]
    tokens, pos, refs, shapes = [], [], [], []
    for i in range(LEVELS):  # coarsest first
        f = feats[len(feats) - 1 - i]
        h, w = f.shape[-2:]
        tokens.append(_conv_gn(f, sd, f'{pd}input_convs.{i}').flatten(2).transpose(1, 2))
        lvl_pos = _sine(b, h, w, FEAT // 2) + sd[f'{pd}level_encoding.weight'][i].view(1, -1, 1, 1)
        pos.append(lvl_pos.flatten(2).transpose(1, 2))
        ys, xs = torch.meshgrid((torch.arange(h) + 0.5) / h, (torch.arange(w) + 0.5) / w, indexing='ij')
        refs.append(torch.stack((xs.flatten(), ys.flatten()), -1))
        shapes.append((h, w))
    x, pos = torch.cat(tokens, 1), torch.cat(pos, 1)
    ref = torch.cat(refs)[None, :, None].expand(b, -1, LEVELS, -1)
    shapes = torch.tensor(shapes)
    for n in range(ENC):
        p = f'{pd}encoder.layers.{n}.'
        x = _ln(_msda_fwd(x, pos, ref, shapes, sd, p + 'attentions.0.'), sd, p + 'norms.0')
        x = _ln(_ffn_fwd(x, sd, p + 'ffns.0.'), sd, p + 'norms.1')
    outs = [t.transpose(1, 2).reshape(b, FEAT, h, w)
            for t, (h, w) in zip(x.split([int(h * w) for h, w in shapes], 1), shapes.tolist())]
    lateral = _conv_gn(feats[0], sd, f'{pd}lateral_convs.0')
    y = lateral + F.interpolate(outs[-1], size=lateral.shape[-2:], mode='bilinear', align_corners=False)
    outs.append(_conv_gn(y, sd, f'{pd}output_convs.0', padding=1, relu=True))
    mask_feature = F.conv2d(outs[-1], sd[f'{pd}mask_feature.weight'], sd[f'{pd}mask_feature.bias'])
    return mask_feature, outs[:LEVELS]


def official_head_forward(feats, sd):
    """Official ``Mask2FormerHead.forward``: per-layer class logits and mask logits (first from the raw queries)."""
    mask_feature, memories = official_pixel_decoder(feats, sd)
    b = feats[0].shape[0]
    keys = [m.flatten(2).transpose(1, 2) + sd['decode_head.level_embed.weight'][i] for i, m in enumerate(memories)]
    key_pos = [_sine(b, *m.shape[-2:], FEAT // 2).flatten(2).transpose(1, 2) for m in memories]
    query = sd['decode_head.query_feat.weight'][None].expand(b, -1, -1)
    query_pos = sd['decode_head.query_embed.weight'][None].expand(b, -1, -1)

    def head(q, size):
        q = _ln(q, sd, 'decode_head.transformer_decoder.post_norm')
        cls = _lin(q, sd, 'decode_head.cls_embed')
        e = _lin(F.relu(_lin(F.relu(_lin(q, sd, 'decode_head.mask_embed.0')), sd, 'decode_head.mask_embed.2')),
                 sd, 'decode_head.mask_embed.4')
        mask = torch.einsum('bqc,bchw->bqhw', e, mask_feature)
        attn = F.interpolate(mask, size, mode='bilinear', align_corners=False).flatten(2)
        attn = (attn[:, None].expand(-1, HEADS, -1, -1).flatten(0, 1).sigmoid() < 0.5)
        return cls, mask, attn

    cls, mask, attn = head(query, memories[0].shape[-2:])
    cls_list, mask_list = [cls], [mask]
    for n in range(DEC):
        lvl = n % LEVELS
        attn = attn.clone()
        attn[torch.where(attn.sum(-1) == attn.shape[-1])] = False  # a query masked everywhere sees everything
        p = f'decode_head.transformer_decoder.layers.{n}.'
        query = _ln(_mha_fwd(query, keys[lvl], keys[lvl], query_pos, key_pos[lvl], attn, sd, p + 'attentions.0.'),
                    sd, p + 'norms.0')
        query = _ln(_mha_fwd(query, query, query, query_pos, query_pos, None, sd, p + 'attentions.1.'), sd,
                    p + 'norms.1')
        query = _ln(_ffn_fwd(query, sd, p + 'ffns.0.'), sd, p + 'norms.2')
        cls, mask, attn = head(query, memories[(n + 1) % LEVELS].shape[-2:])
        cls_list.append(cls)
        mask_list.append(mask)
    return cls_list, mask_list


# ------------------------------------------------------------------------------------------------------ tests

@pytest.fixture(scope='module')
def loaded(tmp_path_factory):
    """The miniature released file saved to disk, loaded by mmengine's ``load_checkpoint`` (strict)."""
    from mmengine.runner import load_checkpoint
    ckpt = official_file()
    path = tmp_path_factory.mktemp('released') / 'eva_sem_seg_mask2former_mini.pth'
    torch.save(ckpt, path)
    model = small_model()
    load_checkpoint(model, str(path), map_location='cpu', strict=True)  # raises on any missing / unexpected key
    return model, ckpt['state_dict']


def test_official_head_layout_matches_eva_mm_head_sizes():
    model = small_model()
    ours = {k: tuple(v.shape) for k, v in model.state_dict().items() if k.startswith('decode_head.')}
    official = official_head_shapes()
    assert len(ours) == len(official) and sorted(ours.values()) == sorted(official.values())
    assert sum(math.prod(s) for s in ours.values()) == sum(math.prod(s) for s in official.values())


def test_whole_released_layout_loads_with_nothing_missing_or_unexpected(loaded):
    model, official = loaded
    fitted = fit_heads(official, model.state_dict())
    ours = model.state_dict()
    assert sorted(set(ours) - set(fitted)) == [] and sorted(set(fitted) - set(ours)) == []
    # every official tensor arrived, each in exactly one place (the weights are random, so values identify them)
    assert len(fitted) == len(official)
    for k, v in official.items():
        if v.is_floating_point():
            hits = [n for n, t in ours.items() if t.shape == v.shape and torch.equal(t, v)]
            assert len(hits) == 1, (k, hits)
    # the renames that carry meaning: mmcv 1.x lists by operation order -> mmdet 3.x named sub-modules
    torch.testing.assert_close(ours['decode_head.transformer_decoder.layers.1.self_attn.attn.in_proj_weight'],
                               official['decode_head.transformer_decoder.layers.1.attentions.1.attn.in_proj_weight'])
    torch.testing.assert_close(ours['decode_head.pixel_decoder.encoder.layers.1.self_attn.value_proj.weight'],
                               official['decode_head.pixel_decoder.encoder.layers.1.attentions.0.value_proj.weight'])
    torch.testing.assert_close(ours['decode_head.transformer_decoder.layers.2.ffn.layers.1.bias'],
                               official['decode_head.transformer_decoder.layers.2.ffns.0.layers.1.bias'])


def test_loaded_head_computes_the_official_head(loaded):
    from mmseg.structures import SegDataSample
    model, official = loaded
    g = torch.Generator().manual_seed(3)
    feats = [torch.randn(2, D, 64 // s, 48 // s, generator=g) for s in (4, 8, 16, 32)]
    samples = [SegDataSample(metainfo=dict(img_shape=(64, 48), pad_shape=(64, 48))) for _ in range(2)]
    with torch.no_grad():
        cls, mask = model.decode_head(feats, samples)
        ref_cls, ref_mask = official_head_forward(feats, official)
    assert len(cls) == len(ref_cls) == DEC + 1
    for i, (a, b, c, d) in enumerate(zip(cls, ref_cls, mask, ref_mask)):
        assert a.shape == (2, QUERIES, NUM_CLASSES + 1) and c.shape == (2, QUERIES, 16, 12)
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4, msg=f'class logits, layer {i}')
        torch.testing.assert_close(c, d, atol=1e-4, rtol=1e-4, msg=f'mask logits, layer {i}')
    # the cross-attention masks are partial (some pixels hidden, some not), so the masking was exercised
    hidden = (ref_mask[1].sigmoid() < 0.5).float().mean()
    assert 0.05 < hidden < 0.95, hidden


def test_semantic_scores_are_the_official_ones_and_slide_inference_runs(loaded):
    model, official = loaded
    assert type(model.decode_head).__name__ == 'EVAMask2FormerHead'
    g = torch.Generator().manual_seed(4)
    feats = [torch.randn(1, D, 64 // s, 96 // s, generator=g) for s in (4, 8, 16, 32)]
    with torch.no_grad():
        scores = model.decode_head.predict(feats, [dict(img_shape=(60, 90), pad_shape=(64, 96))], {})
        ref_cls, ref_mask = official_head_forward(feats, official)
    # official forward_test (softmax classes without no-object x sigmoid masks, at 1/4) + encode_decode's resize
    ref = torch.einsum('bqc,bqhw->bchw', F.softmax(ref_cls[-1], -1)[..., :-1], ref_mask[-1].sigmoid())
    ref = F.interpolate(ref, size=(64, 96), mode='bilinear', align_corners=False)
    torch.testing.assert_close(scores, ref, atol=1e-5, rtol=1e-4)
    # slide test on an image larger than the crop: every crop's scores come back at the crop's size
    from mmseg.structures import SegDataSample
    model.test_cfg.crop_size, model.test_cfg.stride = (64, 64), (32, 32)
    img = torch.randint(0, 256, (3, 80, 112), generator=g).float()
    with torch.no_grad():
        out = model.test_step(dict(inputs=[img], data_samples=[SegDataSample(
            metainfo=dict(img_shape=(80, 112), ori_shape=(80, 112)))]))
    assert out[0].seg_logits.data.shape == (NUM_CLASSES, 80, 112)
    assert out[0].pred_sem_seg.data.shape == (1, 80, 112)


def test_backbone_of_the_file_computes_the_official_adapter(loaded):
    model, official = loaded
    ref = RefBEiTAdapter(D, 4, 4, 128, 64, [[0, 0], [1, 1], [2, 2], [3, 3]], 4, 4, 0.5, 0.25, 8).eval()
    ref.load_state_dict({k[len('backbone.'):]: v for k, v in official.items() if k.startswith('backbone.')})
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        for a, b in zip(model.backbone(x), ref(x)):
            torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)


def test_fit_heads_leaves_own_layout_and_stray_keys_alone():
    model_sd = small_model().state_dict()
    own = {k: v for k, v in model_sd.items()}
    assert fit_heads(own, model_sd).keys() == own.keys()
    # an old-layout key whose new name has another shape is not forced in: it stays, and mmengine reports it
    stray = {'decode_head.transformer_decoder.layers.0.attentions.0.attn.in_proj_bias': torch.zeros(5)}
    assert set(fit_heads(stray, model_sd)) == set(stray)
    clash = {'decode_head.transformer_decoder.layers.0.ffns.0.layers.1.bias': torch.zeros(FEAT),
             'decode_head.transformer_decoder.layers.0.ffn.layers.1.bias': torch.zeros(FEAT)}
    with pytest.raises(ValueError, match=r"ffns\.0\.layers\.1\.bias.*ffn\.layers\.1\.bias.*both map to"):
        fit_heads(clash, model_sd)
