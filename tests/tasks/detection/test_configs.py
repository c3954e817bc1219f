"""Every detection recipe loads, builds (full size, on the meta device) and carries the official values.

The table below restates docs/recipes.md#detection (EVA-01 and EVA-02): training / test size, windows,
global blocks, drop path, layer decay, lr, batch, iterations, milestones, warmup, and the test protocol.
"""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope

# mmengine resolves `mmdet::` bases through pkg_resources, deprecated in recent setuptools (not ours to fix)
pytestmark = pytest.mark.filterwarnings('ignore:pkg_resources is deprecated:UserWarning')

CONFIGS = osp.join(osp.dirname(__file__), '..', '..', '..', 'configs')
EVERY_3RD_L = tuple(range(2, 24, 3))  # 2, 5, ..., 23
EVA_G_GLOBAL = tuple(range(3, 40, 4))  # 3, 7, ..., 39

# name: (arch, train size, test size, window, global blocks, drop path, layer decay, lr, batch, iters,
#        milestones (None: constant after warmup), warmup, dataset, EMA)
RECIPES = {
    'eva01/cascade-mask-rcnn_eva-g_lsj-1280-45k_coco':
        ('eva-g', 1280, 1536, 16, EVA_G_GLOBAL, 0.6, 0.9, 2.5e-5, 64, 45000, [40000, 44999], 500, 'coco', False),
    'eva01/cascade-mask-rcnn_eva-g_lsj-1280-75k_lvis-v1':
        ('eva-g', 1280, 1536, 16, EVA_G_GLOBAL, 0.6, 0.9, 2e-4, 64, 75001, [70000, 75000], 250, 'lvis', False),
    'eva02/cascade-mask-rcnn_eva02-b_lsj-1024-60k_coco':
        ('eva02-b', 1024, 1024, 16, (2, 5, 8, 11), 0.1, 0.7, 5e-5, 128, 60000, [48000, 54000], 1000, 'coco', False),
    'eva02/cascade-mask-rcnn_eva02-l_lsj-1024-60k_coco':
        ('eva02-l', 1024, 1024, 16, (5, 11, 17, 23), 0.4, 0.8, 6e-5, 144, 60000, [48000, 54000], 1000, 'coco',
         False),
    'eva02/cascade-mask-rcnn_eva02-b_lsj-1536-60k_coco':
        ('eva02-b', 1536, 1536, 32, (1, 3, 5, 7, 9, 11), 0.1, 0.7, 5e-5, 128, 60000, [48000, 54000], 1000, 'coco',
         False),
    'eva02/cascade-mask-rcnn_eva02-l_lsj-1536-60k_coco':
        ('eva02-l', 1536, 1536, 32, EVERY_3RD_L, 0.4, 0.8, 5e-5, 128, 60000, [48000, 54000], 1000, 'coco', False),
    'eva02/cascade-mask-rcnn_eva02-b_lsj-1024-50k_lvis-v1':
        ('eva02-b', 1024, 1024, 16, (2, 5, 8, 11), 0.1, 0.7, 1e-4, 128, 50000, [40000, 45000], 1000, 'lvis', False),
    'eva02/cascade-mask-rcnn_eva02-l_lsj-1024-40k_lvis-v1':
        ('eva02-l', 1024, 1024, 16, (5, 11, 17, 23), 0.4, 0.8, 1e-4, 128, 40000, [32000, 36000], 1000, 'lvis',
         False),
    'eva02/cascade-mask-rcnn_eva02-l_lsj-1536-40k_lvis-v1':
        ('eva02-l', 1536, 1536, 32, EVERY_3RD_L, 0.4, 0.8, 1e-4, 128, 40000, [32000, 36000], 1000, 'lvis', False),
    'eva02/cascade-rcnn_eva02-l_lsj-1536-400k_objects365v1':
        ('eva02-l', 1536, 1536, 16, EVERY_3RD_L, 0.4, 0.8, 6e-5, 160, 400000, [320000, 360000], 5000, 'o365',
         False),
    'eva02/cascade-mask-rcnn_eva02-l-o365_lsj-1536-40k_coco':
        ('eva02-l', 1536, 1536, 16, EVERY_3RD_L, 0.3, 0.8, 4e-5, 64, 40000, None, 400, 'coco', True),
    'eva02/cascade-mask-rcnn_eva02-l-o365_lsj-1536-70k_lvis-v1':
        ('eva02-l', 1536, 1536, 16, EVERY_3RD_L, 0.3, 0.8, 4e-5, 64, 70000, None, 700, 'lvis', True),
}
# Test protocol per dataset: (classes, detections per image, score threshold); 1536-px LVIS tests keep 1000.
PROTOCOL = {'coco': (80, 100, 0.0), 'lvis': (1203, 300, 0.02), 'o365': (365, 100, 0.0)}


def load(name: str) -> Config:
    return Config.fromfile(osp.join(CONFIGS, name + '.py'))


def size_of(pipeline, kind):
    return next(t for t in pipeline if t['type'] == kind)


def test_every_detection_config_is_in_the_table():
    """A new detection config without a RECIPES row fails here instead of going untested."""
    found = {osp.relpath(p, CONFIGS)[:-3] for pattern in ('eva0*/*rcnn*.py', 'eva0*/*/*rcnn*.py')
             for p in glob.glob(osp.join(CONFIGS, pattern))}
    assert found == set(RECIPES), f'configs without a row: {sorted(found - set(RECIPES))}; ' \
        f'rows without a config: {sorted(set(RECIPES) - found)}'


@pytest.mark.parametrize('name', sorted(RECIPES))
def test_recipe_values(name):
    arch, train, test, window, glb, dp, lrd, lr, batch, iters, milestones, warmup, data, ema = RECIPES[name]
    cfg = load(name)
    bb = cfg.model.backbone
    assert (bb.arch, bb.img_size, bb.patch_size, bb.window_size, tuple(bb.global_attn_indexes)) == \
        (arch, train, 16, window, glb)
    assert bb.drop_path_rate == dp and bb.pretrain_img_size == 224
    # EVA-01: decomposed rel-pos, frozen patch embed, act. ckpt; EVA-02: RoPE (from the arch table), no rel-pos.
    eva01 = arch == 'eva-g'
    assert bb.get('use_rel_pos', False) == eva01 and bb.get('freeze_patch_embed', False) == eva01
    assert bb.get('with_cp', False) == (eva01 or (arch == 'eva02-l' and train == 1536 and data == 'coco'))
    assert cfg.custom_imports == dict(imports=['eva_mm'], allow_failed_imports=False)
    assert 'checkpoint' in bb.init_cfg
    # Data: LSJ at the training size, test resize at the test size, batch padded to the square.
    pipe = cfg.train_dataloader.dataset.get('pipeline') or cfg.train_dataloader.dataset.datasets[0].pipeline
    assert size_of(pipe, 'RandomResize').ratio_range == (0.1, 2.0)
    assert tuple(size_of(pipe, 'RandomCrop').crop_size) == (train, train)
    assert tuple(size_of(cfg.test_dataloader.dataset.pipeline, 'Resize').scale) == (test, test)
    assert tuple(cfg.model.data_preprocessor.batch_augments[0].size) == (train, train)
    # Optimiser: AdamW (0.9, 0.999), wd 0.1 on everything, layer decay, AMP.
    ow = cfg.optim_wrapper
    assert ow.type == 'AmpOptimWrapper' and ow.constructor == 'EVALayerDecayOptimWrapperConstructor'
    assert (ow.optimizer.type, ow.optimizer.lr, tuple(ow.optimizer.betas), ow.optimizer.weight_decay) == \
        ('AdamW', lr, (0.9, 0.999), 0.1)
    assert ow.paramwise_cfg == dict(layer_decay_rate=lrd, no_decay_1d=False, no_decay_names=())
    assert cfg.auto_scale_lr.base_batch_size == batch
    # Schedule.
    assert cfg.train_cfg.type == 'IterBasedTrainLoop' and cfg.train_cfg.max_iters == iters
    warm = cfg.param_scheduler[0]
    assert (warm.type, warm.start_factor, warm.end) == ('LinearLR', 0.001, warmup)
    steps = [s for s in cfg.param_scheduler if s.type == 'MultiStepLR']
    assert (steps[0].milestones if steps else None) == milestones
    assert any(h.type == 'EMAHook' and h.momentum == 1e-4 for h in cfg.get('custom_hooks', [])) == ema
    # Heads: cascade IoUs, Shared4Conv1FC + LN, class-agnostic regression, LN mask head.
    rh = cfg.model.roi_head
    assert [s.assigner.pos_iou_thr for s in cfg.model.train_cfg.rcnn] == [0.5, 0.6, 0.7]
    classes, max_dets, score_thr = PROTOCOL[data]
    for head in rh.bbox_head:
        assert (head.type, head.norm_cfg.type, head.reg_class_agnostic, head.num_classes) == \
            ('Shared4Conv1FCBBoxHead', 'LN2d', True, classes)
        assert (head.loss_cls.type == 'FederatedLoss') == (data == 'lvis')
    assert [h.bbox_coder.target_stds for h in rh.bbox_head] == [
        [0.1, 0.1, 0.2, 0.2], [0.05, 0.05, 0.1, 0.1], [0.033, 0.033, 0.067, 0.067]]
    assert cfg.model.rpn_head.num_convs == 2
    # Test protocol: linear soft-NMS at 0.6, class-wise, decayed scores kept down to 1e-3 (EVA-01 and EVA-02
    # det/detectron2/modeling/roi_heads/fast_rcnn.py); maskness 0.5.
    rcnn = cfg.model.test_cfg.rcnn
    assert (rcnn.nms.type, rcnn.nms.method, rcnn.nms.iou_threshold, rcnn.nms.class_agnostic, rcnn.nms.min_score) == \
        ('soft_nms', 'linear', 0.6, False, 1e-3)
    if data == 'lvis' and test == 1536:
        max_dets, score_thr = 1000, 0.001
    assert (rcnn.max_per_img, rcnn.score_thr) == (max_dets, score_thr)
    if data == 'o365':
        assert rh.mask_head is None and rcnn.maskness_thr is None
    else:
        assert rh.mask_head.type == 'MasknessFCNMaskHead' and rh.mask_head.norm_cfg.type == 'LN2d'
        assert rcnn.maskness_thr == 0.5
    if data == 'lvis':
        assert cfg.train_dataloader.sampler == dict(type='RepeatFactorSampler', repeat_thr=0.001)
        assert cfg.train_dataloader.dataset.type == 'LVISV1Dataset'
        assert cfg.val_evaluator.type == cfg.test_evaluator.type == 'EVALVISMetric'
        # the official evaluation scores every kept detection: 1000 at 1536 (EVA-01, EVA-02-L), else 300
        assert cfg.val_evaluator.max_dets == cfg.test_evaluator.max_dets == max_dets
        assert rh.bbox_head[0].loss_cls.num_fed_classes == 50 and rh.bbox_head[0].loss_cls.freq_power == 0.5


@pytest.mark.parametrize('name', sorted(RECIPES))
def test_builds_full_size_on_meta(name):
    cfg = load(name)
    init_default_scope(cfg.default_scope)
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'CascadeRCNN'
    assert model.backbone.num_layers == {'eva-g': 40, 'eva02-b': 12, 'eva02-l': 24}[cfg.model.backbone.arch]
    assert model.neck.in_channels[-1] == model.backbone.embed_dims
    assert model.with_mask == ('objects365' not in name)
