#!/usr/bin/env python
"""Convert a released EVA / EVA-02 checkpoint to eva_mm backbone keys, offline.

Accepts every format ``eva_mm.checkpoint.convert`` detects: official EVA-01/EVA-02 files (``model``, ``module``,
``model_ema``), timm, open_clip/EVA-CLIP (``visual.``), mmpretrain (``backbone.layers.*``), detectron2 ViTDet
(``backbone.net.*``) and eva_mm model files. The output is ``{'state_dict': ..., 'meta': ...}`` and loads with
``EVA(init_cfg=dict(type='Pretrained', checkpoint=DST))``.

Examples::

    python tools/convert_checkpoint.py eva02_B_pt_in21k_p14.pt eva02_b_p14.pth
    # official 14->16 route for detection/segmentation (kernel bicubic, position grid 16x16 -> 14x14)
    python tools/convert_checkpoint.py eva02_B_pt_in21k_p14.pt eva02_b_p14to16.pth --patch-size 16
"""
import argparse
import io
import os
import os.path as osp
import sys

import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout without installing

from eva_mm.checkpoint import convert, detect_format, unwrap_checkpoint  # noqa: E402
from eva_mm.checkpoint.loading import read_checkpoint  # noqa: E402
from eva_mm.compat.atomic_save import atomic_write  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('src', help='source checkpoint (path or URL)')
    parser.add_argument('dst', help='output file')
    parser.add_argument('--patch-size', type=int, default=None,
                        help='resample the patch kernel to this size (official 14->16 route: 16)')
    parser.add_argument('--img-size', type=int, default=None,
                        help='resample the position grid to img-size // patch size (default: keep the image size)')
    parser.add_argument('--keep-mask-token', action='store_true', help='keep mask_token (MIM)')
    parser.add_argument('--no-norm', action='store_true', help='drop the final norm')
    ema = parser.add_mutually_exclusive_group()
    ema.add_argument('--ema', action='store_true', help='read model_ema instead of model when the file has both')
    ema.add_argument('--no-ema', action='store_true', help='read model (the default, as the official evaluation)')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    """Read, convert, write."""
    args = parse_args(argv)
    print(f'reading {args.src}')
    ckpt = read_checkpoint(args.src)
    fmt = detect_format(unwrap_checkpoint(ckpt, use_ema=args.ema))
    print(f'detected format: {fmt}')
    state_dict = convert(ckpt, patch_size=args.patch_size, keep_mask_token=args.keep_mask_token,
                         keep_norm=not args.no_norm, use_ema=args.ema)
    if args.img_size is not None:
        patch = state_dict['patch_embed.proj.weight'].shape[-1]
        # The result is in eva_mm keys already, so a second pass only resamples the position grid.
        state_dict = convert(state_dict, pos_embed_grid=args.img_size // patch, keep_mask_token=True)
    print(f'converted {len(state_dict)} tensors')
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    buffer = io.BytesIO()  # atomic: an interrupted conversion never leaves a truncated DST
    torch.save({'state_dict': state_dict, 'meta': dict(source=args.src, source_format=fmt)}, buffer)
    atomic_write(buffer.getvalue(), args.dst)
    print(f'saved {args.dst}')


if __name__ == '__main__':
    main()
