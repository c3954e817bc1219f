"""Pure conversion of released EVA / EVA-02 weights to eva_mm backbone keys (docs/architecture.md#checkpoints).

Accepted sources, detected from the keys (one row each of :data:`eva_mm.checkpoint.formats.FORMAT_TABLE`, in its
priority order):

* ``official``: EVA-01 MIM/FT files (``ckpt['model']``, ``'model_ema'``) and EVA-02 MIM files (``ckpt['module']``),
  fused (``attn.qkv``, ``mlp.w12``) or split (``attn.q_proj/k_proj/v_proj``, ``mlp.w1/w2``) layouts;
* ``timm``: ``eva_giant_*`` / ``eva02_*`` state dicts (``mlp.fc1_g/fc1_x``, ``attn.q_proj.bias``, packed ``mlp.fc1``);
* ``open_clip``: EVA-CLIP towers under ``visual.`` (or ``visual.trunk.``);
* ``mmpretrain``: ``backbone.layers.*`` of ``BEiTViT`` (EVA-01) and ``ViTEVA02``;
* ``detectron2``: ViTDet files with ``backbone.net.*`` (EVA-01 and EVA-02 detection);
* ``eva_mm``: our own keys under ``backbone.`` (mmdet/mmseg/mmpretrain model files); bare eva_mm keys use the
  official names and are detected as ``official``.

eva_mm keeps one layout for all variants: ``attn.qkv.weight`` (+ ``attn.q_bias``/``attn.v_bias``, or
``attn.qkv.bias`` for EVA-L), ``mlp.fc1/fc2`` (GELU) or ``mlp.w12`` (+ ``mlp.ffn_ln``) + ``mlp.w3`` (SwiGLU).
"""
from __future__ import annotations

import math
import re
from typing import Any, Mapping, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from eva_mm.layers.pos_embed import resample_abs_pos_embed

from .formats import FORMATS, StateDict, detect_format, to_eva_mm_names

__all__ = ['convert', 'detect_format', 'unwrap_checkpoint', 'FORMATS']

# Keys that are never backbone weights: RoPE tables (deterministic, resolution-dependent, stored as [16,16,64] or
# [256,64] depending on the code version), MIM and classification heads, buffers of other attention styles.
_DROP = re.compile(r'(^|\.)(rope|rope_win|rope_glb)\.|^lm_head\.|^head\.|^fc_norm\.|relative_position_index$')
_WRAPPERS = ('model', 'module', 'state_dict')


def unwrap_checkpoint(ckpt: Mapping[str, Any], use_ema: bool = False) -> StateDict:
    """The tensor dict inside a checkpoint: ``model_ema`` (if ``use_ema``), ``model``, ``module`` or ``state_dict``.

    Official EVA fine-tuned files carry both ``model`` and ``model_ema``; like the official evaluation (which reads
    ``model`` unless told to use EMA, e.g. ``--model_ema_eval``), ``model`` is read unless ``use_ema``.
    """
    wrappers = (('model_ema',) if use_ema else ()) + _WRAPPERS
    for key in wrappers:
        inner = ckpt.get(key)
        if isinstance(inner, Mapping) and any(isinstance(v, torch.Tensor) for v in inner.values()):
            return dict(inner)
    return {k: v for k, v in ckpt.items() if isinstance(v, torch.Tensor)}


def _pack(sd: StateDict, qkv_bias: Optional[str]) -> StateDict:
    """Pack split q/k/v and w1/w2 into our fused layout and adapt the q/k/v bias to ``qkv_bias``."""
    blocks = sorted({m.group(1) for k in sd if (m := re.match(r'(blocks\.\d+)\.', k))})
    for b in blocks:
        a = f'{b}.attn.'
        if a + 'q_proj.weight' in sd:
            sd[a + 'qkv.weight'] = torch.cat([sd.pop(a + f'{n}_proj.weight') for n in 'qkv'])
        if a + 'k_proj.bias' in sd:  # full split bias (ViT style)
            sd[a + 'qkv.bias'] = torch.cat([sd.pop(a + f'{n}_proj.bias') for n in 'qkv'])
        if a + 'k_bias' in sd and a + 'q_bias' in sd:  # a stored k bias next to q/v bias: a full bias
            sd[a + 'qkv.bias'] = torch.cat([sd.pop(a + f'{n}_bias') for n in 'qkv'])
        m = f'{b}.mlp.'
        for suffix in ('weight', 'bias'):
            if m + f'w1.{suffix}' in sd:
                sd[m + f'w12.{suffix}'] = torch.cat([sd.pop(m + f'w1.{suffix}'), sd.pop(m + f'w2.{suffix}')])
        # A key bias only adds q.b_k to every logit of a query, which softmax ignores: dropping it is exact.
        if qkv_bias == 'qv' and a + 'qkv.bias' in sd:
            q, _, v = sd.pop(a + 'qkv.bias').chunk(3)
            sd[a + 'q_bias'], sd[a + 'v_bias'] = q, v
        elif qkv_bias == 'qkv' and a + 'q_bias' in sd:
            q, v = sd.pop(a + 'q_bias'), sd.pop(a + 'v_bias')
            sd[a + 'qkv.bias'] = torch.cat([q, torch.zeros_like(q), v])
    return sd


def _grid_of(num_tokens: int) -> Tuple[int, bool]:
    """Square grid side of a flat position embedding and whether it has a cls slot."""
    side = math.isqrt(num_tokens - 1)
    if side * side == num_tokens - 1:
        return side, True
    side = math.isqrt(num_tokens)
    if side * side != num_tokens:
        raise ValueError(f'position embedding with {num_tokens} tokens is not a square grid (+ cls)')
    return side, False


def convert(
    state_dict: Mapping[str, Any],
    *,
    patch_size: Optional[int] = None,
    pos_embed_grid: Optional[int | Sequence[int]] = None,
    keep_mask_token: bool = False,
    keep_norm: bool = True,
    keep_cls_token: bool = True,
    qkv_bias: Optional[str] = None,
    use_ema: bool = False,
) -> StateDict:
    """Convert a checkpoint of any known format (see module docstring) to eva_mm backbone keys.

    Args:
        state_dict: A checkpoint dict (wrapped or not) or a bare state dict.
        patch_size: Resample the patch kernel to this size if it differs, bicubically without antialias as the
            official ``interpolate_patch_14to16.py``. The position grid then follows the image size
            (e.g. 16 x 16 at patch 14 -> 14 x 14 at patch 16) unless ``pos_embed_grid`` is given.
        pos_embed_grid: Resample the position-embedding grid (cls slot kept) to this size.
        keep_mask_token: Keep ``mask_token`` (MIM targets); dropped otherwise.
        keep_norm: Keep the final ``norm``; drop it for backbones built without one.
        keep_cls_token: Keep ``cls_token``; dense backbones (ViTDet) run without it. ``pos_embed`` keeps its cls slot.
        qkv_bias: Target bias layout, ``'qv'`` (q_bias/v_bias) or ``'qkv'`` (``attn.qkv.bias``); ``None`` leaves
            the source layout.
        use_ema: Read ``model_ema`` instead of ``model`` when the file has both (default: ``model``, as official).

    Returns:
        A new ``{name: tensor}`` dict with eva_mm backbone keys; tensors keep their dtype.
    """
    sd = unwrap_checkpoint(state_dict, use_ema=use_ema)
    _, sd = to_eva_mm_names(sd)
    sd = {k: v for k, v in sd.items() if not _DROP.search(k)}
    if not keep_mask_token:
        sd.pop('mask_token', None)
    if not keep_cls_token:
        sd.pop('cls_token', None)
    if not keep_norm:
        sd = {k: v for k, v in sd.items() if not k.startswith('norm.')}
    sd = _pack(sd, qkv_bias)

    kernel = sd.get('patch_embed.proj.weight')
    new_grid = tuple(pos_embed_grid) if isinstance(pos_embed_grid, Sequence) else pos_embed_grid
    if kernel is not None and patch_size is not None and kernel.shape[-1] != patch_size:
        old_patch = kernel.shape[-1]
        sd['patch_embed.proj.weight'] = F.interpolate(
            kernel.float(), size=(patch_size, patch_size), mode='bicubic', align_corners=False).to(kernel.dtype)
        if new_grid is None and 'pos_embed' in sd:
            side, _ = _grid_of(sd['pos_embed'].shape[1])
            new_grid = side * old_patch // patch_size  # same image size, bigger patches: 224 // 16 = 14
    if 'pos_embed' in sd:
        pe = sd['pos_embed']
        side, has_cls = _grid_of(pe.shape[1])
        if not has_cls:  # ViT variants without a cls slot: add an empty one so every file has our layout
            pe = torch.cat([pe.new_zeros(1, 1, pe.shape[-1]), pe], dim=1)
        if new_grid is not None:
            target = (new_grid, new_grid) if isinstance(new_grid, int) else tuple(new_grid)
            pe = resample_abs_pos_embed(pe, (side, side), target, num_prefix_tokens=1)
        sd['pos_embed'] = pe
    return sd
