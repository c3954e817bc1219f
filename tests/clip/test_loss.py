"""Contrastive loss vs the formula, logit-scale clamp, and 2 gloo processes == 1 process with the doubled batch."""
from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from eva_mm.models.clip import EVACLIP, LOGIT_SCALE_MAX, ClipLoss


def _reference(img: torch.Tensor, txt: torch.Tensor, scale: float) -> torch.Tensor:
    """CLIP's symmetric InfoNCE written out: -log softmax of the diagonal, rows and columns, averaged."""
    s = scale * img @ txt.t()
    n = s.shape[0]
    row = -sum(s[i, i] - torch.logsumexp(s[i], 0) for i in range(n)) / n
    col = -sum(s[i, i] - torch.logsumexp(s[:, i], 0) for i in range(n)) / n
    return (row + col) / 2


@pytest.mark.parametrize('local_loss', [True, False])
def test_loss_matches_formula(local_loss):
    torch.manual_seed(0)
    img, txt = F.normalize(torch.randn(5, 8), dim=-1), F.normalize(torch.randn(5, 8), dim=-1)
    got = ClipLoss(local_loss)(img, txt, torch.tensor(7.0))
    torch.testing.assert_close(got, _reference(img, txt, 7.0))


def test_loss_rejects_unpaired_features():
    with pytest.raises(ValueError, match='pair up'):
        ClipLoss()(torch.randn(3, 4), torch.randn(2, 4), torch.tensor(1.))


def _tiny() -> EVACLIP:
    return EVACLIP('eva02-clip-b-16', vision_arch=dict(embed_dims=32, depth=1, num_heads=2, mlp_hidden=64),
                   text_cfg=dict(width=32, heads=2, layers=1, context_length=8), embed_dim=16, img_size=32)


def test_logit_scale_init_and_clamp_after_step():
    model = _tiny()
    assert model.logit_scale.item() == pytest.approx(math.log(1 / 0.07))
    with torch.no_grad():
        model.logit_scale.fill_(9.0)

    class _Wrapper:  # the minimal OptimWrapper surface BaseModel.train_step uses
        def optim_context(self, model):
            import contextlib
            return contextlib.nullcontext()

        def update_params(self, loss):
            loss.backward()

    data = dict(inputs=torch.randn(2, 3, 32, 32), data_samples=[dict(text=torch.randint(1, 50, (8,)))
                                                                 for _ in range(2)])
    model.train_step(data, _Wrapper())
    assert model.logit_scale.item() == pytest.approx(LOGIT_SCALE_MAX)


def _features(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    return F.normalize(x @ w, dim=-1)


def test_two_processes_equal_one_process_doubled_batch(tmp_path):
    torch.manual_seed(0)
    x_img, x_txt = torch.randn(8, 6), torch.randn(8, 5)
    w_img, w_txt = torch.randn(6, 4), torch.randn(5, 4)
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    torch.save(dict(x_img=x_img, x_txt=x_txt, w_img=w_img, w_txt=w_txt), tmp_path / 'inputs.pt')
    worker = Path(__file__).with_name('_dist_worker.py')
    env = dict(os.environ, OMP_NUM_THREADS='1')
    procs = [subprocess.Popen([sys.executable, str(worker), str(r), str(port), str(tmp_path)], env=env,
                              stderr=subprocess.PIPE) for r in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
    wi, wt = w_img.clone().requires_grad_(), w_txt.clone().requires_grad_()
    loss = ClipLoss()(_features(x_img, wi), _features(x_txt, wt), torch.tensor(5.0))
    loss.backward()
    for rank in range(2):
        got = torch.load(tmp_path / f'{rank}.pt', weights_only=True)
        torch.testing.assert_close(got['loss'], loss.detach())
        torch.testing.assert_close(got['gi'], wi.grad)
        torch.testing.assert_close(got['gt'], wt.grad)
