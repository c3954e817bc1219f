"""Run one image through a detector or a segmentor and draw the prediction to a PNG.

    python tools/demo.py IMAGE CONFIG CHECKPOINT --out FILE.png [--device cpu] [--score-thr 0.3]

The toolbox comes from the config's `default_scope`: mmdet configs get boxes, masks and class labels (mmdet's
`init_detector` / `inference_detector` + `DetLocalVisualizer`), mmseg configs get the class overlay (mmseg's
`init_model` / `inference_model` + `SegLocalVisualizer`). CHECKPOINT is a path or URL, loaded through mmengine
(eva_mm makes that load `weights_only`).
"""
import eva_mm  # noqa: F401,I001  (first: installs the compat layer before mmcv/mmdet/mmseg are imported)

import argparse
import os
import os.path as osp
import sys
import uuid
from typing import Optional, Sequence

import mmcv
import numpy as np
from mmengine.config import Config

SCOPES = ('mmdet', 'mmseg')


def toolbox_of(cfg: Config, config_path: str) -> str:
    """'mmdet' or 'mmseg', from the config's default_scope; anything else is an error naming the config."""
    scope = cfg.get('default_scope')
    if scope not in SCOPES:
        raise ValueError(f'{config_path}: default_scope is {scope!r}; tools/demo.py draws detection (mmdet) and '
                         f'segmentation (mmseg) configs only')
    return scope


def read_rgb(image: str) -> np.ndarray:
    """The image as an (H, W, 3) uint8 RGB array; a missing or unreadable file is an error naming it."""
    if not osp.isfile(image):
        raise FileNotFoundError(f'image not found: {image}')
    try:
        array = mmcv.imread(image, channel_order='rgb')
    except Exception as e:  # cv2/PIL raise many types for broken files
        raise ValueError(f'cannot read image {image}: {e}') from None
    if array is None or array.ndim != 3:
        raise ValueError(f'cannot read image {image}: not a decodable colour image')
    return array


def without_generation(cfg: Config) -> Config:
    """A copy of `cfg` whose test data set is the one a `GeneratedDataset` wraps.

    mmdet's `init_detector` builds the test data set (lazily) to read its palette; a demo must not generate the
    quickstart's synthetic data to do that, and the wrapped data set holds the metainfo and test pipeline anyway.
    """
    cfg = cfg.copy()
    dataset = cfg.test_dataloader.dataset
    while dataset.get('type') == 'GeneratedDataset':
        dataset = dataset.dataset
    cfg.test_dataloader.dataset = dataset
    return cfg


def draw_detection(image: str, cfg: Config, checkpoint: str, device: str, score_thr: float) -> np.ndarray:
    """(H, W, 3) RGB picture with the boxes, masks and labels scoring at least `score_thr`."""
    from mmdet.apis import inference_detector, init_detector
    from mmdet.visualization import DetLocalVisualizer

    model = init_detector(without_generation(cfg), checkpoint, device=device)
    result = inference_detector(model, image)
    # a fresh name: mmengine keeps one visualiser per name, process-wide
    visualizer = DetLocalVisualizer(name=f'eva_mm_demo_{uuid.uuid4().hex}')
    visualizer.dataset_meta = model.dataset_meta
    visualizer.add_datasample('demo', read_rgb(image), data_sample=result, draw_gt=False, show=False,
                              pred_score_thr=score_thr)
    return visualizer.get_image()


def draw_segmentation(image: str, cfg: Config, checkpoint: str, device: str, alpha: float = 0.5) -> np.ndarray:
    """(H, W, 3) RGB picture with the predicted class map blended in (`alpha` of the class colour) and labelled."""
    from mmseg.apis import inference_model, init_model
    from mmseg.visualization import SegLocalVisualizer

    model = init_model(cfg, checkpoint, device=device)
    result = inference_model(model, image)
    visualizer = SegLocalVisualizer(name=f'eva_mm_demo_{uuid.uuid4().hex}', alpha=alpha)
    visualizer.dataset_meta = model.dataset_meta
    visualizer.add_datasample('demo', read_rgb(image), data_sample=result, draw_gt=False, show=False)
    return visualizer.get_image()


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Draw a detector\'s or segmentor\'s prediction for one image.')
    parser.add_argument('image', help='input image file')
    parser.add_argument('config', help='mmdet or mmseg config file')
    parser.add_argument('checkpoint', help='checkpoint path or URL')
    parser.add_argument('--out', required=True, help='PNG file to write')
    parser.add_argument('--device', default='cpu', help='cpu, cuda, cuda:1, ...')
    parser.add_argument('--score-thr', type=float, default=0.3, help='detection: lowest score drawn')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> np.ndarray:
    """Predict, draw and write the PNG; returns the drawn (H, W, 3) RGB picture."""
    args = parse_args(argv)
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config not found: {args.config}')
    read_rgb(args.image)  # fail on a bad image before building a model
    cfg = Config.fromfile(args.config)
    if toolbox_of(cfg, args.config) == 'mmdet':
        drawn = draw_detection(args.image, cfg, args.checkpoint, args.device, args.score_thr)
    else:
        drawn = draw_segmentation(args.image, cfg, args.checkpoint, args.device)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    mmcv.imwrite(drawn[..., ::-1], args.out)  # imwrite takes BGR
    print(f'prediction drawn to {args.out}')
    return drawn


if __name__ == '__main__':
    try:
        main()
    except (FileNotFoundError, ValueError) as e:
        sys.exit(f'error: {e}')
