"""Downloading checkpoints: into the torch hub cache, with a progress bar, checked, and never half-written.

A URL's expected SHA-256 comes from its `#sha256=<hex>` fragment (as pip writes it) or from the model zoo
(`eva_mm.zoo.known_sha256`); a file named in the OpenMMLab / torch.hub convention `name_YYYYMMDD-<hex>.pth` must
have a SHA-256 starting with that hex (as `torch.hub.load_state_dict_from_url(check_hash=True)` checks; we require
at least 8 hex digits so that names like `model-2.pth` are not taken for hashes). Bytes go to a temporary file
beside the cache entry and are renamed into place only when the transfer is complete and checked:
- its length matches `Content-Length`; without that header (chunked transfers) and with no known hash, the file
  must be structurally whole: a zip archive (torch's format) whose central directory reads, or a legacy pickle
  that `safe_load` reads;
- it is not an HTML page (an error or login page served with status 200);
- the hash, when known, matches.
Otherwise the temporary file is deleted and a `DownloadError` says what went wrong. A cached file is re-checked
(hash or name hash) before use. The cache entry gets the umask's permissions, as `torch.save` would give it.
"""
import hashlib
import os
import os.path as osp
import re
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from typing import Optional, Tuple
from urllib.parse import urldefrag, urlparse

import torch

from eva_mm import zoo
from eva_mm.compat.atomic_save import umask_mode

CHUNK = 1 << 20
# torch.hub's HASH_REGEX (torch/hub.py) with a minimum length: `resnet50-0676ba61.pth`, `x_20220101-ab12cd34.pth`
_NAME_HASH = re.compile(r'-([a-f0-9]{8,64})\.[A-Za-z0-9]+$')
_HTML_START = (b'<!doctype html', b'<html', b'<head', b'<?xml')


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


def name_sha256_prefix(url: str) -> Optional[str]:
    """The SHA-256 prefix a file name carries ('.../x_20220101-ab12cd34.pth' -> 'ab12cd34'), else None."""
    found = _NAME_HASH.search(osp.basename(urlparse(split_sha256(url)[0]).path))
    return found.group(1) if found else None


def hash_problem(url: str, digest: str) -> Optional[str]:
    """Why `digest` (the file's SHA-256) is wrong for `url`, or None when it is right or nothing is known."""
    want = expected_sha256(url)
    if want is not None and digest != want:
        return f'SHA-256 mismatch for {split_sha256(url)[0]}: expected {want}, got {digest}'
    prefix = name_sha256_prefix(url)
    if want is None and prefix is not None and not digest.startswith(prefix):
        return (f'SHA-256 mismatch for {split_sha256(url)[0]}: its file name carries the hash prefix {prefix} '
                f'(OpenMMLab / torch.hub naming), but the file\'s SHA-256 is {digest}')
    return None


def looks_like_html(path: str) -> bool:
    """True when the file starts like an HTML / XML page (after whitespace), whatever its name says."""
    with open(path, 'rb') as f:
        head = f.read(512).lstrip().lower()
    return head.startswith(_HTML_START)


def whole_checkpoint_problem(path: str) -> Optional[str]:
    """Why a file of unknown size and hash is not a complete checkpoint, or None when it is one.

    torch's zip format keeps its central directory at the end, so a cut-short file does not open as a zip; a
    legacy (non-zip) torch file is read with `torch.load(weights_only=True)`, which refuses anything unsafe.
    """
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as zf:
                bad = zf.testzip()
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            return f'its zip archive is damaged ({error})'
        return f'its zip member {bad} is damaged' if bad else None
    try:
        torch.load(path, map_location='cpu', weights_only=True)
    except Exception as error:  # noqa: BLE001 (any failure means "not a whole checkpoint"; reported, not hidden)
        return f'it neither opens as a zip archive (torch\'s format) nor as a legacy checkpoint ' \
               f'({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ""})'
    return None


def file_sha256(path: str) -> str:
    sha = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(CHUNK), b''):
            sha.update(block)
    return sha.hexdigest()


def _fetch(url: str, tmp: str, progress: bool) -> Tuple[str, bool]:
    """Stream `url` into the temporary file path `tmp`; return (its SHA-256, whether Content-Length was checked).

    Raises:
        DownloadError: HTTP error, unreachable host, broken or truncated transfer.
    """
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
    return sha.hexdigest(), total is not None


def download_checkpoint(url: str, model_dir: Optional[str] = None, progress: bool = True) -> str:
    """Download `url` (optionally ending in `#sha256=<hex>`) into the cache unless a good copy is there.

    Args:
        url: http(s) URL of the file.
        model_dir: cache folder; default `$TORCH_HOME/hub/checkpoints`, where torch and mmengine cache too.
        progress: show a progress bar on stderr.

    Returns:
        The path of the complete, verified file.

    Raises:
        DownloadError: HTTP error, unreachable host, truncated transfer, an HTML page, a file of unknown size
            and hash that is not a whole checkpoint, or a SHA-256 mismatch (fragment, zoo or file-name hash).
            Nothing is left in the cache in those cases.
    """
    bare, _ = split_sha256(url)
    want = expected_sha256(url)
    model_dir = model_dir or osp.join(torch.hub.get_dir(), 'checkpoints')
    os.makedirs(model_dir, exist_ok=True)
    cached = osp.join(model_dir, osp.basename(urlparse(bare).path))
    if osp.isfile(cached):
        if want is None and name_sha256_prefix(url) is None or hash_problem(url, file_sha256(cached)) is None:
            return cached
        print(f'eva_mm: cached {cached} does not match its SHA-256, downloading it again', file=sys.stderr)
    fd, tmp = tempfile.mkstemp(prefix=f'.{osp.basename(cached)}.', suffix='.part', dir=model_dir)
    os.close(fd)
    try:
        got, size_checked = _fetch(bare, tmp, progress)
        if looks_like_html(tmp):
            raise DownloadError(f'{bare} returned an HTML page, not a checkpoint (an error or login page?); '
                                f'nothing was cached')
        problem = hash_problem(url, got)
        if problem:
            raise DownloadError(f'{problem}; the file was discarded')
        if not size_checked and want is None and name_sha256_prefix(url) is None:
            problem = whole_checkpoint_problem(tmp)
            if problem:
                raise DownloadError(f'download of {bare} sent no Content-Length and has no known SHA-256, and '
                                    f'{problem}: the transfer was probably cut short; nothing was cached')
        os.chmod(tmp, umask_mode(0o666))  # mkstemp made it 0600; cache entries are shared like torch.save files
        os.replace(tmp, cached)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
    return cached
