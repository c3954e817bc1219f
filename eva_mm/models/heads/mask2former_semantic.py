"""Mask2Former semantic inference as the official EVA-01 segmentation code does it.

mmseg 1.x's ``Mask2FormerHead.predict`` upsamples the mask logits to the batch's ``pad_shape`` and only then
combines them with the class scores. Two consequences for the EVA-01 configs (slide test, 896 crops): in slide
inference every crop's logits come out at the whole padded image's size, so mmseg's ``slide_inference`` fails to
add them into place for any image larger than a crop; and the scores are not the official ones. The official head
(baaivision/EVA ``EVA-01/seg/mmseg_custom/models/decode_heads/mask2former_head.py`` ``forward_test``, with
``segmentors/encoder_decoder_mask2former.py`` ``encode_decode``) combines softmax class scores (no-object
dropped) with sigmoid masks at the mask-feature resolution (1/4) and resizes the result bilinearly to the input.
"""
from __future__ import annotations

from typing import List, Tuple

import torch
from mmseg.models.decode_heads.mask2former_head import Mask2FormerHead
from mmseg.structures import SegDataSample
from torch import Tensor
from torch.nn import functional as F

from eva_mm.registry import MODELS

__all__ = ['EVAMask2FormerHead', 'input_size']


def input_size(meta: dict) -> Tuple[int, int]:
    """Size of the tensor the segmentor fed to the backbone: the crop in slide inference (mmseg's
    ``slide_inference`` sets ``img_shape`` to the crop's ``torch.Size``), else the padded batch (``pad_shape``).
    The same rule as mmseg's ``BaseDecodeHead.predict_by_feat``."""
    shape = meta['img_shape']
    if isinstance(shape, torch.Size):
        return int(shape[0]), int(shape[1])
    shape = meta.get('pad_shape', shape)
    return int(shape[0]), int(shape[1])


@MODELS.register_module()
class EVAMask2FormerHead(Mask2FormerHead):
    """mmseg's ``Mask2FormerHead`` (same parameters, losses and training) with the official semantic inference."""

    def predict(self, x: Tuple[Tensor], batch_img_metas: List[dict], test_cfg: dict) -> Tensor:
        """Class-weighted mask probabilities ``[B, num_classes, H, W]`` at the input size (see module doc)."""
        samples = [SegDataSample(metainfo=meta) for meta in batch_img_metas]
        all_cls, all_masks = self(x, samples)
        scores = torch.einsum('bqc,bqhw->bchw', F.softmax(all_cls[-1], dim=-1)[..., :-1], all_masks[-1].sigmoid())
        return F.interpolate(scores, size=input_size(batch_img_metas[0]), mode='bilinear',
                             align_corners=self.align_corners)
