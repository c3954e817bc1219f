"""Frozen teachers that produce MIM targets. Importing registers them in mmengine's root ``MODELS``."""
from .clip_teacher import OPENAI_CLIP_ARCHS, CLIPTeacher

__all__ = ['CLIPTeacher', 'OPENAI_CLIP_ARCHS']
