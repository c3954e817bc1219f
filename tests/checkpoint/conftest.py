"""A loopback HTTP server for checkpoint tests: `loopback.serve(name, body, length=True, cut=False)`."""
import http.server
import threading
from typing import Dict, Tuple

import pytest


class _Handler(http.server.BaseHTTPRequestHandler):
    files: Dict[str, Tuple[bytes, bool, bool, str]] = {}

    def do_GET(self):  # noqa: N802 (http.server's naming)
        name = self.path.lstrip('/')
        if name not in self.files:
            self.send_error(404, 'Not Found')
            return
        body, length, cut, content_type = self.files[name]
        self.send_response(200)
        self.send_header('Content-Type', content_type)
        if length:
            self.send_header('Content-Length', str(len(body)))
        self.end_headers()  # HTTP/1.0: without Content-Length the body ends when the connection closes
        self.wfile.write(body[:len(body) // 2] if cut else body)

    def log_message(self, *args):
        pass


class Loopback:
    def __init__(self, base: str, cache) -> None:
        self.base, self.cache = base, cache

    def serve(self, name: str, body: bytes, length: bool = True, cut: bool = False,
              content_type: str = 'application/octet-stream') -> str:
        """Serve `body` at /name (without Content-Length, or cut in half, when asked); return its URL."""
        _Handler.files[name] = (body, length, cut, content_type)
        return f'{self.base}/{name}'


@pytest.fixture
def loopback(tmp_path, monkeypatch):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    _Handler.files = {}
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield Loopback(f'http://127.0.0.1:{httpd.server_address[1]}', tmp_path / 'torch_home' / 'hub' / 'checkpoints')
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)
