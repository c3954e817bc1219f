"""Does a (fitted) state dict fit a model? One error listing what does not, unless a partial load is intended.

mmengine's `load_state_dict(strict=False)` only logs missing / unexpected keys and skips shape mismatches, so a
checkpoint of another architecture (eva02-b into eva02-s, 4 blocks into 6, a file with no key in common) trained
or tested from random weights. `check_fit` compares the state dict with the model and raises `CheckpointFitError`
naming the missing, unexpected and mismatched keys and describing both sides (tensor count, top-level prefixes,
block count, embedding width). A partial load the config intends is stated with `allow`: regular expressions (or
preset names from `PARTIAL_LOADS`) of keys that may be missing, unexpected or mismatched; those keys are returned
as skipped so the caller can log them.
"""
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Mapping, Sequence, Tuple, Union

import torch
from torch import nn

__all__ = ['CheckpointFitError', 'FitReport', 'PARTIAL_LOADS', 'check_fit', 'describe_state_dict']

# Named partial loads. 'mim_init': a MIM-pretrained backbone (under `backbone.`) into a detector / segmentor:
# everything outside the backbone starts fresh, and the backbone's rel-pos tables, which MIM pretraining has not
# (ViTDet adds them), may be missing.
PARTIAL_LOADS: Dict[str, Tuple[str, ...]] = {
    'mim_init': (r'^(?!backbone\.)', r'^backbone\..*rel_pos'),
}

_BLOCK = re.compile(r'(?:^|\.)blocks\.(\d+)\.')


class CheckpointFitError(RuntimeError):
    """A checkpoint does not fit the model it is loaded into."""


@dataclass
class FitReport:
    """Keys that did not fit but were allowed (skipped), by kind."""
    missing: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    mismatched: List[str] = field(default_factory=list)

    def skipped(self) -> List[str]:
        return sorted(self.missing + self.unexpected + self.mismatched)


def describe_state_dict(shapes: Mapping[str, Sequence[int]]) -> str:
    """'120 tensors; prefixes backbone.(110) neck.(10); 4 blocks (0..3); pos_embed [1, 197, 384]'."""
    if not shapes:
        return 'no tensors'
    prefixes = Counter(k.split('.', 1)[0] for k in shapes)
    parts = [f'{len(shapes)} tensors', 'prefixes ' + ' '.join(f'{p}.({n})' for p, n in prefixes.most_common(4))]
    blocks = sorted({int(m.group(1)) for k in shapes if (m := _BLOCK.search(k))})
    if blocks:
        parts.append(f'{len(blocks)} blocks ({blocks[0]}..{blocks[-1]})')
    embed = next((k for k in shapes if k.endswith('pos_embed') or k.endswith('cls_token')), None)
    if embed:
        parts.append(f'{embed} {list(shapes[embed])}')
    return '; '.join(parts)


def _patterns(allow: Union[str, Iterable[str]]) -> List[re.Pattern]:
    names = [allow] if isinstance(allow, str) else list(allow)
    out: List[str] = []
    for name in names:
        out.extend(PARTIAL_LOADS.get(name, (name,)))
    return [re.compile(p) for p in out]


def _listed(keys: List[str], limit: int = 6) -> str:
    return ', '.join(keys[:limit]) + (f' ... (+{len(keys) - limit})' if len(keys) > limit else '')


_HINT = ('Is it the checkpoint of this config? If a partial load is intended, say which keys may not fit (e.g. '
         'the mim_init preset, or regexes).')


def check_fit(state_dict: Mapping[str, torch.Tensor], model: nn.Module,
              allow: Union[str, Iterable[str]] = (), source: str = 'checkpoint', hint: str = _HINT) -> FitReport:
    """Raise unless every model tensor gets a same-shaped value and every file tensor has a place.

    Args:
        state_dict: the (already converted / fitted) tensors to load, named as in `model.state_dict()`.
        model: the model they are loaded into.
        allow: regexes (searched in each key) or `PARTIAL_LOADS` names of keys that may not fit.
        source: how to name the file in the message (its path).
        hint: the message's last line: how the caller's user states a partial load.

    Returns:
        The allowed keys that did not fit (to log as skipped).

    Raises:
        CheckpointFitError: keys missing, unexpected or of another shape (not allowed), or no key in common.
    """
    patterns = _patterns(allow)
    allowed = lambda key: any(p.search(key) for p in patterns)  # noqa: E731
    want = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    have = {k: tuple(v.shape) for k, v in state_dict.items() if isinstance(v, torch.Tensor)}
    report, bad = FitReport(), FitReport()
    for key in sorted(want.keys() - have.keys()):
        (report if allowed(key) else bad).missing.append(key)
    for key in sorted(have.keys() - want.keys()):
        (report if allowed(key) else bad).unexpected.append(key)
    for key in sorted(want.keys() & have.keys()):
        if want[key] != have[key]:
            (report if allowed(key) else bad).mismatched.append(f'{key} (file {list(have[key])}, model '
                                                                 f'{list(want[key])})')
    common = want.keys() & have.keys()
    if bad.skipped() or not common:
        lines = [f'{source} does not fit {type(model).__name__}'
                 + (': no key in common' if not common else '') + ':']
        for kind, label in (('missing', 'missing'), ('unexpected', 'unexpected'), ('mismatched', 'shape-mismatched')):
            keys = getattr(bad, kind)
            if keys:
                lines.append(f'  {len(keys)} {label}: {_listed(keys)}')
        lines.append(f'  the file: {describe_state_dict(have)}')
        lines.append(f'  the model: {describe_state_dict(want)}')
        lines.append('  ' + hint)
        raise CheckpointFitError('\n'.join(lines))
    return report
