"""Checks of a training config before anything is built or written: the values a typo breaks far away.

mmengine reads a config's syntax error as `File "<unknown>"`, runs zero iterations for `max_iters=-5`, and fails
on `lr=fast` deep inside the optimizer after the work dir was set up. `read_config` names the config file of a
syntax error; `check_train_config` names the key, the value and what is allowed.
"""
import ast
import numbers
import os.path as osp
from typing import Any, Optional, Set

from mmengine.config import Config

__all__ = ['check_train_config', 'read_config']


def _syntax_error_in(path: str, seen: Optional[Set[str]] = None) -> Optional[SyntaxError]:
    """The first syntax error in `path` or in the local `_base_` files it inherits, naming its file and line."""
    seen = set() if seen is None else seen
    path = osp.abspath(path)
    if path in seen or not osp.isfile(path):
        return None
    seen.add(path)
    with open(path, encoding='utf-8') as f:
        source = f.read()
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as error:
        return SyntaxError(f'config {path}, line {error.lineno}: {error.msg}',
                           (path, error.lineno, error.offset, error.text))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, 'id', None) == '_base_' for t in node.targets):
            try:
                bases = ast.literal_eval(node.value)
            except ValueError:
                continue
            for base in [bases] if isinstance(bases, str) else list(bases):
                if isinstance(base, str) and '::' not in base:  # `mmdet::...`: a toolbox's own file
                    found = _syntax_error_in(osp.join(osp.dirname(path), base), seen)
                    if found is not None:
                        return found
    return None


def read_config(path: str) -> Config:
    """`Config.fromfile(path)`, with a syntax error (in `path` or a `_base_` file) reported at its file and line.

    Raises:
        SyntaxError: naming the file and line (mmengine would say `File "<unknown>"`).
    """
    found = _syntax_error_in(path)
    if found is not None:
        raise found
    return Config.fromfile(path)


def _number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check(key: str, value: Any, ok: bool, allowed: str) -> None:
    if not ok:
        raise ValueError(f'config {key}={value!r}: {allowed}')


def check_train_config(cfg: Config) -> None:
    """Check the training lengths, optimizer numbers and loader sizes of `cfg`.

    Raises:
        ValueError: the first bad value, as `config KEY=VALUE: allowed ...`.
    """
    train_cfg = cfg.get('train_cfg') or {}
    for key in ('max_iters', 'max_epochs', 'val_interval', 'val_begin'):
        if key in train_cfg:
            value = train_cfg[key]
            low = 0 if key == 'val_begin' else 1
            _check(f'train_cfg.{key}', value, isinstance(value, int) and not isinstance(value, bool) and value >= low,
                   f'allowed an integer >= {low}')
    optimizer = (cfg.get('optim_wrapper') or {}).get('optimizer') or {}
    for key in ('lr', 'weight_decay', 'momentum'):
        if key in optimizer:
            value = optimizer[key]
            _check(f'optim_wrapper.optimizer.{key}', value, _number(value) and value >= 0,
                   'allowed a number >= 0')
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        spec = cfg.get(loader) or {}
        for key, low in (('batch_size', 1), ('num_workers', 0)):
            if key in spec:
                value = spec[key]
                _check(f'{loader}.{key}', value, isinstance(value, int) and not isinstance(value, bool)
                       and value >= low, f'allowed an integer >= {low}')
