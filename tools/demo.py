"""Run an eva_mm model (zoo name or config) on images, a folder, a video file or a webcam, with the toolboxes'
inferencers (``DetInferencer``, ``MMSegInferencer``, ``ImageClassificationInferencer``; see docs/inference.md).

    python tools/demo.py INPUTS MODEL [WEIGHTS] [--out-dir DIR] [--out FILE] [--device cpu] [--batch-size N]
                         [--pred-score-thr 0.3] [--opacity 0.5] [--show] [--no-save-vis] [--no-save-pred]
                         [--print-result]
    python tools/demo.py VIDEO.mp4 MODEL WEIGHTS --out OUT.mp4      # detection, frame by frame (mmdet video_demo)
    python tools/demo.py webcam MODEL WEIGHTS [--camera-id 0]         # detection, shown live (mmdet webcam_demo)

INPUTS: an image, a folder of images (with a progress bar), or a video file / ``webcam`` (detection). MODEL: a zoo
name (``eva_mm.list_models()``) or a config file; the toolbox is the config's ``default_scope``. WEIGHTS: a path or
URL; omitted with a zoo name, the released weights (hash-checked download). ``--out-dir`` gets the toolbox's own
layout: ``vis/`` pictures and ``preds/`` JSON (mmdet), ``vis/`` and ``pred/`` label maps (mmseg), ``vis/`` and
``preds/`` JSON (classification). ``--out FILE`` writes one image's picture (or the drawn video).
"""
import eva_mm  # noqa: F401,I001  (first: installs the compat layer and hooks eva_mm's zoo into the inferencers)

import argparse
import json
import os
import os.path as osp
import sys
import tempfile
from typing import Any, Dict, Optional, Sequence

import cv2
import mmcv
import numpy as np

from eva_mm import zoo
from eva_mm.apis.inferencers import inference_config

SCOPES = ('mmdet', 'mmseg', 'mmpretrain')
VIDEO_SUFFIXES = ('.mp4', '.avi', '.mov', '.mkv', '.webm')


def scope_of(model: str) -> str:
    """The toolbox of a zoo name or config file; anything eva_mm cannot run here is an error naming it."""
    if model.endswith('.py'):
        if not osp.isfile(model):
            raise FileNotFoundError(f'config not found: {model}')
        path = model
    else:
        path = zoo.config_path(model)  # an unknown name is a KeyError listing close names
    scope = inference_config(path).get('default_scope')
    if scope not in SCOPES:
        raise ValueError(f'{model}: default_scope is {scope!r}; tools/demo.py runs detection (mmdet), segmentation '
                         f'(mmseg) and classification (mmpretrain) models')
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


def build_inferencer(model: str, weights: Optional[str], device: str, scope: str) -> Any:
    """The toolbox's inferencer for ``model`` (zoo name or config) with ``weights`` (None: the released ones)."""
    if scope == 'mmdet':
        from mmdet.apis import DetInferencer
        return DetInferencer(model, weights=weights, device=device)
    if scope == 'mmseg':
        from mmseg.apis import MMSegInferencer
        return MMSegInferencer(model, weights=weights, device=device)
    from mmpretrain.apis import ImageClassificationInferencer
    return ImageClassificationInferencer(model, pretrained=weights if weights else True, device=device)


def _call_kwargs(scope: str, args: argparse.Namespace, out_dir: str, scratch: str) -> Dict[str, Any]:
    """The toolbox's own keywords for the demo's flags (their names differ per toolbox).

    ``scratch``: a temporary folder for what the toolbox writes but was not asked for (mmseg cannot be told to
    skip one of its two folders; mmpretrain draws only into a folder).
    """
    if scope == 'mmdet':
        return dict(batch_size=args.batch_size, show=args.show, out_dir=out_dir, no_save_vis=args.no_save_vis,
                    no_save_pred=args.no_save_pred, pred_score_thr=args.pred_score_thr, return_vis=True,
                    print_result=args.print_result)
    if scope == 'mmseg':
        # an absolute sub-folder replaces out_dir in mmseg's join
        return dict(batch_size=args.batch_size, show=args.show, out_dir=out_dir or scratch, return_vis=True,
                    opacity=args.opacity,
                    img_out_dir=osp.join(scratch, 'vis') if args.no_save_vis or not out_dir else 'vis',
                    pred_out_dir=osp.join(scratch, 'pred') if args.no_save_pred or not out_dir else 'pred')
    show_dir = osp.join(out_dir, 'vis') if out_dir and not args.no_save_vis else osp.join(scratch, 'vis')
    os.makedirs(show_dir, exist_ok=True)
    return dict(batch_size=args.batch_size, show=args.show, show_dir=show_dir)


def _save_class_predictions(inputs: Sequence[str], results: Sequence[dict], out_dir: str) -> None:
    """mmdet's layout for classification: ``preds/<image name>.json`` per image (mmpretrain writes none)."""
    os.makedirs(osp.join(out_dir, 'preds'), exist_ok=True)
    for path, result in zip(inputs, results):
        result = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in result.items()}
        with open(osp.join(out_dir, 'preds', osp.splitext(osp.basename(path))[0] + '.json'), 'w') as f:
            json.dump(result, f)


def run_images(inferencer: Any, scope: str, args: argparse.Namespace) -> Dict[str, Any]:
    """Images or a folder through the inferencer; with ``--out``, the one image's picture written there."""
    inputs = args.inputs
    if osp.isdir(inputs):
        files = sorted(osp.join(inputs, f) for f in os.listdir(inputs)
                       if f.lower().endswith(('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')))
        if not files:
            raise FileNotFoundError(f'no images in folder {inputs}')
    else:
        read_rgb(inputs)  # fail on a bad image before inference
        files = [inputs]
    if args.out and len(files) != 1:
        raise ValueError(f'--out takes one image; {inputs} holds {len(files)}, use --out-dir')
    with tempfile.TemporaryDirectory() as scratch:
        kwargs = _call_kwargs(scope, args, args.out_dir, scratch)
        result = inferencer(files, **kwargs)
        if scope == 'mmpretrain':
            result = dict(predictions=result, visualization=[
                read_rgb(osp.join(kwargs['show_dir'], osp.splitext(osp.basename(f))[0] + '.png')) for f in files])
            if args.out_dir and not args.no_save_pred:
                _save_class_predictions(files, result['predictions'], args.out_dir)
            if args.print_result:
                print(result['predictions'])
    for key in ('predictions', 'visualization'):  # mmseg unpacks the lists of a single image; keep them lists
        if len(files) == 1 and not isinstance(result[key], list):
            result[key] = [result[key]]
    if args.out:
        _write_rgb(np.asarray(result['visualization'][0]), args.out)
    return result


def _write_rgb(picture: np.ndarray, path: str) -> None:
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    mmcv.imwrite(picture[..., ::-1], path)  # imwrite takes BGR
    print(f'prediction drawn to {path}')


def run_stream(inferencer: Any, capture: cv2.VideoCapture, args: argparse.Namespace) -> int:
    """Detect frame by frame from a video file or camera; write the drawn frames (``--out``) and/or show them.

    Returns the number of frames processed. ``q`` or Esc in the window stops a live run.
    """
    if not capture.isOpened():
        raise ValueError(f'cannot open video source {args.inputs!r}')
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    writer, frames = None, 0
    try:
        while True:
            ok, frame = capture.read()  # BGR, which the inferencer expects of arrays
            if not ok:
                break
            result = inferencer(frame, pred_score_thr=args.pred_score_thr, return_vis=True, no_save_vis=True,
                                no_save_pred=True)
            drawn = np.ascontiguousarray(result['visualization'][0][..., ::-1])  # RGB -> BGR
            if args.out:
                if writer is None:
                    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
                    writer = cv2.VideoWriter(args.out, cv2.VideoWriter_fourcc(*'mp4v'), fps,
                                             (drawn.shape[1], drawn.shape[0]))
                writer.write(drawn)
            if args.show:
                cv2.imshow('eva_mm demo', drawn)
                if cv2.waitKey(max(1, int(args.wait_time * 1000))) & 0xFF in (ord('q'), 27):
                    break
            frames += 1
    finally:
        capture.release()
        if writer is not None:
            writer.release()
        if args.show:
            cv2.destroyAllWindows()
    return frames


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Run an eva_mm model on images, a folder, a video or a webcam.')
    parser.add_argument('inputs', help="image, folder of images, video file, or 'webcam'")
    parser.add_argument('model', help='model-zoo name (eva_mm.list_models()) or config file')
    parser.add_argument('weights', nargs='?', default=None,
                        help='checkpoint path or URL (default: the zoo entry\'s released weights)')
    parser.add_argument('--weights', dest='weights_flag', default=None, help='same as the WEIGHTS argument')
    parser.add_argument('--out-dir', default='', help='folder for pictures and predictions (toolbox layout)')
    parser.add_argument('--out', default=None, help='one image: the picture file; a video: the drawn .mp4')
    parser.add_argument('--device', default='cpu', help='cpu, cuda, cuda:1, ...')
    parser.add_argument('--batch-size', type=int, default=1, help='images per forward pass')
    parser.add_argument('--pred-score-thr', '--score-thr', type=float, default=0.3,
                        help='detection: lowest score drawn')
    parser.add_argument('--opacity', type=float, default=0.5, help='segmentation: weight of the class colours')
    parser.add_argument('--show', action='store_true', help='show the pictures in a window')
    parser.add_argument('--wait-time', type=float, default=0.001, help='seconds each video frame is shown')
    parser.add_argument('--camera-id', type=int, default=0, help="camera for 'webcam'")
    parser.add_argument('--no-save-vis', action='store_true', help='do not write pictures to --out-dir')
    parser.add_argument('--no-save-pred', action='store_true', help='do not write predictions to --out-dir')
    parser.add_argument('--print-result', action='store_true', help='print the predictions')
    args = parser.parse_args(argv)
    args.weights = args.weights or args.weights_flag
    if args.batch_size < 1:
        parser.error(f'--batch-size must be >= 1, got {args.batch_size}')
    return args


def main(argv: Optional[Sequence[str]] = None) -> Any:
    """Run the demo. Images: the inferencer's result dict (``predictions``, ``visualization``); a video or
    webcam: the number of frames processed."""
    args = parse_args(argv)
    stream = args.inputs == 'webcam' or args.inputs.lower().endswith(VIDEO_SUFFIXES)
    if stream and args.inputs != 'webcam' and not osp.isfile(args.inputs):
        raise FileNotFoundError(f'video not found: {args.inputs}')
    if not stream and not osp.exists(args.inputs):
        raise FileNotFoundError(f'image or folder not found: {args.inputs}')
    if not stream and not osp.isdir(args.inputs):
        read_rgb(args.inputs)  # fail on a bad image before building a model
    scope = scope_of(args.model)
    if stream and scope != 'mmdet':
        raise ValueError(f'{args.model}: video and webcam input is for detection models (mmdet), not {scope}')
    if stream and not (args.out or args.show):
        raise ValueError('a video or webcam run needs --out FILE.mp4 or --show')
    inferencer = build_inferencer(args.model, args.weights, args.device, scope)
    if stream:
        source = args.camera_id if args.inputs == 'webcam' else args.inputs
        frames = run_stream(inferencer, cv2.VideoCapture(source), args)
        print(f'{frames} frames' + (f' drawn to {args.out}' if args.out else ''))
        return frames
    return run_images(inferencer, scope, args)


if __name__ == '__main__':
    try:
        main()
    except (FileNotFoundError, KeyError, ValueError) as e:
        sys.exit(f'error: {e}')
