"""Downloads whose size cannot be checked, HTML pages and the file-name hash convention."""
import hashlib
import io
import os
import stat

import pytest
import torch

from eva_mm.checkpoint.download import DownloadError, download_checkpoint, name_sha256_prefix


def checkpoint_bytes() -> bytes:
    buffer = io.BytesIO()
    torch.save({'state_dict': {'w': torch.arange(5000.)}}, buffer)
    return buffer.getvalue()


def test_no_content_length_but_whole_is_cached_with_umask_mode(loopback):
    path = download_checkpoint(loopback.serve('chunked.pth', checkpoint_bytes(), length=False), progress=False)
    assert open(path, 'rb').read() == checkpoint_bytes()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~_umask()


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


@pytest.mark.parametrize('body', [checkpoint_bytes(), b'\x80\x02' + os.urandom(3000)], ids=['zip', 'legacy'])
def test_no_content_length_and_cut_short_is_not_cached(loopback, body):
    url = loopback.serve('cut.pth', body, length=False, cut=True)
    with pytest.raises(DownloadError, match='no Content-Length .* cut short'):
        download_checkpoint(url, progress=False)
    assert os.listdir(loopback.cache) == []


@pytest.mark.parametrize('length', [True, False])
def test_html_page_is_refused_and_not_cached(loopback, length):
    page = b'\n  <!DOCTYPE html><html><body>Sign in to continue</body></html>'
    url = loopback.serve('model.pth', page, length=length, content_type='text/html')
    with pytest.raises(DownloadError, match='returned an HTML page'):
        download_checkpoint(url, progress=False)
    assert os.listdir(loopback.cache) == []


def test_file_name_hash_convention_is_checked(loopback):
    body = checkpoint_bytes()
    digest = hashlib.sha256(body).hexdigest()
    good = loopback.serve(f'net_20230101-{digest[:8]}.pth', body)
    assert open(download_checkpoint(good, progress=False), 'rb').read() == body
    bad = loopback.serve('net_20230101-deadbeef.pth', body)
    with pytest.raises(DownloadError, match='hash prefix deadbeef'):
        download_checkpoint(bad, progress=False)
    assert sorted(os.listdir(loopback.cache)) == [f'net_20230101-{digest[:8]}.pth']


def test_cached_file_failing_its_name_hash_is_fetched_again(loopback):
    body = checkpoint_bytes()
    name = f'net-{hashlib.sha256(body).hexdigest()[:10]}.pth'
    loopback.cache.mkdir(parents=True)
    (loopback.cache / name).write_bytes(b'stale')
    assert open(download_checkpoint(loopback.serve(name, body), progress=False), 'rb').read() == body


@pytest.mark.parametrize('name, prefix', [('resnet50-0676ba61.pth', '0676ba61'), ('x_20220101-ab12cd34ef.pth',
                                          'ab12cd34ef'), ('model-2.pth', None), ('eva02_L_p14.pt', None),
                                          ('a-ab12cd34.pth#sha256=00', 'ab12cd34')])
def test_name_hash_parsing(name, prefix):
    assert name_sha256_prefix(f'https://host/dir/{name}') == prefix
