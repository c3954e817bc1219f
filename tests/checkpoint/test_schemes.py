"""Every mmengine checkpoint scheme refuses a malicious pickle before it runs, and still loads a good file."""
import io
import json
import os
import sys
import types

import mmengine.runner.checkpoint as mm_checkpoint
import pytest
import torch
from mmengine.runner import CheckpointLoader

from eva_mm.checkpoint import schemes
from eva_mm.checkpoint.download import DownloadError
from eva_mm.compat.weights_only import UnsafeCheckpointError


class Payload:
    """Unpickling this creates the folder `marker`: proof that code from the file ran."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.mkdir, (self.marker,)


def malicious_bytes(marker: str) -> bytes:
    buffer = io.BytesIO()
    torch.save({'state_dict': {'w': torch.zeros(2)}, 'meta': Payload(marker)}, buffer)
    return buffer.getvalue()


def good_bytes() -> bytes:
    buffer = io.BytesIO()
    torch.save({'state_dict': {'w': torch.arange(3.)}}, buffer)
    return buffer.getvalue()


@pytest.fixture
def route(loopback, tmp_path, monkeypatch):
    """route(scheme, body) -> a filename of that scheme whose bytes are `body`."""
    home = tmp_path / 'mmengine_home'
    home.mkdir()
    monkeypatch.setenv('MMENGINE_HOME', str(home))

    def make(scheme: str, body: bytes, name: str = 'ckpt.pth') -> str:
        if scheme == 'local':
            path = tmp_path / name
            path.write_bytes(body)
            return str(path)
        if scheme in ('http://', 'https-like'):
            return loopback.serve(name, body)
        if scheme in ('open-mmlab://', 'openmmlab://', 'open-mmlab:// (local)'):
            if scheme.endswith('(local)'):
                (home / name).write_bytes(body)
                target, scheme = name, 'open-mmlab://'
            else:
                target = loopback.serve(name, body)
            (home / 'open_mmlab.json').write_text(json.dumps({'evil_net': target}))  # the user's own mapping
            return f'{scheme}evil_net'
        if scheme in ('torchvision://', 'modelzoo://'):
            table = {'evil_net': loopback.serve(name, body)}
            monkeypatch.setattr(mm_checkpoint, 'get_torchvision_models', lambda: table)
            return f'{scheme}evil_net'
        if scheme == 'mmcls://':
            monkeypatch.setattr(mm_checkpoint, 'get_mmcls_models', lambda: {'evil_net': loopback.serve(name, body)})
            return 'mmcls://evil_net'
        if scheme == 's3://':
            backend = types.SimpleNamespace(get=lambda filename: body)
            monkeypatch.setattr(schemes, 'get_file_backend', lambda filename, backend_args: backend)
            return 's3://bucket/evil.pth'
        if scheme == 'pavi://':
            class Model:
                name = 'evil.pth'

                def download(self, path):
                    with open(path, 'wb') as f:
                        f.write(body)
            cloud = types.SimpleNamespace(get=lambda path: Model())
            monkeypatch.setitem(sys.modules, 'pavi', types.SimpleNamespace(modelcloud=cloud))
            monkeypatch.setitem(sys.modules, 'pavi.modelcloud', cloud)
            return 'pavi://project/evil.pth'
        raise AssertionError(scheme)
    return make


SCHEMES = ['local', 'http://', 'open-mmlab://', 'openmmlab://', 'open-mmlab:// (local)', 'torchvision://',
           'modelzoo://', 'mmcls://', 's3://', 'pavi://']


@pytest.mark.parametrize('scheme', SCHEMES)
def test_malicious_payload_is_refused_on_every_scheme(route, tmp_path, scheme):
    marker = str(tmp_path / 'payload_ran')
    filename = route(scheme, malicious_bytes(marker))
    with pytest.raises(UnsafeCheckpointError, match=r'posix\.mkdir|os\.mkdir'):
        CheckpointLoader.load_checkpoint(filename, map_location='cpu')
    assert not os.path.exists(marker)
    # mmengine's zoo loaders call `load_from_http` by name: that name is ours too
    with pytest.raises(UnsafeCheckpointError):
        mm_checkpoint._load_checkpoint(filename, map_location='cpu')
    assert not os.path.exists(marker)


@pytest.mark.parametrize('scheme', [s for s in SCHEMES if s != 'mmcls://'])
def test_good_checkpoint_loads_on_every_scheme(route, scheme):
    ckpt = CheckpointLoader.load_checkpoint(route(scheme, good_bytes()), map_location='cpu')
    assert torch.equal(ckpt['state_dict']['w'], torch.arange(3.))


def test_mmcls_scheme_renames_keys_as_mmengine(route):
    buffer = io.BytesIO()
    torch.save({'state_dict': {'backbone.w': torch.ones(1), 'head.fc.b': torch.ones(1)}}, buffer)
    ckpt = CheckpointLoader.load_checkpoint(route('mmcls://', buffer.getvalue()), map_location='cpu')
    assert set(ckpt['state_dict']) == {'w'}  # mmengine's _process_mmcls_checkpoint drops the head, unprefixes


def test_wrong_sha256_in_user_mapping_is_refused(loopback, tmp_path, monkeypatch):
    monkeypatch.setenv('MMENGINE_HOME', str(tmp_path))
    url = loopback.serve('ok.pth', good_bytes())
    (tmp_path / 'open_mmlab.json').write_text(json.dumps({'net': f'{url}#sha256={"0" * 64}'}))
    with pytest.raises(DownloadError, match='SHA-256 mismatch'):
        CheckpointLoader.load_checkpoint('open-mmlab://net')


def test_unknown_zoo_name_names_it(tmp_path, monkeypatch):
    monkeypatch.setenv('MMENGINE_HOME', str(tmp_path))
    with pytest.raises(KeyError, match='open-mmlab://no_such_net'):
        CheckpointLoader.load_checkpoint('open-mmlab://no_such_net')


def test_every_registered_prefix_uses_an_eva_mm_loader():
    loaders = {p: f.__module__ for p, f in CheckpointLoader._schemes.items()}
    assert {'', 'http://', 'https://', 'pavi://', 'open-mmlab://', 'openmmlab://', 'torchvision://',
            'modelzoo://', 'mmcls://'} <= set(loaders)
    assert set(loaders.values()) == {'eva_mm.checkpoint.schemes'}, loaders
    for name in ('load_from_local', 'load_from_http', 'load_from_openmmlab', 'load_from_torchvision'):
        assert getattr(mm_checkpoint, name).__module__ == 'eva_mm.checkpoint.schemes'
