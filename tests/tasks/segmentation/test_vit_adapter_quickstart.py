"""The adapter variant of the segmentation quickstart learns: a short run (the shortened quickstart of
test_quickstart.py with the adapter config) lifts validation mIoU well above the untrained model's. The full
comparison with the plain quickstart is in docs/vit_adapter.md."""
import os.path as osp
import sys

from mmengine.config import Config

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import test_quickstart  # noqa: E402

ADAPTER = osp.join(test_quickstart.ROOT, 'configs/quickstart/upernet_eva02-mini-p8-adapter_400it_ade-shapes-64x64.py')


def test_adapter_quickstart_config_keeps_the_plain_recipe():
    plain, ours = Config.fromfile(test_quickstart.CONFIG), Config.fromfile(ADAPTER)
    assert ours.model.backbone.type == 'EVAAdapter' and ours.model.neck is None
    for key in ('optim_wrapper', 'param_scheduler', 'train_cfg', 'train_dataloader', 'val_dataloader'):
        assert ours[key] == plain[key], key
    assert ours.model.decode_head == plain.model.decode_head


def test_short_adapter_quickstart_learns(tmp_path, monkeypatch):
    from mmengine.runner import Runner
    monkeypatch.setattr(test_quickstart, 'CONFIG', ADAPTER)
    runner = Runner.from_cfg(test_quickstart._short_cfg(tmp_path, iters=20))
    assert type(runner.model.backbone).__name__ == 'EVAAdapter'
    untrained = runner.val_loop.run()['mIoU']
    runner.train()
    trained = runner.val_loop.run()['mIoU']
    print(f"short adapter quickstart: untrained mIoU {untrained:.2f}, trained {trained:.2f}")
    assert trained > untrained + 10, (untrained, trained)
