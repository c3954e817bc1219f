"""Warnings that mmengine / mmseg / mmdet raise on this stack and that our tests cannot change (they come from
third-party code paths the configs exercise); everything else stays an error-visible warning."""
import pytest

THIRD_PARTY_WARNINGS = (
    'ignore:pkg_resources is deprecated:UserWarning',  # mmengine resolves `mmseg::` bases via pkg_resources
    'ignore:torch.meshgrid:UserWarning',  # mmdet's Mask2Former positional code, no `indexing`
    'ignore:``build_loss`` would be deprecated:UserWarning',  # mmseg's own decode heads
    'ignore:Default ``avg_non_ignore`` is False:UserWarning',  # mmseg CrossEntropyLoss default, as its configs
)


def pytest_collection_modifyitems(items):
    for item in items:
        if 'tests/segmentation/' in str(item.fspath).replace('\\', '/'):
            for spec in THIRD_PARTY_WARNINGS:
                item.add_marker(pytest.mark.filterwarnings(spec))
