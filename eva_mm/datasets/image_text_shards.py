"""Image-caption pairs from webdataset-format tar shards (the layout open_clip and EVA-CLIP train from).

A shard is a plain tar; the files of one sample share a key (the member name up to the first dot of its base
name): ``000123.jpg`` + ``000123.txt``. The standard library reads that layout, so the ``webdataset`` package is
not needed: shards are indexed once (member offsets), and each sample's image is read by offset in ``__getitem__``
(map-style, so mmengine's samplers, resuming and distributed splitting work as for any data set).
"""
from __future__ import annotations

import glob
import os.path as osp
import tarfile
from typing import Any, Dict, List, Sequence, Tuple

import mmcv
import numpy as np
from mmengine.dataset import BaseDataset

from ..registry import DATASETS

__all__ = ['ImageTextShardDataset', 'index_shard']

IMAGE_EXTS = ('jpg', 'jpeg', 'png', 'webp', 'bmp')


def _split_key(name: str) -> Tuple[str, str]:
    folder, base = osp.split(name)
    key, _, ext = base.partition('.')
    return osp.join(folder, key), ext.lower()


def index_shard(path: str, caption_ext: str = 'txt') -> List[Dict[str, Any]]:
    """Samples of one shard: ``{'shard', 'key', 'offset', 'size', 'text'}`` (offset/size of the image bytes).

    A key with a caption but no image (or the reverse) is an error naming the shard and key.
    """
    images: Dict[str, tarfile.TarInfo] = {}
    captions: Dict[str, str] = {}
    try:
        with tarfile.open(path) as tar:
            for member in tar:
                if not member.isfile():
                    continue
                key, ext = _split_key(member.name)
                if ext in IMAGE_EXTS:
                    images[key] = member
                elif ext == caption_ext:
                    captions[key] = tar.extractfile(member).read().decode('utf-8').strip()
    except tarfile.TarError as e:
        raise ValueError(f'ImageTextShardDataset: {path} is not a readable tar shard ({e})') from None
    for key in sorted(set(images) ^ set(captions)):
        what = 'caption' if key in images else 'image'
        raise KeyError(f'ImageTextShardDataset: {path}: sample {key!r} has no {what} ({caption_ext} / '
                       f'{"/".join(IMAGE_EXTS)})')
    return [dict(shard=path, key=k, offset=images[k].offset_data, size=images[k].size, text=captions[k])
            for k in sorted(images)]


@DATASETS.register_module()
class ImageTextShardDataset(BaseDataset):
    """Image-caption pairs from tar shards: samples ``{'img', 'img_shape', 'ori_shape', 'text'}``.

    The image is decoded here (BGR, as ``LoadImageFromFile``), so the pipeline starts after loading.

    Args:
        shards: Shard paths or glob patterns (``'train/{*}.tar'``-style braces are not expanded; use ``*``),
            relative to ``data_root``.
        caption_ext: Extension of the caption member.
        **kwargs: :class:`mmengine.dataset.BaseDataset` arguments (``data_root``, ``pipeline``, ...).
    """

    def __init__(self, shards: Sequence[str] | str, caption_ext: str = 'txt', **kwargs) -> None:
        self.shard_patterns = [shards] if isinstance(shards, str) else list(shards)
        self.caption_ext = caption_ext
        super().__init__(**kwargs)

    def load_data_list(self) -> List[dict]:
        """Index every shard (sorted, so every rank sees the same order)."""
        paths = []
        for pattern in self.shard_patterns:
            full = pattern if osp.isabs(pattern) else osp.join(self.data_root or '', pattern)
            found = sorted(glob.glob(full))
            if not found:
                raise FileNotFoundError(f'ImageTextShardDataset: no shard matches {full!r}')
            paths.extend(found)
        data_list = [s for p in paths for s in index_shard(p, self.caption_ext)]
        if not data_list:
            raise ValueError(f'ImageTextShardDataset: the shards {self.shard_patterns} hold no samples')
        return data_list

    def get_data_info(self, idx: int) -> dict:
        """The sample with its image decoded."""
        info = super().get_data_info(idx)
        with open(info['shard'], 'rb') as f:
            f.seek(info['offset'])
            buf = f.read(info['size'])
        img = mmcv.imfrombytes(buf, flag='color')
        if img is None:
            raise ValueError(f'ImageTextShardDataset: {info["shard"]}: image of {info["key"]!r} cannot be decoded')
        info.update(img=img.astype(np.uint8), img_shape=img.shape[:2], ori_shape=img.shape[:2])
        return info
