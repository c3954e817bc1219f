"""Data sets, transforms and samplers. `synthetic` makes the small deterministic data sets of the quickstarts."""
from . import samplers, synthetic, transforms  # noqa: F401
from .generated import GENERATORS, GeneratedDataset
from .unlabeled import UnlabeledImageDataset

__all__ = ['GENERATORS', 'GeneratedDataset', 'UnlabeledImageDataset']
