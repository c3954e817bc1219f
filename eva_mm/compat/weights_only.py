"""The types an mmengine Runner checkpoint pickles, allow-listed for torch's `weights_only=True` unpickler.

mmengine 0.10.7 calls `torch.load` without `weights_only`; since torch 2.6 that means `weights_only=True`, which
refuses the message hub (`HistoryBuffer`, NumPy arrays and scalars) that every Runner checkpoint holds, so resume
fails. Rather than turning `weights_only` off, eva_mm's reader (`eva_mm.checkpoint.reader`) loads with exactly
these extra globals allowed; anything else (a pickled callable) is still refused before it can run.
"""
import argparse
import inspect
import pickle
from typing import Any, List, Tuple, Union

import numpy as np
from mmengine.logging import HistoryBuffer

__all__ = ['UnsafeCheckpointError', 'mmengine_safe_globals']


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
    milestones of `MultiStepLR`) are allowed by torch itself. `argparse.Namespace` is the `args` entry of the
    official EVA / EVA-02 `save_model()` files (`{'model', 'optimizer', 'epoch', 'scaler', 'args'}`): plain data,
    rebuilt as an empty object whose attributes are then set; the values it holds pass the same allow-list.
    """
    return [HistoryBuffer, (_history_buffer_getattr, 'builtins.getattr'), argparse.Namespace, *_numpy_globals()]
