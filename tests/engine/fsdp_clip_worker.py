"""Worker of tests/engine/test_fsdp_clip.py, run by torchrun in 2 CPU processes (gloo): one SGD step of a small
FSDP model (one unit per Linear, full sharding) with mmengine's OptimWrapper norm clip, once with eva_mm's global
clip and once with mmengine's per-shard clip; rank 0 saves both full parameter sets to argv[1]."""
import sys

import torch
import torch.distributed as dist
from mmengine.optim import OptimWrapper
from torch import nn
from torch.distributed.fsdp import FullStateDictConfig, FullyShardedDataParallel, ShardingStrategy, StateDictType
from torch.distributed.fsdp.wrap import ModuleWrapPolicy

from eva_mm.engine.fsdp import use_global_clip


def model_and_batch():
    """The model (seed 0) and the full batch, identical in every process and in the 1-process reference."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 4))
    return model, torch.randn(16, 8), torch.randn(16, 4)


def step(global_clip: bool) -> dict:
    model, x, y = model_and_batch()
    fsdp = FullyShardedDataParallel(model, auto_wrap_policy=ModuleWrapPolicy({nn.Linear}),
                                    device_id=torch.device('cpu'), sharding_strategy=ShardingStrategy.FULL_SHARD,
                                    use_orig_params=True)
    wrapper = OptimWrapper(torch.optim.SGD(fsdp.parameters(), lr=1.0), clip_grad=dict(max_norm=0.05))
    if global_clip:
        assert use_global_clip(fsdp, wrapper)
    rank, world = dist.get_rank(), dist.get_world_size()
    half = slice(rank * len(x) // world, (rank + 1) * len(x) // world)  # FSDP averages the ranks' gradients
    wrapper.update_params(nn.functional.mse_loss(fsdp(x[half]), y[half]))
    config = FullStateDictConfig(offload_to_cpu=True, rank0_only=True)
    with FullyShardedDataParallel.state_dict_type(fsdp, StateDictType.FULL_STATE_DICT, config):
        return {k: v.clone() for k, v in fsdp.state_dict().items()}


if __name__ == '__main__':
    dist.init_process_group('gloo')
    result = dict(global_clip=step(True), shard_clip=step(False))
    if dist.get_rank() == 0:
        torch.save(result, sys.argv[1])
    dist.destroy_process_group()
