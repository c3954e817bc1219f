"""Every whole-model load of mmengine goes through :func:`eva_mm.checkpoint.whole_model.fit_to_model`.

``load_from``, ``tools/test.py CHECKPOINT``, ``mmengine.runner.load_checkpoint`` and the toolboxes' inferencers
all end in mmengine's ``_load_checkpoint_to_model``; wrapping it once makes released EVA files (official names,
``model`` / ``module`` wrappers, the mmseg ``fpn1..4``) load into eva_mm models wherever a user loads them.
Modules that imported the function by name before or after this runs get the wrapped one too.
"""
from __future__ import annotations

import types
from collections import OrderedDict
from typing import Any, Callable, Dict, Sequence, Tuple

from mmengine.runner import checkpoint as _mm_checkpoint
from torch import nn

from eva_mm.compat.import_hooks import when_imported

from .whole_model import fit_to_model

__all__ = ['install']

# Modules of the stack that do `from mmengine.runner.checkpoint import _load_checkpoint_to_model`.
_IMPORTERS = ('mmengine.runner.runner', 'mmengine.infer.infer', 'mmdet.apis.det_inferencer',
              'mmseg.apis.mmseg_inferencer')
_NAME = '_load_checkpoint_to_model'


def _fitting(original: Callable[..., Any]) -> Callable[..., Any]:
    """``original`` (mmengine's loader) fed with the fitted state dict."""
    def load(model: nn.Module, checkpoint: Dict[str, Any], strict: bool = False, logger: Any = None,
             revise_keys: Sequence[Tuple[str, str]] = ((r'^module\.', ''),)) -> Dict[str, Any]:
        fitted = OrderedDict(fit_to_model(checkpoint, model, revise_keys=revise_keys))
        # torch's per-module versions (e.g. BatchNorm's), which mmengine keeps on the state dict it loads
        fitted._metadata = getattr(checkpoint.get('state_dict'), '_metadata', OrderedDict())  # type: ignore
        original(model, {'state_dict': fitted}, strict, logger, revise_keys=[])
        return checkpoint
    load.__wrapped__ = original  # type: ignore[attr-defined]
    load.__doc__ = original.__doc__
    load._eva_mm_fitting = True  # type: ignore[attr-defined]
    return load


def _patch(module: types.ModuleType, wrapped: Callable[..., Any]) -> None:
    if hasattr(module, _NAME):
        setattr(module, _NAME, wrapped)


def install() -> None:
    """Wrap mmengine's ``_load_checkpoint_to_model`` (idempotent)."""
    current = getattr(_mm_checkpoint, _NAME)
    if getattr(current, '_eva_mm_fitting', False):
        return
    wrapped = _fitting(current)
    _patch(_mm_checkpoint, wrapped)
    for name in _IMPORTERS:
        when_imported(name, lambda module, w=wrapped: _patch(module, w))

