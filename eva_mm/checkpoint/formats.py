"""Checkpoint formats as data: one row per source layout, tried in priority order.

A row says how to recognise a layout from its keys (``detect``), which key prefix holds the backbone
(``prefixes``), and how its names map onto eva_mm's (``pre`` steps that need the whole dict, then ``renames``,
then ``post`` steps). :func:`detect_format` returns the first row whose ``detect`` holds, so a row must come
before every later row that would also accept its files; ``official`` accepts everything and comes last.

Adding a format is adding a row to :data:`FORMAT_TABLE` at its place in the priority order (and a test in
``tests/checkpoint/test_convert.py`` that builds such a file from eva_mm weights by the inverse map).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Dict, Mapping, Optional, Sequence, Tuple

import torch

__all__ = ['CheckpointFormat', 'FORMAT_TABLE', 'FORMATS', 'detect_format', 'format_named', 'to_eva_mm_names']

StateDict = Dict[str, torch.Tensor]
Step = Callable[[StateDict], StateDict]
Renames = Tuple[Tuple[str, str], ...]


@dataclass(frozen=True)
class CheckpointFormat:
    """One source layout.

    Attributes:
        name: What :func:`detect_format` reports (and ``LoadReport.source_format``).
        detect: Whether an unwrapped state dict is in this layout (rows before this one have said no).
        prefixes: Backbone key prefixes, tried in order: the first that some key starts with is stripped and keys
            without it are dropped (heads, necks, text towers); when no key has any of them, all keys are kept.
        renames: ``(pattern, replacement)`` regexes applied to every key in order, after ``pre``.
        pre: Whole-dict steps before ``renames`` (names that depend on shapes or on other keys).
        post: Whole-dict steps after ``renames``.
    """
    name: str
    detect: Callable[[Mapping[str, torch.Tensor]], bool]
    prefixes: Tuple[str, ...] = ()
    renames: Renames = ()
    pre: Tuple[Step, ...] = ()
    post: Tuple[Step, ...] = ()

    def strip_prefix(self, sd: Mapping[str, torch.Tensor]) -> StateDict:
        """The backbone part of ``sd`` with its prefix removed (see ``prefixes``)."""
        prefix = next((p for p in self.prefixes if any(k.startswith(p) for k in sd)), None)
        if prefix is None:
            return dict(sd)
        return {k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)}

    def rename(self, sd: StateDict) -> StateDict:
        """``sd`` (prefix already stripped) in eva_mm names: ``pre``, ``renames``, ``post``."""
        for step in self.pre:
            sd = step(sd)
        out: StateDict = {}
        for k, v in sd.items():
            for pat, rep in self.renames:
                k = re.sub(pat, rep, k)
            out[k] = v
        for step in self.post:
            out = step(out)
        return out


def _any_prefix(*prefixes: str) -> Callable[[Mapping[str, torch.Tensor]], bool]:
    """Predicate: some key starts with one of ``prefixes``."""
    return lambda sd: any(k.startswith(prefixes) for k in sd)


def _is_packed_glu(sd: Mapping[str, torch.Tensor], fc1_key: str) -> bool:
    """timm's GluMlp packs gate | value in ``fc1`` ([2H, C]) with ``fc2`` [C, H]; a GELU MLP has fc1 [H, C]."""
    fc1, fc2 = sd.get(fc1_key), sd.get(fc1_key.replace('.fc1.', '.fc2.'))
    return fc1 is not None and fc2 is not None and fc1.shape[0] == 2 * fc2.shape[1]


def _is_timm(sd: Mapping[str, torch.Tensor]) -> bool:
    """timm's EVA names (split SwiGLU ``fc1_g``, ``q_proj.bias``, ``attn.norm``) or a packed GluMlp ``fc1``."""
    bare = [k[len('backbone.'):] if k.startswith('backbone.') else k for k in sd]
    return any('.mlp.fc1_g.' in k or '.attn.q_proj.bias' in k or '.attn.norm.' in k for k in bare) or \
        any(_is_packed_glu(sd, k) for k in sd if k.endswith('.mlp.fc1.weight'))


def _swiglu_names(sd: StateDict) -> StateDict:
    """SwiGLU MLPs stored as ``fc1``/``fc2``: packed (timm GluMlp, EVA-02 Ti/S) -> ``w12``; ``fc2`` next to a split
    gate (``fc1_g``) -> ``w3``. GELU MLPs keep ``fc1``/``fc2``."""
    out: StateDict = {}
    for k, v in sd.items():
        if k.endswith('.mlp.fc1.weight') or k.endswith('.mlp.fc1.bias'):
            if _is_packed_glu(sd, k.rsplit('.', 1)[0] + '.weight'):
                k = k.replace('.mlp.fc1.', '.mlp.w12.')
        elif '.mlp.fc2.' in k and (_is_packed_glu(sd, k.split('.mlp.')[0] + '.mlp.fc1.weight')
                                    or k.split('.mlp.')[0] + '.mlp.fc1_g.weight' in sd):
            k = k.replace('.mlp.fc2.', '.mlp.w3.')
        out[k] = v
    return out


def _mmpretrain_final_norm(sd: StateDict) -> StateDict:
    """Top-level ``ln1`` is the final norm; ``ln2`` is the post-pool norm, which holds the MIM final norm in
    mmpretrain's converted headless EVA files (kept only when there is no ``ln1``)."""
    has_ln1 = any(k.startswith('ln1.') for k in sd)
    out: StateDict = {}
    for k, v in sd.items():
        if k.startswith('ln1.') or (k.startswith('ln2.') and not has_ln1):
            k = 'norm.' + k.split('.', 1)[1]
        elif k.startswith('ln2.'):
            continue
        out[k] = v
    return out


OFFICIAL_RENAMES: Renames = ((r'\.attn\.inner_attn_ln\.', '.attn.inner_norm.'),)
TIMM_RENAMES: Renames = (
    (r'\.mlp\.fc1_g\.', '.mlp.w1.'), (r'\.mlp\.fc1_x\.', '.mlp.w2.'), (r'\.mlp\.norm\.', '.mlp.ffn_ln.'),
    (r'\.attn\.q_proj\.bias$', '.attn.q_bias'), (r'\.attn\.v_proj\.bias$', '.attn.v_bias'),
    (r'\.attn\.norm\.', '.attn.inner_norm.'),
)
MMPRETRAIN_RENAMES: Renames = (
    (r'^layers\.', 'blocks.'), (r'^patch_embed\.projection\.', 'patch_embed.proj.'),
    (r'\.ln1\.', '.norm1.'), (r'\.ln2\.', '.norm2.'), (r'\.ffn\.layers\.0\.0\.', '.mlp.fc1.'),
    (r'\.ffn\.layers\.1\.', '.mlp.fc2.'), (r'\.mlp\.norm\.', '.mlp.ffn_ln.'),
)

# Priority order, first match wins. The distinctive prefixes come first (ViTDet's ``backbone.net.``, mmpretrain's
# ``layers.``, open_clip's ``visual.``); timm is recognised by names, so it precedes eva_mm, whose ``backbone.blocks.``
# timm model files share; ``official`` (also bare eva_mm keys, which use the official names) is the fallback.
FORMAT_TABLE: Tuple[CheckpointFormat, ...] = (
    CheckpointFormat('detectron2', _any_prefix('backbone.net.'), ('backbone.net.',), OFFICIAL_RENAMES,
                     pre=(_swiglu_names,)),
    CheckpointFormat('mmpretrain', _any_prefix('backbone.layers.', 'layers.'), ('backbone.',), MMPRETRAIN_RENAMES,
                     post=(_mmpretrain_final_norm,)),
    CheckpointFormat('open_clip', _any_prefix('visual.'), ('visual.trunk.', 'visual.'),
                     OFFICIAL_RENAMES + TIMM_RENAMES, pre=(_swiglu_names,)),
    CheckpointFormat('timm', _is_timm, ('backbone.',), OFFICIAL_RENAMES + TIMM_RENAMES, pre=(_swiglu_names,)),
    CheckpointFormat('eva_mm', _any_prefix('backbone.blocks.'), ('backbone.',), OFFICIAL_RENAMES,
                     pre=(_swiglu_names,)),
    CheckpointFormat('official', lambda sd: True, ('backbone.',), OFFICIAL_RENAMES, pre=(_swiglu_names,)),
)
FORMATS: Tuple[str, ...] = tuple(f.name for f in FORMAT_TABLE)


def format_named(name: str, table: Sequence[CheckpointFormat] = FORMAT_TABLE) -> CheckpointFormat:
    """The row called ``name``; ``ValueError`` naming the known formats otherwise."""
    for fmt in table:
        if fmt.name == name:
            return fmt
    raise ValueError(f'unknown checkpoint format {name!r}; known formats: {", ".join(f.name for f in table)}')


def detect_format(state_dict: Mapping[str, torch.Tensor], table: Sequence[CheckpointFormat] = FORMAT_TABLE) -> str:
    """Name of the source layout of an unwrapped state dict: the first row of ``table`` that accepts it."""
    for fmt in table:
        if fmt.detect(state_dict):
            return fmt.name
    raise ValueError(f'no checkpoint format accepts these keys (tried {", ".join(f.name for f in table)}); '
                     f'first keys: {list(state_dict)[:5]}')


def to_eva_mm_names(state_dict: Mapping[str, torch.Tensor], fmt: Optional[str] = None,
                    table: Sequence[CheckpointFormat] = FORMAT_TABLE) -> Tuple[str, StateDict]:
    """``(format name, backbone state dict in eva_mm names)`` of an unwrapped state dict; ``fmt`` skips detection."""
    row = format_named(fmt if fmt is not None else detect_format(state_dict, table), table)
    return row.name, row.rename(row.strip_prefix(state_dict))
