"""RoIAlign forward and backward with `mmcv._ext`'s calling convention, on torchvision's kernels.

torchvision and mmcv agree on the sampling grid (`aligned` shifts by half a pixel; without it RoIs are at least
1×1; `sampling_ratio=0` samples ceil(roi_size / output_size) points per bin) and both average; mmcv's 'max'
pool mode has no torchvision kernel.
"""
import torch
import torchvision
from torch import Tensor

AVG_POOL = 1  # mmcv's pool_mode code for 'avg' (0 is 'max')


def _check_pool_mode(pool_mode: int) -> None:
    if int(pool_mode) != AVG_POOL:
        raise NotImplementedError(
            "RoIAlign with pool_mode='max' needs the compiled mmcv ops (mmcv._ext); eva_mm's stand-in provides "
            "pool_mode='avg', the default of RoIAlign. Install a compiled mmcv 2.1.0 or use pool_mode='avg'.")


def _check_rois(rois: Tensor, aligned: bool) -> None:
    """mmcv's kernels refuse an RoI with x2 < x1 or y2 < y1 when `aligned` (nothing clamps it to 1x1 then);
    torchvision's would pool garbage or fail deep in C++ (a bare `std::vector` length error). Name the RoI."""
    if not aligned or rois.numel() == 0:
        return
    bad = ((rois[:, 3] < rois[:, 1]) | (rois[:, 4] < rois[:, 2])).nonzero()
    if len(bad):
        i = int(bad[0])
        raise ValueError(f'RoIAlign(aligned=True): RoI {i} (batch index, x1, y1, x2, y2) = '
                         f'{[round(float(v), 4) for v in rois[i]]} has negative size (x2 < x1 or y2 < y1); '
                         f'{len(bad)} of {len(rois)} RoIs are inverted. ROIs in ROIAlign cannot have negative size.')


def roi_align_forward(input: Tensor, rois: Tensor, output: Tensor, argmax_y: Tensor, argmax_x: Tensor,
                      aligned_height: int, aligned_width: int, spatial_scale: float, sampling_ratio: int,
                      pool_mode: int, aligned: bool) -> None:
    """Pool `input` [B, C, H, W] over `rois` [K, 5] (batch index, x1, y1, x2, y2) into `output` [K, C, h, w].

    `argmax_y`/`argmax_x` exist only for the max mode and are left untouched.

    Raises:
        ValueError: with `aligned`, an RoI of negative size (named), as mmcv's kernels refuse it.
    """
    _check_pool_mode(pool_mode)
    _check_rois(rois, bool(aligned))
    out = torchvision.ops.roi_align(input, rois.to(input.dtype), (aligned_height, aligned_width),
                                    spatial_scale=spatial_scale, sampling_ratio=sampling_ratio,
                                    aligned=bool(aligned))
    output.copy_(out)


def roi_align_backward(grad_output: Tensor, rois: Tensor, argmax_y: Tensor, argmax_x: Tensor, grad_input: Tensor,
                       aligned_height: int, aligned_width: int, spatial_scale: float, sampling_ratio: int,
                       pool_mode: int, aligned: bool) -> None:
    """Accumulate the gradient of `roi_align_forward` w.r.t. its input into `grad_input` [B, C, H, W]."""
    _check_pool_mode(pool_mode)
    batch, channels, height, width = grad_input.shape
    grad = torch.ops.torchvision._roi_align_backward(
        grad_output, rois.to(grad_output.dtype), spatial_scale, aligned_height, aligned_width, batch, channels,
        height, width, sampling_ratio, bool(aligned))
    grad_input.add_(grad)
