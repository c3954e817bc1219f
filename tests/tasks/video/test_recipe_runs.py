"""The K722 recipe config runs as written through mmengine's Runner (what tools/train.py / tools/test.py do): PyAV
decoding of real mp4 files, the official sampler and colour augmentation, mixup / cutmix, layer-decay AdamW,
activation checkpointing, 4 x 3 test views. Only what CPU needs differs: a 1-block backbone, no AMP, no workers."""
import os.path as osp

import av
import numpy as np
from mmengine.config import Config

ROOT = osp.join(osp.dirname(__file__), '..', '..', '..', 'configs', 'eva01', 'video')


def _write_video(path, shift, frames=24):
    with av.open(str(path), 'w') as out:
        stream = out.add_stream('mpeg4', rate=25)
        stream.width, stream.height, stream.pix_fmt = 160, 128, 'yuv420p'
        for i in range(frames):
            img = np.zeros((128, 160, 3), np.uint8)
            img[:, (i * shift) % 140:(i * shift) % 140 + 20] = 255
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format='rgb24')):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def test_k722_config_trains_and_tests_on_videos(tmp_path):
    from mmengine.runner import Runner
    for split in ('train', 'val'):
        (tmp_path / 'kinetics400' / f'videos_{split}').mkdir(parents=True)
        lines = []
        for k in range(2):
            name = f'{split[0]}{k:010d}_000000_000010.mp4'
            _write_video(tmp_path / 'kinetics400' / f'videos_{split}' / name, 3 + k)
            lines.append(f'kinetics400/videos_{split}/{name} {k}\n')
        (tmp_path / f'{split}.txt').write_text(''.join(lines))
    cfg = Config.fromfile(osp.join(ROOT, 'eva-g-p14_k722-intermediate-ft_8f.py'))
    cfg.model.backbone.arch = dict(embed_dims=32, depth=1, num_heads=2, mlp_hidden=64, mlp_type='gelu',
                                   use_rope=False)
    cfg.model.backbone.init_cfg = None
    cfg.model.cls_head.in_channels = 32
    for loader, split in ((cfg.train_dataloader, 'train'), (cfg.val_dataloader, 'val'), (cfg.test_dataloader, 'val')):
        loader.dataset.ann_file = str(tmp_path / f'{split}.txt')
        loader.dataset.data_prefix = dict(video=str(tmp_path))
        loader.num_workers, loader.persistent_workers = 0, False
    cfg.test_dataloader.batch_size = 2
    cfg.optim_wrapper.type = 'OptimWrapper'  # AMP is for the GPU
    cfg.train_cfg.max_epochs = 1
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True, begin=0, end=1)]
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1)
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    assert runner.model.backbone.with_cp and runner.model.data_preprocessor.blending is not None
    runner.train()
    metrics = runner.test()
    assert {'acc/top1', 'acc/top5', 'acc/mean1'} <= set(metrics)
    # the test views reached the head as 4 clips x 3 crops per video
    batch = next(iter(runner.test_dataloader))
    assert tuple(batch['inputs'][0].shape) == (12, 3, 8, 224, 224)
