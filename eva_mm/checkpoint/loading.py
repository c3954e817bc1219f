"""Load any known EVA checkpoint into an eva_mm backbone, converting on the fly.

Used by ``EVA.init_weights`` for ``init_cfg=dict(type='Pretrained', checkpoint=...)``. Every read goes through
the safe reader (``eva_mm.checkpoint.reader``: ``weights_only=True``, checked downloads).
"""
from __future__ import annotations

import logging
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Tuple, Union

import torch
from mmengine.logging import MMLogger, print_log
from torch import nn

from eva_mm.layers.rel_pos import resize_rel_pos

from .convert import convert, detect_format, unwrap_checkpoint
from .fit import check_fit
from .reader import read_checkpoint

__all__ = ['BACKBONE_ALLOW', 'LoadReport', 'fit_rel_pos', 'load_pretrained']

# What a backbone load may leave unloaded unless told otherwise: the decomposed rel-pos tables (EVA-01 / ViTDet
# detection adds them, zero-initialised, to MIM weights that have none).
BACKBONE_ALLOW: Tuple[str, ...] = (r'(^|\.)rel_pos_[hw]$',)


class LoadReport(NamedTuple):
    """What a load did not match: names, and ``(name, checkpoint shape, model shape)`` for mismatches."""
    source_format: str
    missing: List[str]
    unexpected: List[str]
    mismatched: List[Tuple[str, Tuple[int, ...], Tuple[int, ...]]]

    def message(self, checkpoint: str) -> str:
        """One readable message of everything that did not load."""
        lines = [f'Loaded {checkpoint} (format: {self.source_format}).']
        if self.missing:
            lines.append(f'missing keys (left at init) [{len(self.missing)}]: {", ".join(self.missing)}')
        if self.unexpected:
            lines.append(f'unexpected keys (ignored) [{len(self.unexpected)}]: {", ".join(self.unexpected)}')
        if self.mismatched:
            lines.append(f'shape-mismatched keys (skipped) [{len(self.mismatched)}]: ' + ', '.join(
                f'{k} {tuple(a)} vs model {tuple(b)}' for k, a, b in self.mismatched))
        return '\n'.join(lines)


def fit_rel_pos(state_dict: Dict[str, torch.Tensor], model_sd: Dict[str, torch.Tensor]) -> None:
    """Resize decomposed rel-pos tables to the model's (e.g. a 1280 table into a 1024 model), as ViTDet does."""
    for k, v in state_dict.items():
        if k.endswith(('rel_pos_h', 'rel_pos_w')) and k in model_sd and v.shape != model_sd[k].shape \
                and v.shape[1:] == model_sd[k].shape[1:]:
            state_dict[k] = resize_rel_pos(v, model_sd[k].shape[0])


def load_pretrained(
    model: nn.Module,
    checkpoint: str | Dict[str, Any],
    prefix: Optional[str] = None,
    map_location: Any = 'cpu',
    strict: bool = False,
    logger: Optional[MMLogger] = None,
    use_ema: bool = False,
    allow: Union[str, Iterable[str], None] = None,
) -> LoadReport:
    """Convert and load a checkpoint into an :class:`~eva_mm.models.backbones.EVA`.

    Args:
        model: The backbone; its patch size, position grid, bias layout, mask token and final norm steer the
            conversion.
        checkpoint: Path, URL, or an already read checkpoint dict.
        prefix: Keep only keys under this prefix (mmengine ``Pretrained`` semantics), e.g. ``'backbone.'``.
        map_location: Passed to the reader.
        strict: Every key must fit (``allow`` ignored).
        logger: Where to log the report (default: the current mmengine logger).
        use_ema: Read ``model_ema`` rather than ``model`` from a file that has both (official default: ``model``).
        allow: Regexes (or ``PARTIAL_LOADS`` names) of keys that may be missing, unexpected or mismatched. None
            (the default, :data:`BACKBONE_ALLOW`) allows only the decomposed rel-pos tables, which MIM weights
            lack (ViTDet adds them, zero-initialised); those are logged as skipped.

    Returns:
        The :class:`LoadReport`.

    Raises:
        CheckpointFitError: keys that are not allowed do not fit (another width, depth or model), or no key in
            common; nothing is loaded then.
    """
    name = checkpoint if isinstance(checkpoint, str) else '<state dict>'
    raw = read_checkpoint(checkpoint, map_location) if isinstance(checkpoint, str) else checkpoint
    if prefix:
        inner = unwrap_checkpoint(raw, use_ema=use_ema)
        raw = {k[len(prefix):]: v for k, v in inner.items() if k.startswith(prefix)}
    fmt = detect_format(unwrap_checkpoint(raw, use_ema=use_ema))
    state_dict = convert(
        raw,
        patch_size=model.patch_size,
        pos_embed_grid=model.pos_embed_grid,
        keep_mask_token=getattr(model, 'mask_token', None) is not None,
        keep_norm=getattr(model, 'norm', None) is not None,
        keep_cls_token=getattr(model, 'cls_token', None) is not None,
        qkv_bias=model.arch_settings['qkv_bias'],
        use_ema=use_ema,
    )
    model_sd = model.state_dict()
    fit_rel_pos(state_dict, model_sd)
    mismatched = [(k, tuple(v.shape), tuple(model_sd[k].shape)) for k, v in state_dict.items()
                  if k in model_sd and v.shape != model_sd[k].shape]
    loadable = {k: v for k, v in state_dict.items() if k in model_sd and v.shape == model_sd[k].shape}
    report = LoadReport(
        source_format=fmt,
        missing=sorted(set(model_sd) - set(loadable) - {k for k, _, _ in mismatched}),
        unexpected=sorted(set(state_dict) - set(model_sd)),
        mismatched=mismatched,
    )
    allow = BACKBONE_ALLOW if allow is None else allow
    allowed = () if strict else ((allow,) if isinstance(allow, str) else tuple(allow))
    check_fit(state_dict, model, allow=allowed, source=f'{name} (format {fmt}, converted to the model\'s names)',
              hint='Is it a checkpoint of this architecture? If a partial load is intended, list the keys that may '
                   "not fit: init_cfg=dict(type='Pretrained', checkpoint=..., allow=[regexes])"
                   + (f' (allowed now: {list(allowed)})' if allowed else ''))
    clean = not (report.missing or report.unexpected or report.mismatched)
    model.load_state_dict(loadable, strict=False)
    print_log(report.message(name), logger=logger or 'current', level=logging.INFO if clean else logging.WARNING)
    return report
