"""The one checkpoint reader: every eva_mm load of a file or URL goes through `read_checkpoint` / `safe_load`.

Reads keep torch's `weights_only=True` and allow exactly the types an mmengine Runner writes
(`eva_mm.compat.weights_only`); anything else is refused before it can run, naming the global. URLs are fetched by
the checked downloader (`eva_mm.checkpoint.download`) into the torch hub cache, then read from disk. OpenAI's
CLIP releases are TorchScript archives (not pickles); `read_state_dict` reads those with `torch.jit.load`.
"""
import os
import os.path as osp
import pickle
import re
import warnings
import zipfile
from typing import IO, Any, Callable, Dict, Optional, Union

import torch
from mmengine.dist import barrier, get_dist_info
from mmengine.runner import CheckpointLoader

from eva_mm.compat.weights_only import UnsafeCheckpointError, mmengine_safe_globals

from .download import download_checkpoint

__all__ = ['NotACheckpointError', 'UnsafeCheckpointError', 'download_to_cache', 'read_checkpoint',
           'read_state_dict', 'safe_load']

MapLocation = Union[None, str, torch.device, Callable, dict]

# torch names the refused global in several phrasings; the last alternative is our restricted getattr.
_GLOBAL_IN_MESSAGE = re.compile(r'GLOBAL (\S+)|unrecognized function (.+?)(?: which|$)|(getattr\(.*?\));', re.M)


class NotACheckpointError(ValueError):
    """The file is not a torch checkpoint at all (empty, an HTML page, random bytes, truncated)."""


def _not_a_checkpoint(source: Union[str, IO[bytes]], error: Optional[BaseException] = None) -> NotACheckpointError:
    """The error for a file that is no checkpoint, saying what it looks like."""
    what = 'it could not be read as one'
    if isinstance(source, str) and osp.isfile(source):
        with open(source, 'rb') as f:
            head = f.read(512)
        size = osp.getsize(source)
        if size == 0:
            what = 'it is empty (0 bytes; an interrupted copy or download?)'
        elif head.lstrip().lower().startswith((b'<!doctype html', b'<html', b'<?xml', b'<head')):
            what = 'it is an HTML / XML page (an error or login page saved under a .pth name?)'
        elif zipfile.is_zipfile(source):
            what = f'it is a zip archive ({size} bytes) without a readable torch pickle'
        else:
            what = f'its {size} bytes are neither torch\'s zip format nor a pickle (truncated or another format?)'
    detail = f' ({type(error).__name__}: {str(error).splitlines()[0][:200]})' if error and str(error) else ''
    return NotACheckpointError(f'{_describe(source)!r} is not a checkpoint: {what}{detail}')


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
    except (EOFError, RuntimeError) as error:  # empty / truncated file; a zip without data.pkl
        if isinstance(error, RuntimeError) and 'zip' not in str(error).lower() and 'archive' not in str(error):
            raise
        raise _not_a_checkpoint(source, error) from None
    except pickle.UnpicklingError as error:
        found = _GLOBAL_IN_MESSAGE.search(str(error))
        culprit = next((g for g in found.groups() if g), None) if found else None
        if culprit is None:  # no global was refused: the bytes are no pickle at all, not a security matter
            raise _not_a_checkpoint(source) from None
        raise UnsafeCheckpointError(
            f'Refusing to load checkpoint {_describe(source)!r}: it contains the pickled global `{culprit}`, which '
            f'is neither a tensor, a container nor one of the mmengine checkpoint types eva_mm allows '
            f'(HistoryBuffer, NumPy arrays/scalars, argparse.Namespace). Unpickling it could run code from the '
            f'file. If you trust the file, load it in a separate process and re-save only its tensors (its '
            f'state_dict).') from None


def download_to_cache(url: str, model_dir: Optional[str] = None, progress: bool = True) -> str:
    """Download `url` into the torch hub cache (checked; see `eva_mm.checkpoint.download`) and return the path.

    In a distributed run, rank 0 downloads while the others wait, then they all use the cached file.
    """
    rank, world_size = get_dist_info()
    if rank == 0:
        path = download_checkpoint(url, model_dir, progress)
    if world_size > 1:
        barrier()
        if rank > 0:
            path = download_checkpoint(url, model_dir, progress=False)
    return path


def read_checkpoint(filename: str, map_location: MapLocation = 'cpu') -> Dict[str, Any]:
    """Read a checkpoint path or URL with `weights_only=True` semantics.

    Local paths and http(s) URLs are read here; other mmengine schemes (`open-mmlab://`, `s3://`, ...) go through
    mmengine's `CheckpointLoader`, whose loaders `eva_mm.checkpoint.schemes` routes to this module.
    """
    if osp.isfile(filename):
        return safe_load(filename, map_location)
    if filename.startswith(('http://', 'https://')):
        return safe_load(download_to_cache(filename), map_location)
    return CheckpointLoader.load_checkpoint(filename, map_location=map_location)


def _is_torchscript(path: str) -> bool:
    if not (osp.isfile(path) and zipfile.is_zipfile(path)):
        return False
    with zipfile.ZipFile(path) as zf:
        return any(n.endswith('constants.pkl') for n in zf.namelist())


def read_state_dict(filename: str) -> Dict[str, Any]:
    """The top-level dict of a checkpoint path or URL, reading TorchScript archives (OpenAI CLIP) as well.

    A TorchScript archive is not a pickle of Python objects: `torch.jit.load` rebuilds its module from TorchScript
    code and we take its `state_dict()`.
    """
    if filename.startswith(('http://', 'https://')):
        filename = download_to_cache(filename)  # local copy first: a TorchScript archive is not a pickle
    if _is_torchscript(filename):
        with warnings.catch_warnings():  # TorchScript is deprecated, but it is the format OpenAI released
            warnings.filterwarnings('ignore', message='.*torch.jit.load.* is deprecated', category=FutureWarning)
            return dict(torch.jit.load(filename, map_location='cpu').state_dict())
    return read_checkpoint(filename, 'cpu')
