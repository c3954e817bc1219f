"""Decode-head layouts of released whole-model files, as rows: old mmcv 1.x names -> the model's names.

The released EVA-01 segmentation files (``eva_sem_seg_mask2former_{cocostuff_53p4,ade_ss61p5_ms62p3}.pth``) were
saved by mmseg 0.20 / mmcv-full 1.4 (official ``EVA-01/seg/mmseg_custom/models/decode_heads/mask2former_head.py``
and ``plugins/msdeformattn_pixel_decoder.py`` of baaivision/EVA, from github.com/czczup/ViT-Adapter). Their
transformer layers are mmcv 1.x ``BaseTransformerLayer``\\ s, which keep attentions, FFNs and norms in lists in the
order of ``operation_order``; mmdet 3.x names each sub-module. Everything else in the head (input / lateral /
output convs, ``level_encoding``, ``mask_feature``, ``query_embed``, ``query_feat``, ``level_embed``,
``cls_embed``, ``mask_embed``, the decoder's ``post_norm``) keeps its name.

A row is a :class:`~eva_mm.checkpoint.formats.CheckpointFormat` without prefixes, so adding a layout is adding a
row to :data:`HEAD_FORMATS`.
"""
from __future__ import annotations

import re
from typing import Mapping, Tuple

import torch

from .formats import CheckpointFormat, StateDict

__all__ = ['HEAD_FORMATS', 'MMCV1_MASK2FORMER', 'fit_heads']

_OLD_LAYER = re.compile(r'\.(pixel_decoder\.encoder|transformer_decoder)\.layers\.\d+\.(attentions|ffns)\.\d+\.')

# Official Mask2Former operation orders: pixel decoder ('self_attn', 'norm', 'ffn', 'norm'); transformer decoder
# ('cross_attn', 'norm', 'self_attn', 'norm', 'ffn', 'norm'), so its attentions.0 is the masked cross-attention and
# attentions.1 the self-attention. The norms keep their indices (norms.0/1/2 follow the same order in mmdet 3.x's
# Mask2FormerTransformerDecoderLayer). Only Mask2Former's `transformer_decoder` is matched: DETR-style decoders
# (self-attention first) live under other names.
MMCV1_MASK2FORMER = CheckpointFormat(
    'mmcv1_mask2former', lambda sd: any(_OLD_LAYER.search(k) for k in sd),
    renames=(
        (r'(\.pixel_decoder\.encoder\.layers\.\d+)\.attentions\.0\.', r'\1.self_attn.'),
        (r'(\.pixel_decoder\.encoder\.layers\.\d+)\.ffns\.0\.', r'\1.ffn.'),
        (r'(\.transformer_decoder\.layers\.\d+)\.attentions\.0\.', r'\1.cross_attn.'),
        (r'(\.transformer_decoder\.layers\.\d+)\.attentions\.1\.', r'\1.self_attn.'),
        (r'(\.transformer_decoder\.layers\.\d+)\.ffns\.0\.', r'\1.ffn.'),
    ))

HEAD_FORMATS: Tuple[CheckpointFormat, ...] = (MMCV1_MASK2FORMER,)


def fit_heads(state_dict: Mapping[str, torch.Tensor], model_sd: Mapping[str, torch.Tensor],
              table: Tuple[CheckpointFormat, ...] = HEAD_FORMATS) -> StateDict:
    """``state_dict`` with old-layout head keys renamed to ``model_sd``'s.

    A key is renamed only if the model lacks it and has its new name with the same shape, so a file in the
    model's own layout passes unchanged and a key that fits nowhere stays as it is (mmengine reports it as
    unexpected). Two keys renamed onto one name is an error naming both.
    """
    out = dict(state_dict)
    for row in table:
        if not row.detect(out):
            continue
        renamed: StateDict = {}
        source = {}
        for k, v in out.items():
            new = next(iter(row.rename({k: v}))) if k not in model_sd else k
            if new != k and not (new in model_sd and tuple(model_sd[new].shape) == tuple(v.shape)):
                new = k
            if new in renamed:
                raise ValueError(f'checkpoint keys {source[new]!r} and {k!r} both map to {new!r} '
                                 f'({row.name} layout)')
            renamed[new], source[new] = v, k
        out = renamed
    return out
