"""Export an eva_mm model (zoo name or config) to ONNX and check it with onnxruntime.

    python tools/export_onnx.py NAME_OR_CONFIG PART OUT.onnx [--checkpoint PATH|URL|released] [--size H W]
        [--static] [--batch N] [--check H W ...]

PART: backbone, classifier, segmentor, detector-features (see eva_mm.apis.export). The input is ``images``,
``[B, 3, H, W]`` float32, already normalised as the config's data preprocessor does.
"""
import eva_mm  # noqa: F401,I001  (first: installs the compat layer before mmcv/mmdet/mmseg are imported)

import argparse
import sys
from typing import Optional, Sequence

from eva_mm.apis import get_model
from eva_mm.apis.export import PARTS, check_onnx, export_onnx


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Export an eva_mm model to ONNX (checked with onnxruntime).')
    parser.add_argument('model', help='model-zoo name (eva_mm.list_models()) or config file')
    parser.add_argument('part', choices=sorted(PARTS))
    parser.add_argument('out', help='.onnx file to write')
    parser.add_argument('--checkpoint', default=None,
                        help="checkpoint path or URL; 'released' for the zoo entry's released weights")
    parser.add_argument('--size', type=int, nargs=2, default=(224, 224), metavar=('H', 'W'),
                        help='traced input size (with a dynamic size: not the position embedding\'s own size)')
    parser.add_argument('--static', action='store_true', help='fixed height and width (dynamic batch)')
    parser.add_argument('--batch', type=int, default=0, help='fixed batch size (needs --static); 0: dynamic')
    parser.add_argument('--check', type=int, nargs='+', default=None, metavar='H W',
                        help='sizes to compare onnxruntime with PyTorch at, as H W pairs (default: --size)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Export, then print and return the largest |onnxruntime - PyTorch| per checked (batch, H, W)."""
    args = parse_args(argv)
    pretrained = True if args.checkpoint == 'released' else (args.checkpoint or False)
    model = get_model(args.model, pretrained=pretrained)
    export_onnx(model, args.part, args.out, tuple(args.size), dynamic_spatial=not args.static,
                batch_size=args.batch)
    pairs = args.check or list(args.size)
    if len(pairs) % 2:
        raise ValueError(f'--check takes H W pairs, got {len(pairs)} numbers')
    sizes = [(args.batch or 1, pairs[i], pairs[i + 1]) for i in range(0, len(pairs), 2)]
    errors = check_onnx(model, args.part, args.out, sizes)
    for size, error in errors.items():
        print(f'{args.out}: input {size}: max |onnxruntime - torch| = {error:.3g}')
    return errors


if __name__ == '__main__':
    try:
        main()
    except (FileNotFoundError, KeyError, ValueError, NotImplementedError) as e:
        sys.exit(f'error: {e}')
