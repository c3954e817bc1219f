"""Frozen CLIP vision towers that produce EVA's MIM targets (arXiv 2211.07636 §2, 2303.11331 §2.2).

Two checkpoint formats, two towers:

* ``tower='openai'``: OpenAI CLIP (EVA-01's teacher, ViT-L/14, 768-d). Built with mmpretrain's CLIP
  ``VisionTransformer`` (``mmpretrain.models.utils.clip_generator_helper``), whose parameter names are OpenAI's
  ``visual.*`` names, so the vision half of a CLIP state dict loads with ``strict=True``. We skip mmpretrain's
  ``build_clip_model``, which needs the text tower too.
* ``tower='eva_clip'``: EVA-CLIP (EVA-02's teacher, g/14, 1024-d). The tower is eva_mm's own ``EVA`` backbone (EVA-CLIP
  g/14 is the EVA-g trunk) plus the ``head`` projection; official ``visual.*`` and open_clip ``visual.trunk.*``
  files go through eva_mm's converter.

Why not open_clip: it is not a dependency, and both towers already exist in the stack. The target is the
last-layer patch tokens (cls dropped) after the tower's final LayerNorm and projection. The teacher is run under
``no_grad`` (and autocast on GPU), never trained, and is kept out of the student's module tree by the MIM
algorithm, so its weights are never saved in the student's checkpoints.
"""
from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

import torch
from torch import nn

from eva_mm.checkpoint import read_state_dict, unwrap_checkpoint
from eva_mm.checkpoint.loading import load_pretrained
from eva_mm.registry import MODELS

from ..backbones.eva import EVA

__all__ = ['CLIPTeacher', 'OPENAI_CLIP_ARCHS']

#: OpenAI CLIP vision towers (width, depth, heads, patch, output width), from the released model cards.
OPENAI_CLIP_ARCHS: Dict[str, Dict[str, int]] = {
    'vit-b-16': dict(width=768, layers=12, heads=12, patch_size=16, out_channels=512),
    'vit-l-14': dict(width=1024, layers=24, heads=16, patch_size=14, out_channels=768),
}


def _read_state_dict(path: str) -> Dict[str, torch.Tensor]:
    """Tensors of a checkpoint path or URL (OpenAI's TorchScript archives included), unwrapped, non-EMA."""
    return unwrap_checkpoint(read_state_dict(path), use_ema=False)


def _without_prefix(sd: Mapping[str, torch.Tensor], prefix: str) -> Dict[str, torch.Tensor]:
    return {k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)}


class _OpenAIVisionTower(nn.Module):
    """mmpretrain's OpenAI-layout CLIP ViT returning ``[B, N, out]`` projected patch tokens."""

    def __init__(self, arch: Mapping[str, int], img_size: int) -> None:
        super().__init__()
        from mmpretrain.models.utils.clip_generator_helper import VisionTransformer
        self.patch_size = arch['patch_size']
        self.net = VisionTransformer(input_resolution=img_size, patch_size=arch['patch_size'], width=arch['width'],
                                     layers=arch['layers'], heads=arch['heads'], output_dim=arch['out_channels'])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens, _ = self.net(x)  # [B, 1 + N, out] after ln_post and proj
        return tokens[:, 1:]

    def load(self, sd: Mapping[str, torch.Tensor]) -> None:
        vision = _without_prefix(sd, 'visual.') if any(k.startswith('visual.') for k in sd) else dict(sd)
        self.net.load_state_dict(vision, strict=True)


class _EVACLIPVisionTower(nn.Module):
    """eva_mm's EVA trunk (final norm) + EVA-CLIP's ``head`` projection, returning ``[B, N, out]``."""

    def __init__(self, arch: Any, img_size: int, out_channels: int) -> None:
        super().__init__()
        self.trunk = EVA(arch=arch, img_size=img_size, final_norm=True)
        self.patch_size = self.trunk.patch_size
        self.head = nn.Linear(self.trunk.embed_dims, out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = self.trunk.forward_tokens(x)
        return self.head(tokens[:, 1:])

    def load(self, sd: Mapping[str, torch.Tensor]) -> None:
        head = {}
        for prefix in ('visual.head.proj.', 'visual.head.', 'head.'):  # open_clip timm tower, EVA-CLIP, bare
            head = {k: v for k, v in _without_prefix(sd, prefix).items() if k in ('weight', 'bias')}
            if head:
                break
        if 'weight' not in head:
            raise KeyError('EVA-CLIP teacher checkpoint has no projection (visual.head.weight or '
                           'visual.head.proj.weight)')
        if 'bias' not in head:
            head['bias'] = torch.zeros(head['weight'].shape[0], dtype=head['weight'].dtype)
        self.head.load_state_dict(head, strict=True)
        load_pretrained(self.trunk, dict(sd), strict=True)


@MODELS.register_module()
class CLIPTeacher(nn.Module):
    """A frozen CLIP vision tower mapping normalised images ``[B, 3, H, W]`` to targets ``[B, N, out_channels]``.

    Args:
        tower: ``'openai'`` (OpenAI CLIP layout) or ``'eva_clip'`` (EVA-CLIP / eva_mm EVA layout).
        arch: For ``'openai'`` a key of :data:`OPENAI_CLIP_ARCHS` or a dict with its keys; for ``'eva_clip'`` an
            ``EVA`` arch (``'eva-g'`` for EVA-CLIP g/14) or an arch dict.
        out_channels: Projection width of an ``'eva_clip'`` tower (1024 for EVA-CLIP g/14).
        img_size: Input size (the position embedding is built for it).
        checkpoint: Path or URL of the tower's weights; ``None`` keeps a random tower (quickstarts, tests).
        init_seed: Seed of the random init, so that every rank and every resumed run builds the same teacher.
        autocast_dtype: Autocast dtype on GPU (``None`` disables autocast); the CPU path runs in fp32.
    """

    def __init__(self, tower: str = 'openai', arch: Any = 'vit-l-14', out_channels: int = 1024, img_size: int = 224,
                 checkpoint: Optional[str] = None, init_seed: int = 0,
                 autocast_dtype: Optional[str] = 'float16') -> None:
        super().__init__()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(init_seed)
            if tower == 'openai':
                if isinstance(arch, str):
                    if arch not in OPENAI_CLIP_ARCHS:
                        raise KeyError(f'CLIPTeacher: unknown OpenAI CLIP arch {arch!r}; known: '
                                       f'{sorted(OPENAI_CLIP_ARCHS)} or a dict with width/layers/heads/patch_size/'
                                       'out_channels')
                    arch = OPENAI_CLIP_ARCHS[arch]
                self.tower = _OpenAIVisionTower(arch, img_size)
                self.out_channels = arch['out_channels']
            elif tower == 'eva_clip':
                self.tower = _EVACLIPVisionTower(arch, img_size, out_channels)
                self.out_channels = out_channels
            else:
                raise ValueError(f"CLIPTeacher: tower must be 'openai' or 'eva_clip', got {tower!r}")
        self.patch_size = self.tower.patch_size
        self.autocast_dtype = getattr(torch, autocast_dtype) if autocast_dtype else None
        if checkpoint is not None:
            self.tower.load(_read_state_dict(checkpoint))
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> 'CLIPTeacher':
        """The teacher stays in eval mode (no dropout, no drop path)."""
        return super().train(False)

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Targets ``[B, (H / p) * (W / p), out_channels]`` (fp32) for normalised images ``[B, 3, H, W]``."""
        enabled = images.is_cuda and self.autocast_dtype is not None
        with torch.autocast('cuda', dtype=self.autocast_dtype or torch.float16, enabled=enabled):
            return self.tower(images).float()
