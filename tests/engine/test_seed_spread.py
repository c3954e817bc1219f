"""tools/analysis/seed_spread.py reads each run's final metrics, prints mean / spread and fails a missed target."""
import importlib.util
import json
import os.path as osp

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _tool():
    spec = importlib.util.spec_from_file_location('seed_spread', osp.join(ROOT, 'tools/analysis/seed_spread.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(root, name, records):
    folder = root / name / '20260101_000000' / 'vis_data'
    folder.mkdir(parents=True)
    (folder / 'scalars.json').write_text(''.join(json.dumps(r) + '\n' for r in records))


def test_summary_of_finished_runs(tmp_path, capsys):
    tool = _tool()
    _run(tmp_path, 'seg_s0', [{'loss': 1.0, 'step': 50}, {'mIoU': 72.0, 'aAcc': 90.0, 'step': 400}])
    _run(tmp_path, 'seg_s1', [{'mIoU': 70.0, 'step': 400}])
    assert tool.main(['--tasks', 'seg', '--seeds', '0', '1', '--work-root', str(tmp_path), '--summary-only']) == 0
    out = capsys.readouterr().out
    assert 'seg seed 0: mIoU 72' in out and 'seg mIoU: mean 71, std 1.4, min 70, max 72 over 2 seeds' in out
    _run(tmp_path, 'seg_s2', [{'mIoU': 55.0, 'step': 400}])  # a seed under the target of 60
    assert tool.main(['--tasks', 'seg', '--seeds', '0', '1', '2', '--work-root', str(tmp_path),
                      '--summary-only']) == 1
    assert 'seg seed 2: mIoU 55  MISSES THE TARGET' in capsys.readouterr().out
