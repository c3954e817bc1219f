"""EVAAdapter: shapes, gradients (with and without with_cp), the official whole-model checkpoint layout through
eva_mm's loader, layer-wise lr decay over adapter parameters as the official constructor, the recipe values of
the configs, and the full EVA-g + adapter + Mask2Former 896 model on the meta device."""
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from torch import nn

from eva_mm.checkpoint.loading import load_pretrained
from eva_mm.engine.optimizers import EVALayerDecayOptimWrapperConstructor
from eva_mm.models.backbones import EVAAdapter

sys.path.insert(0, str(Path(__file__).parent))
from test_vit_adapter_parity import RefBEiTAdapter  # noqa: E402

ROOT = Path(__file__).parents[2]
ARCH = dict(embed_dims=64, depth=4, num_heads=4, mlp_hidden=128, mlp_type='gelu', use_rope=False)
INDEXES = [[0, 0], [1, 1], [2, 2], [3, 3]]
COCO = ROOT / 'configs/eva01/mask2former_eva-g-p16-adapter_32xb1-60k_coco-stuff164k-896x896.py'
ADE = ROOT / 'configs/eva01/mask2former_eva-g-p16-adapter_64xb1-20k_ade20k-896x896.py'


def _small(**kw):
    torch.manual_seed(0)
    args = dict(arch=ARCH, img_size=64, patch_size=16, interaction_indexes=INDEXES, deform_num_heads=4,
                deform_ratio=0.5, conv_inplane=8, inj_init_values=0.5, adapter_norm_cfg=dict(type='BN'))
    args.update(kw)
    m = EVAAdapter(**args)
    with torch.no_grad():  # the official init zeroes these, which makes the queries' norms gradient-free at init
        for k, p in m.named_parameters():
            if k.endswith(('sampling_offsets.weight', 'attention_weights.weight')):
                p.normal_(0, 0.1)
    return m


def test_shapes_non_square_and_every_parameter_gets_gradient():
    m = _small().train()
    assert torch.all(m.interactions[2].injector.gamma == 0.5)  # inj_init_values
    outs = m(torch.randn(2, 3, 64, 96))
    assert [tuple(o.shape) for o in outs] == [(2, 64, 16, 24), (2, 64, 8, 12), (2, 64, 4, 6), (2, 64, 2, 3)]
    sum(o.square().mean() for o in outs).backward()
    no_grad = [k for k, p in m.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert no_grad == []


def test_patch_8_keeps_the_levels_relative_to_the_vit_grid():
    m = _small(patch_size=8).train()
    assert len(m.spm.stem) == 9  # no max pool: the stem stops at 1/2
    assert set(m.state_dict()) == set(_small().state_dict())  # same parameters as at patch 16
    outs = m(torch.randn(1, 3, 32, 48))
    assert [tuple(o.shape[-2:]) for o in outs] == [(16, 24), (8, 12), (4, 6), (2, 3)]  # strides 2, 4, 8, 16
    sum(o.square().mean() for o in outs).backward()
    assert all(p.grad is not None for p in m.parameters())
    with pytest.raises(ValueError, match='divisible by 16'):
        m(torch.randn(1, 3, 40, 48))
    with pytest.raises(ValueError, match='patch_size'):
        _small(patch_size=14)


def test_with_cp_same_values_and_grads():
    x = torch.randn(2, 3, 64, 64)
    grads = []
    for cp in (False, True):
        m = _small(with_cp=cp).train()
        assert m.interactions[0].injector.with_cp is cp and m.interactions[3].extra_extractors[1].with_cp is cp
        y = m(x.clone().requires_grad_(True))
        sum(o.square().mean() for o in y).backward()
        grads.append((torch.cat([o.flatten() for o in y]).detach(), {k: p.grad for k, p in m.named_parameters()}))
    torch.testing.assert_close(grads[0][0], grads[1][0])
    for k, g in grads[0][1].items():
        torch.testing.assert_close(g, grads[1][1][k], atol=1e-6, rtol=1e-5, msg=k)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match=r'interaction_indexes\[1\]'):
        _small(interaction_indexes=[[0, 1], [3, 3]])
    with pytest.raises(ValueError, match='interaction_indexes'):
        _small(interaction_indexes=[[0, 4]])
    with pytest.raises(ValueError, match='window_size'):
        _small(window_size=4)


def _official_whole_model(ref: nn.Module) -> dict:
    """A released eva_sem_seg_mask2former_*.pth: mmseg's {'meta', 'state_dict'} with backbone.* and decode_head.*."""
    sd = {f'backbone.{k}': torch.randn_like(v) if v.is_floating_point() else v for k, v in ref.state_dict().items()}
    sd['decode_head.query_embed.weight'] = torch.zeros(200, 8)
    return dict(meta=dict(mmseg_version='0.20.2'), state_dict=sd)


def test_official_checkpoint_layout_loads_with_nothing_left_over():
    m = _small()
    ref = RefBEiTAdapter(64, 4, 4, 128, 64, INDEXES, 4, 4, 0.5, 0.25, 8)
    ckpt = _official_whole_model(ref)
    report = load_pretrained(m, ckpt, strict=True)
    assert report.missing == [] and report.unexpected == [] and report.mismatched == []
    ours = m.state_dict()
    for k, v in ckpt['state_dict'].items():
        if k.startswith('backbone.'):
            torch.testing.assert_close(ours[k[len('backbone.'):]], v, msg=k)


class _Segmentor(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = _small()
        self.decode_head = nn.Module()
        self.decode_head.query_embed = nn.Embedding(5, 8)
        self.decode_head.mask_embed = nn.Linear(8, 8)
        self.decode_head.conv = nn.Linear(8, 8)


def test_layer_decay_as_official_constructor():
    cfg = Config.fromfile(str(COCO))
    paramwise = dict(cfg.optim_wrapper.paramwise_cfg, num_layers=4)
    model = _Segmentor()
    ctor = EVALayerDecayOptimWrapperConstructor(dict(type='OptimWrapper', optimizer=dict(
        type='AdamW', lr=1.0, weight_decay=0.05)), paramwise)
    groups = ctor(model).optimizer.param_groups
    scale = {n: (g['lr'], g['weight_decay']) for g in groups for n in g['param_names']}
    r, top = 0.95, 4 + 1  # official: rate ** (num_layers + 2 - layer_id - 1)
    expect = {  # name: (official layer id, decayed)
        'backbone.cls_token': (0, True), 'backbone.pos_embed': (0, True), 'backbone.patch_embed.proj.weight': (0, True),
        'backbone.blocks.2.attn.qkv.weight': (3, True), 'backbone.blocks.0.attn.q_bias': (1, False),
        'backbone.level_embed': (top, True), 'backbone.spm.stem.0.weight': (top, True),
        'backbone.interactions.3.extra_extractors.1.attn.value_proj.weight': (top, True),
        'backbone.interactions.0.injector.gamma': (top, False), 'backbone.up.bias': (top, False),
        'backbone.norm4.weight': (top, False), 'decode_head.query_embed.weight': (0, True),
        'decode_head.mask_embed.weight': (0, True), 'decode_head.conv.weight': (top, True),
    }
    for name, (layer, decayed) in expect.items():
        lr, wd = scale[name]
        assert lr == pytest.approx(r ** (top - layer)), name
        assert wd == (0.05 if decayed else 0.), name


def test_recipe_values():
    coco, ade = Config.fromfile(str(COCO)), Config.fromfile(str(ADE))
    for cfg in (coco, ade):
        bb = cfg.model.backbone
        assert bb.type == 'EVAAdapter' and cfg.model.neck is None
        assert (bb.arch, bb.img_size, bb.patch_size, bb.drop_path_rate, bb.with_cp) == ('eva-g', 896, 16, 0.5, True)
        assert (bb.conv_inplane, bb.n_points, bb.deform_num_heads, bb.cffn_ratio, bb.deform_ratio) == \
            (64, 4, 16, 0.25, 0.5)
        assert bb.interaction_indexes == [[0, 9], [10, 19], [20, 29], [30, 39]] and bb.inj_init_values == 0.
        head = cfg.model.decode_head
        assert head.type == 'EVAMask2FormerHead'
        assert (head.num_queries, head.feat_channels, head.transformer_decoder.num_layers) == (200, 1024, 8)
        assert head.pixel_decoder.encoder.num_layers == 6
        assert cfg.optim_wrapper.paramwise_cfg.layer_decay_rate == 0.95
        assert cfg.optim_wrapper.paramwise_cfg.num_layers == 40
        assert (cfg.model.test_cfg.mode, cfg.model.test_cfg.stride) == ('slide', (512, 512))
    assert (coco.optim_wrapper.optimizer.lr, coco.train_cfg.max_iters, coco.param_scheduler[0].end) == \
        (1.5e-5, 60000, 1500)
    assert coco.model.decode_head.num_classes == 171
    assert (ade.optim_wrapper.optimizer.lr, ade.train_cfg.max_iters, ade.param_scheduler[0].end) == (2.5e-5, 20000, 500)
    assert ade.model.decode_head.num_classes == 150 and ade.auto_scale_lr.base_batch_size == 64
    assert 'adapter_32xb1-60k_coco-stuff164k' in ade.load_from
    aug = ade.tta_pipeline[1].transforms
    assert [t.scale for t in aug[0]] == [(2048, 512), (2560, 640), (3072, 768), (3584, 896), (4096, 1024),
                                         (4608, 1152), (5120, 1280)]
    assert [t.prob for t in aug[1]] == [0., 1.]


def test_full_eva_g_adapter_mask2former_896_on_meta_device():
    import mmdet.models  # noqa: F401  (Mask2Former's pixel decoder and matcher live in mmdet)
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    cfg = Config.fromfile(str(COCO))
    cfg.model.backbone.init_cfg = None
    init_default_scope('mmseg')
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
        ref = RefBEiTAdapter(1408, 40, 16, 6144, 896, [[0, 9], [10, 19], [20, 29], [30, 39]], 16, 4, 0.5, 0.25, 64)
    count = lambda mod: sum(p.numel() for p in mod.parameters())  # noqa: E731
    assert set(model.backbone.state_dict()) == set(ref.state_dict())
    # the official BEiTAdapter definition at EVA-g / 896: 1,056,204,160 (EVA-g 1,015,451,776 + adapter 40,752,384)
    assert count(model.backbone) == count(ref) == 1_056_204_160
    assert count(model.decode_head) == 224_450_476  # 200 queries, 1024 channels, 6 + 8 layers (measured)
    assert model.backbone.pos_embed.shape == (1, 56 * 56 + 1, 1408)
