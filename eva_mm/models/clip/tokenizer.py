"""CLIP's BPE tokenizer, from mmseg (a runtime dependency that ships the 49408-token vocabulary, so no network)."""
from __future__ import annotations

from typing import List, Union

import torch
from mmseg.utils.tokenizer import tokenize as _mmseg_tokenize

__all__ = ['tokenize']


def tokenize(texts: Union[str, List[str]], context_length: int = 77) -> torch.Tensor:
    """Strings -> ``[N, context_length]`` int64 ids (start, BPE, end-of-text, zero padding; long texts truncated
    with the end-of-text token kept last)."""
    return _mmseg_tokenize(texts, context_length=context_length).long()
