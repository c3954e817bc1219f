"""FSDP wrapping for EVA models under mmengine's ``FlexibleRunner`` + ``FSDPStrategy``.

``auto_wrap_policy='eva_block_wrap_policy'`` makes every ``EVABlock`` one FSDP unit (the rest stays in the root
unit). A size-based policy can instead wrap single ``nn.Linear`` layers, whose weights the attention reads directly
(``F.linear(x, self.qkv.weight, ...)``) outside their own forward, where FSDP keeps them sharded.

Gradient clipping: mmengine's ``OptimWrapper`` clips with ``torch.nn.utils.clip_grad_norm_`` over the parameters
the optimizer holds, which under FSDP are each rank's shard, so every rank clipped by the norm of its own shard.
:class:`FSDPGlobalClipHook` (added by ``tools/train.py`` whenever the strategy is ``FSDPStrategy``) routes the
clip through ``FullyShardedDataParallel.clip_grad_norm_``, which reduces the norm over all ranks and sharding
strategies: every rank scales by the norm of the whole model's gradient, as in one process.
"""
from __future__ import annotations

from typing import Any, Iterable

import torch
from mmengine.hooks import Hook
from mmengine.optim import OptimWrapper
from mmengine.registry import FUNCTIONS, HOOKS
from torch import nn
from torch.distributed.fsdp import FullyShardedDataParallel
from torch.distributed.fsdp.wrap import transformer_auto_wrap_policy

from eva_mm.layers.block import EVABlock

__all__ = ['FSDPGlobalClipHook', 'add_fsdp_global_clip_hook', 'eva_block_wrap_policy', 'use_global_clip']


@FUNCTIONS.register_module()
def eva_block_wrap_policy(module: nn.Module, recurse: bool, nonwrapped_numel: int) -> bool:
    """FSDP auto-wrap policy: wrap each :class:`EVABlock` (signature of ``torch.distributed.fsdp.wrap`` policies)."""
    return transformer_auto_wrap_policy(module, recurse, nonwrapped_numel, transformer_layer_cls={EVABlock})


def use_global_clip(model: nn.Module, optim_wrapper: OptimWrapper) -> bool:
    """Make ``optim_wrapper``'s norm clip use the global gradient norm of the FSDP root ``model``.

    Returns True when it did; False (nothing changed) when ``model`` is not FSDP-wrapped or the wrapper does not
    clip by norm (a value clip is element-wise, so per shard is already global).
    """
    if not isinstance(model, FullyShardedDataParallel) or getattr(optim_wrapper, 'grad_name', None) != 'grad_norm':
        return False

    def clip(parameters: Iterable[torch.Tensor], max_norm: float, norm_type: float = 2.0,
             **kwargs: Any) -> torch.Tensor:
        # The wrapper passes its shard parameters; the FSDP root clips all of its own (the same set, every rank).
        return model.clip_grad_norm_(max_norm, norm_type)

    optim_wrapper.clip_func = clip
    return True


@HOOKS.register_module()
class FSDPGlobalClipHook(Hook):
    """Before training, switch the optimizer wrapper(s) to the global-norm clip (module doc)."""

    def before_train(self, runner: Any) -> None:
        wrappers = runner.optim_wrapper
        wrappers = wrappers.values() if hasattr(wrappers, 'values') else [wrappers]
        if any([use_global_clip(runner.model, w) for w in wrappers]):  # a list: switch every wrapper
            runner.logger.info('FSDP: clip_grad uses the global gradient norm '
                               '(FullyShardedDataParallel.clip_grad_norm_)')


def add_fsdp_global_clip_hook(cfg: Any) -> None:
    """Append :class:`FSDPGlobalClipHook` to ``cfg.custom_hooks`` when ``cfg.strategy`` is ``FSDPStrategy``."""
    strategy = cfg.get('strategy', None)
    if not isinstance(strategy, dict) or strategy.get('type') != 'FSDPStrategy':
        return
    hooks = list(cfg.get('custom_hooks', None) or [])
    if not any(isinstance(h, dict) and h.get('type') == 'FSDPGlobalClipHook' for h in hooks):
        hooks.append(dict(type='FSDPGlobalClipHook'))
    cfg.custom_hooks = hooks
