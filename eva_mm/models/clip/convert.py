"""Whole EVA-CLIP checkpoints onto :class:`EVACLIP`, converting on the fly.

Layouts (all with a top-level ``logit_scale``):

* official EVA-CLIP ``.pt`` (github:baaivision/EVA ``EVA-CLIP/rei/eva_clip/eva_vit_model.py``): ``visual.*`` in
  official EVA names (``q_bias``, ``inner_attn_ln``, ``w1/w2/w3``, ``ffn_ln``, ``rope.*`` buffers) with the
  projection at ``visual.head``; ``text.*`` in open_clip ``TextTransformer`` names;
* open_clip / timm hub (``model_configs/EVA*.json``, ``timm_proj: null``): ``visual.trunk.*`` in timm names with the
  projection at ``visual.trunk.head`` (or ``visual.head.proj`` with a linear ``timm_proj``); ``text.*``;
* OpenAI-style text at the top level (``token_embedding``, ``transformer.resblocks``, ``ln_final``...);
* Hugging Face ``transformers`` CLIP (``text_model.*``, ``text_projection.weight``): the text-tower init files of the
  EVA-CLIP recipes (``openai/clip-vit-base-patch16/pytorch_model.bin``), converted by :func:`text_tower_state_dict`.

The image trunk goes through eva_mm's checkpoint converter (:func:`~eva_mm.checkpoint.loading.load_pretrained`), so
every trunk layout it knows (EVA MIM checkpoints included, for image-tower init) is accepted here too.
"""
from __future__ import annotations

from typing import Dict, Mapping, Tuple

import torch
from torch import nn

from eva_mm.checkpoint import convert, read_state_dict, unwrap_checkpoint
from eva_mm.checkpoint.loading import load_pretrained

__all__ = ['split_clip_state_dict', 'load_eva_clip', 'clip_state_dict', 'text_tower_state_dict', 'load_text_tower']

StateDict = Dict[str, torch.Tensor]
_HEAD_PREFIXES = ('visual.trunk.head.', 'visual.head.proj.', 'visual.head.')
_TEXT_TOP = ('token_embedding.', 'positional_embedding', 'transformer.', 'ln_final.', 'text_projection')


def split_clip_state_dict(sd: Mapping[str, torch.Tensor]) -> Tuple[StateDict, StateDict, StateDict, StateDict]:
    """Split a CLIP state dict into ``(trunk, head, text, rest)``.

    ``trunk`` keeps its ``visual.`` prefix (the converter detects the layout from it), ``head`` is the projection's
    ``weight`` / ``bias``, ``text`` is in :class:`CLIPTextTransformer` names, ``rest`` holds ``logit_scale`` and
    anything else.
    """
    head: StateDict = {}
    head_prefix = None
    for p in _HEAD_PREFIXES:
        head = {k[len(p):]: v for k, v in sd.items() if k.startswith(p) and k[len(p):] in ('weight', 'bias')}
        if head:
            head_prefix = p
            break
    trunk, text, rest = {}, {}, {}
    for k, v in sd.items():
        if head_prefix and k.startswith(head_prefix) and k[len(head_prefix):] in head:
            continue
        if k.startswith('visual.'):
            trunk[k] = v
        elif k.startswith('text.'):
            text[k[len('text.'):]] = v
        elif k.startswith(_TEXT_TOP):
            text[k] = v
        else:
            rest[k] = v
    return trunk, head, text, rest


def _parts(sd: Mapping[str, torch.Tensor]) -> Tuple[StateDict, StateDict, StateDict, torch.Tensor]:
    """``(trunk, head, text, logit_scale)`` of a whole CLIP checkpoint; a missing part is an error naming it."""
    trunk, head, text, rest = split_clip_state_dict(sd)
    for what, part in (('image projection (visual.head / visual.trunk.head)', head), ('text tower (text.*)', text),
                       ('image trunk (visual.*)', trunk)):
        if not part:
            raise KeyError(f'EVA-CLIP checkpoint has no {what}')
    if 'logit_scale' not in rest:
        raise KeyError('EVA-CLIP checkpoint has no logit_scale')
    if 'bias' not in head:  # open_clip's linear timm_proj may be bias-free
        head['bias'] = torch.zeros(head['weight'].shape[0], dtype=head['weight'].dtype)
    return trunk, head, text, rest['logit_scale'].reshape(())


def load_eva_clip(model: nn.Module, checkpoint: str | Mapping[str, torch.Tensor]) -> None:
    """Load a whole EVA-CLIP checkpoint (path, URL or state dict) into ``model`` (an :class:`EVACLIP`), strictly.

    Raises:
        KeyError: The file lacks the image projection, the text tower or ``logit_scale``.
        RuntimeError: Some tower's keys or shapes do not match the model (the message lists them).
    """
    sd = read_state_dict(checkpoint) if isinstance(checkpoint, str) else dict(checkpoint)
    trunk, head, text, logit_scale = _parts(unwrap_checkpoint(sd, use_ema=False))
    model.visual_head.load_state_dict(head, strict=True)
    model.text.load_state_dict(text, strict=True)
    load_pretrained(model.visual, trunk, strict=True)
    with torch.no_grad():
        model.logit_scale.copy_(logit_scale)


def clip_state_dict(model: nn.Module, sd: Mapping[str, torch.Tensor]) -> StateDict:
    """A whole CLIP state dict in ``model``'s own keys (what mmengine's whole-model loaders then load).

    A state dict already in the model's layout (an eva_mm training checkpoint) comes back unchanged; the official
    EVA-CLIP and open_clip / timm layouts are split and converted as :func:`load_eva_clip` does.
    """
    own = model.state_dict()
    if set(own) <= set(sd):
        return dict(sd)
    trunk, head, text, logit_scale = _parts(sd)
    v = model.visual
    trunk = convert(trunk, patch_size=v.patch_size, pos_embed_grid=v.pos_embed_grid,
                    keep_mask_token=v.mask_token is not None, keep_norm=v.norm is not None,
                    keep_cls_token=v.cls_token is not None, qkv_bias=v.arch_settings['qkv_bias'])
    out = {f'visual.{k}': t for k, t in trunk.items()}
    out.update({f'visual_head.{k}': t for k, t in head.items()})
    out.update({f'text.{k}': t for k, t in text.items()})
    out['logit_scale'] = logit_scale
    return out

_HF_LAYER = {'layer_norm1.': 'ln_1.', 'layer_norm2.': 'ln_2.', 'mlp.fc1.': 'mlp.c_fc.', 'mlp.fc2.': 'mlp.c_proj.',
             'self_attn.out_proj.': 'attn.out_proj.'}


def _hf_text(sd: Mapping[str, torch.Tensor]) -> StateDict:
    """Hugging Face ``CLIPModel`` text weights -> :class:`CLIPTextTransformer` names (q, k, v packed)."""
    p = 'text_model.'
    out: StateDict = {'token_embedding.weight': sd[p + 'embeddings.token_embedding.weight'],
                      'positional_embedding': sd[p + 'embeddings.position_embedding.weight'],
                      'ln_final.weight': sd[p + 'final_layer_norm.weight'],
                      'ln_final.bias': sd[p + 'final_layer_norm.bias']}
    if 'text_projection.weight' in sd:  # a Linear [embed, width]; CLIPTextTransformer multiplies by [width, embed]
        out['text_projection'] = sd['text_projection.weight'].t().contiguous()
    layers = sorted({int(k.split('.')[3]) for k in sd if k.startswith(p + 'encoder.layers.')})
    for i in layers:
        src, dst = f'{p}encoder.layers.{i}.', f'transformer.resblocks.{i}.'
        for kind in ('weight', 'bias'):
            out[f'{dst}attn.in_proj_{kind}'] = torch.cat([sd[f'{src}self_attn.{q}_proj.{kind}'] for q in 'qkv'])
        for key, v in sd.items():
            if key.startswith(src):
                rest = key[len(src):]
                for a, b in _HF_LAYER.items():
                    if rest.startswith(a):
                        out[dst + b + rest[len(a):]] = v
    return out


def text_tower_state_dict(sd: Mapping[str, torch.Tensor]) -> StateDict:
    """The text tower of a CLIP checkpoint (EVA-CLIP / open_clip ``text.*``, OpenAI top level, or Hugging Face
    ``text_model.*``) in :class:`CLIPTextTransformer` names."""
    if any(k.startswith('text_model.') for k in sd):
        return _hf_text(sd)
    return split_clip_state_dict(sd)[2]


def load_text_tower(text: nn.Module, checkpoint: str | Mapping[str, torch.Tensor],
                    skip: Tuple[str, ...] = ('text_projection',)) -> None:
    """Initialise a :class:`CLIPTextTransformer` from a CLIP checkpoint, leaving ``skip`` as initialised.

    EVA-CLIP's recipes start the text tower from OpenAI / OpenCLIP weights but skip ``text_projection`` (and
    ``logit_scale``): official ``--skip-list`` in ``EVA-CLIP/README.md``.

    Raises:
        RuntimeError: Any other key is missing or unexpected, or a shape differs (the message lists them).
    """
    name = checkpoint if isinstance(checkpoint, str) else '<state dict>'
    sd = read_state_dict(checkpoint) if isinstance(checkpoint, str) else dict(checkpoint)
    part = {k: v for k, v in text_tower_state_dict(unwrap_checkpoint(sd, use_ema=False)).items() if k not in skip}
    own = text.state_dict()
    missing = sorted(set(own) - set(part) - set(skip))
    unexpected = sorted(set(part) - set(own))
    shapes = [f'{k}: {tuple(v.shape)} vs model {tuple(own[k].shape)}' for k, v in part.items()
              if k in own and v.shape != own[k].shape]
    if missing or unexpected or shapes:
        raise RuntimeError(f'text tower from {name}: missing {missing}, unexpected {unexpected}, shapes {shapes}')
    text.load_state_dict(part, strict=False)
