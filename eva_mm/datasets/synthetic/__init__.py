"""Deterministic generated data sets, so quickstarts and tests run with no download."""
from .coco_instances import SHAPE_CLASSES, generate_coco_instances
from .prepare import prepare_dataset

__all__ = ['SHAPE_CLASSES', 'generate_coco_instances', 'prepare_dataset']
