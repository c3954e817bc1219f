"""Safe checkpoint loading for mmengine under torch's `weights_only=True`.

mmengine 0.10.7 calls `torch.load` without `weights_only`; since torch 2.6 that means `weights_only=True`, which
refuses the message hub (`HistoryBuffer`, NumPy arrays and scalars) that every Runner checkpoint holds, so resume
fails. Its HTTP loader goes the other way and unpickles downloads with `weights_only=False`. We replace both
loaders with one that keeps `weights_only=True` and allow-lists exactly the types mmengine writes
(DESIGN.md, decision 2). Anything else (a pickled callable) is refused before it can run, naming the global.
"""
import inspect
import os
import os.path as osp
import pickle
import re
from typing import IO, Any, Callable, List, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

MapLocation = Union[None, str, torch.device, Callable, dict]


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint holds a pickled object that eva_mm refuses to unpickle."""


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """`getattr`, restricted to the statistic methods of `HistoryBuffer`.

    `HistoryBuffer.__getstate__` pickles its statistic methods (`min`, `max`, `mean`, `current`, ...), which pickle
    protocol 2 stores as `getattr(HistoryBuffer, 'min')`. Allowing the real `getattr` would let a file reach any
    attribute of any allowed object; this one reaches only functions defined on `HistoryBuffer` itself.
    """
    statistics = {'min', 'max', 'current', 'mean', *HistoryBuffer._statistics_methods}
    attr = vars(HistoryBuffer).get(name) if obj is HistoryBuffer and name in statistics else None
    if not inspect.isfunction(attr):
        raise UnsafeCheckpointError(f'checkpoint asks for getattr({obj!r}, {name!r}); only the statistic methods '
                                    f'of mmengine HistoryBuffer may be looked up')
    return attr


def _numpy_globals() -> List[Union[Any, Tuple[Any, str]]]:
    multiarray = np._core.multiarray  # NumPy 2 home of the pickling helpers
    dtype_classes = {type(np.dtype(code)) for code in np.typecodes['All'] if code not in 'OMm'}
    return [
        np.ndarray, np.dtype, multiarray._reconstruct, multiarray.scalar, *sorted(dtype_classes, key=str),
        # Files written under NumPy 1 name the same helpers under `numpy.core`.
        (multiarray._reconstruct, 'numpy.core.multiarray._reconstruct'),
        (multiarray.scalar, 'numpy.core.multiarray.scalar'),
    ]


def mmengine_safe_globals() -> List[Union[Any, Tuple[Any, str]]]:
    """The non-tensor globals an mmengine Runner checkpoint contains, for `torch.serialization.safe_globals`.

    Measured on Runner checkpoints (message hub, EMA, best-checkpoint, AMP, parameter schedulers): HistoryBuffer,
    its statistic methods, NumPy arrays, dtypes and scalars. Containers, `OrderedDict` and `Counter` (the
    milestones of `MultiStepLR`) are allowed by torch itself.
    """
    return [HistoryBuffer, (_history_buffer_getattr, 'builtins.getattr'), *_numpy_globals()]


# torch names the refused global in several phrasings; the last alternative is our restricted getattr.
_GLOBAL_IN_MESSAGE = re.compile(r'GLOBAL (\S+)|unrecognized function (.+?)(?: which|$)|(getattr\(.*?\));', re.M)


def _describe(source: Union[str, IO[bytes]]) -> str:
    return source if isinstance(source, str) else getattr(source, 'name', repr(source))


def safe_load(source: Union[str, os.PathLike, IO[bytes]], map_location: MapLocation = None) -> Any:
    """`torch.load(source, weights_only=True)` that also accepts everything an mmengine Runner writes.

    Raises:
        UnsafeCheckpointError: the file pickles anything else; the message names the offending global.
    """
    source = os.fspath(source) if isinstance(source, os.PathLike) else source
    try:
        with torch.serialization.safe_globals(mmengine_safe_globals()):
            return torch.load(source, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        found = _GLOBAL_IN_MESSAGE.search(str(error))
        culprit = next((g for g in found.groups() if g), None) if found else None
        culprit = culprit or str(error).splitlines()[0]
        raise UnsafeCheckpointError(
            f'Refusing to load checkpoint {_describe(source)!r}: it contains the pickled global `{culprit}`, which '
            f'is neither a tensor, a container nor one of the mmengine checkpoint types eva_mm allows '
            f'(HistoryBuffer, NumPy arrays/scalars). Unpickling it could run code from the file. If you trust the '
            f'file, load it in a separate process and re-save only its tensors (its state_dict).') from None


def load_from_local(filename: str, map_location: MapLocation = None) -> Any:
    """mmengine's '' (local path) checkpoint scheme, loading safely."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} can not be found')
    return safe_load(filename, map_location)


def download_to_cache(url: str, model_dir: Optional[str] = None, progress: bool = True) -> str:
    """Download `url` into the torch hub cache (checked; see `eva_mm.checkpoint.download`) and return the path.

    In a distributed run, rank 0 downloads while the others wait, then they all use the cached file.
    """
    from mmengine.dist import barrier, get_dist_info

    from eva_mm.checkpoint.download import download_checkpoint  # imported late: eva_mm.checkpoint needs models
    rank, world_size = get_dist_info()
    if rank == 0:
        path = download_checkpoint(url, model_dir, progress)
    if world_size > 1:
        barrier()
        if rank > 0:
            path = download_checkpoint(url, model_dir, progress=False)
    return path


def load_from_http(filename: str, map_location: MapLocation = None, model_dir: Optional[str] = None,
                   progress: bool = True) -> Any:
    """mmengine's http(s) checkpoint scheme: cache the download, then load it safely."""
    return safe_load(download_to_cache(filename, model_dir, progress), map_location)


def install() -> None:
    """Route mmengine's local and HTTP checkpoint loading through `safe_load`."""
    from mmengine.runner import CheckpointLoader
    CheckpointLoader.register_scheme(prefixes='', loader=load_from_local, force=True)
    CheckpointLoader.register_scheme(prefixes=('http://', 'https://'), loader=load_from_http, force=True)
