"""The EVA-CLIP recipe configs against the official values, and the per-tower optimizer groups they build.

Official values from github:baaivision/EVA at 5623d08 (file:line): EVA-CLIP/README.md (pre-training scripts) and
EVA-CLIP/rei/training/params.py (defaults the scripts rely on).
"""
from __future__ import annotations

import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from eva_mm.models.clip import EVACLIP

pytestmark = [pytest.mark.filterwarnings('ignore:pkg_resources is deprecated:UserWarning'),
              pytest.mark.filterwarnings("ignore:module 'sre_constants' is deprecated:DeprecationWarning")]
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

# params.py:4-10 + 461-464: the scripts pass no --beta1/--beta2/--eps, and model names without 'vit' get
# (0.9, 0.999, 1e-8).
_ADAM_DEFAULTS = dict(betas=(0.9, 0.999), eps=1e-8)
OFFICIAL = {
    'eva02-clip-b-16_lamb-64xb2048-61k_merged-2b.py': dict(
        gpus=8 * 8,                 # README.md:433 "with 8 nodes", :456 --nproc_per_node=8
        batch=2048,                 # README.md:471 --batch-size=2048
        samples=40_000_000,         # README.md:465 --train-num-samples 40000000
        epochs=200,                 # README.md:472 --epochs=200
        warmup=2000,                # README.md:470 --warmup 2000
        lr=5e-4,                    # README.md:473 --lr=5e-4
        visual=dict(lr=2e-4, weight_decay=0.05, layer_decay_rate=0.75),  # README.md:474,477,480
        text=dict(lr=2e-5, weight_decay=0.05, layer_decay_rate=0.75),    # README.md:475,478,481
        wd=0.05,                    # README.md:476 --wd=0.05
        clip=5.0,                   # README.md:482 --grad-clip-norm=5.0
        patch_dropout=0.0,          # README.md:496 --force-patch-dropout=0
        optimizer='Lamb',           # README.md:497 --optimizer="lamb"
        seed=4096,                  # README.md:491 --seed 4096
        image_init='EVA02_B_psz14to16.pt',                # README.md:436 PRETRAINED_IMAGE
        text_init='openai/clip-vit-base-patch16/'),       # README.md:437 PRETRAINED_TEXT
    # No official g/14 script: the g/14-plus script's optimisation values (README.md:361-430), the g/14 row of the
    # model table (README.md:59) for data, inits, batch (41K on 256 GPUs) and samples seen (s11B).
    'eva01-clip-g-14_lamb-256xb160-268k_laion-400m.py': dict(
        gpus=256, batch=160,        # README.md:59 "41K | 256 A100"
        samples=40_000_000, epochs=275,  # 11B samples (s11B) in 40M-sample epochs, as the scripts count
        warmup=2000,                # README.md:398
        lr=5e-4,                    # README.md:401
        visual=dict(lr=4e-4, weight_decay=0.05, layer_decay_rate=0.85),  # README.md:402,405,408
        text=dict(lr=4e-5, weight_decay=0.05, layer_decay_rate=0.75),    # README.md:403,406,409
        wd=0.05,                    # README.md:404
        clip=5.0,                   # README.md:410
        patch_dropout=0.5,          # README.md:424 --force-patch-dropout=0.5
        optimizer='Lamb',           # README.md:425
        seed=4096,                  # README.md:419
        image_init='EVA01_g_psz14.pt',                    # README.md:59
        text_init='openai/clip-vit-large-patch14/'),      # README.md:59
}


def _cfg(name):
    return Config.fromfile(osp.join(ROOT, 'configs', 'eva_clip', name))


@pytest.mark.parametrize('name', sorted(OFFICIAL))
def test_recipe_values_are_the_official_ones(name):
    o, c = OFFICIAL[name], _cfg(name)
    assert c.train_dataloader.batch_size == o['batch']
    assert c.train_cfg.max_iters == (o['samples'] // (o['gpus'] * o['batch'])) * o['epochs']
    warm, cos = c.param_scheduler
    assert (warm.type, warm.end, warm.start_factor) == ('LinearLR', o['warmup'], pytest.approx(1 / o['warmup']))
    assert (cos.type, cos.begin, cos.end, cos.eta_min) == ('CosineAnnealingLR', o['warmup'], c.train_cfg.max_iters, 0)
    opt = c.optim_wrapper.optimizer
    assert (opt.type, opt.lr, opt.weight_decay) == (o['optimizer'], o['lr'], o['wd'])
    assert (tuple(opt.betas), opt.eps) == (_ADAM_DEFAULTS['betas'], _ADAM_DEFAULTS['eps'])
    assert c.optim_wrapper.clip_grad.max_norm == o['clip']
    towers = c.optim_wrapper.paramwise_cfg.towers
    for tower in ('visual', 'text'):
        assert {k: towers[tower][k] for k in o[tower]} == o[tower]
    assert c.model.patch_dropout == o['patch_dropout'] and c.model.grad_checkpointing and c.model.local_loss
    assert c.randomness.seed == o['seed']
    assert c.model.vision_cfg.init_cfg.checkpoint.endswith(o['image_init'])
    assert o['text_init'] in c.model.text_pretrained


def _official_layer_id(name: str, num_layers: int) -> int:
    """EVA-CLIP/rei/training/optim.py:17-45 (get_num_layer_for_transformer), on eva_mm's parameter names."""
    if any(k in name for k in ('patch_embed', 'pos_embed', 'cls_token', 'positional_embedding', 'token_embedding')):
        return 0
    m = re.search(r'blocks\.([0-9]+)\.', name)
    return int(m.group(1)) + 1 if m else num_layers + 1


@pytest.mark.parametrize('name', sorted(OFFICIAL))
def test_recipe_builds_the_official_parameter_groups(name):
    from mmengine.optim import build_optim_wrapper
    c, o = _cfg(name), OFFICIAL[name]
    arch = dict(embed_dims=16, depth=2, num_heads=2, mlp_hidden=32)
    model = EVACLIP(c.model.variant, vision_arch=arch, text_cfg=dict(width=16, heads=2, layers=2), embed_dim=8,
                    img_size=28 if '-14' in c.model.variant else 32)
    wrapper_cfg = dict(c.optim_wrapper, type='OptimWrapper')  # AmpOptimWrapper needs CUDA
    wrapper_cfg.pop('dtype')
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        import mmpretrain.engine  # noqa: F401  (registers Lamb)
        optim = build_optim_wrapper(model, wrapper_cfg).optimizer
    lr_of = {n: (g['lr'], g['weight_decay']) for g in optim.param_groups for n in g['param_names']}
    assert set(lr_of) == {n for n, p in model.named_parameters() if p.requires_grad}
    no_decay = {'visual.pos_embed', 'visual.cls_token', 'text.positional_embedding'}  # no_weight_decay() sets
    for n, p in model.named_parameters():
        tower = 'visual' if n.startswith(('visual.', 'visual_head.')) else 'text' if n.startswith('text.') else None
        if tower:
            t = o[tower]
            lr = t['lr'] * t['layer_decay_rate'] ** (2 + 1 - _official_layer_id(n, 2))
            wd = t['weight_decay']
        else:  # logit_scale: the base lr (optim.py:86-90)
            lr, wd = o['lr'], o['wd']
        if p.ndim <= 1 or n.endswith('.bias') or n in no_decay:  # optim.py:107-109
            wd = 0.
        assert lr_of[n] == (pytest.approx(lr), wd), n
    assert lr_of['visual_head.weight'][0] == pytest.approx(o['visual']['lr'])  # the projection: top depth
    assert torch.is_tensor(model.logit_scale)
