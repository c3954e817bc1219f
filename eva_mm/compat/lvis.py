"""LVIS evaluation on NumPy 2.

lvis 0.5.3 (the last release) writes `np.float`, an alias NumPy removed in 1.24, in `LVISEval`; on NumPy 2 every
evaluation dies with `AttributeError: module 'numpy' has no attribute 'float'`. Rather than put the alias back
on NumPy for every library, we give lvis's own modules a view of NumPy that has it. Importing lvis costs over
half a second (it pulls in matplotlib), so the fix is applied when lvis is first imported, not before.
"""
import importlib.abc
import importlib.machinery
import sys
import types
from typing import Any, Optional, Sequence

import numpy as np

LVIS_MODULES = ('lvis.eval', 'lvis.lvis', 'lvis.results')


class _NumpyWithFloat(types.ModuleType):
    """NumPy as lvis 0.5.3 expects it: everything from numpy, plus `float` meaning the builtin float."""

    float = float

    def __getattr__(self, name: str) -> Any:
        return getattr(np, name)


_NUMPY_VIEW = _NumpyWithFloat('numpy')


def patch_module(module: types.ModuleType) -> None:
    """Point one lvis module's `np` at the NumPy view."""
    if getattr(module, 'np', None) is np:
        module.np = _NUMPY_VIEW


class _PatchingLoader(importlib.abc.Loader):
    def __init__(self, loader: importlib.abc.Loader) -> None:
        self.loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> Optional[types.ModuleType]:
        return self.loader.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        self.loader.exec_module(module)
        patch_module(module)


class _LVISFinder(importlib.abc.MetaPathFinder):
    """Finds lvis's modules like the normal path finder, then patches them once they have run."""

    def find_spec(self, fullname: str, path: Optional[Sequence[str]],
                  target: Optional[types.ModuleType] = None) -> Optional[importlib.machinery.ModuleSpec]:
        if fullname not in LVIS_MODULES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _PatchingLoader(spec.loader)
        return spec


def install() -> None:
    """Make lvis's modules see `np.float`, now for those already imported and later for the rest."""
    if hasattr(np, 'float'):  # NumPy < 1.24 still has the alias
        return
    for name in LVIS_MODULES:
        if name in sys.modules:
            patch_module(sys.modules[name])
    if not any(isinstance(finder, _LVISFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _LVISFinder())
