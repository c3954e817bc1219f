"""EVA inside ViT-Adapter (the BEiT-Adapter variant EVA-01 used for semantic segmentation).

ViT-Adapter: "Vision Transformer Adapter for Dense Predictions", arXiv 2205.08534. EVA-01 (arXiv 2211.07636)
trains EVA-g in it with a Mask2Former head; official ``BEiTAdapter`` in ``EVA-01/seg/mmseg_custom/models/
backbones/beit_adapter.py`` (baaivision/EVA). Parameter names follow the official model, so the released
``eva_sem_seg_mask2former_*.pth`` backbones load without renames.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import torch
from mmcv.cnn import build_norm_layer
from torch import nn
from torch.nn import functional as F
from torch.utils.checkpoint import checkpoint

from eva_mm.layers.pos_embed import resample_grid_embed
from eva_mm.registry import MODELS

from ..eva import EVA
from .interaction import InteractionBlock, deform_inputs
from .ms_deform_attn import MSDeformAttn
from .spatial_prior import SpatialPriorModule

__all__ = ['EVAAdapter']


def _check_indexes(indexes: Sequence[Sequence[int]], depth: int) -> Tuple[Tuple[int, int], ...]:
    out = []
    for i, idx in enumerate(indexes):
        if len(idx) != 2 or not 0 <= idx[0] <= idx[1] < depth:
            raise ValueError(f'interaction_indexes[{i}] = {list(idx)} must be [first, last] block of the {depth}')
        if out and idx[0] != out[-1][1] + 1:
            raise ValueError(f'interaction_indexes[{i}] = {list(idx)} does not start after block {out[-1][1]}')
        out.append((int(idx[0]), int(idx[1])))
    if len(out) < 1:
        raise ValueError('interaction_indexes must name at least one interaction')
    return tuple(out)


@MODELS.register_module()
class EVAAdapter(EVA):
    """:class:`~eva_mm.models.backbones.EVA` (global attention, cls token) wrapped by ViT-Adapter.

    A spatial prior module gives a 1/8-1/32 token pyramid ``c``; before each group of blocks an injector adds
    ``c`` into the patch tokens, after it an extractor updates ``c`` from them (two more after the last group).
    Outputs: ``c`` reshaped to 1/8, 1/16, 1/32 plus a transposed-conv 1/4 map, each plus the matching group's
    ViT map resized (``add_vit_feature``), each batch-normed.

    As the official model, the cls token takes no position embedding and the patch grid's embedding is used at
    the stored grid (resampled bicubically for other input sizes). Input sides must be multiples of 32 (2 x patch).

    ``patch_size=8`` (not in the paper) keeps every level at the same ratio to the ViT grid: spatial prior stem at
    1/2 (no max pool), pyramid at 1/4, 1/8, 1/16, outputs at strides 2, 4, 8, 16 with inputs multiples of 16 --
    what a patch-8 plain ViT gives through the BEiT neck.

    Args:
        interaction_indexes: ``[first, last]`` blocks of each group, contiguous (EVA-g: ``[[0, 9], ...,
            [30, 39]]``).
        conv_inplane: Spatial prior stem width.
        n_points: Deformable sampling points per head and level.
        deform_num_heads: Deformable-attention heads.
        inj_init_values: Initial injector gamma (official name; EVA's blocks have no layer scale).
        with_cffn: CFFN in the extractors.
        cffn_ratio: CFFN bottleneck fraction.
        deform_ratio: Value width fraction of the deformable attention.
        add_vit_feature: Add the ViT groups' maps to the outputs.
        adapter_norm_cfg: Norm of the spatial prior stem and the four output norms (official: SyncBN).
        with_cp: Activation checkpointing of the blocks and the interactions while training.
        **kwargs: :class:`EVA` arguments (``arch``, ``img_size``, ``patch_size``, ``pretrain_img_size``,
            ``drop_path_rate``, ``init_cfg`` ...). ``out_indices`` is ignored: the outputs are the four maps.
    """

    def __init__(self, interaction_indexes: Sequence[Sequence[int]] = ((0, 2), (3, 5), (6, 8), (9, 11)),
                 conv_inplane: int = 64, n_points: int = 4, deform_num_heads: int = 6, inj_init_values: float = 0.,
                 with_cffn: bool = True, cffn_ratio: float = 0.25, deform_ratio: float = 1.0,
                 add_vit_feature: bool = True, adapter_norm_cfg: dict = dict(type='SyncBN'),
                 with_cp: bool = False, drop_path_rate: float = 0., **kwargs) -> None:
        if kwargs.get('window_size', 0):
            raise ValueError('EVAAdapter runs global attention; window_size must be 0')
        kwargs.pop('out_indices', None)
        super().__init__(with_cp=with_cp, drop_path_rate=drop_path_rate, with_cls_token=True, **kwargs)
        if self.patch_size not in (8, 16):
            raise ValueError(f'EVAAdapter supports patch_size 16 (official) or 8, got {self.patch_size}')
        self.interaction_indexes = _check_indexes(interaction_indexes, self.num_layers)
        self.add_vit_feature = add_vit_feature
        self.out_indices = tuple(last for _, last in self.interaction_indexes)
        dim = self.embed_dims
        eps = self.arch_settings['norm_eps']
        self.level_embed = nn.Parameter(torch.zeros(3, dim))
        self.spm = SpatialPriorModule(conv_inplane, dim, norm_cfg=adapter_norm_cfg, with_cp=False,
                                      stem_stride=self.patch_size // 4)
        n = len(self.interaction_indexes)
        self.interactions = nn.Sequential(*[InteractionBlock(
            dim, deform_num_heads, n_points, deform_ratio, with_cffn, cffn_ratio, inj_init_values,
            drop_path=drop_path_rate, extra_extractor=(i == n - 1), norm_eps=eps, with_cp=with_cp)
            for i in range(n)])
        self.up = nn.ConvTranspose2d(dim, dim, 2, 2)
        for i in range(1, 5):
            self.add_module(f'norm{i}', build_norm_layer(adapter_norm_cfg, dim)[1])
        self._init_adapter()

    @torch.no_grad()
    def _init_adapter(self) -> None:
        """Official adapter init: trunc-normal(0.02) linears, He-normal (fan-out) convs, unit norms, the deformable
        attention's own init, N(0, 1) level embedding."""
        for part in (self.up, self.spm, self.interactions):
            for m in part.modules():
                if isinstance(m, nn.Linear):
                    nn.init.trunc_normal_(m.weight, std=.02)
                    nn.init.zeros_(m.bias)
                elif isinstance(m, (nn.LayerNorm, nn.modules.batchnorm._BatchNorm)):
                    nn.init.ones_(m.weight)
                    nn.init.zeros_(m.bias)
                elif isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                    fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels // m.groups
                    nn.init.normal_(m.weight, 0, (2.0 / fan_out) ** 0.5)
                    if m.bias is not None:
                        nn.init.zeros_(m.bias)
        for m in self.modules():
            if isinstance(m, MSDeformAttn):
                m.reset_parameters()
        nn.init.normal_(self.level_embed)

    def _blocks(self, x: torch.Tensor, hw: Tuple[int, int], first: int, last: int) -> torch.Tensor:
        rope = self._rope(hw, x.device) if self.use_rope else None
        for blk in self.blocks[first:last + 1]:
            if self.with_cp and self.training and torch.is_grad_enabled():
                x = checkpoint(blk, x, hw, rope, use_reentrant=False)
            else:
                x = blk(x, hw, rope)
        return x

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, ...]:
        """Images ``[B, 3, H, W]`` (H, W multiples of 2p, p the patch) -> four ``[B, D, H/s, W/s]`` maps,
        s = p/4, p/2, p, 2p (4, 8, 16, 32 at the official patch 16)."""
        if mask is not None:
            raise ValueError('EVAAdapter has no masked (MIM) forward')
        step = 2 * self.patch_size  # the coarsest pyramid level
        if x.shape[-2] % step or x.shape[-1] % step:
            raise ValueError(f'EVAAdapter (patch {self.patch_size}) needs input sides divisible by {step}, got '
                             f'{tuple(x.shape[-2:])}')
        b = x.shape[0]
        inj_inputs, ext_inputs = deform_inputs(tuple(x.shape[-2:]), x.device, self.patch_size)
        c1, c2, c3, c4 = self.spm(x)
        pyramid = [c2 + self.level_embed[0], c3 + self.level_embed[1], c4 + self.level_embed[2]]
        sizes = [p.shape[1] for p in pyramid]
        c = torch.cat(pyramid, dim=1)

        tokens, hw = self.patch_embed(x)
        tokens = tokens.flatten(1, 2)
        grid_pe = resample_grid_embed(self.pos_embed[:, 1:].unflatten(1, self.pos_embed_grid), hw,
                                      antialias=self.pos_embed_antialias)
        tokens = self.pos_drop(tokens + grid_pe.flatten(1, 2))
        cls = self.cls_token.expand(b, -1, -1)  # no position embedding on cls, as the official adapter

        vit_maps: List[torch.Tensor] = []
        for layer, (first, last) in zip(self.interactions, self.interaction_indexes):
            tokens = layer.inject(tokens, c, inj_inputs)
            y = self._blocks(torch.cat((cls, tokens), dim=1), hw, first, last)
            cls, tokens = y[:, :1], y[:, 1:]
            c = layer.extract(tokens, c, ext_inputs, hw)
            vit_maps.append(tokens.transpose(1, 2).unflatten(2, hw))

        h, w = hw
        c2, c3, c4 = (t.transpose(1, 2).unflatten(2, s) for t, s in zip(
            c.split(sizes, dim=1), ((2 * h, 2 * w), (h, w), (h // 2, w // 2))))
        feats = [self.up(c2) + c1, c2, c3, c4]
        if self.add_vit_feature:
            scales = (4, 2, 1, 0.5)
            feats = [f + (v if s == 1 else F.interpolate(v, scale_factor=s, mode='bilinear', align_corners=False))
                     for f, v, s in zip(feats, vit_maps, scales)]
        return tuple(getattr(self, f'norm{i + 1}')(f) for i, f in enumerate(feats))

    def forward_tokens(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Not available: the adapter's outputs are the four maps of :meth:`forward`."""
        raise NotImplementedError('EVAAdapter returns feature maps only; use forward()')
