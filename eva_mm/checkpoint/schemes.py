"""mmengine's checkpoint URL schemes, routed through eva_mm's safe reader.

mmengine 0.10.7 reads local files with a bare `torch.load` (which refuses its own Runner checkpoints under
torch >= 2.6) and downloads with `weights_only=False`. `install()` replaces both loaders, so `load_from`,
`--resume`, `init_cfg=dict(type='Pretrained', ...)` and `tools/test.py CHECKPOINT` all read safely.
"""
import os.path as osp
from typing import Any, Optional

from mmengine.runner import CheckpointLoader

from .reader import MapLocation, download_to_cache, safe_load

__all__ = ['install', 'load_from_http', 'load_from_local']


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


def install() -> None:
    """Route mmengine's local and HTTP checkpoint loading through `safe_load`."""
    CheckpointLoader.register_scheme(prefixes='', loader=load_from_local, force=True)
    CheckpointLoader.register_scheme(prefixes=('http://', 'https://'), loader=load_from_http, force=True)
