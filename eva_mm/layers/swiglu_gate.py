"""The SwiGLU gate ``silu(gate) * value`` on a packed ``[gate | value]`` tensor, with a backward that writes in place.

Autograd's own backward of ``h.chunk(2)`` then ``silu(gate) * value`` computes the gate and value gradients as two
new tensors and concatenates them into ``grad_h``: one extra pass over the widest activation of the block and two
extra allocations (on CPU a fresh allocation of that size costs page faults worth several passes). The function
below writes both halves straight into one ``grad_h``. :func:`swiglu_gate_reference` is the plain formula, used
under ``torch.compile`` (inductor fuses it into one kernel) and by the tests.
"""
import torch
import torch.nn.functional as F

from .fast_path import use_fast_path

__all__ = ['swiglu_gate', 'swiglu_gate_reference']


def swiglu_gate_reference(h: torch.Tensor) -> torch.Tensor:
    """``silu(gate) * value`` for ``h = [gate | value]``: ``[..., 2H] -> [..., H]``."""
    gate, value = h.chunk(2, dim=-1)
    return F.silu(gate) * value


class _SwiGLUGate(torch.autograd.Function):
    """Same values as :func:`swiglu_gate_reference`; saves what autograd would (``h`` and ``silu(gate)``)."""

    @staticmethod
    def forward(ctx, h: torch.Tensor) -> torch.Tensor:
        gate, value = h.chunk(2, dim=-1)
        act = F.silu(gate)
        ctx.save_for_backward(h, act)
        return act * value

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        h, act = ctx.saved_tensors
        gate, value = h.chunk(2, dim=-1)
        grad_h = torch.empty_like(h, memory_format=torch.contiguous_format)
        grad_gate, grad_value = grad_h.chunk(2, dim=-1)
        torch.mul(grad, act, out=grad_value)
        # d silu(g) / dg applied to grad * value, computed in place in the gate half: no temporary tensor.
        torch.mul(grad, value, out=grad_gate)
        torch.ops.aten.silu_backward.grad_input(grad_gate, gate, grad_input=grad_gate)
        return grad_h


def swiglu_gate(h: torch.Tensor) -> torch.Tensor:
    """``silu(gate) * value`` for ``h = [gate | value]`` (packed ``w1 | w2`` output): ``[..., 2H] -> [..., H]``.

    Eager autograd uses the in-place backward above; under ``torch.compile``, when no gradient is needed, or with
    the fast paths switched off (:func:`~eva_mm.layers.fast_path.set_fast_path`), the plain formula runs.
    """
    if h.shape[-1] % 2:
        raise ValueError(f'the packed SwiGLU input needs an even last dim, got shape {tuple(h.shape)}')
    if not use_fast_path() or torch.compiler.is_compiling() or not (h.requires_grad and torch.is_grad_enabled()):
        return swiglu_gate_reference(h)
    return _SwiGLUGate.apply(h)
