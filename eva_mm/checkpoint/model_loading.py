"""Every whole-model load of mmengine goes through :func:`eva_mm.checkpoint.whole_model.fit_to_model`.

``load_from``, ``tools/test.py CHECKPOINT``, ``mmengine.runner.load_checkpoint`` and the toolboxes' inferencers
all end in mmengine's ``_load_checkpoint_to_model``; wrapping it once makes released EVA files (official names,
``model`` / ``module`` wrappers, the mmseg ``fpn1..4``) load into eva_mm models wherever a user loads them.
Modules that imported the function by name before or after this runs get the wrapped one too.

After fitting, the load is checked (:func:`eva_mm.checkpoint.fit.check_fit`): a checkpoint that does not fit the
model (another architecture, another depth, no key in common) stops with one ``CheckpointFitError`` naming the
file, the keys and both layouts, instead of mmengine's warning and a run from random weights. A partial load the
config intends is stated with the top-level key ``load_from_allow`` (regexes of keys that may not fit, or a
preset of ``PARTIAL_LOADS`` such as ``'mim_init'``); the keys it skipped are logged. The tools read the key
(:func:`set_load_allow`, called by ``eva_mm.engine.cli.build_runner``); an inferencer's model carries its config
(``model.cfg``), which is read first.
"""
from __future__ import annotations

import logging
import re
import types
from collections import OrderedDict
from typing import Any, Callable, Dict, Iterable, Optional, Sequence, Tuple, Union

from mmengine.logging import print_log
from mmengine.runner import checkpoint as _mm_checkpoint
from torch import nn

from eva_mm.compat.import_hooks import when_imported

from .fit import check_fit
from .whole_model import fit_to_model

__all__ = ['install', 'load_allow', 'set_load_allow']

# Modules of the stack that do `from mmengine.runner.checkpoint import _load_checkpoint_to_model` (or
# `_load_checkpoint`, whose file name the fit message reports).
_IMPORTERS = ('mmengine.runner.runner', 'mmengine.infer.infer', 'mmdet.apis.det_inferencer',
              'mmseg.apis.mmseg_inferencer', 'mmengine.runner._flexible_runner', 'mmengine._strategy.base')
_NAME = '_load_checkpoint_to_model'
_READ = '_load_checkpoint'
# torch fills BatchNorm's counter itself for files written before it existed
_ALWAYS_ALLOWED = (r'(^|\.)num_batches_tracked$',)

Allow = Union[str, Iterable[str]]
_HINT = ("Is it the checkpoint of this config? If a partial load is intended, say so in the config: "
         "load_from_allow = 'mim_init' (backbone weights only: neck, heads and rel-pos tables start fresh) or a "
         "list of regexes of the keys that may not fit, e.g. [r'^decode_head\\.conv_seg'].")
_config_allow: Tuple[str, ...] = ()
# (id of the dict `_load_checkpoint` returned last, its file name): names the file in a fit error without keeping
# the (possibly large) dict alive.
_last_read: Tuple[int, str] = (0, '')


def _as_tuple(allow: Optional[Allow], what: str) -> Tuple[str, ...]:
    if allow is None:
        return ()
    names = (allow,) if isinstance(allow, str) else tuple(allow) if isinstance(allow, (list, tuple)) else (allow,)
    if not all(isinstance(n, str) for n in names):
        raise TypeError(f'{what} must be a regex / preset name or a list of them, got {allow!r}')
    return names


def set_load_allow(allow: Optional[Allow]) -> None:
    """Set the keys whole-model loads of this process may skip (the config's ``load_from_allow``; None: none)."""
    global _config_allow
    _config_allow = _as_tuple(allow, 'load_from_allow')


def load_allow(model: nn.Module) -> Tuple[str, ...]:
    """What a whole-model load into ``model`` may skip: its config's ``load_from_allow`` (inferencers set
    ``model.cfg``), else the value the tools set, plus BatchNorm counters."""
    cfg = getattr(model, 'cfg', None)
    own = cfg.get('load_from_allow', None) if hasattr(cfg, 'get') else None
    return _ALWAYS_ALLOWED + (_as_tuple(own, 'load_from_allow') if own is not None else _config_allow)


def _remembering(original: Callable[..., Any]) -> Callable[..., Any]:
    """``original`` (mmengine's ``_load_checkpoint``) noting which file it read."""
    def read(filename: str, *args: Any, **kwargs: Any) -> Any:
        global _last_read
        checkpoint = original(filename, *args, **kwargs)
        _last_read = (id(checkpoint), str(filename))
        return checkpoint
    read.__wrapped__ = original  # type: ignore[attr-defined]
    read.__doc__ = original.__doc__
    read._eva_mm_fitting = True  # type: ignore[attr-defined]
    return read


def _fitting(original: Callable[..., Any]) -> Callable[..., Any]:
    """``original`` (mmengine's loader) fed with the fitted state dict."""
    def load(model: nn.Module, checkpoint: Dict[str, Any], strict: bool = False, logger: Any = None,
             revise_keys: Sequence[Tuple[str, str]] = ((r'^module\.', ''),)) -> Dict[str, Any]:
        fitted = OrderedDict(fit_to_model(checkpoint, model, revise_keys=revise_keys))
        source = _last_read[1] if _last_read[0] == id(checkpoint) else 'checkpoint'
        skipped = check_fit(fitted, model, allow=load_allow(model), source=source,
                            hint=_HINT).skipped()
        skipped = [k for k in skipped if not any(re.search(p, k) for p in _ALWAYS_ALLOWED)]
        if skipped:
            print_log(f'{source}: partial load as the config allows (load_from_allow); {len(skipped)} keys '
                      f'skipped (left at init or ignored): {", ".join(skipped)}', logger=logger or 'current',
                      level=logging.WARNING)
        # torch's per-module versions (e.g. BatchNorm's), which mmengine keeps on the state dict it loads
        fitted._metadata = getattr(checkpoint.get('state_dict'), '_metadata', OrderedDict())  # type: ignore
        original(model, {'state_dict': fitted}, strict, logger, revise_keys=[])
        return checkpoint
    load.__wrapped__ = original  # type: ignore[attr-defined]
    load.__doc__ = original.__doc__
    load._eva_mm_fitting = True  # type: ignore[attr-defined]
    return load


def _patch(module: types.ModuleType, name: str, wrapped: Callable[..., Any]) -> None:
    if hasattr(module, name):
        setattr(module, name, wrapped)


def install() -> None:
    """Wrap mmengine's ``_load_checkpoint_to_model`` and ``_load_checkpoint`` (idempotent)."""
    for name, wrap in ((_NAME, _fitting), (_READ, _remembering)):
        current = getattr(_mm_checkpoint, name)
        if getattr(current, '_eva_mm_fitting', False):
            continue
        wrapped = wrap(current)
        _patch(_mm_checkpoint, name, wrapped)
        for module_name in _IMPORTERS:
            when_imported(module_name, lambda module, n=name, w=wrapped: _patch(module, n, w))

