"""The one validation of `EVA`'s arguments: type, range, divisibility and index bounds, before anything is built.

Each failure is a single `TypeError` / `ValueError` whose message names the argument, the value given and what
is allowed, e.g. `EVA(global_attn_indexes=(2, 12)): index 12 is out of range; allowed 0..11 for 12 blocks`.
Without it a bad value surfaced far away (a shape error at the first forward, a NaN at the first training step)
or, worse, was silently reinterpreted (`patch_size=0` became the default, an index past the depth wrapped round).
"""
from __future__ import annotations

import numbers
from typing import Any, Dict, Mapping, Optional, Sequence

import torch

from .arch_zoo import resolve_arch

__all__ = ['validate_eva_args', 'validate_eva_inputs']


def _fail(name: str, value: Any, allowed: str, error: type = ValueError) -> None:
    raise error(f'EVA({name}={value!r}): {allowed}')


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_int(name: str, value: Any, low: int, high: Optional[int] = None) -> None:
    if not _is_int(value):
        _fail(name, value, f'expected an integer{f" in {low}..{high}" if high is not None else f" >= {low}"}',
              TypeError)
    if value < low or (high is not None and value > high):
        _fail(name, value, f'allowed {low}..{high}' if high is not None else f'allowed an integer >= {low}')


def _check_size(name: str, value: Any, patch: int, divisible: bool = True) -> None:
    pair = (value, value) if _is_int(value) else value
    if not (isinstance(pair, Sequence) and len(pair) == 2 and all(_is_int(v) for v in pair)):
        _fail(name, value, 'expected an integer or a pair of integers (height, width)', TypeError)
    for v in pair:
        if v < patch or (divisible and v % patch):
            _fail(name, value, f'each side must be a positive multiple of patch_size={patch}' if divisible else
                  f'each side must be at least patch_size={patch}')


def _check_indices(name: str, value: Any, depth: int, negative: bool) -> None:
    indices = (value,) if _is_int(value) else value
    if not isinstance(indices, Sequence) or isinstance(indices, str) or not all(_is_int(i) for i in indices):
        _fail(name, value, 'expected an integer or a sequence of integers (block indices)', TypeError)
    low = -depth if negative else 0
    for i in indices:
        if not low <= i < depth:
            _fail(name, value, f'index {i} is out of range; allowed {low}..{depth - 1} for {depth} blocks')
    if name == 'out_indices' and not indices:
        _fail(name, value, 'at least one block index is needed (the backbone must output something)')


def validate_eva_args(arch: Any, *, img_size: Any, patch_size: Any, in_channels: Any, pretrain_img_size: Any,
                      out_indices: Any, window_size: Any, global_attn_indexes: Any, drop_rate: Any,
                      attn_drop_rate: Any, drop_path_rate: Any, frozen_stages: Any) -> Dict[str, Any]:
    """Check `EVA.__init__`'s arguments together and return the resolved architecture settings.

    Raises:
        TypeError / ValueError / KeyError: the first bad argument, named with its value and what is allowed.
    """
    if not isinstance(arch, (str, Mapping)):
        _fail('arch', arch, 'expected an architecture name (e.g. "eva02-b") or a dict of settings', TypeError)
    settings = resolve_arch(arch)
    depth = settings['depth']
    if patch_size is not None:
        _check_int('patch_size', patch_size, 1)
    patch = patch_size or settings['patch_size']
    _check_size('img_size', img_size, patch)
    if pretrain_img_size is not None:
        # the released grid is floor(size / patch), e.g. p14 weights at 224 resampled for a p16 model
        _check_size('pretrain_img_size', pretrain_img_size, patch, divisible=False)
    _check_int('in_channels', in_channels, 1)
    _check_indices('out_indices', out_indices, depth, negative=True)
    _check_int('window_size', window_size, 0)
    _check_indices('global_attn_indexes', global_attn_indexes, depth, negative=False)
    for name, p in (('drop_rate', drop_rate), ('attn_drop_rate', attn_drop_rate),
                    ('drop_path_rate', drop_path_rate)):
        if not isinstance(p, numbers.Real) or isinstance(p, bool):
            _fail(name, p, 'expected a probability (a float in [0, 1))', TypeError)
        if not 0 <= p < 1:
            _fail(name, p, 'allowed a probability in [0, 1)')
    _check_int('frozen_stages', frozen_stages, -1, depth)
    return settings


def validate_eva_inputs(x: Any, mask: Optional[Any], patch_size: int, in_channels: int) -> None:
    """Check `EVA.forward`'s input: `x` [B, C, H, W] with H, W multiples of the patch; `mask` [B, h*w] / [B, h, w].

    Raises:
        TypeError / ValueError: naming the input, its shape and the expected one.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f'EVA.forward(x): expected a tensor [B, {in_channels}, H, W], got {type(x).__name__}')
    if x.dim() != 4 or x.shape[1] != in_channels:
        raise ValueError(f'EVA.forward(x): expected shape [B, {in_channels}, H, W], got {list(x.shape)}')
    h, w = x.shape[2] // patch_size, x.shape[3] // patch_size
    if mask is None:
        return
    if tuple(mask.shape) not in ((x.shape[0], h * w), (x.shape[0], h, w)):
        raise ValueError(f'EVA.forward(mask): expected shape [{x.shape[0]}, {h * w}] or [{x.shape[0]}, {h}, {w}] '
                         f'(batch, patches of a {list(x.shape[2:])} image at patch {patch_size}), got '
                         f'{list(mask.shape)}')
