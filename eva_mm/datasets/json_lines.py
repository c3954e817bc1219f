"""JSON-lines files (one JSON object per line), read with errors that name the file and the line.

Used by the image-text data sets (JSONL annotation files) and by ``tools/analysis/plot_curves.py`` (mmengine's
``vis_data/scalars.json`` logs).
"""
from __future__ import annotations

import json
from typing import Iterator, Tuple

__all__ = ['iter_json_lines']


def iter_json_lines(path: str) -> Iterator[Tuple[int, dict]]:
    """Yield ``(line number, object)`` for every non-blank line of ``path`` (numbers from 1).

    A line that is not JSON, or JSON that is not an object, raises ``ValueError`` naming ``path`` and the line.
    """
    with open(path, encoding='utf-8') as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f'{path}, line {line_no}: not JSON ({e.msg})') from None
            if not isinstance(record, dict):
                raise ValueError(f'{path}, line {line_no}: expected a JSON object, got {type(record).__name__}')
            yield line_no, record
