"""Fit a whole-model checkpoint (detector, segmentor, classifier) to an eva_mm model's keys.

mmengine loads ``checkpoint['state_dict']`` as it is. Released EVA files are laid out otherwise: the official
training code saves ``{'model', 'model_ema', ...}`` (EVA-01) or ``{'module'}`` (EVA-02 MIM) with the official
backbone names, and the official EVA-02 mmseg code keeps the multi-scale branches inside the backbone
(``backbone.fpn1..fpn4`` of ``EVA-02/seg/backbone/eva2.py``), where eva_mm's segmentors have mmseg's
``Feature2Pyramid`` neck. :func:`fit_to_model` maps such files onto the model; a file already in the model's own
layout (everything eva_mm or mmengine wrote, resumes included) passes through unchanged.
"""
from __future__ import annotations

import math
import re
from typing import Any, Dict, Iterable, Mapping, Sequence, Tuple

import torch
from torch import nn

from .convert import convert, unwrap_checkpoint
from .formats import StateDict
from .heads import fit_heads
from .loading import fit_rel_pos

__all__ = ['fit_state_dict', 'fit_to_model', 'map_official_fpn', 'select_state_dict']

_BACKBONE = 'backbone.'
# An EVA-style backbone in the model: fitting only converts backbones eva_mm's converter knows.
_EVA_KEYS = ('backbone.patch_embed.proj.weight', 'backbone.blocks.0.norm1.weight')
# Official backbone files without a prefix (EVA-01 MIM / IN-1K ``model``, EVA-02 MIM ``module``).
_BARE_BACKBONE = re.compile(r'^(blocks\.\d+\.|patch_embed\.|pos_embed$|cls_token$)')


def _tensors(obj: Any) -> bool:
    return isinstance(obj, Mapping) and any(isinstance(v, torch.Tensor) for v in obj.values())


def select_state_dict(checkpoint: Mapping[str, Any], use_ema: bool = False) -> StateDict:
    """The weights to load from a checkpoint dict.

    ``use_ema=False``: mmengine's ``state_dict`` if present, else the official ``model`` / ``module`` (the
    official evaluation reads ``model`` unless told to use EMA). ``use_ema=True``: the official ``model_ema`` or
    mmengine's ``ema_state_dict`` (its ``module.`` prefix and ``steps`` counter removed); a file with neither is
    an error naming what the file holds.
    """
    if use_ema:
        if _tensors(checkpoint.get('model_ema')):
            return dict(checkpoint['model_ema'])
        if _tensors(checkpoint.get('ema_state_dict')):
            return {k[len('module.'):] if k.startswith('module.') else k: v
                    for k, v in checkpoint['ema_state_dict'].items() if k != 'steps'}
        raise KeyError(f"load_from_ema=True, but the checkpoint has no EMA weights ('model_ema' or "
                       f"'ema_state_dict'); its top-level keys: {sorted(checkpoint)[:12]}")
    if _tensors(checkpoint.get('state_dict')):
        return dict(checkpoint['state_dict'])
    return unwrap_checkpoint(checkpoint)


def map_official_fpn(state_dict: Mapping[str, torch.Tensor]) -> StateDict:
    """Official EVA-02 mmseg ``backbone.fpnN.*`` -> mmseg ``Feature2Pyramid`` ``neck.upsample_{4,2}x.*``.

    The official branches are, for patch 16: fpn1 = ConvT + BN + GELU + ConvT (x4), fpn2 = ConvT (x2), fpn3 =
    identity, fpn4 = max-pool; for patch 8: fpn1 = ConvT (x2), the rest pooling. ``Feature2Pyramid`` builds the
    same modules in the same order (``upsample_4x`` = [ConvT, norm, GELU, ConvT], ``upsample_2x`` = [ConvT]), so a
    branch is recognised by its parameters: one with a layer ``3`` is the x4 branch, one with only layer ``0`` the
    x2 branch. Parameter-free branches have no keys. Other keys are returned unchanged.
    """
    branches: Dict[str, set] = {}
    for k in state_dict:
        m = re.match(r'backbone\.(fpn\d)\.(\d+)\.', k)
        if m:
            branches.setdefault(m.group(1), set()).add(m.group(2))
    if not branches:
        return dict(state_dict)
    target = {}
    for name, layers in branches.items():
        if layers == {'0', '1', '3'}:
            target[name] = 'neck.upsample_4x.'
        elif layers == {'0'}:
            target[name] = 'neck.upsample_2x.'
        else:
            raise ValueError(f'official backbone.{name} has layers {sorted(layers)}; expected an x4 branch '
                             "(layers 0, 1, 3) or an x2 branch (layer 0) as in EVA-02/seg/backbone/eva2.py")
    out: StateDict = {}
    for k, v in state_dict.items():
        m = re.match(r'backbone\.(fpn\d)\.', k)
        out[target[m.group(1)] + k[m.end():] if m else k] = v
    return out


def _grid(pos_embed: torch.Tensor) -> int:
    """Side of the square position grid of ``[1, 1 + side^2, C]`` (cls slot included)."""
    return math.isqrt(pos_embed.shape[1] - 1)


def _convert_backbone(part: StateDict, model_sd: Mapping[str, torch.Tensor]) -> StateDict:
    """Official / timm / mmpretrain backbone weights (bare names) -> the model's ``backbone.*`` keys and shapes."""
    def has(key: str) -> bool:
        return _BACKBONE + key in model_sd
    qkv_bias = 'qv' if has('blocks.0.attn.q_bias') else 'qkv' if has('blocks.0.attn.qkv.bias') else None
    kernel = model_sd[_BACKBONE + 'patch_embed.proj.weight']
    grid = _grid(model_sd[_BACKBONE + 'pos_embed']) if has('pos_embed') else None
    out = convert(part, patch_size=kernel.shape[-1], pos_embed_grid=grid, keep_mask_token=has('mask_token'),
                  keep_norm=has('norm.weight'), keep_cls_token=has('cls_token'), qkv_bias=qkv_bias)
    return {_BACKBONE + k: v for k, v in out.items()}


def fit_state_dict(state_dict: Mapping[str, torch.Tensor], model_sd: Mapping[str, torch.Tensor]) -> StateDict:
    """``state_dict`` in the keys (and backbone shapes) of ``model_sd``.

    Only models with an EVA backbone are fitted. Keys the model has are never renamed, so a file in the model's
    own layout comes back unchanged; otherwise the backbone part (``backbone.*``, or a bare official backbone)
    goes through eva_mm's converter (qkv / SwiGLU packing, patch-kernel and position-grid resampling, RoPE
    buffers and heads dropped), the official ``fpn1..4`` move to the neck, and mmcv 1.x decode-head layer names
    (the released EVA-01 Mask2Former files) become the model's (:func:`~eva_mm.checkpoint.heads.fit_heads`).
    """
    sd = dict(state_dict)
    if not all(k in model_sd for k in _EVA_KEYS):
        return sd
    sd = fit_heads(map_official_fpn(sd), model_sd)
    if not any(k.startswith(_BACKBONE) for k in sd) and any(_BARE_BACKBONE.match(k) for k in sd):
        part, rest = sd, {}
    else:
        part = {k[len(_BACKBONE):]: v for k, v in sd.items() if k.startswith(_BACKBONE)}
        rest = {k: v for k, v in sd.items() if not k.startswith(_BACKBONE)}
    if part and not all(_BACKBONE + k in model_sd for k in part):
        sd = {**rest, **_convert_backbone(part, model_sd)}
    fit_rel_pos(sd, model_sd)
    return sd


def fit_to_model(checkpoint: Mapping[str, Any], model: nn.Module, use_ema: bool = False,
                 revise_keys: Iterable[Tuple[str, str]] | Sequence[Tuple[str, str]] = ((r'^module\.', ''),)
                 ) -> StateDict:
    """The state dict to load from ``checkpoint`` into ``model``: selected (:func:`select_state_dict`), keys
    revised as mmengine does (``revise_keys``: regex pairs, default strips DDP's ``module.``), then fitted
    (:func:`fit_state_dict`)."""
    sd = select_state_dict(checkpoint, use_ema)
    for pattern, repl in revise_keys:
        sd = {re.sub(pattern, repl, k): v for k, v in sd.items()}
    own_fit = getattr(model, 'fit_checkpoint', None)
    if callable(own_fit):  # a model with layouts of its own (EVA-CLIP's visual. / text. files) fits them itself
        return own_fit(sd)
    return fit_state_dict(sd, model.state_dict())
