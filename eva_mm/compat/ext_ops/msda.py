"""Multi-scale deformable attention (Deformable DETR) without the compiled mmcv extension.

mmcv's `MultiScaleDeformableAttention` (used by Mask2Former's pixel decoder in mmdet and mmseg) runs the pure
PyTorch `multi_scale_deformable_attn_pytorch` on CPU, but on CUDA it calls the compiled
`ext_module.ms_deform_attn_forward/backward`, which mmcv-lite lacks. The `mmcv._ext` stand-in serves both
functions with the compiled calling convention, computed by mmcv's own PyTorch path (grid_sample), so the same
model runs on CPU and on CUDA with no compiled op. Nothing here imports `mmcv.ops` at `eva_mm` import time: the
PyTorch path is looked up on the first call.
"""
from typing import Callable

import torch
from torch import Tensor


def _pytorch_msda() -> Callable[..., Tensor]:
    """mmcv's pure PyTorch op (deferred import: `mmcv.ops` is slow to import and is imported by its caller)."""
    from mmcv.ops.multi_scale_deform_attn import multi_scale_deformable_attn_pytorch
    return multi_scale_deformable_attn_pytorch


def ms_deform_attn_forward(value: Tensor, value_spatial_shapes: Tensor, value_level_start_index: Tensor,
                           sampling_locations: Tensor, attention_weights: Tensor, im2col_step: int = 64) -> Tensor:
    """Deformable attention output [B, Q, heads * C] (signature of `mmcv._ext.ms_deform_attn_forward`).

    Args:
        value: [B, sum(H_l * W_l), heads, C].
        value_spatial_shapes: [L, 2] (H_l, W_l) per level.
        value_level_start_index: [L], unused (levels are split by their sizes).
        sampling_locations: [B, Q, heads, L, P, 2] normalised (x, y) in [0, 1].
        attention_weights: [B, Q, heads, L, P].
        im2col_step: batch chunk of the CUDA kernel; the PyTorch path processes the batch at once.
    """
    return _pytorch_msda()(value, value_spatial_shapes, sampling_locations, attention_weights)


def ms_deform_attn_backward(value: Tensor, value_spatial_shapes: Tensor, value_level_start_index: Tensor,
                            sampling_locations: Tensor, attention_weights: Tensor, grad_output: Tensor,
                            grad_value: Tensor, grad_sampling_loc: Tensor, grad_attn_weight: Tensor,
                            im2col_step: int = 64) -> None:
    """Write the gradients of `ms_deform_attn_forward` w.r.t. value, locations and weights into the given buffers.

    mmcv's autograd Function saves the inputs and asks for these three gradients in place; we recompute the
    forward under autograd (cheap next to the rest of the pixel decoder) and differentiate it.
    """
    with torch.enable_grad():
        inputs = [t.detach().requires_grad_(True) for t in (value, sampling_locations, attention_weights)]
        out = _pytorch_msda()(inputs[0], value_spatial_shapes, inputs[1], inputs[2])
        grads = torch.autograd.grad(out, inputs, grad_output)
    for buffer, grad in zip((grad_value, grad_sampling_loc, grad_attn_weight), grads):
        buffer.copy_(grad)
