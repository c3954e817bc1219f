"""Plain torch / torchvision versions of the compiled `mmcv._ext` functions the EVA pipelines call.

Each function keeps the exact signature of its `mmcv._ext` counterpart (in-place outputs included), so mmcv's
own Python wrappers (`mmcv.ops.nms`, `soft_nms`, `RoIAlign`, `roi_align`, `batched_nms`,
`MultiScaleDeformableAttention`) run unchanged on top.
"""
from .msda import ms_deform_attn_backward, ms_deform_attn_forward
from .nms import nms, softnms
from .roi_align import roi_align_backward, roi_align_forward

SUPPLIED = {
    'nms': nms,
    'softnms': softnms,
    'roi_align_forward': roi_align_forward,
    'roi_align_backward': roi_align_backward,
    'ms_deform_attn_forward': ms_deform_attn_forward,
    'ms_deform_attn_backward': ms_deform_attn_backward,
}

__all__ = ['SUPPLIED', 'ms_deform_attn_backward', 'ms_deform_attn_forward', 'nms', 'roi_align_backward',
           'roi_align_forward', 'softnms']
