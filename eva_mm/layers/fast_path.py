"""One process-wide switch between every fast path of eva_mm's layers and its reference.

On (default): SDPA attention with the complex-multiply RoPE split (:mod:`.qkv_rope`), the in-place SwiGLU gate
backward (:mod:`.swiglu_gate`) and rel-pos attention folded into SDPA's channels (:mod:`.rel_pos_attention`).
Off: the eager float32 softmax attention with an explicit rel-pos bias, sliced real RoPE and the plain SwiGLU
formula. Read at call time, so tests can flip it on a built model.
"""
__all__ = ['set_fast_path', 'use_fast_path']

_FAST_PATH = True


def set_fast_path(enable: bool) -> None:
    """Select every fast path (``True``, default) or every reference path (``False``)."""
    global _FAST_PATH
    _FAST_PATH = bool(enable)


def use_fast_path() -> bool:
    """Whether the fast paths are selected."""
    return _FAST_PATH
