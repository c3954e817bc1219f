"""BEiT's geometric resampling of a relative-position table, as EVA-01 detection tests at 1536 after 1280 training.

EVA-01's `get_rel_pos(..., interp_type="beit")` (EVA-01/det/detectron2/modeling/backbone/utils.py, after BEiT's
fine-tuning code) places the source table's rows at log-spaced offsets: 0, then +-1, +-(1 + q), +-(1 + q + q^2),
... with q = 1.0903078, fits a cubic spline (not-a-knot ends, as scipy's `interp1d(kind='cubic')`) through each
channel, and reads it at the integer offsets -t..t of the target table (t = length // 2), extrapolating with the
end pieces. Written here from that definition in torch (float64), no scipy.
"""
from typing import Tuple

import torch

__all__ = ['BEIT_RATIO', 'beit_offsets', 'not_a_knot_cubic', 'resize_rel_pos_beit']

#: EVA-01's fixed geometric ratio of the source offsets.
BEIT_RATIO = 1.0903078


def beit_offsets(src_len: int, dst_len: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """Source offsets [2 * (src_len // 2) + 1] (log-spaced) and target offsets [2 * (dst_len // 2) + 1] (integers)."""
    dis, cur = [], 1.0
    for i in range(src_len // 2):
        dis.append(cur)
        cur += BEIT_RATIO ** (i + 1)
    src = torch.tensor([-d for d in reversed(dis)] + [0.0] + dis, dtype=torch.float64)
    t = dst_len // 2
    dst = torch.arange(-t, t + 1, dtype=torch.float64)
    return src, dst


def not_a_knot_cubic(x: torch.Tensor, y: torch.Tensor, xq: torch.Tensor) -> torch.Tensor:
    """Cubic spline through (x [n], y [n, C]) with not-a-knot ends, evaluated at xq [m] -> [m, C].

    Outside [x[0], x[-1]] the first / last piece is extended (extrapolation). Needs n >= 4 increasing knots.
    """
    n = x.shape[0]
    if n < 4:
        raise ValueError(f'a not-a-knot cubic spline needs at least 4 points, got {n}')
    h = x[1:] - x[:-1]
    a = x.new_zeros(n, n)
    rhs = y.new_zeros(n, y.shape[1])
    # Second derivatives M: continuity of the first derivative at the interior knots ...
    k = torch.arange(1, n - 1, device=x.device)
    a[k, k - 1], a[k, k], a[k, k + 1] = h[:-1], 2 * (h[:-1] + h[1:]), h[1:]
    rhs[1:-1] = 6 * ((y[2:] - y[1:-1]) / h[1:, None] - (y[1:-1] - y[:-2]) / h[:-1, None])
    # ... and of the third derivative at the second and second-to-last knots (not-a-knot).
    a[0, 0], a[0, 1], a[0, 2] = -1 / h[0], 1 / h[0] + 1 / h[1], -1 / h[1]
    a[-1, -3], a[-1, -2], a[-1, -1] = -1 / h[-2], 1 / h[-2] + 1 / h[-1], -1 / h[-1]
    m = torch.linalg.solve(a, rhs)
    i = (torch.searchsorted(x, xq, right=True) - 1).clamp(0, n - 2)
    x0, x1, hi = x[i, None], x[i + 1, None], h[i, None]
    q = xq[:, None]
    return (m[i] * (x1 - q) ** 3 / (6 * hi) + m[i + 1] * (q - x0) ** 3 / (6 * hi)
            + (y[i] / hi - m[i] * hi / 6) * (x1 - q) + (y[i + 1] / hi - m[i + 1] * hi / 6) * (q - x0))


def resize_rel_pos_beit(table: torch.Tensor, length: int) -> torch.Tensor:
    """EVA-01's "beit" resampling of a ``[L, C]`` table to ``[length, C]`` (odd lengths), in the table's dtype."""
    if table.shape[0] % 2 == 0 or length % 2 == 0:
        raise ValueError(f'beit rel-pos interpolation needs odd table lengths (2 * size - 1), got '
                         f'{table.shape[0]} -> {length}')
    src, dst = beit_offsets(table.shape[0], length)
    out = not_a_knot_cubic(src.to(table.device), table.detach().double(), dst.to(table.device))
    return out.to(table.dtype)
