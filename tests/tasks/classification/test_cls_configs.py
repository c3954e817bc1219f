"""ImageNet fine-tune and linear-probe configs: recipe values equal docs/recipes.md#classification, every config builds
(meta device), the EVA classifier trains one step with layer decay, and the linear probe trains the head only."""
import glob
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import MODELS, DefaultScope
from mmpretrain.structures import DataSample

# `mmpretrain::` config bases import pkg_resources, which warns on setuptools >= 81 (a stack issue).
pytestmark = [pytest.mark.filterwarnings('ignore:pkg_resources is deprecated:UserWarning'),
              pytest.mark.filterwarnings("ignore:module 'sre_constants' is deprecated:DeprecationWarning")]

# docs/recipes.md#classification: lr, layer decay, drop path, label smoothing, epochs, image size, total batch.
FINETUNE = {
    'configs/eva01/eva-g-p14_in21k-ft_32xb16-10e_in1k-336px.py':
        dict(arch='eva-g', lr=3e-5, lrd=0.95, dp=0.4, ls=0.3, epochs=10, size=336, batch=512),
    'configs/eva01/eva-g-p14_in21k-ft_32xb16-15e_in1k-560px.py':
        dict(arch='eva-g', lr=3e-5, lrd=0.95, dp=0.4, ls=0.3, epochs=15, size=560, batch=512),
    'configs/eva02/eva02-b-p14_mim-in21k-pre_16xb64-30e_in1k-448px.py':
        dict(arch='eva02-b', lr=1e-4, lrd=0.7, dp=0.1, ls=0.1, epochs=30, size=448, batch=1024),
    'configs/eva02/eva02-l-p14_mim-in21k-pre_32xb32-30e_in1k-448px.py':
        dict(arch='eva02-l', lr=5e-5, lrd=0.8, dp=0.15, ls=0.2, epochs=30, size=448, batch=1024),
}
LINEAR_PROBE = 'configs/eva02/eva02-b-p14_mim-in21k-pre_linear-probe_16xb1024-90e_in1k.py'


def test_every_classification_config_is_tested():
    found = set(glob.glob('configs/eva0*/*_in1k*.py'))
    assert found == set(FINETUNE) | {LINEAR_PROBE}


@pytest.mark.parametrize('path', sorted(FINETUNE))
def test_finetune_recipe(path):
    cfg, want = Config.fromfile(path), FINETUNE[path]
    bb = cfg.model.backbone
    assert (bb.type, bb.arch, bb.img_size, bb.drop_path_rate) == ('EVA', want['arch'], want['size'], want['dp'])
    assert bb.freeze_patch_embed and not bb.final_norm and bb.init_cfg.type == 'Pretrained'
    assert cfg.model.neck.type == 'MeanPoolNorm' and cfg.model.neck.norm == 'ln'  # mean pool + fc_norm
    assert cfg.model.head.loss.label_smooth_val == want['ls'] and cfg.model.head.num_classes == 1000
    ow = cfg.optim_wrapper
    assert ow.constructor == 'EVALayerDecayOptimWrapperConstructor'
    assert ow.paramwise_cfg.layer_decay_rate == want['lrd']
    assert (ow.optimizer.type, ow.optimizer.lr, ow.optimizer.weight_decay) == ('AdamW', want['lr'], 0.05)
    assert cfg.train_cfg.max_epochs == want['epochs'] and cfg.param_scheduler[-1].end == want['epochs']
    gpus, per_gpu = map(int, re.search(r'(\d+)xb(\d+)', osp.basename(path)).groups())
    assert gpus * per_gpu == want['batch'] == cfg.auto_scale_lr.base_batch_size
    assert cfg.train_dataloader.batch_size == per_gpu
    assert any(h.type == 'EMAHook' for h in cfg.custom_hooks)
    train = {t.type: t for t in cfg.train_dataloader.dataset.pipeline}
    assert train['RandomResizedCrop'].scale == want['size'] and train['RandAugment'].magnitude_level == 9
    assert not {'Mixup', 'CutMix', 'RandomErasing'} & set(train)
    test = {t.type: t for t in cfg.val_dataloader.dataset.pipeline}
    assert test['ResizeEdge'].scale == test['CenterCrop'].crop_size == want['size']  # crop_pct 1.0
    assert cfg.model.data_preprocessor.mean[0] == pytest.approx(0.48145466 * 255)  # CLIP mean/std


@pytest.mark.parametrize('path', sorted(FINETUNE) + [LINEAR_PROBE])
def test_config_builds(path):
    cfg = Config.fromfile(path)
    with DefaultScope.overwrite_default_scope('mmpretrain'), torch.device('meta'):
        model = MODELS.build(cfg.model)
    assert model.head.fc.in_features == model.backbone.embed_dims
    assert model.backbone.pos_embed.shape[1] == 1 + (cfg.model.backbone.img_size // 14) ** 2


def _tiny_classifier(**backbone):
    cfg = dict(type='ImageClassifier',
               backbone=dict(type='EVA', arch=dict(embed_dims=32, depth=3, num_heads=2, mlp_hidden=64), img_size=28,
                             out_indices=-1, final_norm=False, **backbone),
               neck=dict(type='MeanPoolNorm', in_channels=32, norm='bn' if backbone.get('frozen_stages') else 'ln'),
               head=dict(type='LinearClsHead', num_classes=5, in_channels=32,
                         loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original')))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(cfg)


def test_finetune_step_with_layer_decay():
    torch.manual_seed(0)
    model = _tiny_classifier(freeze_patch_embed=True, drop_path_rate=0.1)
    ow = build_optim_wrapper(model, dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3,
                                                                             weight_decay=0.05),
                                         constructor='EVALayerDecayOptimWrapperConstructor',
                                         paramwise_cfg=dict(layer_decay_rate=0.5)))
    scale = {n: g['lr'] / 1e-3 for g in ow.optimizer.param_groups for n in g.get('param_names', ())}
    assert scale['neck.fc_norm.weight'] == scale['head.fc.weight'] == 1.0
    assert scale['backbone.blocks.0.attn.qkv.weight'] == pytest.approx(0.5 ** 3)
    assert 'backbone.patch_embed.proj.weight' not in scale  # frozen: no gradient, not optimised
    samples = [DataSample().set_gt_label(i % 5) for i in range(4)]
    losses = model(torch.randn(4, 3, 28, 28), samples, mode='loss')
    ow.update_params(losses['loss'])
    assert torch.isfinite(losses['loss'])
    preds = model(torch.randn(2, 3, 28, 28), [DataSample(), DataSample()], mode='predict')
    assert preds[0].pred_score.shape == (5,)


def test_linear_probe_trains_the_head_only():
    model = _tiny_classifier(frozen_stages=3)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {'head.fc.weight', 'head.fc.bias'}
    model.train()
    assert not model.backbone.blocks[0].training  # frozen blocks stay in eval mode (no drop path)


def test_mean_pool_norm():
    neck = MODELS.build(dict(type='MeanPoolNorm', in_channels=8))
    x = torch.randn(2, 8, 3, 5)
    (out,) = neck((torch.zeros(2, 8, 3, 5), x))  # the last map is used
    torch.testing.assert_close(out, torch.nn.functional.layer_norm(x.mean((2, 3)), (8,), neck.fc_norm.weight,
                                                                   neck.fc_norm.bias, eps=1e-6))
    with pytest.raises(ValueError, match='norm'):
        MODELS.build(dict(type='MeanPoolNorm', in_channels=8, norm='gn'))
