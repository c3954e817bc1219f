"""MIM-CLIP: EVA's BEiT-style masked image modelling with CLIP features as targets (arXiv 2211.07636, 2303.11331).

The student (an ``EVA`` backbone with a mask token and its final LayerNorm) sees every token, with the masked
patch embeddings replaced by the mask token before the position embedding; the head regresses, at masked
positions only, the patch features a frozen CLIP tower computes from the unmasked image; the loss is the negative
cosine similarity in fp32. Works with mmpretrain's ``SelfSupDataPreprocessor`` and ``PackInputs`` (the mask comes
from ``BlockwiseMaskGenerator`` as ``data_sample.mask``).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import torch
from mmengine.model import BaseModel

from eva_mm.registry import MODELS

__all__ = ['MIMCLIP']


@MODELS.register_module()
class MIMCLIP(BaseModel):
    """EVA MIM pretraining algorithm.

    Args:
        backbone: ``EVA`` config; ``use_mask_token=True`` and ``final_norm=True`` are forced.
        head: ``MIMCLIPHead`` config (its ``in_channels`` / ``target_channels`` must match the two towers).
        teacher: ``CLIPTeacher`` config. The built teacher is *not* a submodule: no optimizer state, no DDP/FSDP
            wrapping, absent from ``state_dict()`` and hence from every checkpoint.
        patch_embed_grad_scale: Multiplier of the patch embedding's gradient (EVA-02 ``--stop_grad_conv1``: 0.1).
        data_preprocessor: Usually ``dict(type='SelfSupDataPreprocessor', mean=..., std=..., to_rgb=True)``.
        init_cfg: mmengine init config.
    """

    def __init__(self, backbone: dict, head: dict, teacher: dict, patch_embed_grad_scale: float = 1.0,
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(dict(backbone, use_mask_token=True, final_norm=True))
        self.head = MODELS.build(head)
        teacher_module = MODELS.build(teacher)
        object.__setattr__(self, 'teacher', teacher_module)  # outside the module tree on purpose (see Args)
        if teacher_module.patch_size != self.backbone.patch_size:
            raise ValueError(f'MIMCLIP: teacher patch size {teacher_module.patch_size} differs from the student\'s '
                             f'{self.backbone.patch_size}; their token grids must coincide')
        if self.head.lm_head.out_features != teacher_module.out_channels:
            raise ValueError(f'MIMCLIP: head target_channels={self.head.lm_head.out_features} but the teacher '
                             f'outputs {teacher_module.out_channels}')
        if patch_embed_grad_scale != 1.0:
            for p in self.backbone.patch_embed.parameters():
                # Same parameter gradient as the official x.detach() * (1 - s) + x * s on the embedding output.
                p.register_hook(lambda g, s=patch_embed_grad_scale: g * s)

    def _apply(self, fn: Any, *args: Any, **kwargs: Any) -> 'MIMCLIP':
        # .to() / .cuda() / .half() reach the teacher too, although it is not a submodule.
        super()._apply(fn, *args, **kwargs)
        self.teacher._apply(fn, *args, **kwargs)
        return self

    def student_tokens(self, inputs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Student patch tokens ``[B, N, D]`` after the final norm for images ``[B, 3, H, W]``, mask ``[B, N]``."""
        tokens = self.backbone.forward_tokens(inputs, mask)
        return tokens[:, tokens.shape[1] - mask.shape[1]:]  # drop the cls token

    def extract_feat(self, inputs: torch.Tensor) -> tuple:
        """Backbone feature maps of unmasked images (for feature extraction)."""
        return self.backbone(inputs)

    def loss(self, inputs: torch.Tensor, data_samples: List[Any]) -> Dict[str, torch.Tensor]:
        """``{'loss': -mean cos}`` over masked tokens of a batch ``[B, 3, H, W]``."""
        if isinstance(inputs, (list, tuple)):  # SelfSupDataPreprocessor keeps multi-view lists; we use one view
            inputs = inputs[0]
        mask = torch.stack([ds.mask for ds in data_samples]).to(inputs.device).flatten(1).bool()  # [B, N]
        next_param = next(self.teacher.parameters(), None)
        if next_param is not None and next_param.device != inputs.device:
            self.teacher.to(inputs.device)  # wrappers (FSDP) may move only the module tree
        target = self.teacher(inputs)
        return dict(loss=self.head.loss(self.student_tokens(inputs, mask), target, mask))

    def forward(self, inputs: torch.Tensor, data_samples: Optional[List[Any]] = None, mode: str = 'tensor'):
        """mmengine's entry: ``mode`` is ``'loss'`` (training) or ``'tensor'`` (backbone features)."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'tensor':
            return self.extract_feat(inputs[0] if isinstance(inputs, (list, tuple)) else inputs)
        raise RuntimeError(f'MIMCLIP: invalid mode {mode!r}; pretraining supports "loss" and "tensor"')
