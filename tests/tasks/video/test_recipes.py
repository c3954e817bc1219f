"""The video recipe configs carry the official values (github.com/baaivision/EVA EVA-01/video/configs/*.yaml)."""
import os.path as osp

import pytest
from mmengine.config import Config

ROOT = osp.join(osp.dirname(__file__), '..', '..', '..', 'configs', 'eva01', 'video')
# name: (frames, classes, epochs, lr, layer decay, drop path, per-GPU batch, accumulation, mixup) from the yaml files
OFFICIAL = {
    'eva-g-p14_k722-intermediate-ft_8f': (8, 722, 40, 8e-6, 1.0, 0.3, 2, 1, True),
    'eva-g-p14_k722-pre_1e_k400-16f': (16, 400, 1, 1e-6, 0.95, 0.2, 1, 4, False),
    'eva-g-p14_k722-pre_2e_k600-16f': (16, 600, 2, 1e-6, 0.95, 0.2, 1, 4, False),
    'eva-g-p14_k722-pre_2e_k700-16f': (16, 700, 2, 1e-6, 0.95, 0.2, 1, 4, False),
}


@pytest.mark.parametrize('name', sorted(OFFICIAL))
def test_official_values(name):
    frames, classes, epochs, lr, decay, dpr, batch, accum, mixup = OFFICIAL[name]
    cfg = Config.fromfile(osp.join(ROOT, name + '.py'))
    bb = cfg.model.backbone
    assert (bb.type, bb.arch, bb.num_frames, bb.tubelet_size, bb.patch_size, bb.with_cp) == \
        ('EVAVideo', 'eva-g', frames, 1, 14, True)
    assert bb.drop_path_rate == dpr
    assert cfg.model.cls_head.num_classes == classes and cfg.model.cls_head.label_smooth_eps == 0.1
    assert cfg.train_cfg.max_epochs == epochs
    opt = cfg.optim_wrapper
    assert opt.optimizer.lr == lr and opt.optimizer.betas == (0.9, 0.98) and opt.optimizer.eps == 1e-6
    assert opt.optimizer.weight_decay == 0.05 and opt.paramwise_cfg.layer_decay_rate == decay
    assert opt.accumulative_counts == accum and cfg.train_dataloader.batch_size == batch
    assert (cfg.model.data_preprocessor.blending is not None) == mixup
    # Segment sampling of `frames` frames; 4 clips x 3 crops at test.
    train, test = cfg.train_dataloader.dataset.pipeline, cfg.test_dataloader.dataset.pipeline
    val = cfg.val_dataloader.dataset.pipeline
    assert train[1] == dict(type='SegmentSampleFrames', num_segments=frames)  # tests/video/test_segment_sampling.py
    assert val[1] == dict(type='SegmentSampleFrames', num_segments=frames, test_mode=True)
    assert test[1] == dict(type='SegmentSampleFrames', num_segments=frames, num_views=4)
    assert dict(type='ThreeCrop', crop_size=224) in test
    assert str(classes) in cfg.train_dataloader.dataset.ann_file.split('/')[1]
    if frames == 16:  # stage 2 starts from the official K722 8-frame file
        assert bb.init_cfg.checkpoint.endswith('eva_video_k722.pth')
