"""Checkpoints for the video backbone: official EVA video files, recognizer files, and inflated image files.

Official layout (``eva_video_k722.pth`` / ``eva_video_k400.pth`` from github.com/baaivision/EVA ``EVA-01/video``):
a ``module`` or ``model`` dict with BEiT-style names (the same as eva_mm's EVA-01 names), a Conv3d
``patch_embed.proj.weight`` ``[D, 3, 1, 14, 14]``, ``pos_embed`` ``[1, 1 + T * 16 * 16, D]``, ``fc_norm`` and a
``head``. Image files are inflated as the official loader does (``clip_mae.py``, ``init_mode == 'eva'``): the 2D
kernel repeated over the tubelet and divided by its size, the position embedding repeated once per frame.
"""
from __future__ import annotations

import math
from typing import Any, Dict, Mapping, Optional, Tuple

import torch
from torch import nn

from eva_mm.layers.video_pos_embed import resize_video_pos_embed

from .convert import convert, unwrap_checkpoint
from .reader import read_checkpoint

__all__ = ['inflate_image_state_dict', 'is_video_state_dict', 'official_video_to_recognizer', 'read_video_source',
           'video_backbone_state_dict']

StateDict = Dict[str, torch.Tensor]
_KERNEL = 'patch_embed.proj.weight'


def read_video_source(checkpoint: str | Mapping[str, Any], prefix: Optional[str] = None,
                      use_ema: bool = False) -> StateDict:
    """The tensor dict of a path or checkpoint dict (``model`` / ``module`` / ``state_dict`` unwrapped)."""
    raw = read_checkpoint(checkpoint) if isinstance(checkpoint, str) else checkpoint
    sd = unwrap_checkpoint(raw, use_ema=use_ema)
    if prefix:
        sd = {k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)}
    return sd


def is_video_state_dict(sd: Mapping[str, torch.Tensor]) -> bool:
    """Whether a state dict holds a video backbone (a 5-D patch kernel under any prefix)."""
    return any(k.endswith(_KERNEL) and v.dim() == 5 for k, v in sd.items())


def video_backbone_state_dict(sd: Mapping[str, torch.Tensor], old_thw: Optional[Tuple[int, int, int]],
                              new_thw: Optional[Tuple[int, int, int]]) -> StateDict:
    """Backbone keys of a video state dict (official, or ``backbone.``-prefixed recognizer files).

    Heads (``head.*``, ``cls_head.*``) are dropped. With ``new_thw`` (an EVA-01 video model) the space-time
    position embedding is resized trilinearly from ``old_thw`` (``None``: inferred, the model's grid first).
    """
    kernel_key = next(k for k, v in sd.items() if k.endswith(_KERNEL) and v.dim() == 5)
    prefix = kernel_key[:-len(_KERNEL)]
    out = {k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)}
    out = {k: v for k, v in out.items() if not k.startswith(('head.', 'cls_head.'))}
    if new_thw is not None and 'pos_embed' in out:
        pe = out['pos_embed']
        if old_thw is None:
            old_thw = _infer_thw(pe.shape[1] - 1, new_thw)
        out['pos_embed'] = resize_video_pos_embed(pe, old_thw, new_thw)
    return out


def _infer_thw(n: int, new_thw: Tuple[int, int, int]) -> Tuple[int, int, int]:
    """A ``(T, h, w)`` with ``T * h * w == n`` and the model's aspect ratio: same grid first, else square."""
    h, w = new_thw[1], new_thw[2]
    if n % (h * w) == 0:
        return n // (h * w), h, w
    for t in range(1, n + 1):
        side = math.isqrt(n // t) if n % t == 0 else 0
        if side and side * side * t == n:
            return t, side, side
    raise ValueError(f'cannot read a (T, h, w) grid from a position embedding of {n} patch slots')


def inflate_image_state_dict(model: nn.Module, sd: Mapping[str, torch.Tensor]) -> StateDict:
    """An image checkpoint (any format eva_mm's converter reads) in the video backbone's layout.

    ``model`` is the video backbone: its patch size, image position grid, ``tubelet_size``, ``pos_embed_thw``
    and ``time_embed`` (EVA-02 form: the image position embedding is kept per frame) steer the conversion.
    """
    img = convert(sd, patch_size=model.patch_size, pos_embed_grid=model.pos_embed_grid, keep_mask_token=False,
                  keep_norm=False, keep_cls_token=True, qkv_bias=model.arch_settings['qkv_bias'])
    t = model.tubelet_size
    if _KERNEL in img:
        img[_KERNEL] = img[_KERNEL].unsqueeze(2).repeat(1, 1, t, 1, 1) / t
    if 'pos_embed' in img and getattr(model, 'time_embed', None) is None:
        pe = img['pos_embed']
        img['pos_embed'] = torch.cat((pe[:, :1], pe[:, 1:].repeat(1, model.pos_embed_thw[0], 1)), dim=1)
    return img


def official_video_to_recognizer(sd: Mapping[str, torch.Tensor]) -> StateDict:
    """Official video file -> mmaction2 ``Recognizer3D`` keys (``backbone.*``, ``cls_head.fc_cls.*``)."""
    out: StateDict = {}
    for k, v in sd.items():
        if k.startswith('head.'):
            out['cls_head.fc_cls.' + k[len('head.'):]] = v
        else:
            out['backbone.' + k] = v
    return out
