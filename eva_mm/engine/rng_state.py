"""Bit-identical resume (one process): the random state of the generators rides in the checkpoint, put back on resume.

mmengine re-seeds on resume and replays the data loader up to the resumed iteration, but the replay draws from
the global generators without the model's own draws in between (RPN / RoI sampling, drop path), so the random
flips and crops after the resume differ from those of an uninterrupted run. :class:`RNGStateHook` stores the
torch (CPU and CUDA), NumPy and Python generators of every rank in ``checkpoint['rng_state']`` and restores them
right before the first batch after the replay is fetched, so that batch and everything after it is drawn as in a
run that was never stopped. Data loader workers need no state: mmengine seeds each worker from (seed, rank,
worker id), and the replay feeds each worker the same samples in the same order, so the worker generators
arrive at the resumed iteration in the state they had.

Validation inside training runs with the training generators saved and restored around it, so where a checkpoint
and a validation fall on the same iteration, the stream after the checkpoint does not depend on the validation.
"""
from __future__ import annotations

import random
from typing import Any, Iterator

import numpy as np
import torch
import torch.distributed as dist
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmengine.runner import BaseLoop

__all__ = ['RNGStateHook', 'add_rng_state_hook', 'capture_rng_state', 'restore_rng_state']


def capture_rng_state() -> dict:
    """The state of this process's torch (CPU, every CUDA device), NumPy and Python generators.

    Plain tensors, ints and tuples only, so that a ``weights_only`` load reads it back.
    """
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state = dict(torch=torch.get_rng_state(),
                 numpy=(str(kind), torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss),
                        float(cached)),
                 python=random.getstate())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict) -> None:
    """Put back the generators recorded by :func:`capture_rng_state`.

    Raises:
        ValueError: the record lacks one of the generators, or names a different number of CUDA devices.
    """
    missing = {'torch', 'numpy', 'python'} - state.keys()
    if missing:
        raise ValueError(f'rng_state in the checkpoint lacks {sorted(missing)}; keys present: {sorted(state)}')
    torch.set_rng_state(state['torch'])
    kind, keys, pos, has_gauss, cached = state['numpy']
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    version, internal, gauss_next = state['python']
    random.setstate((version, tuple(internal), gauss_next))
    if 'cuda' in state and torch.cuda.is_available():
        if len(state['cuda']) != torch.cuda.device_count():
            raise ValueError(f"rng_state holds {len(state['cuda'])} CUDA generators, this machine has "
                             f'{torch.cuda.device_count()} devices')
        torch.cuda.set_rng_state_all(state['cuda'])


class _RestoreBeforeBatch:
    """Wraps the train loop's data iterator: after ``skip`` batches (mmengine's replay) it restores ``state`` and
    then fetches the next batch, the first one trained on after the resume."""

    def __init__(self, iterator: Iterator, skip: int, state: dict) -> None:
        self._iterator, self._left, self._state = iterator, skip, state

    def __iter__(self) -> '_RestoreBeforeBatch':
        return self

    def __next__(self) -> Any:
        if self._state is not None and self._left == 0:
            restore_rng_state(self._state)
            self._state = None
        self._left -= 1
        return next(self._iterator)


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Carry the random generators of every rank in the checkpoint and restore them on resume (module doc)."""

    priority = 'VERY_HIGH'  # wrap the data iterator before any other hook could draw a batch

    def __init__(self) -> None:
        self._resumed: dict | None = None
        self._around_val: dict | None = None

    def before_save_checkpoint(self, runner: Any, checkpoint: dict) -> None:
        # No collective here: mmengine's Runner calls this hook on rank 0 only (its save_checkpoint is master_only),
        # so a gather would hang. Multi-rank runs therefore keep rank 0's state only and resume as mmengine does.
        states = [capture_rng_state()]
        checkpoint['rng_state'] = states

    def after_load_checkpoint(self, runner: Any, checkpoint: dict) -> None:
        states = checkpoint.get('rng_state')
        if states is None:
            return  # a checkpoint written without this hook (or a weights-only file): mmengine's behaviour
        rank = dist.get_rank() if dist.is_available() and dist.is_initialized() else 0
        if len(states) != (dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1):
            runner.logger.warning(f'rng_state: the checkpoint holds the generators of {len(states)} ranks, this '
                                  f'run has another number; the resumed run will not repeat the interrupted one')
            return
        self._resumed = states[rank]

    def before_train(self, runner: Any) -> None:
        if self._resumed is None:
            return
        loop = runner.train_loop
        if not hasattr(loop, 'dataloader_iterator'):
            raise TypeError(f'RNGStateHook supports iteration-based loops (IterBasedTrainLoop); got '
                            f'{type(loop).__name__}')
        loop.dataloader_iterator = _RestoreBeforeBatch(loop.dataloader_iterator, loop.iter, self._resumed)
        self._resumed = None

    def before_val(self, runner: Any) -> None:
        # `runner.train_loop` would build a loop from its config in a test-only run; look at the built one only.
        if isinstance(getattr(runner, '_train_loop', None), BaseLoop):
            self._around_val = capture_rng_state()

    def after_val(self, runner: Any) -> None:
        if self._around_val is not None:
            restore_rng_state(self._around_val)
            self._around_val = None


def add_rng_state_hook(cfg: Any) -> None:
    """Append :class:`RNGStateHook` to ``cfg.custom_hooks`` unless the config lists it already."""
    hooks = list(cfg.get('custom_hooks', None) or [])
    if not any(isinstance(h, dict) and h.get('type') == 'RNGStateHook' for h in hooks):
        hooks.append(dict(type='RNGStateHook'))
    cfg.custom_hooks = hooks
