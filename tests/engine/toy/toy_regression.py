"""A tiny, fully deterministic model and data set for the training-machinery tests (resume, multi-process).

The training step has no randomness of its own (no dropout, no sampling, no batch norm), so a run's result
depends only on the data order, which mmengine's seeded sampler fixes.
"""
import time

import torch
from mmengine.hooks import Hook
from mmengine.model import BaseModel

from eva_mm.registry import DATASETS, HOOKS, MODELS

TRUE_WEIGHTS = torch.tensor([1.0, -2.0, 0.5, 3.0])


@MODELS.register_module()
class ToyRegressor(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.hidden = torch.nn.Linear(4, 8)
        self.out = torch.nn.Linear(8, 1)

    def forward(self, x, y, mode='loss'):
        pred = self.out(torch.tanh(self.hidden(torch.stack(x)))).squeeze(1)
        if mode == 'loss':
            return {'loss': ((pred - torch.stack(y)) ** 2).mean()}
        return [dict(pred=p) for p in pred]


@DATASETS.register_module()
class ToyRegressionData(torch.utils.data.Dataset):
    def __init__(self, size: int = 32) -> None:
        self.size = size

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, i):
        x = torch.randn(4, generator=torch.Generator().manual_seed(i))
        return dict(x=x, y=x @ TRUE_WEIGHTS)


@HOOKS.register_module()
class SlowDown(Hook):
    """Sleep after every iteration, so a test has time to kill the job mid-run."""

    def __init__(self, seconds) -> None:
        self.seconds = float(seconds)  # the config passes it through an environment variable, as text

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        time.sleep(self.seconds)
