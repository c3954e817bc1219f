"""``TokenizeText``: a caption string -> CLIP BPE token ids, as a pipeline step of the image-text data sets."""
from __future__ import annotations

import random
from typing import Sequence

from mmcv.transforms import BaseTransform

from ..models.clip import tokenize
from ..registry import TRANSFORMS

__all__ = ['TokenizeText']


@TRANSFORMS.register_module()
class TokenizeText(BaseTransform):
    """Replace ``results[key]`` (a caption, or a list of captions of which one is drawn at random, as COCO's five)
    by its ``[context_length]`` int64 token ids (start, BPE, end-of-text, zero padding).

    Args:
        context_length: Token ids per caption (CLIP: 77).
        key: The results key holding the caption.
    """

    def __init__(self, context_length: int = 77, key: str = 'text') -> None:
        self.context_length, self.key = context_length, key

    def transform(self, results: dict) -> dict:
        """Tokenise ``results[key]`` in place."""
        if self.key not in results:
            raise KeyError(f'TokenizeText: the sample has no {self.key!r} (keys: {", ".join(results)})')
        text = results[self.key]
        if isinstance(text, Sequence) and not isinstance(text, str):
            if not text:
                raise ValueError(f'TokenizeText: empty caption list in {self.key!r} ({results.get("img_path")})')
            text = random.choice(list(text))
        results[self.key] = tokenize([str(text)], self.context_length)[0]
        return results
