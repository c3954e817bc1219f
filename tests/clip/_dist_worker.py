"""One rank of tests/clip/test_loss.py's distributed check: ``python _dist_worker.py RANK PORT DIR``."""
import datetime
import importlib.util
import os
import sys
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F

# The loss module needs torch only; loading it by path keeps the worker's start-up free of the OpenMMLab imports.
_spec = importlib.util.spec_from_file_location(
    'clip_loss', Path(__file__).resolve().parents[2] / 'eva_mm' / 'models' / 'clip' / 'loss.py')
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
ClipLoss = _mod.ClipLoss

rank, port, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=port)
dist.init_process_group('gloo', rank=rank, world_size=2, timeout=datetime.timedelta(seconds=60))
d = torch.load(os.path.join(out, 'inputs.pt'), weights_only=True)
b = d['x_img'].shape[0] // 2
sl = slice(rank * b, (rank + 1) * b)
wi, wt = d['w_img'].clone().requires_grad_(), d['w_txt'].clone().requires_grad_()
loss = ClipLoss(local_loss=True)(F.normalize(d['x_img'][sl] @ wi, dim=-1), F.normalize(d['x_txt'][sl] @ wt, dim=-1),
                                 torch.tensor(5.0))
loss.backward()
for g in (wi.grad, wt.grad):  # what DistributedDataParallel does: average gradients over ranks
    dist.all_reduce(g)
    g /= 2
total = loss.detach().clone()
dist.all_reduce(total)
torch.save(dict(loss=total / 2, gi=wi.grad, gt=wt.grad), os.path.join(out, f'{rank}.pt'))
dist.destroy_process_group()
