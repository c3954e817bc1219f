"""Work dirs are protected: one live run, no silent overwrite, no write before the config has built, no stale .tmp."""
import importlib.util
import itertools
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest

from eva_mm.engine.workdir import (
    ConfigMismatchError,
    WorkDirBusyError,
    WorkDirLock,
    check_work_dir,
    clean_stale_tmp,
    protect,
)

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(osp.dirname(HERE))
CONFIG = osp.join(HERE, 'toy', 'toy_config.py')


@pytest.fixture(scope='module')
def train_main():
    sys.path.insert(0, osp.join(HERE, 'toy'))
    spec = importlib.util.spec_from_file_location('eva_mm_train_tool', osp.join(ROOT, 'tools', 'train.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    runs = itertools.count()

    def run(work_dir, *args):
        # a name per run: two runs started within one second would share mmengine's timestamp name (it warns)
        return module.main([CONFIG, '--work-dir', str(work_dir), '--cfg-options', 'train_cfg.max_iters=5',
                            f'experiment_name=toy_run{next(runs)}', *args])
    run.tool = module.main  # the tool with any arguments
    yield run
    sys.path.remove(osp.join(HERE, 'toy'))


def _snapshot(work_dir):
    return {name: open(osp.join(work_dir, name), 'rb').read() for name in sorted(os.listdir(work_dir))
            if osp.isfile(osp.join(work_dir, name)) and not name.startswith('.')}


def test_finished_work_dir_is_not_overwritten_and_bad_options_write_nothing(train_main, tmp_path):
    work_dir = tmp_path / 'run'
    train_main(work_dir)
    before = _snapshot(work_dir)
    assert 'iter_5.pth' in before and 'toy_config.py' in before
    with pytest.raises(WorkDirBusyError, match=r"holds checkpoints \(iter_5.pth, last_checkpoint\).*--resume"):
        train_main(work_dir)
    # --overwrite with a bad option that only building finds: fails before the config dump or any save
    with pytest.raises((KeyError, TypeError)):  # mmengine's optimizer builder fails on the unknown type
        train_main(work_dir, 'optim_wrapper.optimizer.type=NoSuchOptimizer', '--overwrite')
    assert _snapshot(work_dir) == before
    assert not WorkDirLock(str(work_dir)).acquire().release()  # the failed run released its lock


def test_resume_needs_something_to_resume(train_main, tmp_path):
    with pytest.raises(FileNotFoundError, match='has no checkpoint to resume from'):
        train_main(tmp_path / 'typo', '--resume')
    with pytest.raises(FileNotFoundError, match="checkpoint '.*nope.pth' not found"):
        check_work_dir(str(tmp_path), str(tmp_path / 'nope.pth'), overwrite=False)
    assert not os.listdir(tmp_path / 'typo') or os.listdir(tmp_path / 'typo') == ['.eva_mm.lock']


def test_second_live_run_is_refused_and_a_killed_run_leaves_no_stuck_lock(tmp_path):
    holder = subprocess.Popen([sys.executable, '-c', 'import sys, time; sys.path.insert(0, sys.argv[2]);'
                               'from eva_mm.engine.workdir import WorkDirLock; WorkDirLock(sys.argv[1]).acquire();'
                               'print("held", flush=True); time.sleep(60)', str(tmp_path), ROOT],
                              stdout=subprocess.PIPE, text=True, env=dict(os.environ, OMP_NUM_THREADS='1'))
    try:
        assert holder.stdout.readline().strip() == 'held'
        with pytest.raises(WorkDirBusyError, match=rf'in use by another run \(pid {holder.pid}\)'):
            protect(str(tmp_path), None, overwrite=False)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    time.sleep(0.05)
    protect(str(tmp_path), None, overwrite=False).release()  # the kernel dropped the killed run's lock


def test_stale_tmp_files_are_cleaned(tmp_path):
    (tmp_path / '.iter_10.pth.ab12cd.tmp').write_bytes(b'partial')
    (tmp_path / 'iter_5.pth').write_bytes(b'kept')
    (tmp_path / 'notes.tmp').write_bytes(b'not ours')  # not a hidden atomic-save temporary
    assert [osp.basename(p) for p in clean_stale_tmp(str(tmp_path))] == ['.iter_10.pth.ab12cd.tmp']
    assert sorted(os.listdir(tmp_path)) == ['iter_5.pth', 'notes.tmp']


@pytest.mark.parametrize('option, message', [
    ('train_cfg.max_iters=-5', r'config train_cfg.max_iters=-5: allowed an integer >= 1'),
    ('optim_wrapper.optimizer.lr=fast', r"config optim_wrapper.optimizer.lr='fast': allowed a number >= 0"),
    ('train_dataloader.batch_size=0', r'config train_dataloader.batch_size=0'),
])
def test_bad_option_is_named_before_the_work_dir_exists(train_main, tmp_path, option, message):
    with pytest.raises(ValueError, match=message):
        train_main(tmp_path / 'run', option)
    assert not (tmp_path / 'run').exists()


def test_config_syntax_error_names_the_file(tmp_path):
    from eva_mm.engine.config_check import read_config
    bad = tmp_path / 'bad_config.py'
    bad.write_text("model = dict(type='X'\nfoo = 1\n")
    with pytest.raises(SyntaxError, match=rf'config {bad}, line 1: .*never closed'):
        read_config(str(bad))
    # in an inherited file: that file is named, not the child or "<unknown>"
    (tmp_path / 'child.py').write_text("_base_ = ['./ok.py', 'bad_config.py']\nc = 3\n")
    (tmp_path / 'ok.py').write_text('a = 1\n')
    with pytest.raises(SyntaxError, match=rf'config {bad}, line 1: .*never closed'):
        read_config(str(tmp_path / 'child.py'))


def test_resume_of_a_run_made_by_another_config_is_refused(train_main, tmp_path):
    import shutil
    work_dir = tmp_path / 'run'
    train_main(work_dir)
    other = tmp_path / 'other_config.py'
    shutil.copy(CONFIG, other)
    before = _snapshot(work_dir)
    with pytest.raises(ConfigMismatchError, match=r"the run in '.*run' was made by config toy_config\.py, not "
                                                  r"other_config\.py .*--resume-other-config"):
        train_main.tool([str(other), '--work-dir', str(work_dir), '--resume'])
    with pytest.raises(ConfigMismatchError, match='made by config toy_config.py'):  # a named checkpoint too
        train_main.tool([str(other), '--work-dir', str(tmp_path / 'new'), '--resume', str(work_dir / 'iter_5.pth')])
    assert _snapshot(work_dir) == before
    # the same config resumes; another one with the explicit flag too
    # (experiment names: mmengine names its logger per run and second)
    train_main(work_dir, 'train_cfg.max_iters=6', 'experiment_name=same', '--resume')
    train_main.tool([str(other), '--work-dir', str(work_dir), '--resume', '--resume-other-config',
                     '--cfg-options', 'train_cfg.max_iters=7', 'experiment_name=other'])
    assert (work_dir / 'iter_7.pth').is_file()
