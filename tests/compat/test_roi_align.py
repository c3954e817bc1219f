"""RoIAlign of the mmcv._ext stand-in, through mmcv's `RoIAlign` / `roi_align`, against a float64 reference."""
import math

import numpy as np
import pytest
import torch
from mmcv.ops import RoIAlign, roi_align


def bilinear(feature, y, x):
    """Bilinear sample of a [H, W] array at (y, x), with the border rules of Mask R-CNN's RoIAlign."""
    h, w = feature.shape
    if y < -1.0 or y > h or x < -1.0 or x > w:
        return 0.0
    y, x = max(y, 0.0), max(x, 0.0)
    y0, x0 = int(y), int(x)
    if y0 >= h - 1:
        y0 = y1 = h - 1
        y = float(y0)
    else:
        y1 = y0 + 1
    if x0 >= w - 1:
        x0 = x1 = w - 1
        x = float(x0)
    else:
        x1 = x0 + 1
    ly, lx = y - y0, x - x0
    return ((1 - ly) * (1 - lx) * feature[y0, x0] + (1 - ly) * lx * feature[y0, x1]
            + ly * (1 - lx) * feature[y1, x0] + ly * lx * feature[y1, x1])


def reference_roi_align(features, rois, out_hw, scale, sampling_ratio, aligned):
    """RoIAlign (He et al. 2017) in float64 loops: each bin averages a grid of bilinear samples."""
    features = features.astype(np.float64)
    out = np.zeros((len(rois), features.shape[1], *out_hw))
    offset = 0.5 if aligned else 0.0
    for r, (b, x1, y1, x2, y2) in enumerate(rois):
        sx, sy = x1 * scale - offset, y1 * scale - offset
        rw, rh = x2 * scale - offset - sx, y2 * scale - offset - sy
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        bh, bw = rh / out_hw[0], rw / out_hw[1]
        gh = sampling_ratio if sampling_ratio > 0 else math.ceil(rh / out_hw[0])
        gw = sampling_ratio if sampling_ratio > 0 else math.ceil(rw / out_hw[1])
        count = max(gh * gw, 1)
        for c in range(features.shape[1]):
            for ph in range(out_hw[0]):
                for pw in range(out_hw[1]):
                    total = 0.0
                    for iy in range(gh):
                        y = sy + ph * bh + (iy + 0.5) * bh / gh
                        for ix in range(gw):
                            x = sx + pw * bw + (ix + 0.5) * bw / gw
                            total += bilinear(features[int(b), c], y, x)
                    out[r, c, ph, pw] = total / count
    return out


def make_inputs(seed, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    features = torch.randn(2, 3, 9, 11, generator=g, dtype=dtype)
    xy = torch.rand(6, 2, generator=g, dtype=dtype) * torch.tensor([30., 25.], dtype=dtype) - 3
    wh = torch.rand(6, 2, generator=g, dtype=dtype) * 18 + 0.3
    batch = torch.tensor([0, 1, 0, 1, 0, 1], dtype=dtype)[:, None]
    rois = torch.cat([batch, xy, xy + wh], 1)  # includes RoIs partly outside and thinner than a pixel
    return features, rois


@pytest.mark.parametrize('aligned', [True, False])
@pytest.mark.parametrize('sampling_ratio', [0, 2])
def test_roi_align_forward_equals_reference(aligned, sampling_ratio):
    features, rois = make_inputs(seed=sampling_ratio + int(aligned))
    layer = RoIAlign((4, 3), spatial_scale=0.5, sampling_ratio=sampling_ratio, aligned=aligned)
    out = layer(features, rois)
    expected = reference_roi_align(features.numpy(), rois.numpy(), (4, 3), 0.5, sampling_ratio, aligned)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('aligned', [True, False])
@pytest.mark.parametrize('sampling_ratio', [0, 2])
def test_roi_align_backward_gradcheck(aligned, sampling_ratio):
    features, rois = make_inputs(seed=7, dtype=torch.float64)
    features.requires_grad_(True)
    fn = lambda x: roi_align(x, rois, (3, 2), 0.5, sampling_ratio, 'avg', aligned)  # noqa: E731
    assert torch.autograd.gradcheck(fn, (features,), eps=1e-6, atol=1e-6)


def test_roi_align_backward_matches_reference_gradient():
    # d(sum(out * w)) / d(features) equals the reference's response to each input pixel (linearity)
    features, rois = make_inputs(seed=9, dtype=torch.float64)
    features.requires_grad_(True)
    weights = torch.randn(len(rois), 3, 2, 2, dtype=torch.float64)
    (roi_align(features, rois, (2, 2), 1.0, 0, 'avg', True) * weights).sum().backward()
    grad = np.zeros(features.shape)
    basis = np.zeros(features.shape)
    for idx in np.ndindex(*features.shape[:1], 1, *features.shape[2:]):
        for c in range(features.shape[1]):
            basis[:] = 0
            basis[idx[0], c, idx[2], idx[3]] = 1
            grad[idx[0], c, idx[2], idx[3]] = (reference_roi_align(basis, rois.numpy(), (2, 2), 1.0, 0, True)
                                               * weights.numpy()).sum()
    np.testing.assert_allclose(features.grad.numpy(), grad, atol=1e-10)


def test_roi_align_max_mode_fails_clearly():
    features, rois = make_inputs(seed=1)
    with pytest.raises(NotImplementedError, match="pool_mode='max'"):
        RoIAlign((2, 2), pool_mode='max')(features, rois)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_roi_align_on_cuda():
    features, rois = make_inputs(seed=2)
    layer = RoIAlign((4, 3), spatial_scale=0.5, sampling_ratio=0, aligned=True)
    features = features.requires_grad_(True)
    out = layer(features.cuda(), rois.cuda())
    out.sum().backward()
    torch.testing.assert_close(out.cpu(), layer(features.detach(), rois), rtol=1e-4, atol=1e-4)
    assert features.grad is not None and features.grad.abs().sum() > 0
