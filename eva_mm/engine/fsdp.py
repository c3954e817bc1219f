"""FSDP wrapping for EVA models under mmengine's ``FlexibleRunner`` + ``FSDPStrategy``.

``auto_wrap_policy='eva_block_wrap_policy'`` makes every ``EVABlock`` one FSDP unit (the rest stays in the root
unit). A size-based policy can instead wrap single ``nn.Linear`` layers, whose weights the attention reads directly
(``F.linear(x, self.qkv.weight, ...)``) outside their own forward, where FSDP keeps them sharded.
"""
from __future__ import annotations

from mmengine.registry import FUNCTIONS
from torch import nn
from torch.distributed.fsdp.wrap import transformer_auto_wrap_policy

from eva_mm.layers.block import EVABlock

__all__ = ['eva_block_wrap_policy']


@FUNCTIONS.register_module()
def eva_block_wrap_policy(module: nn.Module, recurse: bool, nonwrapped_numel: int) -> bool:
    """FSDP auto-wrap policy: wrap each :class:`EVABlock` (signature of ``torch.distributed.fsdp.wrap`` policies)."""
    return transformer_auto_wrap_policy(module, recurse, nonwrapped_numel, transformer_layer_cls={EVABlock})
