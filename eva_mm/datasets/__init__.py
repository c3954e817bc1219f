"""Data sets, transforms and samplers. `synthetic` makes the small deterministic data sets of the quickstarts."""
from . import checks, samplers, synthetic, transforms  # noqa: F401
from .generated import GENERATORS, GeneratedDataset
from .image_text import ImageTextDataset
from .image_text_shards import ImageTextShardDataset
from .image_text_tokenize import TokenizeText
from .unlabeled import UnlabeledImageDataset

checks.install()  # bad images and annotation entries are named (mmcv's image loader, mmdet's COCO parser)

__all__ = ['GENERATORS', 'GeneratedDataset', 'ImageTextDataset', 'ImageTextShardDataset', 'TokenizeText',
           'UnlabeledImageDataset']
