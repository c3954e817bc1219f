"""mmcv's collect_env works with the stand-in; RoIAlign names an inverted RoI as mmcv's kernels do."""
import pytest
import torch

import eva_mm  # noqa: F401  (installs the stand-in)
from eva_mm.compat import mmcv_ext


def test_collect_env_reports_na_with_the_stand_in():
    if mmcv_ext.compiled_mmcv_available():
        pytest.fail('this test is about the stand-in; a compiled mmcv is installed')
    from mmcv.utils import collect_env
    info = collect_env()
    assert info['MMCV Compiler'] == info['MMCV CUDA Compiler'] == 'n/a (eva_mm stand-in for mmcv._ext)'


def test_roi_align_inverted_box_is_named():
    from mmcv.ops import roi_align
    x = torch.rand(1, 2, 8, 8)
    rois = torch.tensor([[0, 1., 1., 6., 6.], [0, 6., 6., 1., 1.]])
    with pytest.raises(ValueError, match=r'RoI 1 .* = \[0.0, 6.0, 6.0, 1.0, 1.0\] has negative size .*; 1 of 2'):
        roi_align(x, rois, (2, 2), 1.0, 0, 'avg', True)
    # without `aligned`, mmcv (and torchvision) clamp an RoI to at least 1x1: still allowed
    assert roi_align(x, rois, (2, 2), 1.0, 0, 'avg', False).shape == (2, 2, 2, 2)
