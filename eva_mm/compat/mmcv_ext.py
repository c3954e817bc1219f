"""A stand-in for mmcv's compiled extension `mmcv._ext`, for installs that have only mmcv-lite.

mmcv's op modules call `ext_loader.load_ext('_ext', [names])` at import time, so `import mmdet.models` fails
without the compiled extension. We register a module under `mmcv._ext` *before* `mmcv.ops` is first imported:
it answers every name, serving the ops EVA's pipelines need from torch/torchvision (`ext_ops.SUPPLIED`); every
other op is a stub that raises, naming the op, only when it is called. A real compiled extension always wins.
"""
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from typing import Any, Callable

from .ext_ops import SUPPLIED

MODULE_NAME = 'mmcv._ext'


class MissingCompiledOpError(NotImplementedError):
    """Raised when a pipeline calls an mmcv op that only the compiled mmcv extension provides."""


def _missing_op(name: str) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        raise MissingCompiledOpError(
            f'mmcv op `{name}` needs the compiled mmcv extension (mmcv._ext), which is not installed. eva_mm '
            f'supplies only {", ".join(sorted(SUPPLIED))} on top of mmcv-lite. Install a compiled mmcv 2.1.0 '
            f'built for this torch, or use a config that does not need `{name}`.')

    call.__name__ = name
    call.__qualname__ = name
    return call


class _StandInExtension(types.ModuleType):
    """Module object whose attributes are the supplied ops, or raising stubs for any other op name."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith('__'):  # importlib, pickle and inspect probe dunders; those must stay absent
            raise AttributeError(name)
        stub = _missing_op(name)
        setattr(self, name, stub)
        return stub


class _StandInLoader(importlib.abc.Loader):
    """Loader on the stand-in's spec, so `pkgutil.find_loader('mmcv._ext')` finds one (mmengine's
    `mmcv_full_available()` and mmcv's `check_ops_exist()` ask exactly that)."""

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return build_stand_in()

    def exec_module(self, module: types.ModuleType) -> None:
        pass


def _no_compiler() -> str:
    return 'n/a (eva_mm stand-in for mmcv._ext)'


# Build information mmcv's `collect_env()` asks the extension for; it reported 'n/a' when the import failed, and
# answers the same with the stand-in instead of raising.
_BUILD_INFO = {'get_compiler_version': _no_compiler, 'get_compiling_cuda_version': _no_compiler}


def build_stand_in() -> types.ModuleType:
    """A fresh stand-in module (not registered anywhere)."""
    module = _StandInExtension(MODULE_NAME, __doc__)
    module.__spec__ = importlib.machinery.ModuleSpec(MODULE_NAME, _StandInLoader(), origin='eva_mm')
    module.__loader__ = module.__spec__.loader
    for name, fn in {**SUPPLIED, **_BUILD_INFO}.items():
        setattr(module, name, fn)
    return module


def compiled_mmcv_available() -> bool:
    """Whether a compiled `mmcv._ext` is importable (our stand-in does not count)."""
    existing = sys.modules.get(MODULE_NAME)
    if existing is not None:
        return not isinstance(existing, _StandInExtension)
    try:
        return importlib.util.find_spec(MODULE_NAME) is not None
    except ModuleNotFoundError:  # mmcv itself is not installed
        return False


def install_stand_in() -> bool:
    """Register the stand-in as `mmcv._ext` unless a compiled extension exists. Returns whether it did."""
    if compiled_mmcv_available() or MODULE_NAME in sys.modules:
        return False
    import mmcv  # noqa: F401  (the parent package must exist for the submodule to be found)
    module = build_stand_in()
    sys.modules[MODULE_NAME] = module
    sys.modules['mmcv'].__dict__['_ext'] = module
    return True
