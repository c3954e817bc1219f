"""EVA-CLIP: CLIP with an EVA image tower (arXiv 2303.15389; official code github:baaivision/EVA, ``EVA-CLIP/``).

The image tower is eva_mm's :class:`~eva_mm.models.backbones.EVA` with its final norm; CLIP pools the cls token and
projects it with ``visual_head``. The text tower is :class:`CLIPTextTransformer`. Weights load through
:func:`load_eva_clip`, which accepts the official EVA-CLIP ``.pt`` and open_clip / timm hub layouts.
"""
from __future__ import annotations

import math
from typing import Any, Dict, Mapping, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from torch import nn

from eva_mm.registry import MODELS

from ..backbones.arch_zoo import resolve_arch
from ..backbones.eva import EVA
from .convert import clip_state_dict, load_text_tower
from .loss import ClipLoss
from .text_tower import CLIPTextTransformer
from .variants import CLIP_VARIANTS

__all__ = ['EVACLIP', 'LOGIT_SCALE_MAX']

#: CLIP clamps the learned temperature to at most 100 (arXiv 2103.00020 §2.5).
LOGIT_SCALE_MAX = math.log(100.)


def _variant(name: str) -> Dict[str, Any]:
    key = name.lower()
    if key not in CLIP_VARIANTS:
        raise KeyError(f'EVACLIP: unknown variant {name!r}; known: {", ".join(sorted(CLIP_VARIANTS))}')
    return CLIP_VARIANTS[key]


@MODELS.register_module()
class EVACLIP(BaseModel):
    """EVA-CLIP for zero-shot classification, retrieval and contrastive training.

    Args:
        variant: A key of :data:`CLIP_VARIANTS` (``'eva02-clip-b-16'``, ``'eva01-clip-g-14'``, ...).
        vision_depth: Override the image tower depth (reduced models for tests and quickstarts).
        text_depth: Override the text tower depth.
        vision_arch: Override the whole image-tower arch (dict of ``EVA`` settings).
        text_cfg: Override keys of the text row (``width``, ``heads``, ``layers``, ``context_length``, ...).
        embed_dim: Override the joint embedding width.
        img_size: Override the image size.
        patch_size: Override the patch size (reduced towers).
        vision_cfg: Extra ``EVA`` keyword arguments (``drop_path_rate``, ``with_cp``, ...).
        local_loss: Contrastive loss against all-gathered features with only the local rows (see :class:`ClipLoss`).
        patch_dropout: Fraction of image patches dropped while training (FLIP, arXiv 2212.00794; EVA01-CLIP-g/14
            trains at 0.5). A random subset, the same for the whole batch, is kept (RoPE rows follow it); the cls
            token always stays; in eval mode every patch is seen.
        grad_checkpointing: Activation checkpointing on both towers while training.
        text_pretrained: Checkpoint the text tower starts from in :meth:`init_weights` (any layout of
            :func:`~eva_mm.models.clip.convert.text_tower_state_dict`; ``text_projection`` stays fresh, as the
            EVA-CLIP recipes do). The image tower starts from EVA MIM weights through
            ``vision_cfg=dict(init_cfg=dict(type='Pretrained', checkpoint=...))``.
        data_preprocessor: mmengine data preprocessor config.
    """

    def __init__(self, variant: str = 'eva02-clip-b-16', vision_depth: Optional[int] = None,
                 text_depth: Optional[int] = None, vision_arch: Optional[Mapping[str, Any]] = None,
                 text_cfg: Optional[Mapping[str, Any]] = None, embed_dim: Optional[int] = None,
                 img_size: Optional[int] = None, patch_size: Optional[int] = None,
                 vision_cfg: Optional[Mapping[str, Any]] = None,
                 local_loss: bool = True, patch_dropout: float = 0., grad_checkpointing: bool = False,
                 text_pretrained: Optional[str] = None, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if not 0. <= patch_dropout < 1.:
            raise ValueError(f'EVACLIP: patch_dropout must be in [0, 1), got {patch_dropout}')
        self.patch_dropout = float(patch_dropout)
        self.text_pretrained = text_pretrained
        row = _variant(variant)
        self.embed_dim = embed_dim or row['embed_dim']
        if vision_arch is None:
            vision_arch = {**resolve_arch(row['vision']), **row['vision_overrides']}
        vision_arch = dict(vision_arch)
        if vision_depth is not None:
            vision_arch['depth'] = vision_depth
        self.visual = EVA(arch=vision_arch, img_size=img_size or row['img_size'],
                          patch_size=patch_size or row['patch_size'],
                          final_norm=True, with_cls_token=True, **dict(vision_cfg or {}))
        self.visual_head = nn.Linear(self.visual.embed_dims, self.embed_dim)
        nn.init.trunc_normal_(self.visual_head.weight, std=.02)
        nn.init.zeros_(self.visual_head.bias)
        text = {**row['text'], **dict(text_cfg or {})}
        if text_depth is not None:
            text['layers'] = text_depth
        self.text = CLIPTextTransformer(embed_dim=self.embed_dim, **text)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
        self.loss_fn = ClipLoss(local_loss=local_loss)
        if grad_checkpointing:  # else vision_cfg's with_cp stands
            self.set_grad_checkpointing(True)

    def init_weights(self) -> None:
        """mmengine's init (the image tower's ``init_cfg`` loads EVA MIM weights), then the text tower's
        ``text_pretrained``."""
        super().init_weights()
        if self.text_pretrained:
            load_text_tower(self.text, self.text_pretrained)

    def fit_checkpoint(self, state_dict: Mapping[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """The whole-model loaders' hook (``load_from``, ``tools/test.py CHECKPOINT``, ``load_checkpoint``,
        ``get_model``): official EVA-CLIP / open_clip files in this model's keys (:func:`clip_state_dict`)."""
        return clip_state_dict(self, state_dict)

    def set_grad_checkpointing(self, enable: bool = True) -> None:
        """Activation checkpointing per block on both towers (used while training only)."""
        self.visual.set_grad_checkpointing(enable)
        self.text.with_cp = enable

    def _patch_keep(self, images: torch.Tensor) -> Optional[torch.Tensor]:
        """Sorted indices of the patches kept this step, or ``None`` (eval, or no patch dropout)."""
        if not (self.training and self.patch_dropout > 0):
            return None
        num = (images.shape[-2] // self.visual.patch_size) * (images.shape[-1] // self.visual.patch_size)
        keep = max(1, int(num * (1 - self.patch_dropout)))
        return torch.randperm(num, device=images.device)[:keep].sort().values

    def encode_image(self, images: torch.Tensor, normalize: bool = False) -> torch.Tensor:
        """Normalised images ``[B, 3, H, W]`` -> ``[B, embed_dim]`` (cls token after the final norm, projected)."""
        tokens = self.visual.forward_tokens(images, patch_keep=self._patch_keep(images))
        feats = self.visual_head(tokens[:, 0])
        return F.normalize(feats, dim=-1) if normalize else feats

    def encode_text(self, text: torch.Tensor, normalize: bool = False) -> torch.Tensor:
        """Token ids ``[B, L]`` -> ``[B, embed_dim]``."""
        feats = self.text(text)
        return F.normalize(feats, dim=-1) if normalize else feats

    def logits(self, images: torch.Tensor, text: torch.Tensor) -> tuple:
        """``(logits_per_image [B_i, B_t], logits_per_text [B_t, B_i])``: scaled cosine similarities."""
        img = self.encode_image(images, normalize=True)
        txt = self.encode_text(text, normalize=True)
        li = self.logit_scale.exp() * img @ txt.t()
        return li, li.t()

    @torch.no_grad()
    def clamp_logit_scale(self) -> None:
        """Keep ``logit_scale`` in ``[0, ln 100]``; called after every optimizer step (CLIP, EVA-CLIP)."""
        self.logit_scale.clamp_(0, LOGIT_SCALE_MAX)

    def train_step(self, data: Any, optim_wrapper: Any) -> Dict[str, torch.Tensor]:
        """mmengine's train step followed by the logit-scale clamp."""
        log_vars = super().train_step(data, optim_wrapper)
        self.clamp_logit_scale()
        return log_vars

    def forward(self, inputs: torch.Tensor, data_samples: Optional[Sequence[Any]] = None, mode: str = 'tensor',
                text: Optional[torch.Tensor] = None) -> Any:
        """``mode='loss'``: ``dict(loss_clip=...)`` for images ``inputs`` and ``text`` ``[B, L]`` (or the
        ``text`` field of each data sample); ``'tensor'``: ``(image_feats, text_feats)``, normalised;
        ``'predict'``: normalised image features ``[B, embed_dim]`` (zero-shot / retrieval metrics read them)."""
        if text is None and data_samples is not None and mode != 'predict':
            text = torch.stack([torch.as_tensor(s['text'] if isinstance(s, Mapping) else s.text)
                                for s in data_samples]).to(inputs.device)
        if mode == 'predict':
            return self.encode_image(inputs, normalize=True)
        if text is None:
            raise ValueError("EVACLIP.forward: mode 'loss'/'tensor' needs text token ids")
        img = self.encode_image(inputs, normalize=True)
        txt = self.encode_text(text, normalize=True)
        if mode == 'tensor':
            return img, txt
        if mode == 'loss':
            return dict(loss_clip=self.loss_fn(img, txt, self.logit_scale.exp()))
        raise ValueError(f"EVACLIP.forward: mode must be 'loss', 'tensor' or 'predict', got {mode!r}")
