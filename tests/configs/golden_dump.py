"""Canonical dump of a config as the runner sees it, for the golden config test.

``Config.fromfile`` evaluates the whole ``_base_`` chain; the dump is the resulting dict flattened to one line per
value, ``path = value``, sorted: ``model.backbone.img_size = 1024``. A list element is ``[i]``, a tuple element
``(i)`` (mmengine and the registries treat ``(1, 2)`` and ``[1, 2]`` differently), an empty container is written as
``{}`` / ``[]`` / ``()``, floats by ``repr`` (exact round trip), and the repository's absolute path is replaced by
``<repo>`` so the goldens do not depend on where the repository is checked out. One line per value keeps the
goldens small and a failure readable: it names the key that changed.
"""
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mmengine.config import Config

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / 'configs'
GOLDEN = Path(__file__).resolve().parent / 'golden'


def leaf_configs() -> list[Path]:
    """Every config a user runs: each ``*.py`` under ``configs/`` outside ``configs/_base_/`` (bases are checked
    through the leaves that inherit them)."""
    return sorted(p for p in CONFIGS.rglob('*.py') if '_base_' not in p.relative_to(CONFIGS).parts)


def golden_path(config: Path) -> Path:
    """``configs/eva02/x.py`` -> ``tests/configs/golden/eva02/x.txt``."""
    return (GOLDEN / config.resolve().relative_to(CONFIGS)).with_suffix('.txt')


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value.replace(str(ROOT), '<repo>'), ensure_ascii=False)
    if value is None or isinstance(value, (bool, int)):
        return json.dumps(value)
    if isinstance(value, float):
        return repr(value)
    return f'<{type(value).__qualname__}> ' + repr(value).replace(str(ROOT), '<repo>')


def flatten(value: Any, path: str = '') -> Iterator[str]:
    """``path = value`` lines for every leaf of a nested dict / list / tuple."""
    if isinstance(value, dict):
        if not value:
            yield f'{path} = {{}}'
        for key, item in value.items():
            yield from flatten(item, f'{path}.{key}' if path else str(key))
    elif isinstance(value, (list, tuple)):
        left, right = ('(', ')') if isinstance(value, tuple) else ('[', ']')
        if not value:
            yield f'{path} = {left}{right}'
        for i, item in enumerate(value):
            yield from flatten(item, f'{path}{left}{i}{right}')
    else:
        yield f'{path} = {_scalar(value)}'


def dump(config: Path) -> str:
    """The canonical text of one config: its sorted ``path = value`` lines."""
    cfg = Config.fromfile(str(config))
    return '\n'.join(sorted(flatten(cfg.to_dict()))) + '\n'
