"""Every MIM config loads and builds (EVA-g on the meta device, teachers without their download), and its recipe
values equal the official tables (docs/recipes.md#pretraining)."""
import glob
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope

# `mmpretrain::` config bases import pkg_resources, which warns on setuptools >= 81 (a stack issue).
pytestmark = [pytest.mark.filterwarnings('ignore:pkg_resources is deprecated:UserWarning'),
              pytest.mark.filterwarnings("ignore:module 'sre_constants' is deprecated:DeprecationWarning")]

CLIP_MEAN = [0.48145466 * 255, 0.4578275 * 255, 0.40821073 * 255]
# docs/recipes.md#pretraining table: teacher, target dim, epochs, total batch, peak lr, warmup epochs, drop path.
RECIPES = {
    'configs/eva01/mim-clip_eva-g-p14_fsdp-128xb32-150e_merged-30m.py':
        dict(arch='eva-g', tower='openai', dim=768, epochs=150, batch=4096, lr=1e-3, warmup=2, dp=0.1),
    'configs/eva02/mim-clip_eva02-t-p14_40xb100-240e_in21k.py':
        dict(arch='eva02-t', tower='eva_clip', dim=1024, epochs=240, batch=4000, lr=3e-3, warmup=1, dp=0.0),
    'configs/eva02/mim-clip_eva02-s-p14_40xb100-240e_in21k.py':
        dict(arch='eva02-s', tower='eva_clip', dim=1024, epochs=240, batch=4000, lr=3e-3, warmup=1, dp=0.0),
    'configs/eva02/mim-clip_eva02-b-p14_32xb64-150e_in21k.py':
        dict(arch='eva02-b', tower='eva_clip', dim=1024, epochs=150, batch=2048, lr=1.5e-3, warmup=1, dp=0.0),
    'configs/eva02/mim-clip_eva02-l-p14_64xb32-150e_in21k.py':
        dict(arch='eva02-l', tower='eva_clip', dim=1024, epochs=150, batch=2048, lr=1.5e-3, warmup=1, dp=0.1),
    'configs/eva02/mim-clip_eva02-l-p14_64xb32-56e_merged-38m.py':
        dict(arch='eva02-l', tower='eva_clip', dim=1024, epochs=56, batch=2048, lr=1.5e-3, warmup=1, dp=0.1),
}
MERGED_30M = {'imagenet21k', 'cc12m', 'cc3m', 'objects365', 'coco', 'ade20k'}


def test_every_mim_config_is_in_the_table():
    found = {p for p in glob.glob('configs/eva0*/mim-clip_*.py')}
    assert found == set(RECIPES)


def _total_batch(path, cfg):
    gpus, per_gpu = map(int, re.search(r'(\d+)xb(\d+)', osp.basename(path)).groups())
    assert per_gpu == cfg.train_dataloader.batch_size
    assert cfg.auto_scale_lr.base_batch_size == gpus * per_gpu
    return cfg.auto_scale_lr.base_batch_size


@pytest.mark.parametrize('path', sorted(RECIPES))
def test_recipe_values(path):
    cfg, want = Config.fromfile(path), RECIPES[path]
    model = cfg.model
    assert model.type == 'MIMCLIP' and model.backbone.arch == want['arch']
    assert model.backbone.drop_path_rate == want['dp'] and model.backbone.img_size == 224
    assert model.teacher.tower == want['tower'] and model.head.target_channels == want['dim']
    assert model.teacher.checkpoint.startswith('https://')
    if want['tower'] == 'eva_clip':
        assert model.teacher.arch == 'eva-g' and model.teacher.out_channels == 1024
        assert model.patch_embed_grad_scale == 0.1  # --stop_grad_conv1
    else:
        assert model.teacher.arch == 'vit-l-14'
    assert model.data_preprocessor.mean == CLIP_MEAN and model.data_preprocessor.to_rgb
    assert _total_batch(path, cfg) == want['batch']
    opt = cfg.optim_wrapper.optimizer
    assert (opt.type, opt.lr, tuple(opt.betas), opt.eps, opt.weight_decay) == \
        ('AdamW', want['lr'], (0.9, 0.98), 1e-6, 0.05)
    assert cfg.optim_wrapper.clip_grad.max_norm == 3.0
    warm, cos = cfg.param_scheduler
    assert warm.type == 'LinearLR' and warm.end == want['warmup'] and warm.start_factor * want['lr'] == \
        pytest.approx(1e-6)
    assert cos.type == 'CosineAnnealingLR' and cos.eta_min == 1e-5 and cos.end == want['epochs']
    assert cfg.train_cfg.max_epochs == want['epochs']
    pipeline = {t.type: t for t in cfg.train_dataloader.dataset.pipeline}
    crop, mask = pipeline['RandomResizedCrop'], pipeline['BlockwiseMaskGenerator']
    assert (crop.scale, tuple(crop.crop_ratio_range), crop.interpolation) == (224, (0.2, 1.0), 'bicubic')
    assert pipeline['RandomFlip'].prob == 0.5 and 'ColorJitter' not in pipeline
    assert (mask.input_size, mask.num_masking_patches, mask.min_num_patches, mask.min_aspect) == (16, 105, 16, 0.3)
    sources = {s.name for s in cfg.train_dataloader.dataset.sources}
    if 'merged-30m' in path:
        assert sources == MERGED_30M
    elif 'merged-38m' in path:
        assert sources == MERGED_30M | {'openimages'}
    else:
        assert sources == {'imagenet21k'}


def test_eva_g_runs_fsdp():
    cfg = Config.fromfile('configs/eva01/mim-clip_eva-g-p14_fsdp-128xb32-150e_merged-30m.py')
    assert cfg.runner_type == 'FlexibleRunner' and cfg.strategy.type == 'FSDPStrategy'
    assert cfg.strategy.model_wrapper.use_orig_params
    assert cfg.optim_wrapper.type == 'OptimWrapper' and 'dtype' not in cfg.optim_wrapper


@pytest.mark.parametrize('path', sorted(RECIPES))
def test_config_builds(path):
    cfg = Config.fromfile(path)
    model_cfg = cfg.model.to_dict()
    model_cfg['teacher']['checkpoint'] = None  # no download here; the tower is built, weights stay random
    # every teacher is ViT-L or EVA-g sized: build on the meta device (shapes only, no memory, no init time)
    with DefaultScope.overwrite_default_scope('mmpretrain'), torch.device('meta'):
        model = MODELS.build(model_cfg)
    student = sum(p.numel() for p in model.backbone.parameters())
    # headless counts of docs/architecture.md#parameter-counts plus the mask token (the final norm is included there)
    headless = {'eva-g': 1_011_146_112, 'eva02-t': 5_502_144, 'eva02-s': 21_621_120, 'eva02-b': 85_758_720,
                'eva02-l': 303_268_800}[model_cfg['backbone']['arch']]
    assert student == headless + model.backbone.embed_dims
    assert model.head.lm_head.out_features == model.teacher.out_channels
    if path.endswith('merged-30m.py'):  # EVA-g + lm_head + mask_token = the official log's n_parameters
        assert student + sum(p.numel() for p in model.head.parameters()) == 1_012_229_632
