"""The eva_mm model zoo: the metafiles listed by ``model-index.yml`` (mmdet/mim layout), read with PyYAML.

The index ships inside the package as ``eva_mm/.mim/model-index.yml`` (a symlink to the top-level file in a source
tree, a copy in a wheel), so the same lookups work from a checkout and from an installed package. Each model is the
metafile's dict, with ``Collection`` (its collection's dict) added.

``known_sha256(url)`` is what the checkpoint downloader asks before trusting a file: the hash listed beside that URL
in a metafile, or None when the zoo does not know one.
"""
import os.path as osp
from functools import lru_cache
from typing import List, Optional

import yaml

MIM_DIR = osp.join(osp.dirname(osp.abspath(__file__)), '.mim')
INDEX_FILE = osp.join(MIM_DIR, 'model-index.yml')

# (URL field, hash field) pairs a model may carry; a URL field may list several comma-separated URLs, and its
# hash field then lists as many comma-separated hashes, in the same order.
_URL_FIELDS = (('Weights', 'SHA256'), ('Init Weights', 'Init SHA256'))


def _read_yaml(path: str) -> dict:
    """Parse one YAML file; a missing or malformed file is an error naming it."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'model zoo file not found: {path}')
    with open(path, encoding='utf-8') as f:
        data = yaml.safe_load(f)
    if not isinstance(data, dict):
        raise ValueError(f'model zoo file {path} does not hold a YAML mapping')
    return data


def _models_of_metafile(path: str, data: dict, collections: dict) -> List[dict]:
    """The ``Models`` of one metafile, each with its ``Collection`` dict attached.

    ``collections`` are those of every metafile of the index: as in mim's parser, a metafile may name a collection
    that another metafile defines (the video metafile names the ``EVA`` collection of ``configs/eva01``).
    """
    models = []
    for model in data.get('Models') or []:
        name = model.get('In Collection')
        if name not in collections:
            raise ValueError(f'{path}: model {model.get("Name")!r} names unknown collection {name!r}')
        models.append(dict(model, Collection=collections[name]))
    return models


@lru_cache(maxsize=None)
def _load(index_file: str) -> tuple:
    index = _read_yaml(index_file)
    root = osp.dirname(index_file)
    metafiles = [(osp.join(root, m), _read_yaml(osp.join(root, m))) for m in index.get('Import') or []]
    collections = {c['Name']: c for _, data in metafiles for c in data.get('Collections') or []}
    models = []
    for path, data in metafiles:
        models.extend(_models_of_metafile(path, data, collections))
    return tuple(models)


def load_model_index(index_file: str = INDEX_FILE) -> List[dict]:
    """All models of the zoo, in index order (one dict per metafile entry)."""
    return [dict(m) for m in _load(osp.abspath(index_file))]


def find_model(name: str, index_file: str = INDEX_FILE) -> dict:
    """The model called ``name`` (a config name without ``.py``); an unknown name lists the close ones."""
    models = {m['Name']: m for m in load_model_index(index_file)}
    if name in models:
        return models[name]
    close = sorted(n for n in models if name.split('_')[0] in n)[:10]
    raise KeyError(f'no model named {name!r} in the eva_mm model zoo ({index_file}); '
                   f'similar names: {close or sorted(models)[:10]}')


def config_path(name: str, index_file: str = INDEX_FILE) -> str:
    """Absolute path of the config file of model ``name`` (relative ``Config`` paths are relative to the index)."""
    return osp.normpath(osp.join(osp.dirname(osp.abspath(index_file)), find_model(name, index_file)['Config']))


def _split(value: Optional[str]) -> List[str]:
    return [v.strip() for v in str(value).split(',') if v.strip()] if value else []


def weight_urls(model: dict) -> List[str]:
    """Every URL a model lists under ``Weights`` and ``Init Weights``."""
    return [url for url_field, _ in _URL_FIELDS for url in _split(model.get(url_field))]


def known_sha256(url: str, index_file: str = INDEX_FILE) -> Optional[str]:
    """The lowercase hex sha256 listed for ``url`` in the zoo, or None when no metafile gives one."""
    for model in load_model_index(index_file):
        for url_field, hash_field in _URL_FIELDS:
            urls, hashes = _split(model.get(url_field)), _split(model.get(hash_field))
            if url in urls and hashes:
                if len(hashes) != len(urls):
                    raise ValueError(f'model {model["Name"]!r}: {len(urls)} URL(s) under {url_field!r} but '
                                     f'{len(hashes)} hash(es) under {hash_field!r}')
                return hashes[urls.index(url)].lower()
    return None
