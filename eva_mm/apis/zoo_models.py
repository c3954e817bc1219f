"""Model-zoo names in one line: ``list_models`` and ``get_model`` over the metafiles of ``eva_mm.zoo``.

``get_model(name)`` builds the config's ``model`` in the config's toolbox (its ``default_scope``) and loads the
released weights through the checked download (``eva_mm.checkpoint.download``: the listed SHA-256, when a metafile
gives one, travels as the URL's ``#sha256=`` fragment) and mmengine's whole-model loader, which eva_mm routes
through ``eva_mm.checkpoint.whole_model.fit_to_model`` (official key layouts are mapped onto eva_mm's).
"""
import fnmatch
import os.path as osp
from contextlib import nullcontext
from functools import lru_cache
from typing import List, Optional, Union

import torch
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope
from mmengine.runner import load_checkpoint
from torch import nn

from eva_mm import zoo
from eva_mm.checkpoint.download import download_checkpoint

__all__ = ['get_model', 'list_models', 'model_tasks', 'released_weights']

# the task of a zoo entry whose metafile lists no results, from its config's toolbox
_TASK_OF_SCOPE = {'mmpretrain': 'Image Classification', 'mmdet': 'Object Detection', 'mmseg': 'Semantic Segmentation',
                  'mmaction': 'Action Recognition'}
_TASKS = ('image classification', 'object detection', 'instance segmentation', 'semantic segmentation', 'pretraining',
          'action recognition')


@lru_cache(maxsize=None)
def _task_of_config(path: str) -> str:
    cfg = Config.fromfile(path)
    return 'Pretraining' if 'teacher' in cfg.model else _TASK_OF_SCOPE.get(cfg.get('default_scope'), 'Other')


def model_tasks(model: dict, index_file: str = zoo.INDEX_FILE) -> List[str]:
    """The tasks of one zoo entry: its ``Results`` tasks, else the task of its config ('Pretraining' for MIM)."""
    tasks = [r['Task'] for r in model.get('Results') or []]
    return tasks or [_task_of_config(zoo.config_path(model['Name'], index_file))]


def list_models(pattern: str = '*', task: Optional[str] = None, index_file: str = zoo.INDEX_FILE) -> List[str]:
    """Zoo names matching ``pattern`` (shell-style when it has ``*?[``, else a substring; case-insensitive).

    ``task`` (case-insensitive) keeps the entries of one task: 'Image Classification', 'Object Detection',
    'Instance Segmentation', 'Semantic Segmentation' or 'Pretraining' (the MIM backbones); a detector reporting
    box and mask AP matches both detection tasks.
    """
    pattern = pattern.lower() if any(c in pattern for c in '*?[') else f'*{pattern.lower()}*'
    models = [m for m in zoo.load_model_index(index_file) if fnmatch.fnmatchcase(m['Name'].lower(), pattern)]
    if task is None:
        return [m['Name'] for m in models]
    # the toolbox tasks, and any other task a metafile reports results for (e.g. EVA-CLIP's zero-shot ones)
    known = set(_TASKS) | {r['Task'].lower() for m in zoo.load_model_index(index_file) for r in m.get('Results') or []}
    if task.lower() not in known:
        raise ValueError(f'unknown task {task!r}; known tasks: {sorted(known)}')
    return [m['Name'] for m in models if task.lower() in {t.lower() for t in model_tasks(m, index_file)}]


def released_weights(name: str, index_file: str = zoo.INDEX_FILE) -> str:
    """The URL of the released checkpoint of zoo entry ``name`` (the first under ``Weights``), with its
    ``#sha256=`` fragment when the metafile lists the hash. An entry without weights is an error naming it."""
    model = zoo.find_model(name, index_file)
    urls = [u.strip() for u in str(model.get('Weights') or '').split(',') if u.strip()]
    if not urls:
        raise ValueError(f'model zoo entry {name!r} lists no Weights')
    hashes = [h.strip() for h in str(model.get('SHA256') or '').split(',') if h.strip()]
    return f'{urls[0]}#sha256={hashes[0].lower()}' if hashes else urls[0]


def _config(name_or_config: Union[str, Config], index_file: str) -> Config:
    if isinstance(name_or_config, Config):
        return name_or_config
    if name_or_config.endswith('.py'):
        if not osp.isfile(name_or_config):
            raise FileNotFoundError(f'config not found: {name_or_config}')
        return Config.fromfile(name_or_config)
    return Config.fromfile(zoo.config_path(name_or_config, index_file))


def get_model(name: Union[str, Config], pretrained: Union[bool, str] = False, device: Union[str, torch.device] = 'cpu',
              index_file: str = zoo.INDEX_FILE, progress: bool = True) -> nn.Module:
    """Build a zoo model (or a config file's / Config's model) in eval mode, optionally with weights.

    Args:
        name: a zoo name (``list_models()``), a config file path ending in ``.py``, or a ``Config``.
        pretrained: False (no weights loaded: the config's ``init_cfg`` is not applied either), True (the entry's
            released ``Weights``, downloaded and hash-checked), or a checkpoint path / URL.
        device: where the model lives; 'meta' builds it without memory (only with ``pretrained=False``).
        index_file: the model index that names resolve in.
        progress: show the download progress bar.

    Returns:
        The model, with ``.cfg`` (its Config) set; detectors/segmentors/classifiers take their toolbox's inputs.
        Pre-training (MIM) entries give their ``EVA`` backbone, which is what their released file holds.
    """
    cfg = _config(name, index_file)
    device = torch.device(device)
    if pretrained is True:
        if not isinstance(name, str) or name.endswith('.py'):
            raise ValueError('pretrained=True needs a model-zoo name; pass a checkpoint path or URL with a config')
        pretrained = released_weights(name, index_file)
    if pretrained and device.type == 'meta':
        raise ValueError('device="meta" builds an empty model; it cannot hold pretrained weights')
    # no default_scope (EVA-CLIP's configs): the model is one of eva_mm's, found in mmengine's root registry
    scope = cfg.get('default_scope')
    model_cfg = cfg.model
    if 'teacher' in model_cfg:
        # a MIM pre-training entry: its released file is the student backbone, and building the whole algorithm
        # would fetch the frozen CLIP teacher's weights, so the backbone (with its mask token) is what users get
        model_cfg = dict(model_cfg.backbone, use_mask_token=True, final_norm=True)
    validate = torch.distributions.Distribution._validate_args
    if device.type == 'meta':
        # mmaction's mixup / cutmix blending builds a Beta distribution, whose argument check reads values (.item())
        # that meta tensors do not have; the check is only skipped for the empty build
        torch.distributions.Distribution.set_default_validate_args(False)
    try:
        with DefaultScope.overwrite_default_scope(scope) if scope else nullcontext(), torch.device(device):
            model = MODELS.build(model_cfg)
    finally:
        torch.distributions.Distribution.set_default_validate_args(validate)
    model.cfg = cfg  # before loading: the fit check reads the config's load_from_allow from it
    if pretrained:
        checkpoint = str(pretrained)
        if checkpoint.startswith(('http://', 'https://')):
            checkpoint = download_checkpoint(checkpoint, progress=progress)
        elif not osp.isfile(checkpoint):
            raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
        load_checkpoint(model, checkpoint, map_location='cpu')
    return model.to(device).eval()
