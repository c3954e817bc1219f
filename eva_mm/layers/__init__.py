"""Building blocks of the EVA models: one concept per module, pure shape-documented torch helpers.

The lowest eva_mm layer above `compat`: it imports torch, timm's `DropPath` and the registry (for `LN2d`, which
configs name as a norm type), never `eva_mm.checkpoint` or `eva_mm.models`.
"""
from .attention import EVAAttention, set_fused_attn, use_fused_attn
from .block import EVABlock
from .fast_path import set_fast_path, use_fast_path
from .mlp import Mlp, SwiGLU
from .norm import LN2d
from .patch_embed import PatchEmbed
from .pos_embed import resample_abs_pos_embed, resample_grid_embed
from .qkv_rope import split_rotate_qkv
from .rel_pos import decomposed_rel_pos_bias, decomposed_rel_pos_terms, get_rel_pos, resize_rel_pos
from .rel_pos_attention import rel_pos_attention, set_rel_pos_kernel
from .rope import apply_rope, apply_rope_complex, build_rope_2d, rope_frequencies, rope_rotation
from .swiglu_gate import swiglu_gate, swiglu_gate_reference
from .window import window_partition, window_unpartition

__all__ = ['EVAAttention', 'EVABlock', 'LN2d', 'Mlp', 'PatchEmbed', 'SwiGLU', 'apply_rope', 'apply_rope_complex',
           'build_rope_2d', 'decomposed_rel_pos_bias', 'decomposed_rel_pos_terms', 'get_rel_pos',
           'rel_pos_attention', 'resample_abs_pos_embed', 'resample_grid_embed', 'resize_rel_pos',
           'rope_frequencies', 'rope_rotation', 'set_fast_path', 'set_fused_attn', 'set_rel_pos_kernel',
           'split_rotate_qkv', 'swiglu_gate',
           'swiglu_gate_reference', 'use_fast_path', 'use_fused_attn', 'window_partition', 'window_unpartition']
