"""mmseg's decode heads warn about their own build path and loss default when built; not eva_mm's to fix."""
import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.filterwarnings('ignore:``build_loss`` would be deprecated:UserWarning'))
        item.add_marker(pytest.mark.filterwarnings('ignore:Default ``avg_non_ignore`` is False:UserWarning'))
