"""Downloading checkpoints: into the torch hub cache, with a progress bar, checked, and never half-written.

A URL's expected SHA-256 comes from its `#sha256=<hex>` fragment (as pip writes it) or from the model zoo
(`eva_mm.zoo.known_sha256`). Bytes go to a temporary file beside the cache entry and are renamed into place only
when the transfer is complete (length matches `Content-Length`) and the hash, when known, matches; otherwise the
temporary file is deleted and a `DownloadError` says what went wrong. A cached file is re-checked before use.
"""
import hashlib
import os
import os.path as osp
import sys
import tempfile
import urllib.error
import urllib.request
from typing import Optional, Tuple
from urllib.parse import urldefrag, urlparse

import torch

from eva_mm import zoo

CHUNK = 1 << 20


class DownloadError(RuntimeError):
    """A checkpoint could not be downloaded or failed its check."""


def split_sha256(url: str) -> Tuple[str, Optional[str]]:
    """('https://host/file.pth#sha256=ab12...') -> ('https://host/file.pth', 'ab12...')."""
    bare, fragment = urldefrag(url)
    if fragment.startswith('sha256='):
        return bare, fragment[len('sha256='):].lower()
    return bare, None


def expected_sha256(url: str) -> Optional[str]:
    """The SHA-256 a URL must have: from its fragment, else from the model zoo, else None (unknown)."""
    bare, digest = split_sha256(url)
    if digest:
        return digest
    return zoo.known_sha256(bare)


def file_sha256(path: str) -> str:
    sha = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(CHUNK), b''):
            sha.update(block)
    return sha.hexdigest()


def _fetch(url: str, tmp: str, progress: bool) -> str:
    """Stream `url` into the open temporary file path `tmp`; return its SHA-256. Raises DownloadError."""
    from tqdm import tqdm
    try:
        response = urllib.request.urlopen(urllib.request.Request(url, headers={'User-Agent': 'eva_mm'}),
                                          timeout=60)
    except urllib.error.HTTPError as error:
        raise DownloadError(f'could not download {url}: HTTP {error.code} {error.reason}') from None
    except (urllib.error.URLError, OSError) as error:
        raise DownloadError(f'could not download {url}: {getattr(error, "reason", error)}') from None
    sha = hashlib.sha256()
    size = response.headers.get('Content-Length')
    total = int(size) if size is not None else None
    received = 0
    with response, open(tmp, 'wb') as f, tqdm(total=total, unit='B', unit_scale=True, unit_divisor=1024,
                                               desc=osp.basename(urlparse(url).path), disable=not progress,
                                               file=sys.stderr) as bar:
        try:
            for block in iter(lambda: response.read(CHUNK), b''):
                f.write(block)
                sha.update(block)
                received += len(block)
                bar.update(len(block))
        except (OSError, ValueError) as error:  # http.client.IncompleteRead is a ValueError... or an OSError
            raise DownloadError(f'download of {url} broke off after {received} bytes: {error}') from None
        f.flush()
        os.fsync(f.fileno())
    if total is not None and received != total:
        raise DownloadError(f'download of {url} is truncated: got {received} of {total} bytes')
    return sha.hexdigest()


def download_checkpoint(url: str, model_dir: Optional[str] = None, progress: bool = True) -> str:
    """Download `url` (optionally ending in `#sha256=<hex>`) into the cache unless a good copy is there.

    Args:
        url: http(s) URL of the file.
        model_dir: cache folder; default `$TORCH_HOME/hub/checkpoints`, where torch and mmengine cache too.
        progress: show a progress bar on stderr.

    Returns:
        The path of the complete, verified file.

    Raises:
        DownloadError: HTTP error, unreachable host, truncated transfer or SHA-256 mismatch. Nothing is left in
            the cache in those cases.
    """
    bare, _ = split_sha256(url)
    want = expected_sha256(url)
    model_dir = model_dir or osp.join(torch.hub.get_dir(), 'checkpoints')
    os.makedirs(model_dir, exist_ok=True)
    cached = osp.join(model_dir, osp.basename(urlparse(bare).path))
    if osp.isfile(cached):
        if want is None or file_sha256(cached) == want:
            return cached
        print(f'eva_mm: cached {cached} does not match its SHA-256, downloading it again', file=sys.stderr)
    fd, tmp = tempfile.mkstemp(prefix=f'.{osp.basename(cached)}.', suffix='.part', dir=model_dir)
    os.close(fd)
    try:
        got = _fetch(bare, tmp, progress)
        if want is not None and got != want:
            raise DownloadError(f'SHA-256 mismatch for {bare}: expected {want}, got {got}; the file was discarded')
        os.replace(tmp, cached)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
    return cached
