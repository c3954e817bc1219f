"""One clear error for an annotation file of the wrong schema.

pycocotools and lvis accept any JSON object and fail later with a bare `KeyError: 'categories'` (or, in mmdet's
parser, `KeyError: 'img'`), naming neither the file nor what is wrong. After they load a file we check the
structure COCO-style instance annotations must have and raise one `ValueError` naming the file, the entry and the
missing field.
"""
import functools
import json
import os.path as osp
from typing import Any, Optional

from .import_hooks import when_imported

# Required fields per section, as COCO instances and LVIS v1 files have them (cocodataset.org/#format-data).
REQUIRED = {
    'images': ('id', 'height', 'width'),
    'annotations': ('id', 'image_id', 'category_id', 'bbox'),
    'categories': ('id', 'name'),
}
IMAGE_NAME_KEYS = ('file_name', 'coco_url')  # COCO files name images by file_name, LVIS v1 by coco_url


def schema_problem(data: Any) -> Optional[str]:
    """What makes `data` not COCO-style instance annotations, or None if it is fine."""
    if not isinstance(data, dict):
        return f'the top level is a {type(data).__name__}, not an object'
    missing = [key for key in REQUIRED if key not in data]
    if missing:
        return f'missing top-level key(s) {missing} (has {sorted(data)[:8]})'
    for section, fields in REQUIRED.items():
        entries = data[section]
        if not isinstance(entries, list):
            return f'"{section}" is a {type(entries).__name__}, not a list'
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                return f'{section}[{index}] is a {type(entry).__name__}, not an object'
            absent = [f for f in fields if f not in entry]
            if section == 'images' and not any(k in entry for k in IMAGE_NAME_KEYS):
                absent.append(' or '.join(IMAGE_NAME_KEYS))
            if absent:
                return f'{section}[{index}] lacks {absent}'
    return None


def _problem_of_file(path: Optional[str]) -> Optional[str]:
    """Read the file again (only after a failure) to say what is wrong with it."""
    if not path:
        return None
    try:
        with open(path) as f:
            return schema_problem(json.load(f))
    except ValueError as error:
        return f'not valid JSON ({error})'


def _checked_init(init, path_arg: str):
    @functools.wraps(init)
    def wrapper(self, *args: Any, **kwargs: Any) -> None:
        path = kwargs.get(path_arg, args[0] if args else None)
        try:
            init(self, *args, **kwargs)
        except FileNotFoundError:
            folder = osp.dirname(osp.abspath(path)) if path else None
            hint = f'; its folder {folder!r} does not exist either (check data_root)' if folder and not \
                osp.isdir(folder) else ''
            raise FileNotFoundError(f'annotation file {path!r} not found{hint}') from None
        except (KeyError, AssertionError, TypeError, ValueError) as error:  # ValueError: broken JSON
            problem = _problem_of_file(path) or f'{type(error).__name__}: {error}'
            raise ValueError(f'annotation file {path!r} is not COCO-style instance annotations: {problem}') from None
        problem = schema_problem(self.dataset) if path else None
        if problem:
            raise ValueError(f'annotation file {path!r} is not COCO-style instance annotations: {problem}')
    return wrapper


def _patch(cls: type, path_arg: str) -> None:
    if not getattr(cls.__init__, '_eva_mm_checked', False):
        cls.__init__ = _checked_init(cls.__init__, path_arg)
        cls.__init__._eva_mm_checked = True


def install() -> None:
    """Check annotation files as pycocotools' COCO and lvis's LVIS load them."""
    when_imported('pycocotools.coco', lambda m: _patch(m.COCO, 'annotation_file'))
    when_imported('lvis.lvis', lambda m: _patch(m.LVIS, 'annotation_path'))
