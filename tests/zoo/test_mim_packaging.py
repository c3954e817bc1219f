"""`mim download eva_mm --config NAME` from a built wheel, without network.

mim finds a package's zoo at <installed package>/.mim/model-index.yml. A wheel built from this tree must carry that
file, the metafiles, the configs and the tools (copies of what the eva_mm/.mim symlinks point to). mim skips a
checkpoint already present in --dest, so a placeholder file there lets `mim download` run to the end offline:
it resolves the model name, finds the config inside the installed package and dumps it as NAME.py.

PEP 660 editable installs (`pip install -e .`) are not visible to mim (it looks for <site-packages>/eva_mm), so the
wheel is installed into a target folder that goes first on PYTHONPATH.
"""
import glob
import importlib.util
import os
import os.path as osp
import subprocess
import sys
import zipfile

import pytest
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
NAME = 'upernet_eva02-b-p16_4xb8-60k_ade20k-512x512'


@pytest.fixture(scope='module')
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp('wheel')
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', ROOT, '--no-deps', '--no-build-isolation', '-q',
                    '-w', str(out)], check=True, capture_output=True, cwd=str(out))
    (path,) = glob.glob(str(out / '*.whl'))
    return path


def test_wheel_ships_the_mim_folder(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {'eva_mm/.mim/model-index.yml', 'eva_mm/.mim/configs/eva01/metafile.yml',
                'eva_mm/.mim/configs/eva02/metafile.yml', 'eva_mm/.mim/tools/train.py', 'eva_mm/.mim/tools/test.py'}
    configs = {osp.relpath(p, ROOT) for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)}
    expected |= {f'eva_mm/.mim/{c}' for c in configs}
    assert expected <= names, sorted(expected - names)[:5]


def test_mim_download_dumps_the_config(wheel, tmp_path):
    # find_spec, not import: importing mim imports pip, which turns off setuptools' distutils shim in this process
    if importlib.util.find_spec('mim') is None:
        pytest.skip('openmim is a dev requirement (requirements-dev.txt)')
    site, dest = tmp_path / 'site', tmp_path / 'dest'
    subprocess.run([sys.executable, '-m', 'pip', 'install', '--no-deps', '--no-index', '-q', '--target', str(site),
                    wheel], check=True, capture_output=True)
    dest.mkdir()
    (dest / 'eva02_B_ade_seg_upernet_sz512.pth').write_bytes(b'')  # present, so mim does not fetch it
    env = dict(os.environ, PYTHONPATH=str(site))
    mim = [sys.executable, '-c', 'import sys; from mim.cli import cli; sys.exit(cli())']
    done = subprocess.run(mim + ['download', 'eva_mm', '--config', NAME, '--dest', str(dest)], env=env,
                          capture_output=True, text=True, cwd=str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    dumped = Config.fromfile(str(dest / f'{NAME}.py'))
    assert dumped.model.backbone.arch == 'eva02-b' and dumped.train_cfg.max_iters == 60000
