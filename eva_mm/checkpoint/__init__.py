"""Checkpoint format detection and conversion to eva_mm keys, and converting loads."""
from .convert import FORMATS, convert, detect_format, unwrap_checkpoint

__all__ = ['FORMATS', 'convert', 'detect_format', 'unwrap_checkpoint']
