"""A file that is no checkpoint is reported as such (what it looks like), not as a security refusal."""
import io

import pytest
import torch

from eva_mm.checkpoint.reader import NotACheckpointError, safe_load


def _truncated() -> bytes:
    buffer = io.BytesIO()
    torch.save({'w': torch.ones(100)}, buffer)
    return buffer.getvalue()[:300]


@pytest.mark.parametrize('body, message', [
    (b'', r'is empty \(0 bytes'),
    (b'\x01\x02garbage' * 20, r"its 180 bytes are neither torch's zip format nor a pickle"),
    (b'  <!DOCTYPE html><html>404</html>', 'is an HTML / XML page'),
    (_truncated(), r'neither torch.s zip format .*failed finding central directory'),
])
def test_not_a_checkpoint_is_named(tmp_path, body, message):
    path = tmp_path / 'model.pth'
    path.write_bytes(body)
    with pytest.raises(NotACheckpointError, match=rf"'{path}' is not a checkpoint: .*{message}"):
        safe_load(str(path))
