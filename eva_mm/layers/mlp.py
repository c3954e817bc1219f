"""Feed-forward layers of the EVA blocks: GELU MLP (EVA-01) and packed SwiGLU with optional sub-LN (EVA-02)."""
import torch
import torch.nn.functional as F
from torch import nn

from .swiglu_gate import swiglu_gate

__all__ = ['Mlp', 'SwiGLU']


class Mlp(nn.Module):
    """``fc2(gelu(fc1(x)))`` (EVA-01; exact erf GELU).

    Args:
        dim: Token width.
        hidden_dim: Hidden width (EVA-g: 6144).
        drop: Dropout after each linear layer.
    """

    def __init__(self, dim: int, hidden_dim: int, drop: float = 0.) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden_dim)
        self.fc2 = nn.Linear(hidden_dim, dim)
        self.drop = nn.Dropout(drop)

    @property
    def out_proj(self) -> nn.Linear:
        """The projection back to the residual stream (rescaled at init)."""
        return self.fc2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[..., dim] -> [..., dim]``."""
        return self.drop(self.fc2(self.drop(F.gelu(self.fc1(x)))))


class SwiGLU(nn.Module):
    """``w3(norm(silu(w1 x) * (w2 x)))`` with w1 | w2 packed in one GEMM (``w12``, gate first, as xformers).

    EVA-02 B/L put a LayerNorm on the hidden (their "sub-LN", ``ffn_ln``); Ti/S do not. The norm acts after the
    gate product, so packing w1 and w2 is exact.

    Args:
        dim: Token width.
        hidden_dim: Hidden width (``int(dim * 8 / 3)``; EVA-02-L: 2730).
        sub_ln: LayerNorm on the hidden.
        norm_eps: Epsilon of that LayerNorm.
        drop: Dropout after the gate product and after ``w3``.
    """

    def __init__(self, dim: int, hidden_dim: int, sub_ln: bool = False, norm_eps: float = 1e-6,
                 drop: float = 0.) -> None:
        super().__init__()
        self.w12 = nn.Linear(dim, 2 * hidden_dim)
        self.ffn_ln = nn.LayerNorm(hidden_dim, eps=norm_eps) if sub_ln else nn.Identity()
        self.w3 = nn.Linear(hidden_dim, dim)
        self.drop = nn.Dropout(drop)

    @property
    def out_proj(self) -> nn.Linear:
        """The projection back to the residual stream (rescaled at init)."""
        return self.w3

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[..., dim] -> [..., dim]``."""
        return self.drop(self.w3(self.ffn_ln(self.drop(swiglu_gate(self.w12(x))))))
