"""`LN2d`: LayerNorm over the channels of an NCHW map (ViTDet's norm for the simple pyramid and the RoI heads).

mmdet 3.3 ships its `LN2d` only in the source tree's `projects/ViTDet`, not in the wheel, so eva_mm has its own,
registered in the root `MODELS` so `norm_cfg=dict(type='LN2d')` builds under every default scope.
"""
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from eva_mm.registry import MODELS

__all__ = ['LN2d']


@MODELS.register_module()
class LN2d(nn.Module):
    """Channel LayerNorm for [N, C, H, W] inputs: each pixel's C values are normalised, then scaled and shifted.

    Args:
        num_features: C.
        eps: added to the variance.
    """

    _abbr_ = 'ln'  # name mmcv's build_norm_layer gives the attribute (`ln`, `ln1`, ...)

    def __init__(self, num_features: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))

    def forward(self, x: Tensor) -> Tensor:
        """[N, C, H, W] -> [N, C, H, W]."""
        if x.dim() != 4 or x.shape[1] != self.num_features:
            raise ValueError(f'LN2d({self.num_features}) expects [N, {self.num_features}, H, W], got {tuple(x.shape)}')
        # Channels-last view lets the fused layer_norm kernel do the work; permuting back keeps NCHW for the convs.
        y = F.layer_norm(x.permute(0, 2, 3, 1), (self.num_features,), self.weight, self.bias, self.eps)
        return y.permute(0, 3, 1, 2)

    def extra_repr(self) -> str:
        return f'{self.num_features}, eps={self.eps}'
