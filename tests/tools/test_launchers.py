"""tools/dist_*.sh and tools/slurm_*.sh pass the right command to torchrun / srun (through tools/launch/).

`srun` and `python` are replaced on PATH by a recorder that writes its arguments, so the wiring is checked without a
cluster; the real torchrun path runs in tests/engine/test_resume_and_multiprocess.py."""
import os
import os.path as osp
import stat
import subprocess

import pytest

TOOLS = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'tools')


@pytest.fixture
def recorder(tmp_path):
    """PATH with fake `srun` and `python` that write their argv, one per line, to `<name>.args`."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    for name in ('srun', 'python'):
        fake = bin_dir / name
        fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{tmp_path}/{name}.args"\n')
        fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = dict(os.environ, PATH=f'{bin_dir}{os.pathsep}{os.environ["PATH"]}', GPUS='16', GPUS_PER_NODE='8',
               NNODES='2', NODE_RANK='1', MASTER_ADDR='node0', PORT='29600')

    def run(script, *args, program):
        subprocess.run(['bash', osp.join(TOOLS, script), *args], env=env, check=True)
        return (tmp_path / f'{program}.args').read_text().splitlines()

    return run


def test_dist_train_and_test_call_torchrun(recorder):
    argv = recorder('dist_train.sh', 'cfg.py', '4', '--amp', program='python')
    assert argv[:2] == ['-m', 'torch.distributed.run']
    expected = {'--nnodes=2', '--node_rank=1', '--master_addr=node0', '--nproc_per_node=4', '--master_port=29600'}
    assert expected <= set(argv)
    assert argv[argv.index(osp.join(TOOLS, 'train.py')) + 1:] == ['--launcher', 'pytorch', 'cfg.py', '--amp']

    argv = recorder('dist_test.sh', 'cfg.py', 'ckpt.pth', '2', '--out', 'p.pkl', program='python')
    assert '--nproc_per_node=2' in argv
    assert argv[argv.index(osp.join(TOOLS, 'test.py')) + 1:] == ['--launcher', 'pytorch', 'cfg.py', 'ckpt.pth',
                                                                  '--out', 'p.pkl']


def test_slurm_train_and_test_call_srun(recorder):
    argv = recorder('slurm_train.sh', 'part', 'job', 'cfg.py', 'work', '--amp', program='srun')
    assert argv[:3] == ['-p', 'part', '--job-name=job']
    assert {'--gres=gpu:8', '--ntasks=16', '--ntasks-per-node=8', '--cpus-per-task=5'} <= set(argv)
    assert argv[argv.index(osp.join(TOOLS, 'train.py')) + 1:] == ['--launcher=slurm', 'cfg.py', '--work-dir=work',
                                                                   '--amp']

    argv = recorder('slurm_test.sh', 'part', 'job', 'cfg.py', 'ckpt.pth', '--tta', program='srun')
    assert argv[argv.index(osp.join(TOOLS, 'test.py')) + 1:] == ['--launcher=slurm', 'cfg.py', 'ckpt.pth', '--tta']
