"""Checkpoints: the one safe reader, checked downloads, mmengine's URL schemes, formats and conversion.

Sits above `eva_mm.layers` (conversion resamples position embeddings and rel-pos tables) and below
`eva_mm.models` (backbones load through `loading.load_pretrained`).
"""
from . import model_loading, schemes
from .convert import convert, unwrap_checkpoint
from .formats import FORMAT_TABLE, FORMATS, CheckpointFormat, detect_format
from .reader import UnsafeCheckpointError, download_to_cache, read_checkpoint, read_state_dict, safe_load

__all__ = ['CheckpointFormat', 'FORMATS', 'FORMAT_TABLE', 'UnsafeCheckpointError', 'convert', 'detect_format',
           'download_to_cache', 'install', 'read_checkpoint', 'read_state_dict', 'safe_load', 'unwrap_checkpoint']


def install() -> None:
    """Route mmengine's checkpoint schemes through the safe reader and its whole-model loads through fitting."""
    schemes.install()
    model_loading.install()
