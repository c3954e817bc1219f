"""Adaptive average pooling written as two pooling matrices, so that it exports to ONNX at symbolic sizes.

The TorchScript exporter turns ``nn.AdaptiveAvgPool2d(k)`` (k > 1, e.g. the pyramid pooling of UPerNet / PSPNet)
into a fixed-kernel ``AveragePool`` and so needs the input's height and width as constants; behind an EVA backbone
with a dynamic input size they are symbolic, and it refuses. PyTorch's adaptive pooling averages, for output row
``i`` of ``k``, the input rows ``floor(i * H / k) <= r < ceil((i + 1) * H / k)`` (the same for columns). That is
``P_h @ x @ P_w^T`` with ``P[i, r] = 1 / (end_i - start_i)`` inside bin ``i`` and 0 elsewhere, which is built from
the input's shape inside the graph (Range, integer division, comparisons), exact for every size, divisible or not,
including more bins than rows (bins then overlap and repeat rows, as PyTorch does).
"""
from contextlib import contextmanager
from typing import Iterator, List, Tuple

import torch
from torch import nn

__all__ = ['MatrixAdaptiveAvgPool2d', 'exportable_pooling', 'pooling_matrix']


def pooling_matrix(size: torch.Tensor, bins: int, like: torch.Tensor) -> torch.Tensor:
    """``[bins, size]`` averaging matrix of adaptive pooling of ``size`` inputs into ``bins`` outputs.

    ``size`` is a 0-d integer tensor (a traced shape, so the graph stays dynamic); ``like`` gives dtype and device.
    """
    rows = torch.arange(bins, device=like.device).unsqueeze(1)
    start = torch.div(rows * size, bins, rounding_mode='floor')
    end = torch.div((rows + 1) * size + bins - 1, bins, rounding_mode='floor')  # ceil((i + 1) * size / bins)
    index = torch.arange(size, device=like.device).unsqueeze(0)
    inside = (index >= start) & (index < end)
    return inside.to(like.dtype) / (end - start).to(like.dtype)


class MatrixAdaptiveAvgPool2d(nn.Module):
    """``nn.AdaptiveAvgPool2d(output_size)`` computed as ``P_h @ x @ P_w^T`` (same values, exportable)."""

    def __init__(self, output_size: Tuple[int, int]) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.jit.is_tracing():  # the sizes as graph values (Shape), not the example's constants
            shape = torch._shape_as_tensor(x)
            height, width = shape[-2], shape[-1]
        else:
            height, width = torch.tensor(x.shape[-2]), torch.tensor(x.shape[-1])
        rows = pooling_matrix(height, self.output_size[0], x)
        cols = pooling_matrix(width, self.output_size[1], x)
        return torch.matmul(torch.matmul(rows, x), cols.transpose(0, 1))


def _pair(size: object, like: nn.AdaptiveAvgPool2d) -> Tuple[int, int]:
    pair = (size, size) if isinstance(size, int) else tuple(size)  # type: ignore[arg-type]
    if any(s is None for s in pair):
        raise NotImplementedError(f'{like}: an output size of None (keep the input size) is not exported')
    return int(pair[0]), int(pair[1])


@contextmanager
def exportable_pooling(module: nn.Module) -> Iterator[List[str]]:
    """Within the block, every multi-bin ``nn.AdaptiveAvgPool2d`` of ``module`` is a ``MatrixAdaptiveAvgPool2d``.

    Yields the names of the replaced modules; the originals are put back afterwards, whatever happens.
    """
    replaced = []
    for name, parent in list(module.named_modules()):
        for child_name, child in list(parent.named_children()):
            if isinstance(child, nn.AdaptiveAvgPool2d) and _pair(child.output_size, child) != (1, 1):
                setattr(parent, child_name, MatrixAdaptiveAvgPool2d(_pair(child.output_size, child)))
                replaced.append((parent, child_name, child, f'{name}.{child_name}' if name else child_name))
    try:
        yield [r[3] for r in replaced]
    finally:
        for parent, child_name, child, _ in replaced:
            setattr(parent, child_name, child)
