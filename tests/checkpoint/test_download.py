"""Checkpoint URLs: a loopback HTTP server serves good, wrong-hash, truncated and missing files."""
import hashlib
import http.server
import io
import os
import threading

import pytest
import torch
from mmengine.runner import CheckpointLoader

from eva_mm.checkpoint.download import DownloadError, download_checkpoint


class Handler(http.server.BaseHTTPRequestHandler):
    files: dict = {}

    def do_GET(self):  # noqa: N802 (http.server's naming)
        name = self.path.lstrip('/')
        if name not in self.files:
            self.send_error(404, 'Not Found')
            return
        body = self.files[name]
        truncated = name.startswith('truncated')
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body[:len(body) // 2] if truncated else body)  # then the connection closes

    def log_message(self, *args):
        pass


def checkpoint_bytes(value: float) -> bytes:
    buffer = io.BytesIO()
    torch.save({'state_dict': {'w': torch.full((1000,), value)}}, buffer)
    return buffer.getvalue()


@pytest.fixture
def server(tmp_path, monkeypatch):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    Handler.files = {'good.pth': checkpoint_bytes(1.0), 'truncated.pth': checkpoint_bytes(2.0)}
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{httpd.server_address[1]}', tmp_path / 'torch_home' / 'hub' / 'checkpoints'
    httpd.shutdown()
    thread.join(timeout=5)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_good_file_with_its_hash_loads_and_is_cached(server):
    url, cache = server
    good = Handler.files['good.pth']
    ckpt = CheckpointLoader.load_checkpoint(f'{url}/good.pth#sha256={sha256(good)}')
    assert torch.equal(ckpt['state_dict']['w'], torch.ones(1000))
    assert (cache / 'good.pth').read_bytes() == good
    assert os.listdir(cache) == ['good.pth']


def test_wrong_hash_is_refused_and_nothing_is_cached(server):
    url, cache = server
    with pytest.raises(DownloadError, match='SHA-256 mismatch for .*good.pth'):
        download_checkpoint(f'{url}/good.pth#sha256={"0" * 64}', progress=False)
    assert os.listdir(cache) == []


def test_hash_from_the_model_zoo_is_checked(server, monkeypatch):
    url, cache = server
    monkeypatch.setattr('eva_mm.zoo.known_sha256', lambda u: 'f' * 64 if u.endswith('good.pth') else None)
    with pytest.raises(DownloadError, match='expected f{64}'):
        download_checkpoint(f'{url}/good.pth', progress=False)
    assert os.listdir(cache) == []


def test_truncated_transfer_is_refused(server):
    url, cache = server
    with pytest.raises(DownloadError, match='truncated|broke off'):
        download_checkpoint(f'{url}/truncated.pth', progress=False)
    assert os.listdir(cache) == []


def test_missing_file_is_a_clear_error(server):
    url, _ = server
    with pytest.raises(DownloadError, match=r'could not download .*/nope.pth: HTTP 404'):
        CheckpointLoader.load_checkpoint(f'{url}/nope.pth')


def test_corrupted_cache_entry_is_downloaded_again(server):
    url, cache = server
    good = Handler.files['good.pth']
    cache.mkdir(parents=True)
    (cache / 'good.pth').write_bytes(good[:100])  # e.g. left by another tool
    path = download_checkpoint(f'{url}/good.pth#sha256={sha256(good)}', progress=False)
    assert open(path, 'rb').read() == good


def test_backbone_init_cfg_accepts_a_url_and_converts(server):
    from eva_mm.models.backbones.eva import EVA

    url, _ = server
    source = EVA(arch=dict(embed_dims=32, depth=2, num_heads=2, mlp_hidden=64), img_size=28, patch_size=14)
    buffer = io.BytesIO()
    # EVA-01 keys (fused qkv with q/v bias, fc1/fc2) wrapped as the official files are: under "model"
    torch.save({'model': source.state_dict()}, buffer)
    Handler.files['eva_tiny.pt'] = buffer.getvalue()
    target = EVA(arch=dict(embed_dims=32, depth=2, num_heads=2, mlp_hidden=64), img_size=28, patch_size=14,
                 init_cfg=dict(type='Pretrained', checkpoint=f'{url}/eva_tiny.pt'))
    target.init_weights()
    for key, value in source.state_dict().items():
        assert torch.equal(target.state_dict()[key], value), key
