"""Data sets, transforms and samplers. `synthetic` makes the small deterministic data sets of the quickstarts."""
from . import samplers, synthetic, transforms  # noqa: F401
from .generated import GENERATORS, GeneratedDataset
from .image_text import ImageTextDataset
from .image_text_shards import ImageTextShardDataset
from .image_text_tokenize import TokenizeText
from .unlabeled import UnlabeledImageDataset

__all__ = ['GENERATORS', 'GeneratedDataset', 'ImageTextDataset', 'ImageTextShardDataset', 'TokenizeText',
           'UnlabeledImageDataset']
