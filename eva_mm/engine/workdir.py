"""Work-dir protection for `tools/train.py`: one live run per work dir, no silent overwrite, no early writes.

- A second live run in a work dir is refused: rank 0 holds an `fcntl.flock` on `WORK_DIR/.eva_mm.lock` for the
  whole run. The kernel drops the lock when the process dies (even on SIGKILL), so a killed run never leaves it
  stuck; the file only records the holder's pid for the message.
- A new run into a work dir holding checkpoints (`*.pth` or `last_checkpoint`) is refused unless it resumes
  (`--resume`) or says `--overwrite`; `--resume` (auto) in a work dir with no checkpoint is refused too, instead of
  training from scratch.
- Nothing in the work dir is overwritten before the config and its options have been used: mmengine's Runner
  dumps the config in `__init__`; `deferred_config_dump` moves that dump to `before_run`, after the model,
  optimizer, data loaders and loops were built from the config (a bad `--cfg-options` value fails before).
- `--resume` from a work dir whose dumped config (`WORK_DIR/NAME.py`, what mmengine's Runner writes) has another
  name than the config given is refused, naming both (continuing one run with another recipe is rarely meant);
  `--resume-other-config` allows it.
- Stale `.NAME.XXXX.tmp` files of interrupted atomic saves (`eva_mm.compat.atomic_save`) are deleted once the
  lock is held (so no live writer can own them).
"""
import contextlib
import fcntl
import glob
import os
import os.path as osp
from typing import Any, Iterator, List, Optional

from mmengine.hooks import Hook
from mmengine.logging import print_log

__all__ = ['ConfigMismatchError', 'WorkDirBusyError', 'WorkDirLock', 'checkpoints_in', 'check_resume_config',
           'check_work_dir', 'clean_stale_tmp', 'deferred_config_dump', 'protect']

LOCK_NAME = '.eva_mm.lock'


class WorkDirBusyError(RuntimeError):
    """The work dir is in use by another run, or holds results the run would overwrite."""


class ConfigMismatchError(ValueError):
    """`--resume` of a run that another config made."""


def _is_rank_zero() -> bool:
    return os.environ.get('RANK', '0') == '0' and os.environ.get('LOCAL_RANK', '0') == '0'


class WorkDirLock:
    """An exclusive, non-blocking lock on a work dir, released on `release()` or when the process dies."""

    def __init__(self, work_dir: str) -> None:
        self.path = osp.join(work_dir, LOCK_NAME)
        self._fd: Optional[int] = None

    def acquire(self) -> 'WorkDirLock':
        """Take the lock.

        Raises:
            WorkDirBusyError: another live process holds it (its pid is named).
        """
        os.makedirs(osp.dirname(self.path), exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors='replace').strip() or '?'
            os.close(fd)
            raise WorkDirBusyError(f'work dir {osp.dirname(self.path)!r} is in use by another run (pid {holder}); '
                                   f'wait for it or choose another --work-dir') from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return self

    def release(self) -> None:
        """Drop the lock (the file stays; an unlocked file means nobody holds the dir)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> 'WorkDirLock':
        return self.acquire()

    def __exit__(self, *exc: Any) -> None:
        self.release()


def checkpoints_in(work_dir: str) -> List[str]:
    """The checkpoint files (`*.pth`) and `last_checkpoint` record directly in `work_dir`, sorted."""
    found = glob.glob(osp.join(work_dir, '*.pth'))
    if osp.isfile(osp.join(work_dir, 'last_checkpoint')):
        found.append(osp.join(work_dir, 'last_checkpoint'))
    return sorted(found)


def check_work_dir(work_dir: str, resume: Optional[str], overwrite: bool) -> None:
    """Refuse a run that would overwrite a work dir's checkpoints, or `--resume` (auto) with nothing to resume.

    Args:
        work_dir: the run's work dir.
        resume: None (no --resume), 'auto' (latest in the work dir) or a checkpoint path.
        overwrite: the user said --overwrite.

    Raises:
        WorkDirBusyError: checkpoints present and neither resume nor overwrite.
        FileNotFoundError: resume='auto' and the work dir has no checkpoint; or the named checkpoint is missing.
    """
    found = checkpoints_in(work_dir)
    if resume is None and found and not overwrite:
        names = ', '.join(osp.basename(p) for p in found[:4]) + (' ...' if len(found) > 4 else '')
        raise WorkDirBusyError(f'work dir {work_dir!r} already holds checkpoints ({names}); a new run would '
                               f'overwrite them. Pass --resume to continue that run, --overwrite to replace it, '
                               f'or choose another --work-dir')
    if resume == 'auto' and not found:
        raise FileNotFoundError(f'--resume: work dir {work_dir!r} has no checkpoint to resume from (is the path '
                                f'right?); drop --resume to start a new run')
    if resume not in (None, 'auto') and '://' not in resume and not osp.isfile(resume):
        raise FileNotFoundError(f'--resume: checkpoint {resume!r} not found')


def check_resume_config(work_dir: str, resume: Optional[str], config: str) -> None:
    """Refuse to resume a run made by another config: the folder of the resumed checkpoint holds dumped configs
    (`*.py`) and none has the name of `config`.

    Args:
        work_dir: the run's work dir (where `--resume` / `--resume auto` looks).
        resume: None, 'auto' or the checkpoint path.
        config: the config file given to the tool.

    Raises:
        ConfigMismatchError: naming both configs and the way to allow it.
    """
    if resume is None or (resume != 'auto' and '://' in resume):
        return
    folder = work_dir if resume == 'auto' else osp.dirname(osp.abspath(resume))
    dumped = sorted(osp.basename(p) for p in glob.glob(osp.join(folder, '*.py')))
    if dumped and osp.basename(config) not in dumped:
        raise ConfigMismatchError(f'--resume: the run in {folder!r} was made by config {", ".join(dumped)}, not '
                                  f'{osp.basename(config)} ({config}); resuming would continue it with another '
                                  f'recipe. Give that config, pass --resume-other-config if this is intended, or '
                                  f'drop --resume to start a new run in another --work-dir')


def clean_stale_tmp(work_dir: str) -> List[str]:
    """Delete `.NAME.XXXX.tmp` files left by interrupted atomic saves in `work_dir` (call with the lock held)."""
    stale = glob.glob(osp.join(work_dir, '.*.tmp'))
    for path in stale:
        os.remove(path)
    if stale:
        print_log(f'removed {len(stale)} partial file(s) of interrupted saves from {work_dir}: '
                  f'{", ".join(osp.basename(p) for p in stale)}', logger='current')
    return stale


class _DumpConfigHook(Hook):
    """Dump the config at `before_run`, once everything the config describes has been built."""

    def __init__(self, dump: Any) -> None:
        self._dump = dump

    def before_run(self, runner: Any) -> None:
        self._dump(runner)


def _runner_classes() -> list:
    from mmengine.runner import FlexibleRunner, Runner
    return [Runner, FlexibleRunner]


@contextlib.contextmanager
def deferred_config_dump() -> Iterator[list]:
    """While active, Runners built skip their config dump; each gets a hook that dumps it at `before_run`.

    Yields a list that receives the runners built (their hook is registered when the block ends).
    """
    built: list = []
    originals = {cls: cls.dump_config for cls in _runner_classes()}

    def record(self: Any) -> None:
        built.append(self)

    for cls in originals:
        cls.dump_config = record
    try:
        yield built
    finally:
        for cls, dump in originals.items():
            cls.dump_config = dump
    for runner in built:
        runner.register_hook(_DumpConfigHook(type(runner).dump_config), priority='HIGHEST')


def protect(work_dir: str, resume: Optional[str], overwrite: bool, config: Optional[str] = None,
            other_config: bool = False) -> Optional[WorkDirLock]:
    """`tools/train.py`'s work-dir protection: on rank 0, check, lock and clean; returns the held lock (or None).

    `config` (the config file given) is checked against a resumed run's dumped config unless `other_config`.
    """
    if not _is_rank_zero():
        return None
    lock = WorkDirLock(work_dir).acquire()  # first: a live run is reported as such, whatever the dir holds
    try:
        check_work_dir(work_dir, resume, overwrite)
        if config is not None and not other_config:
            check_resume_config(work_dir, resume, config)
    except BaseException:
        lock.release()
        raise
    clean_stale_tmp(work_dir)
    return lock
