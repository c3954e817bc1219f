"""EVA-CLIP variants as data rows (arXiv 2303.15389 Table 1; open_clip ``model_configs/EVA*.json``).

``vision`` is an ``EVA`` arch (a name of ``ARCH_ZOO`` plus overrides): EVA-CLIP towers add the attention inner
LayerNorm (official ``inner_attn_ln``, timm ``scale_attn_inner``) and take patch 16 for B/16. ``text`` is a
:class:`CLIPTextTransformer` row.
"""
from __future__ import annotations

from typing import Any, Dict

__all__ = ['CLIP_VARIANTS']

_TEXT_B = dict(width=512, heads=8, layers=12)
_TEXT_L = dict(width=768, heads=12, layers=12)

CLIP_VARIANTS: Dict[str, Dict[str, Any]] = {
    # EVA01-CLIP-g/14: EVA-01 g trunk (GELU MLP, no RoPE, no inner LN), 1024-d joint space.
    'eva01-clip-g-14': dict(embed_dim=1024, img_size=224, patch_size=14, vision='eva-g', vision_overrides={},
                            text=_TEXT_L),
    # EVA02-CLIP-B/16: EVA-02 B trunk at patch 16 (RoPE on the 16-grid, sub-LN SwiGLU, inner LN), 512-d.
    'eva02-clip-b-16': dict(embed_dim=512, img_size=224, patch_size=16, vision='eva02-b',
                            vision_overrides=dict(attn_inner_norm=True), text=_TEXT_B),
    'eva02-clip-l-14': dict(embed_dim=768, img_size=224, patch_size=14, vision='eva02-l',
                            vision_overrides=dict(attn_inner_norm=True), text=_TEXT_L),
    'eva02-clip-l-14-336': dict(embed_dim=768, img_size=336, patch_size=14, vision='eva02-l',
                                vision_overrides=dict(attn_inner_norm=True), text=_TEXT_L),
    # EVA02-CLIP-E/14 is not a row: its tower is post-norm (timm eva02_enormous_patch14_clip_224), which EVA lacks.
}
