"""Create a generated data set on first use, safely when several processes start at once."""
import json
import os
import os.path as osp
import shutil
import tempfile
from typing import Any, Callable, Dict

from filelock import FileLock

READY_FILE = 'READY.json'  # written last: its presence (with the same arguments) means the data set is complete


def prepare_dataset(root: str, generator: Callable[..., Any], **kwargs: Any) -> str:
    """Run `generator(tmp_root, **kwargs)` unless `root` already holds its output for the same kwargs.

    The data is generated in a temporary folder beside `root` and moved into place, and a lock serialises
    concurrent callers (e.g. the ranks of a distributed run), so `root` never holds a half-written data set.
    Returns `root`.
    """
    wanted: Dict[str, Any] = dict(generator=f'{generator.__module__}.{generator.__qualname__}', kwargs=kwargs)
    wanted = json.loads(json.dumps(wanted))  # tuples and lists compare equal once stored
    ready = osp.join(root, READY_FILE)
    parent = osp.dirname(osp.abspath(root))
    os.makedirs(parent, exist_ok=True)
    with FileLock(osp.abspath(root) + '.lock'):
        if osp.isfile(ready):
            with open(ready) as f:
                if json.load(f) == wanted:
                    return root
        tmp = tempfile.mkdtemp(prefix='.tmp-', dir=parent)
        try:
            generator(tmp, **kwargs)
            with open(osp.join(tmp, READY_FILE), 'w') as f:
                json.dump(wanted, f)
            if osp.exists(root):
                shutil.rmtree(root)
            os.replace(tmp, root)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return root
