"""Make `import mmaction.models` work with the mmaction2 1.2.0 wheel.

The PyPI wheel of mmaction2 1.2.0 ships `mmaction/models/localizers/__init__.py`, which does
`from .drn.drn import DRN`, but not the `drn/` package itself (the source tree has it). So every import of
`mmaction.models` fails. Installed files are not patched: a meta-path finder supplies a stand-in for exactly
`mmaction.models.localizers.drn` and `.drn.drn`, only when the real package is absent. The stand-in `DRN`
(temporal grounding, unrelated to recognition) raises one error that names the fix when it is built.
"""
import importlib.abc
import importlib.machinery
import sys
import types
from typing import Optional, Sequence

_PACKAGE = 'mmaction.models.localizers.drn'
_MODULE = _PACKAGE + '.drn'


class _MissingDRN:
    """Stand-in for mmaction's DRN localizer, which the mmaction2 1.2.0 wheel does not contain."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise ImportError(
            'mmaction2 1.2.0 from PyPI lacks mmaction/models/localizers/drn, so the DRN localizer is unavailable; '
            'install mmaction2 from source (github.com/open-mmlab/mmaction2, v1.2.0) to use DRN.')


class _StandInLoader(importlib.abc.Loader):
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> Optional[types.ModuleType]:
        return None  # default module creation

    def exec_module(self, module: types.ModuleType) -> None:
        if module.__name__ == _PACKAGE:
            module.__path__ = []  # a package, so that `.drn.drn` can be imported below it
            return
        _MissingDRN.__module__ = _MODULE
        module.DRN = _MissingDRN
        module.__all__ = ['DRN']
        # The real module registers DRN in mmaction's MODELS; do the same so `type='DRN'` gives the error above.
        from mmaction.registry import MODELS
        MODELS.register_module(name='DRN', module=_MissingDRN, force=True)


class _DRNFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Optional[Sequence[str]],
                  target: Optional[types.ModuleType] = None) -> Optional[importlib.machinery.ModuleSpec]:
        if fullname not in (_PACKAGE, _MODULE):
            return None
        real = importlib.machinery.PathFinder.find_spec(fullname, path)
        if real is not None:  # a source install has the real package: use it
            return None
        return importlib.machinery.ModuleSpec(fullname, _StandInLoader(), is_package=fullname == _PACKAGE)


def install() -> None:
    """Put the DRN stand-in finder on sys.meta_path (once); imports nothing of mmaction."""
    if not any(isinstance(finder, _DRNFinder) for finder in sys.meta_path):
        sys.meta_path.append(_DRNFinder())
