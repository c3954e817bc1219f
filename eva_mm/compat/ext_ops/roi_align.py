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


def roi_align_forward(input: Tensor, rois: Tensor, output: Tensor, argmax_y: Tensor, argmax_x: Tensor,
                      aligned_height: int, aligned_width: int, spatial_scale: float, sampling_ratio: int,
                      pool_mode: int, aligned: bool) -> None:
    """Pool `input` [B, C, H, W] over `rois` [K, 5] (batch index, x1, y1, x2, y2) into `output` [K, C, h, w].

    `argmax_y`/`argmax_x` exist only for the max mode and are left untouched.
    """
    _check_pool_mode(pool_mode)
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
