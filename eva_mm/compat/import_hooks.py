"""Run a fix on a third-party module right after it is first imported, without importing it ourselves.

Importing lvis or pycocotools eagerly would cost every `import eva_mm` time for modules most runs never use.
"""
import importlib.abc
import importlib.machinery
import sys
import types
from typing import Callable, Dict, List, Optional, Sequence

Fix = Callable[[types.ModuleType], None]
_FIXES: Dict[str, List[Fix]] = {}


class _FixingLoader(importlib.abc.Loader):
    def __init__(self, loader: importlib.abc.Loader, fixes: List[Fix]) -> None:
        self.loader = loader
        self.fixes = fixes

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> Optional[types.ModuleType]:
        return self.loader.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        self.loader.exec_module(module)
        for fix in self.fixes:
            fix(module)


class _Finder(importlib.abc.MetaPathFinder):
    """Finds watched modules like the normal path finder, with a loader that applies their fixes afterwards."""

    def find_spec(self, fullname: str, path: Optional[Sequence[str]],
                  target: Optional[types.ModuleType] = None) -> Optional[importlib.machinery.ModuleSpec]:
        if fullname not in _FIXES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _FixingLoader(spec.loader, _FIXES[fullname])
        return spec


def when_imported(name: str, fix: Fix) -> None:
    """Call `fix(module)` once module `name` is imported: now if it already is, else right after its import."""
    if name in sys.modules:
        fix(sys.modules[name])
        return
    _FIXES.setdefault(name, []).append(fix)
    if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
