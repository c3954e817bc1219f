"""Unlabeled images from several sources merged into one data set (EVA's Merged-30M / Merged-38M, arXiv 2211.07636).

Each source is one config entry: an image folder (scanned recursively) or an image list file (one path per line,
relative to the source's ``data_prefix``; any text after the first whitespace, e.g. a class index, is ignored, so
ImageNet's ``meta/train.txt`` works as is). Labels are never read: MIM needs images only.
"""
from __future__ import annotations

import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

from mmengine.dataset import BaseDataset
from mmengine.fileio import list_from_file

from ..registry import DATASETS

__all__ = ['UnlabeledImageDataset', 'scan_images']

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp')


def scan_images(folder: str, extensions: Sequence[str] = IMG_EXTENSIONS) -> List[str]:
    """Sorted paths (relative to ``folder``) of every image below ``folder``."""
    found = []
    for dirpath, _, files in os.walk(folder, followlinks=True):
        rel = osp.relpath(dirpath, folder)
        found.extend(osp.normpath(osp.join(rel, f)) for f in files if f.lower().endswith(tuple(extensions)))
    return sorted(found)


@DATASETS.register_module()
class UnlabeledImageDataset(BaseDataset):
    """Images of several folders / image lists as one data set of ``{'img_path', 'source'}`` samples.

    Args:
        sources: One dict per source: ``name`` (for logs), ``data_prefix`` (image folder) and optionally
            ``ann_file`` (an image list; without it the folder is scanned). Relative paths are joined to
            ``data_root``.
        data_root: Common root of the sources.
        pipeline: Transforms applied to every sample.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset` (``lazy_init``, ``max_refetch``, ...).
    """

    def __init__(self, sources: Sequence[Dict[str, str]], data_root: str = '', pipeline: Sequence = (),
                 **kwargs) -> None:
        if not sources:
            raise ValueError('UnlabeledImageDataset: `sources` is empty')
        for i, src in enumerate(sources):
            if 'data_prefix' not in src:
                raise KeyError(f'UnlabeledImageDataset: source {i} ({src.get("name", "unnamed")}) has no data_prefix')
        self.sources = [dict(s) for s in sources]
        super().__init__(data_root=data_root, pipeline=list(pipeline), **kwargs)

    def _join(self, path: Optional[str]) -> Optional[str]:
        return path if path is None or osp.isabs(path) else osp.join(self.data_root or '', path)

    def load_data_list(self) -> List[dict]:
        """One ``{'img_path', 'source'}`` per image, sources in config order."""
        data_list = []
        for i, src in enumerate(self.sources):
            name = src.get('name', f'source{i}')
            prefix, ann_file = self._join(src['data_prefix']), self._join(src.get('ann_file'))
            if ann_file:
                if not osp.isfile(ann_file):
                    raise FileNotFoundError(f'UnlabeledImageDataset: image list of source {name!r} not found: '
                                            f'{ann_file}')
                names = [line.split()[0] for line in list_from_file(ann_file) if line.strip()]
            else:
                if not osp.isdir(prefix):
                    raise FileNotFoundError(f'UnlabeledImageDataset: folder of source {name!r} not found: {prefix}')
                names = scan_images(prefix)
            if not names:
                raise ValueError(f'UnlabeledImageDataset: source {name!r} has no images ({ann_file or prefix})')
            data_list.extend(dict(img_path=osp.join(prefix, n), source=name) for n in names)
        return data_list
