"""Image-caption pairs from a CSV / TSV / JSONL file, the input of CLIP contrastive training (arXiv 2103.00020).

One row per pair: an image path (relative to ``data_prefix``) and its caption. open_clip's CSV reader calls the
columns ``filepath`` and ``title`` (``open_clip_train/params.py``: ``--csv-img-key``, ``--csv-caption-key``); they
are the defaults here too. Every row is checked when the data set is built, so a missing column, an empty caption
or a missing image is one error naming the file and line, not a crash in a data-loader worker hours later.
"""
from __future__ import annotations

import csv
import os.path as osp
from typing import Iterator, List, Optional, Tuple

from mmengine.dataset import BaseDataset

from ..registry import DATASETS
from .json_lines import iter_json_lines

__all__ = ['ImageTextDataset', 'read_image_text_rows']


def _csv_rows(path: str, delimiter: str) -> Iterator[Tuple[int, dict]]:
    with open(path, newline='', encoding='utf-8') as f:
        reader = csv.DictReader(f, delimiter=delimiter)
        for row in reader:
            yield reader.line_num, row



def read_image_text_rows(path: str, img_key: str = 'filepath', caption_key: str = 'title',
                         delimiter: Optional[str] = None) -> List[Tuple[int, str, str]]:
    """``(line, image path, caption)`` of every row of a ``.csv`` / ``.tsv`` / ``.jsonl`` file.

    Args:
        path: The annotation file; the format is taken from its extension.
        img_key: Column (or JSON key) of the image path.
        caption_key: Column (or JSON key) of the caption.
        delimiter: CSV delimiter; default ``','`` for ``.csv`` and a tab for ``.tsv``.
    """
    ext = osp.splitext(path)[1].lower()
    if ext in ('.jsonl', '.json'):
        rows = iter_json_lines(path)
    elif ext in ('.csv', '.tsv'):
        rows = _csv_rows(path, delimiter or ('\t' if ext == '.tsv' else ','))
    else:
        raise ValueError(f'ImageTextDataset: {path}: unknown annotation format {ext!r}; use .csv, .tsv or .jsonl')
    out = []
    for line_no, row in rows:
        for key in (img_key, caption_key):
            if row.get(key) is None:
                raise KeyError(f'{path}:{line_no}: no {key!r} column/key (has: {", ".join(map(str, row))})')
        caption = str(row[caption_key]).strip()
        if not caption:
            raise ValueError(f'{path}:{line_no}: empty caption in {caption_key!r}')
        out.append((line_no, str(row[img_key]), caption))
    if not out:
        raise ValueError(f'ImageTextDataset: {path} has no rows')
    return out


@DATASETS.register_module()
class ImageTextDataset(BaseDataset):
    """Image-caption pairs: samples ``{'img_path', 'text'}`` (the caption string; ``TokenizeText`` turns it into
    ids).

    Args:
        ann_file: A ``.csv`` / ``.tsv`` / ``.jsonl`` file with one pair per row/line.
        data_prefix: Folder the image paths are relative to (``dict(img_path=...)`` or a string).
        img_key: Column / key of the image path.
        caption_key: Column / key of the caption.
        delimiter: CSV delimiter (default from the extension).
        check_images: Check that every image file exists when the data set is built.
        **kwargs: :class:`mmengine.dataset.BaseDataset` arguments (``data_root``, ``pipeline``, ``test_mode``, ...).
    """

    def __init__(self, ann_file: str, data_prefix: str | dict = '', img_key: str = 'filepath',
                 caption_key: str = 'title', delimiter: Optional[str] = None, check_images: bool = True,
                 **kwargs) -> None:
        self.img_key, self.caption_key, self.delimiter = img_key, caption_key, delimiter
        self.check_images = check_images
        if isinstance(data_prefix, str):
            data_prefix = dict(img_path=data_prefix)
        super().__init__(ann_file=ann_file, data_prefix=data_prefix, **kwargs)

    def load_data_list(self) -> List[dict]:
        """One ``{'img_path', 'text'}`` per row, in file order."""
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'ImageTextDataset: annotation file not found: {self.ann_file}')
        prefix = self.data_prefix.get('img_path', '') or ''
        data_list = []
        for line_no, rel, caption in read_image_text_rows(self.ann_file, self.img_key, self.caption_key,
                                                          self.delimiter):
            path = rel if osp.isabs(rel) else osp.join(prefix, rel)
            if self.check_images and not osp.isfile(path):
                raise FileNotFoundError(f'{self.ann_file}:{line_no}: image not found: {path}')
            data_list.append(dict(img_path=path, text=caption))
        return data_list
