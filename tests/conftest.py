"""Test setup: import eva_mm before anything else, so the compat layer (the mmcv._ext stand-in, safe checkpoint
loading, the lvis NumPy fix) is in place before any test module imports mmcv.ops, mmdet or mmseg."""
import pytest

import eva_mm  # noqa: F401

# Warnings that mmengine / mmseg / mmdet raise on this stack on the segmentation code paths and that our tests
# cannot change (third-party code the configs exercise); everywhere else every warning stays visible.
SEGMENTATION_TESTS = ('tests/segmentation/', 'tests/tasks/segmentation/')
THIRD_PARTY_SEGMENTATION_WARNINGS = (
    'ignore:pkg_resources is deprecated:UserWarning',  # mmengine resolves `mmseg::` bases via pkg_resources
    'ignore:torch.meshgrid:UserWarning',  # mmdet's Mask2Former positional code, no `indexing`
    'ignore:``build_loss`` would be deprecated:UserWarning',  # mmseg's own decode heads
    'ignore:Default ``avg_non_ignore`` is False:UserWarning',  # mmseg CrossEntropyLoss default, as its configs
)


def pytest_collection_modifyitems(items):
    for item in items:
        path = str(item.fspath).replace('\\', '/')
        if any(folder in path for folder in SEGMENTATION_TESTS):
            for spec in THIRD_PARTY_SEGMENTATION_WARNINGS:
                item.add_marker(pytest.mark.filterwarnings(spec))
