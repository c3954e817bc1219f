"""LVIS evaluation on NumPy 2.

lvis 0.5.3 (the last release) writes `np.float`, an alias NumPy removed in 1.24, in `LVISEval`; on NumPy 2 every
evaluation dies with `AttributeError: module 'numpy' has no attribute 'float'`. Rather than put the alias back
on NumPy for every library, we give lvis's own modules a view of NumPy that has it, when lvis is imported.
"""
import types
from typing import Any

import numpy as np

from .import_hooks import when_imported

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


def install() -> None:
    """Make lvis's modules see `np.float`, now for those already imported and later for the rest."""
    if hasattr(np, 'float'):  # NumPy < 1.24 still has the alias
        return
    for name in LVIS_MODULES:
        when_imported(name, patch_module)
