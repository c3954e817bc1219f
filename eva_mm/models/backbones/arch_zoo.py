"""EVA / EVA-02 architectures as data: one row per variant (docs/architecture.md#parameter-counts).

Each row gives the trunk only; image size, patch size (14 for the released weights, 16 after the official 14->16
conversion for dense tasks), windows and heads are chosen per task by the config.
"""
from __future__ import annotations

from typing import Any, Dict, Mapping

__all__ = ['ARCH_ZOO', 'ARCH_DEFAULTS', 'resolve_arch']

#: Settings every row may override; a custom ``arch=dict(...)`` is merged onto these.
ARCH_DEFAULTS: Dict[str, Any] = dict(
    patch_size=14,
    mlp_type='swiglu',  # 'gelu' (EVA-01 fc1/fc2) or 'swiglu' (EVA-02 w12/w3)
    sub_ln=False,  # LayerNorm on the SwiGLU hidden (EVA-02 B/L "sub-LN")
    qkv_bias='qv',  # BEiT-style learned q and v bias, k bias fixed at 0; 'qkv' full; 'none'
    attn_inner_norm=False,  # LayerNorm before attn.proj (EVA-CLIP towers only)
    use_rope=True,  # 2D interleaved RoPE on patch tokens, rescaled to rope_ref_grid
    rope_ref_grid=16,
    rope_theta=10000.,
    norm_eps=1e-6,
)

_REQUIRED = ('embed_dims', 'depth', 'num_heads', 'mlp_hidden')

ARCH_ZOO: Dict[str, Dict[str, Any]] = {
    # EVA-01 g/14: 1408 wide, 40 deep, 16 heads of 88, GELU MLP 6144, q/v bias, abs pos only.
    'eva-g': dict(embed_dims=1408, depth=40, num_heads=16, mlp_hidden=6144, mlp_type='gelu', use_rope=False),
    # EVA-01 L/14 (MAE-style MIM): the only EVA model with a full q, k, v bias.
    'eva-l': dict(embed_dims=1024, depth=24, num_heads=16, mlp_hidden=4096, mlp_type='gelu', qkv_bias='qkv',
                  use_rope=False),
    # EVA-02: SwiGLU with hidden int(dim * 8 / 3); B/L add the sub-LN on the hidden.
    'eva02-t': dict(embed_dims=192, depth=12, num_heads=3, mlp_hidden=512),
    'eva02-s': dict(embed_dims=384, depth=12, num_heads=6, mlp_hidden=1024),
    'eva02-b': dict(embed_dims=768, depth=12, num_heads=12, mlp_hidden=2048, sub_ln=True),
    'eva02-l': dict(embed_dims=1024, depth=24, num_heads=16, mlp_hidden=2730, sub_ln=True),
}


def resolve_arch(arch: str | Mapping[str, Any]) -> Dict[str, Any]:
    """Full settings of an architecture name from :data:`ARCH_ZOO` or a custom dict.

    Args:
        arch: A key of :data:`ARCH_ZOO` (case-insensitive), or a dict with at least ``embed_dims``, ``depth``,
            ``num_heads`` and ``mlp_hidden`` (or ``mlp_ratio``) plus any of :data:`ARCH_DEFAULTS`.

    Returns:
        A new dict with every key of :data:`ARCH_DEFAULTS` and the required keys.

    Raises:
        KeyError: Unknown name; the message lists the known ones.
        ValueError: A custom dict misses required keys or has unknown ones.
    """
    if isinstance(arch, str):
        key = arch.lower()
        if key not in ARCH_ZOO:
            raise KeyError(f'Unknown EVA arch {arch!r}; known archs: {", ".join(sorted(ARCH_ZOO))}, '
                           'or a dict of settings')
        return {**ARCH_DEFAULTS, **ARCH_ZOO[key]}
    settings = dict(arch)
    if 'mlp_hidden' not in settings and 'mlp_ratio' in settings and 'embed_dims' in settings:
        settings['mlp_hidden'] = int(settings['embed_dims'] * settings.pop('mlp_ratio'))
    missing = [k for k in _REQUIRED if k not in settings]
    unknown = sorted(set(settings) - set(ARCH_DEFAULTS) - set(_REQUIRED))
    if missing or unknown:
        raise ValueError(f'Custom EVA arch: missing keys {missing}, unknown keys {unknown}; '
                         f'allowed: {sorted(set(ARCH_DEFAULTS) | set(_REQUIRED))}')
    return {**ARCH_DEFAULTS, **settings}
