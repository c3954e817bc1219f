"""User-facing entry points: model-zoo names in one line, the toolboxes' inferencers on eva_mm names, ONNX export.

The top layer of the package: it builds models (``eva_mm.models``) from configs and loads weights through
``eva_mm.checkpoint``. Importing it hooks eva_mm's zoo into the toolboxes' inferencers (``inferencers.install``).
"""
from . import inferencers
from .inferencers import inference_config
from .zoo_models import get_model, list_models, released_weights

inferencers.install()

__all__ = ['get_model', 'inference_config', 'list_models', 'released_weights']
