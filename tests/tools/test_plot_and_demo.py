"""Pictures: tools/analysis/plot_curves.py draws a work dir's curves, tools/demo.py (the toolboxes' inferencers)
draws a detector's boxes and masks on an image, a folder and a video, and a segmentor's class overlay. Each PNG
is checked for the drawing itself, not just for existing."""
import glob
import importlib.util
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from matplotlib.colors import to_rgb
from mmengine.config import Config

import eva_mm  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DET_CONFIG = osp.join(ROOT, 'configs/quickstart/mask-rcnn_r18-w32_fpn_600it_shapes-coco.py')
SEG_CONFIG = osp.join(ROOT, 'configs/quickstart/upernet_eva02-mini-p8_400it_ade-shapes-64x64.py')
# Third-party and harmless: mmdet's visualiser (np.clip on torch tensors under NumPy 2, boxes at the image border)
# and mmseg building its own decode heads and CrossEntropyLoss with its defaults.
pytestmark = pytest.mark.filterwarnings('ignore:__array_wrap__ must accept context:DeprecationWarning',
                                        'ignore:Warning. The (bbox|polygon) is out of bounds:UserWarning',
                                        'ignore:``build_loss`` would be deprecated:UserWarning',
                                        'ignore:Default ``avg_non_ignore`` is False:UserWarning')


def load_tool(path):
    spec = importlib.util.spec_from_file_location(osp.splitext(osp.basename(path))[0], osp.join(ROOT, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_png(path):
    """(H, W, 3) uint8 RGB."""
    assert osp.getsize(path) > 0
    return cv2.imread(path, cv2.IMREAD_COLOR)[..., ::-1]


def colour_pixels(image, colour, tol=12):
    """How many pixels are within `tol` of an (r, g, b) uint8 colour."""
    return int((np.abs(image.astype(int) - np.asarray(colour)).max(-1) <= tol).sum())


@pytest.fixture(scope='module')
def det_run(tmp_path_factory):
    """The detection quickstart trained for 2 iterations on 6 generated images, evaluated at the end."""
    tmp = tmp_path_factory.mktemp('det')
    data_root, work_dir = str(tmp / 'shapes'), str(tmp / 'work')
    options = {'train_cfg.max_iters': 2, 'train_cfg.val_interval': 2, 'default_hooks.checkpoint.interval': 2,
               'default_hooks.logger.interval': 1,
               'val_evaluator.ann_file': f'{data_root}/annotations/instances_val.json',
               # its own visualiser (and so its own log dir): mmengine keeps one per name per process
               'visualizer.name': 'plot_and_demo_visualizer'}
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options.update({f'{loader}.num_workers': 0, f'{loader}.persistent_workers': False,
                        f'{loader}.dataset.root': data_root, f'{loader}.dataset.dataset.data_root': data_root,
                        f'{loader}.dataset.num_train': 4, f'{loader}.dataset.num_val': 2})
    load_tool('tools/train.py').main([DET_CONFIG, '--work-dir', work_dir, '--cfg-options']
                                     + [f'{k}={v}' for k, v in options.items()])
    return dict(work_dir=work_dir, data_root=data_root, checkpoint=osp.join(work_dir, 'iter_2.pth'))


def test_plot_curves_of_a_training_run(det_run, tmp_path):
    out = str(tmp_path / 'curves.png')
    keys = ['loss', 'lr', 'coco/bbox_mAP']
    assert load_tool('tools/analysis/plot_curves.py').main([det_run['work_dir'], '--keys', *keys, '--out', out]) == out
    tool = load_tool('tools/analysis/plot_curves.py')
    records = tool.read_records(tool.scalar_files(det_run['work_dir']))
    assert tool.curve(records, 'loss')[0] == [1.0, 2.0]
    assert tool.curve(records, 'coco/bbox_mAP')[0] == [2.0]  # evaluated after iteration 2 (logged with step 0)
    image = read_png(out)
    assert image.shape[:2] == (3 * 260, 800)  # three stacked panels of 8 x 2.6 inches at 100 dpi
    for i in range(len(keys)):  # each key's line is drawn in its own colour (C0, C1, C2)
        colour = np.round(np.asarray(to_rgb(f'C{i}')) * 255)
        assert colour_pixels(image, colour) > 20, keys[i]


def _write_scalars(path, records):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(''.join(json.dumps(r) + '\n' for r in records))


def test_plot_curves_reads_resumed_epoch_runs(tmp_path):
    tool = load_tool('tools/analysis/plot_curves.py')
    work = tmp_path / 'work'
    first = [{'lr': 0.1, 'loss': 2.0 - 0.1 * i, 'epoch': 1, 'iter': i, 'step': i} for i in range(1, 11)]
    # resumed from iteration 8: steps 9 and 10 are logged again with new values
    second = [{'lr': 0.1, 'loss': 1.0 - 0.05 * i, 'epoch': 2, 'iter': i, 'step': i} for i in range(9, 21)]
    for run, records in (('20260101_000000', first + [{'accuracy/top1': 40.0, 'step': 1}]),
                         ('20260102_000000', second + [{'accuracy/top1': 55.0, 'step': 2}])):
        _write_scalars(work / run / 'vis_data' / 'scalars.json', records)
    records = tool.read_records(tool.scalar_files(str(work)))
    assert tool.default_keys(records) == ['loss', 'lr', 'accuracy/top1']
    xs, ys, label = tool.curve(records, 'loss')
    assert xs == [float(i) for i in range(1, 21)] and label == 'iteration'
    assert ys[8] == pytest.approx(1.0 - 0.05 * 9)  # the resumed run's value wins
    # metrics sit at the iteration of the training line logged before them (their step is the epoch here)
    assert tool.curve(records, 'accuracy/top1') == ([10.0, 20.0], [40.0, 55.0], 'iteration')
    out = tool.main([str(work)])
    assert out == str(work / 'curves.png') and colour_pixels(read_png(out), (31, 119, 180)) > 20


def test_plot_curves_errors_name_the_culprit(tmp_path):
    tool = load_tool('tools/analysis/plot_curves.py')
    with pytest.raises(FileNotFoundError, match='no_such_dir'):
        tool.main([str(tmp_path / 'no_such_dir')])
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match='scalars.json'):
        tool.main([str(tmp_path / 'empty')])
    log = tmp_path / 'scalars.json'
    log.write_text('{"loss": 1.0, "lr": 0.1, "iter": 1, "step": 1}\n{"loss": \n')
    with pytest.raises(ValueError, match='scalars.json, line 2'):
        tool.main([str(log)])
    log.write_text('{"loss": 1.0, "lr": 0.1, "iter": 1, "step": 1}\n')
    with pytest.raises(KeyError, match="coco/bbox_mAP.*logged keys: \\['loss', 'lr'\\]"):
        tool.main([str(log), '--keys', 'coco/bbox_mAP'])


def _val_images(det_run):
    return sorted(glob.glob(osp.join(det_run['data_root'], 'val', '*')) + glob.glob(
        osp.join(det_run['data_root'], '*', '*.jpg')))


def test_demo_draws_detections(det_run, tmp_path):
    image = _val_images(det_run)[0]
    out = str(tmp_path / 'det.png')
    result = load_tool('tools/demo.py').main([image, DET_CONFIG, det_run['checkpoint'], '--out', out,
                                              '--score-thr', '0'])
    source, written = cv2.imread(image)[..., ::-1], read_png(out)
    assert written.shape == source.shape and np.array_equal(written, result['visualization'][0])
    changed = np.abs(written.astype(int) - source.astype(int)).max(-1) > 40
    assert changed.sum() > 100  # boxes, masks and labels were drawn on the image
    assert len(result['predictions'][0]['scores']) > 0


def test_demo_on_a_folder_writes_pictures_and_json(det_run, tmp_path):
    folder = osp.join(det_run['data_root'], 'val')
    images = sorted(os.listdir(folder))
    out = tmp_path / 'out'
    result = load_tool('tools/demo.py').main([folder, DET_CONFIG, '--weights', det_run['checkpoint'],
                                              '--out-dir', str(out), '--batch-size', '2', '--pred-score-thr', '0'])
    assert len(result['predictions']) == len(images) == 2
    for name, prediction in zip(images, result['predictions']):  # mmdet's layout: vis/NAME, preds/STEM.json
        assert cv2.imread(str(out / 'vis' / name)).shape == cv2.imread(osp.join(folder, name)).shape
        saved = json.loads((out / 'preds' / (osp.splitext(name)[0] + '.json')).read_text())
        assert saved['labels'] == prediction['labels'] and len(saved['bboxes']) == len(saved['scores'])


def test_demo_draws_a_video(det_run, tmp_path):
    frame = cv2.imread(_val_images(det_run)[0])
    video = str(tmp_path / 'in.mp4')
    writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*'mp4v'), 5, (frame.shape[1], frame.shape[0]))
    for shift in range(3):
        writer.write(np.roll(frame, 8 * shift, axis=1))
    writer.release()
    out = str(tmp_path / 'out.mp4')
    assert load_tool('tools/demo.py').main([video, DET_CONFIG, det_run['checkpoint'], '--out', out,
                                            '--score-thr', '0']) == 3
    capture, drawn = cv2.VideoCapture(out), []
    while True:
        ok, image = capture.read()
        if not ok:
            break
        drawn.append(image)
    capture.release()
    assert len(drawn) == 3 and drawn[0].shape == frame.shape
    assert (np.abs(drawn[0].astype(int) - frame.astype(int)).max(-1) > 60).sum() > 100  # boxes drawn on it


def _random_seg_checkpoint(path):
    """The segmentation quickstart with its initial (random) weights, saved with its classes and palette."""
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    cfg = Config.fromfile(SEG_CONFIG)
    init_default_scope('mmseg')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    palette = [list(p) for p in cfg.metainfo['palette']]
    meta = dict(dataset_meta=dict(classes=list(cfg.metainfo['classes']), palette=palette))
    torch.save(dict(state_dict=model.state_dict(), meta=meta), path)
    return cfg.metainfo['palette']


def test_demo_draws_the_class_overlay(tmp_path):
    palette = np.asarray(_random_seg_checkpoint(str(tmp_path / 'seg.pth')))
    rng = np.random.default_rng(0)
    source = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    (tmp_path / 'imgs').mkdir()
    cv2.imwrite(str(tmp_path / 'imgs' / 'img.png'), source[..., ::-1])
    out, out_dir = str(tmp_path / 'seg.png'), tmp_path / 'out'
    # a folder of one image: the picture to --out, and to --out-dir the label maps only (--no-save-vis)
    result = load_tool('tools/demo.py').main([str(tmp_path / 'imgs'), SEG_CONFIG, str(tmp_path / 'seg.pth'),
                                              '--out', out, '--out-dir', str(out_dir), '--no-save-vis'])
    written = read_png(out).astype(float)
    # each pixel is half image, half the colour of one class (SegLocalVisualizer, alpha 0.5); the class labels
    # written on top cover only a few pixels
    blends = source[None].astype(float) * 0.5 + palette[:, None, None, :] * 0.5  # (K, H, W, 3)
    error = np.abs(written[None] - blends).max(-1).min(0)
    assert (error <= 2).mean() > 0.8
    assert np.abs(written - source).max(-1).mean() > 10  # and it is not the plain image
    assert sorted(os.listdir(out_dir)) == ['pred']
    saved = cv2.imread(str(out_dir / 'pred' / '00000000_pred.png'), cv2.IMREAD_UNCHANGED)
    assert saved.shape == (64, 64) and np.array_equal(saved, result['predictions'][0])


def test_demo_errors_name_the_culprit(tmp_path):
    demo = load_tool('tools/demo.py')
    with pytest.raises(FileNotFoundError, match='nope.jpg'):
        demo.main([str(tmp_path / 'nope.jpg'), DET_CONFIG, 'x.pth', '--out', str(tmp_path / 'o.png')])
    (tmp_path / 'broken.jpg').write_bytes(b'not an image')
    with pytest.raises(ValueError, match='broken.jpg'):
        demo.main([str(tmp_path / 'broken.jpg'), DET_CONFIG, 'x.pth', '--out', str(tmp_path / 'o.png')])
    cv2.imwrite(str(tmp_path / 'ok.png'), np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(KeyError, match='no-such-model'):
        demo.main([str(tmp_path / 'ok.png'), 'no-such-model', '--out', str(tmp_path / 'o.png')])
    (tmp_path / 'clip.mp4').write_bytes(b'')
    with pytest.raises(ValueError, match='upernet_eva02-mini.*detection models'):
        demo.main([str(tmp_path / 'clip.mp4'), SEG_CONFIG, 'x.pth', '--out', str(tmp_path / 'o.mp4')])
    with pytest.raises(ValueError, match='--out FILE.mp4 or --show'):
        demo.main([str(tmp_path / 'clip.mp4'), DET_CONFIG, 'x.pth'])
    with pytest.raises(FileNotFoundError, match='gone.mp4'):
        demo.main([str(tmp_path / 'gone.mp4'), DET_CONFIG, 'x.pth', '--out', str(tmp_path / 'o.mp4')])
