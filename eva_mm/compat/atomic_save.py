"""Crash-safe checkpoints for mmengine.

mmengine writes a checkpoint with `open(path, 'wb').write(...)` (`LocalBackend.put`), so a job killed during the
write leaves a truncated `iter_N.pth`, and `--resume auto` then dies on it. We make local writes atomic: the bytes
go to a temporary file in the same folder, are flushed to disk, and only then renamed over the target, which
POSIX guarantees to be all-or-nothing. `last_checkpoint` (written by `CheckpointHook` with a plain `open`) is
checked on resume: if the file it names is missing, the newest complete checkpoint in the work dir is used.
`mkstemp` creates its file with mode 0600; before the rename we give it the mode a plain `open` (and
`torch.save`) would have given, 0666 less the umask, so colleagues sharing a work dir can read it.
"""
import glob
import os
import os.path as osp
import re
import tempfile
from pathlib import Path
from typing import Optional, Union

from mmengine.logging import print_log


def umask_mode(mode: int = 0o666) -> int:
    """`mode` less the process umask: what `open(path, 'w')` would create."""
    try:  # Linux shows the umask without changing it (os.umask would, briefly, for every thread)
        with open('/proc/self/status') as f:
            umask = next(int(line.split()[1], 8) for line in f if line.startswith('Umask:'))
    except (OSError, StopIteration, ValueError):
        umask = os.umask(0)
        os.umask(umask)
    return mode & ~umask


def atomic_write(data: Union[bytes, str], path: Union[str, Path], encoding: str = 'utf-8') -> None:
    """Write `data` to `path` so that `path` holds either its old content or all of `data`, never a part."""
    path = os.fspath(path)
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{osp.basename(path)}.', suffix='.tmp', dir=folder)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data.encode(encoding) if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, umask_mode())
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


_CHECKPOINT_NAME = re.compile(r'(?:iter|epoch)_(\d+)\.pth$')


def latest_complete_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint `last_checkpoint` names if it exists, else the `iter_N.pth` / `epoch_N.pth` with largest N."""
    record = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(record):
        with open(record) as f:
            named = f.read().strip()
        if named and osp.isfile(named):
            return named
        print_log(f'last_checkpoint names {named!r}, which does not exist; looking for the newest checkpoint in '
                  f'{work_dir}', logger='current')
    found = [(int(m.group(1)), p) for p in glob.glob(osp.join(work_dir, '*.pth'))
             if (m := _CHECKPOINT_NAME.search(osp.basename(p)))]
    return max(found)[1] if found else None


def install() -> None:
    """Make mmengine's local file writes atomic and its auto-resume skip a dangling `last_checkpoint`."""
    import mmengine.runner.runner as runner_module
    from mmengine.fileio.backends.local_backend import LocalBackend

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        atomic_write(obj, filepath)

    def put_text(self, obj: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
        atomic_write(obj, filepath, encoding)

    put.__doc__ = 'Write bytes to a local file atomically (eva_mm.compat.atomic_save).'
    put_text.__doc__ = 'Write text to a local file atomically (eva_mm.compat.atomic_save).'
    LocalBackend.put, LocalBackend.put_text = put, put_text
    runner_module.find_latest_checkpoint = latest_complete_checkpoint
