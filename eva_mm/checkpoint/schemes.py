"""Every mmengine checkpoint URL scheme, routed through eva_mm's safe reader and checked downloader.

mmengine 0.10.7 reads local files with a bare `torch.load`, downloads with `weights_only=False`, and its model-zoo
schemes (`open-mmlab://`, `openmmlab://`, `torchvision://`, `modelzoo://`, `mmcls://`) call its own module-level
`load_from_http`, not the registered loader, so replacing the http(s) scheme alone leaves them unsafe. `install()`
registers an eva_mm loader for every prefix mmengine knows (local, http(s), the zoo names, `pavi://`, `s3://` /
`petrel://`): names are resolved with mmengine's own tables (including the user's `~/.cache/mmengine/
open_mmlab.json`), the bytes come through `download_to_cache` (size, `#sha256=` and filename-hash checks) or the
file backend, and are unpickled only by `safe_load`. mmengine's module-level loaders are rebound to ours as well,
so code that calls them by name is safe too.
"""
import io
import os.path as osp
from tempfile import TemporaryDirectory
from typing import Any, Callable, Dict, Optional

import mmengine.runner.checkpoint as mm_checkpoint
from mmengine.fileio import get_file_backend
from mmengine.runner import CheckpointLoader

from .reader import MapLocation, download_to_cache, safe_load

__all__ = ['install', 'load_from_ceph', 'load_from_http', 'load_from_local', 'load_from_mmcls',
           'load_from_openmmlab', 'load_from_pavi', 'load_from_torchvision']


def load_from_local(filename: str, map_location: MapLocation = None) -> Any:
    """mmengine's '' (local path) checkpoint scheme, loading safely."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} can not be found')
    return safe_load(filename, map_location)


def load_from_http(filename: str, map_location: MapLocation = None, model_dir: Optional[str] = None,
                   progress: bool = True) -> Any:
    """mmengine's http(s) checkpoint scheme: cache the checked download, then load it safely."""
    return safe_load(download_to_cache(filename, model_dir, progress), map_location)


def _resolve(table: Dict[str, str], name: str, scheme: str) -> str:
    if name not in table:
        raise KeyError(f'{scheme}{name}: no such model name in mmengine\'s {scheme} table '
                       f'({len(table)} names, e.g. {", ".join(sorted(table)[:3])})')
    return table[name]


def load_from_torchvision(filename: str, map_location: MapLocation = None) -> Any:
    """`torchvision://NAME` (and the deprecated `modelzoo://NAME`): torchvision's URL for NAME, loaded safely."""
    scheme = 'modelzoo://' if filename.startswith('modelzoo://') else 'torchvision://'
    url = _resolve(mm_checkpoint.get_torchvision_models(), filename[len(scheme):], scheme)
    return load_from_http(url, map_location)


def load_from_openmmlab(filename: str, map_location: MapLocation = None) -> Any:
    """`open-mmlab://NAME` / `openmmlab://NAME`: mmengine's table plus the user's `open_mmlab.json`, loaded safely.

    A mapping to a URL is downloaded with its checks (a `#sha256=` fragment is honoured); a mapping to a relative
    path is read from mmengine's home folder.
    """
    scheme = 'open-mmlab://' if filename.startswith('open-mmlab://') else 'openmmlab://'
    name = filename[len(scheme):]
    name = mm_checkpoint.get_deprecated_model_names().get(name, name)
    target = _resolve(mm_checkpoint.get_external_models(), name, scheme)
    if target.startswith(('http://', 'https://')):
        return load_from_http(target, map_location)
    return load_from_local(osp.join(mm_checkpoint._get_mmengine_home(), target), map_location)


def load_from_mmcls(filename: str, map_location: MapLocation = None) -> Any:
    """`mmcls://NAME`: mmengine's mmcls table, loaded safely, keys renamed as mmengine does."""
    url = _resolve(mm_checkpoint.get_mmcls_models(), filename[len('mmcls://'):], 'mmcls://')
    return mm_checkpoint._process_mmcls_checkpoint(load_from_http(url, map_location))


def load_from_pavi(filename: str, map_location: MapLocation = None) -> Any:
    """`pavi://PATH`: downloaded by pavi's model cloud into a temporary folder, then loaded safely."""
    try:
        from pavi import modelcloud
    except ImportError:
        raise ImportError(f'{filename}: loading pavi:// checkpoints needs the pavi package') from None
    model = modelcloud.get(filename[len('pavi://'):])
    with TemporaryDirectory() as tmp_dir:
        path = osp.join(tmp_dir, model.name)
        model.download(path)
        return safe_load(path, map_location)


def load_from_ceph(filename: str, map_location: MapLocation = None, backend: str = 'petrel') -> Any:
    """`s3://...` / `petrel://...` (optionally `NAME:s3://...`): bytes from the file backend, loaded safely."""
    data = get_file_backend(filename, backend_args={'backend': backend}).get(filename)
    with io.BytesIO(data) as buffer:
        buffer.name = filename  # named in a refusal message
        return safe_load(buffer, map_location)


# prefix(es) exactly as mmengine registers them -> our loader
_SCHEMES: Dict[Any, Callable[..., Any]] = {
    '': load_from_local,
    ('http://', 'https://'): load_from_http,
    'pavi://': load_from_pavi,
    (r'(\S+\:)?s3://', r'(\S+\:)?petrel://'): load_from_ceph,
    ('modelzoo://', 'torchvision://'): load_from_torchvision,
    ('open-mmlab://', 'openmmlab://'): load_from_openmmlab,
    'mmcls://': load_from_mmcls,
}


def install() -> None:
    """Route every mmengine checkpoint scheme (and its module-level loaders) through `safe_load`."""
    for prefixes, loader in _SCHEMES.items():
        CheckpointLoader.register_scheme(prefixes=prefixes, loader=loader, force=True)
        setattr(mm_checkpoint, loader.__name__, loader)  # the zoo loaders call e.g. `load_from_http` by name
