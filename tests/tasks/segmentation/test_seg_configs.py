"""Every segmentation config loads, builds at full size (meta device), and carries the official recipe.

RECIPES equals the tables of docs/recipes.md (EVA-02 UperNet B / L / L-640, EVA-01 Mask2Former COCO-Stuff ->
ADE20K). The EVA-01 UperNet row has no official source; it pins the derived recipe its config documents.
"""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import eva_mm  # noqa: F401  (registers EVA and the layer-decay constructor)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

# batch = images per GPU x GPUs (from the config name); crop; iters; lr; layer decay; drop path; warmup iters;
# block outputs; decode head channels (UperNet `channels`, Mask2Former `feat_channels`); slide stride.
RECIPES = {
    'eva02/upernet_eva02-b-p16_4xb8-60k_ade20k-512x512.py': dict(
        arch='eva02-b', batch=32, crop=512, iters=60000, lr=6e-5, lrd=0.85, dp=0.15, warmup=1500,
        out=(3, 5, 7, 11), channels=768, stride=341, classes=150, head='UPerHead'),
    'eva02/upernet_eva02-l-p16_16xb2-80k_ade20k-512x512.py': dict(
        arch='eva02-l', batch=32, crop=512, iters=80000, lr=4e-5, lrd=0.9, dp=0.2, warmup=1500,
        out=(7, 11, 15, 23), channels=1024, stride=341, classes=150, head='UPerHead'),
    'eva02/upernet-pro_eva02-l-p16_16xb2-80k_ade20k-640x640.py': dict(
        arch='eva02-l', batch=32, crop=640, iters=80000, lr=4e-5, lrd=0.9, dp=0.2, warmup=1500,
        out=(7, 11, 15, 23), channels=1536, stride=426, classes=150, head='UPerHead'),
    'eva01/mask2former_eva-g-p16_32xb1-60k_coco-stuff164k-896x896.py': dict(
        arch='eva-g', batch=32, crop=896, iters=60000, lr=1.5e-5, lrd=0.95, dp=0.5, warmup=1500,
        out=(9, 19, 29, 39), channels=1024, stride=512, classes=171, head='EVAMask2FormerHead'),
    'eva01/mask2former_eva-g-p16_64xb1-20k_ade20k-896x896.py': dict(
        arch='eva-g', batch=64, crop=896, iters=20000, lr=2.5e-5, lrd=0.95, dp=0.5, warmup=500,
        out=(9, 19, 29, 39), channels=1024, stride=512, classes=150, head='EVAMask2FormerHead'),
    # derived, not official (see the config's comment)
    'eva01/upernet_eva-g-p16_32xb1-60k_ade20k-896x896.py': dict(
        arch='eva-g', batch=32, crop=896, iters=60000, lr=1.5e-5, lrd=0.95, dp=0.5, warmup=1500,
        out=(9, 19, 29, 39), channels=1024, stride=512, classes=150, head='UPerHead'),
}


def _gpus(name: str) -> int:
    """GPUs in an OpenMMLab config name, e.g. 4 in '..._4xb8-60k_...'."""
    part = next(p for p in osp.basename(name).split('_') if 'xb' in p)
    return int(part.split('xb')[0])



def test_every_segmentation_config_is_in_the_table():
    """A new segmentation config without a RECIPES row fails here instead of going untested (the ViT-Adapter
    variants, '-adapter' in the name, have their own table in test_vit_adapter.py)."""
    found = {osp.relpath(p, osp.join(ROOT, 'configs')) for pattern in ('*upernet*.py', '*mask2former*.py')
             for p in glob.glob(osp.join(ROOT, 'configs', 'eva0*', pattern)) if '-adapter' not in osp.basename(p)}
    assert found == set(RECIPES), f'configs without a row: {sorted(found - set(RECIPES))}; ' \
        f'rows without a config: {sorted(set(RECIPES) - found)}'


@pytest.fixture(scope='module', params=sorted(RECIPES))
def loaded(request):
    return request.param, Config.fromfile(osp.join(ROOT, 'configs', request.param))


def test_recipe_values(loaded):
    name, cfg = loaded
    want = RECIPES[name]
    model, bb = cfg.model, cfg.model.backbone
    assert cfg.custom_imports['imports'][0] == 'eva_mm'
    assert (bb.type, bb.arch, bb.patch_size, bb.pretrain_img_size) == ('EVA', want['arch'], 16, 224)
    assert tuple(bb.out_indices) == want['out'] and bb.drop_path_rate == want['dp']
    assert bb.img_size == want['crop'] and tuple(cfg.crop_size) == (want['crop'],) * 2
    assert model.neck.type == 'Feature2Pyramid' and list(model.neck.rescales) == [4, 2, 1, 0.5]
    head = model.decode_head
    assert head.type == want['head'] and head.num_classes == want['classes']
    assert head.get('channels', head.get('feat_channels')) == want['channels']
    assert model.test_cfg.mode == 'slide' and tuple(model.test_cfg.crop_size) == (want['crop'],) * 2
    assert tuple(model.test_cfg.stride) == (want['stride'],) * 2
    assert cfg.train_dataloader.batch_size * _gpus(name) == want['batch']
    opt = cfg.optim_wrapper
    assert opt.constructor == 'EVALayerDecayOptimWrapperConstructor'
    assert opt.paramwise_cfg.layer_decay_rate == want['lrd']
    assert (opt.optimizer.type, opt.optimizer.lr, opt.optimizer.weight_decay) == ('AdamW', want['lr'], 0.05)
    assert tuple(opt.optimizer.betas) == (0.9, 0.999)
    assert cfg.train_cfg.max_iters == want['iters']
    warm, poly = cfg.param_scheduler
    assert (warm.type, warm.start_factor, warm.end) == ('LinearLR', 1e-6, want['warmup'])
    assert (poly.type, poly.power, poly.eta_min, poly.begin, poly.end) == ('PolyLR', 1.0, 0.0, want['warmup'],
                                                                            want['iters'])
    # ImageNet mean/std, RGB (all EVA segmentation recipes)
    pre = model.data_preprocessor
    assert list(pre.mean) == [123.675, 116.28, 103.53] and list(pre.std) == [58.395, 57.12, 57.375]
    assert pre.bgr_to_rgb and tuple(pre.size) == (want['crop'],) * 2
    # multi-scale + flip TTA as the official ms numbers: ratios 0.5-1.75, both flips
    tta = cfg.tta_pipeline[1]['transforms']
    assert [t['scale_factor'] for t in tta[0]] == [0.5, 0.75, 1.0, 1.25, 1.5, 1.75]
    assert sorted(t['prob'] for t in tta[1]) == [0.0, 1.0]
    assert cfg.val_evaluator.type == 'IoUMetric'


def test_mask2former_head_recipe():
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'eva01/mask2former_eva-g-p16_32xb1-60k_coco-stuff164k-896x896.py'))
    head = cfg.model.decode_head
    assert head.num_queries == 200 and head.out_channels == 1024
    enc = head.pixel_decoder.encoder
    assert enc.num_layers == 6
    assert (enc.layer_cfg.self_attn_cfg.num_heads, enc.layer_cfg.self_attn_cfg.num_points) == (32, 4)
    assert enc.layer_cfg.ffn_cfg.feedforward_channels == 4096
    dec = head.transformer_decoder
    assert dec.num_layers == 8 and dec.layer_cfg.ffn_cfg.feedforward_channels == 4096
    assert head.loss_cls.class_weight == [1.0] * 171 + [0.1]
    assert cfg.train_pipeline[2]['scale'] == (3584, 896) and cfg.train_pipeline[2]['ratio_range'] == (0.5, 2.0)
    ade = Config.fromfile(osp.join(ROOT, 'configs', 'eva01/mask2former_eva-g-p16_64xb1-20k_ade20k-896x896.py'))
    assert ade.load_from.endswith('mask2former_eva-g-p16_32xb1-60k_coco-stuff164k-896x896/iter_60000.pth')
    assert ade.model.decode_head.loss_cls.class_weight == [1.0] * 150 + [0.1]


def test_builds_full_size_on_meta(loaded):
    from mmengine.registry import MODELS
    name, cfg = loaded
    init_default_scope('mmseg')
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    n_backbone = sum(p.numel() for p in model.backbone.parameters())
    embed = model.backbone.embed_dims
    assert embed == {'eva02-b': 768, 'eva02-l': 1024, 'eva-g': 1408}[RECIPES[name]['arch']]
    # headless trunk counts of docs/architecture.md at patch 14 / 224; patch 16 adds 3 x (16^2 - 14^2) x D kernel
    # weights, the 224/16 grid drops (256 - 196) x D position rows, and no final norm (2 x D).
    official = {'eva02-b': 85_758_720, 'eva02-l': 303_268_800, 'eva-g': 1_011_146_112}[RECIPES[name]['arch']]
    assert n_backbone == official + 3 * (16 ** 2 - 14 ** 2) * embed - (256 - 196) * embed - 2 * embed
