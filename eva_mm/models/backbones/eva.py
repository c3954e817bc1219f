"""EVA and EVA-02 vision transformers as one OpenMMLab backbone.

EVA: "EVA: Exploring the Limits of Masked Visual Representation Learning at Scale", arXiv 2211.07636.
EVA-02: "EVA-02: A Visual Representation for Neon Genesis", arXiv 2303.11331.
Official code: https://github.com/baaivision/EVA (MIT). Window attention, padding and decomposed relative
positions follow ViTDet (arXiv 2203.16527). Written for eva_mm; numerics are checked against timm's ``eva.py``.
"""
from __future__ import annotations

import math
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from torch import nn
from torch.utils.checkpoint import checkpoint

from eva_mm.checkpoint.loading import load_pretrained
from eva_mm.layers.block import EVABlock
from eva_mm.layers.patch_embed import PatchEmbed
from eva_mm.layers.pos_embed import resample_grid_embed
from eva_mm.layers.rope import build_rope_2d
from eva_mm.registry import MODELS

from .eva_args import validate_eva_args, validate_eva_inputs

__all__ = ['EVA']

Rope = Tuple[torch.Tensor, torch.Tensor]


def _to_2tuple(x: int | Sequence[int]) -> Tuple[int, int]:
    return (x, x) if isinstance(x, int) else (int(x[0]), int(x[1]))


@MODELS.register_module()
class EVA(BaseModule):
    """EVA-01 / EVA-02 plain ViT backbone for classification, MIM, detection and segmentation.

    Tokens: patch grid (+ optional cls token) + learned absolute position embedding (stored with a cls slot at
    ``pretrain_img_size // patch_size``, bicubically resampled to every input grid) + for EVA-02 a 2D RoPE on
    patch tokens. Dense tasks add ViTDet windowed attention with a few global blocks, optional decomposed
    relative-position bias, and read NCHW maps after chosen blocks.

    Args:
        arch: A name from :data:`~eva_mm.models.backbones.arch_zoo.ARCH_ZOO` (``'eva-g'``, ``'eva-l'``,
            ``'eva02-t'``, ``'eva02-s'``, ``'eva02-b'``, ``'eva02-l'``) or a dict of settings.
        img_size: Nominal input size; sets the global rel-pos table size. Any input size runs.
        patch_size: Patch side; ``None`` takes the arch's (14). Use 16 with 14->16 converted weights.
        in_channels: Image channels.
        pretrain_img_size: Image size the position embedding grid is stored for (``None``: ``img_size``).
            Official dense-task weights keep 224, i.e. a 14 x 14 grid at patch 16.
        out_indices: Blocks after which NCHW maps are returned; negative values count from the end.
        with_cls_token: Prepend the cls token; ``None`` means yes unless window attention is used.
        use_mask_token: Create the learned ``mask_token`` used by ``forward(x, mask)`` (MIM).
        final_norm: Create the final LayerNorm and apply it to the output of the last block.
        window_size: Window side in tokens for ViTDet window attention, 0 for global attention everywhere.
        global_attn_indexes: Blocks that stay global when ``window_size > 0``.
        use_rel_pos: Decomposed relative-position bias in every block (zero-initialised; table of the window,
            or of ``img_size // patch_size`` in global blocks).
        rel_pos_interp: How those tables are resized at run time for another grid: ``'linear'`` (detectron2) or
            ``'beit'`` (EVA-01's geometric cubic fit, set by its 1536-px test of 1280-px tables).
        use_rope: Override the arch's RoPE setting (``None`` keeps it).
        drop_rate: Dropout after position embedding, in MLPs and after attention projections.
        attn_drop_rate: Dropout on attention probabilities.
        drop_path_rate: Stochastic depth, linearly increasing from 0 to this value over blocks.
        with_cp: Activation checkpointing per block (non-reentrant) while training.
        frozen_stages: Freeze the embeddings (0) and the first ``frozen_stages`` blocks; -1 freezes nothing.
        freeze_patch_embed: Freeze only the patch embedding (EVA fine-tuning and detection recipes).
        pos_embed_antialias: Antialiased bicubic when resampling the position embedding. ``False`` follows the
            official EVA/ViTDet ``get_abs_pos``; ``True`` follows timm's ``dynamic_img_size``.
        init_cfg: mmengine init config. ``dict(type='Pretrained', checkpoint=...)`` accepts every format the
            converter knows (official EVA/EVA-02, timm, open_clip, mmpretrain, detectron2, eva_mm).
    """

    def __init__(
        self,
        arch: str | Mapping = 'eva02-b',
        img_size: int | Sequence[int] = 224,
        patch_size: Optional[int] = None,
        in_channels: int = 3,
        pretrain_img_size: Optional[int | Sequence[int]] = None,
        out_indices: int | Sequence[int] = -1,
        with_cls_token: Optional[bool] = None,
        use_mask_token: bool = False,
        final_norm: bool = False,
        window_size: int = 0,
        global_attn_indexes: Sequence[int] = (),
        use_rel_pos: bool = False,
        rel_pos_interp: str = 'linear',
        use_rope: Optional[bool] = None,
        drop_rate: float = 0.,
        attn_drop_rate: float = 0.,
        drop_path_rate: float = 0.,
        with_cp: bool = False,
        frozen_stages: int = -1,
        freeze_patch_embed: bool = False,
        pos_embed_antialias: bool = False,
        init_cfg: Optional[dict | List[dict]] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.arch_settings = validate_eva_args(  # one check of every argument, before anything is built
            arch, img_size=img_size, patch_size=patch_size, in_channels=in_channels,
            pretrain_img_size=pretrain_img_size, out_indices=out_indices, window_size=window_size,
            global_attn_indexes=global_attn_indexes, drop_rate=drop_rate, attn_drop_rate=attn_drop_rate,
            drop_path_rate=drop_path_rate, frozen_stages=frozen_stages)
        s = self.arch_settings
        self.embed_dims = s['embed_dims']
        self.num_layers = s['depth']
        self.num_heads = s['num_heads']
        self.patch_size = patch_size or s['patch_size']
        self.img_size = _to_2tuple(img_size)
        self.pos_embed_grid = tuple(v // self.patch_size for v in _to_2tuple(pretrain_img_size or img_size))
        self.window_size = window_size
        self.with_cls_token = (window_size == 0) if with_cls_token is None else with_cls_token
        if self.with_cls_token and window_size > 0:
            raise ValueError('window attention works on the token grid; use with_cls_token=False')
        self.use_rope = s['use_rope'] if use_rope is None else use_rope
        self.rope_ref_grid = _to_2tuple(s['rope_ref_grid'])
        self.pos_embed_antialias = pos_embed_antialias
        self.with_cp = with_cp
        self.frozen_stages = frozen_stages
        self.freeze_patch_embed = freeze_patch_embed
        self.out_indices = self._check_out_indices(out_indices)
        self.global_attn_indexes = tuple(i % self.num_layers for i in global_attn_indexes)

        self.patch_embed = PatchEmbed(self.patch_size, in_channels, self.embed_dims)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, self.embed_dims)) if self.with_cls_token else None
        self.mask_token = nn.Parameter(torch.zeros(1, 1, self.embed_dims)) if use_mask_token else None
        # The cls slot is stored even without a cls token so released weights load unchanged (ViTDet keeps it).
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + math.prod(self.pos_embed_grid), self.embed_dims))
        self.pos_drop = nn.Dropout(drop_rate)

        global_grid = tuple(v // self.patch_size for v in self.img_size)
        dpr = [drop_path_rate * i / max(self.num_layers - 1, 1) for i in range(self.num_layers)]  # linear rule
        blocks = []
        for i in range(self.num_layers):
            win = window_size if i not in self.global_attn_indexes else 0
            rel_grid = None
            if use_rel_pos:
                rel_grid = (win, win) if win else global_grid
            blocks.append(EVABlock(
                self.embed_dims, self.num_heads, s['mlp_hidden'], mlp_type=s['mlp_type'], sub_ln=s['sub_ln'],
                qkv_bias=s['qkv_bias'], attn_inner_norm=s['attn_inner_norm'], window_size=win,
                rel_pos_grid=rel_grid, rel_pos_interp=rel_pos_interp, norm_eps=s['norm_eps'], drop_path=dpr[i],
                drop=drop_rate, attn_drop=attn_drop_rate))
        self.blocks = nn.ModuleList(blocks)
        self.norm = nn.LayerNorm(self.embed_dims, eps=s['norm_eps']) if final_norm else None
        self._rope_cache: Dict[tuple, Rope] = {}
        self._init_params()
        self._freeze()

    # ----------------------------------------------------------------------------------------------- set-up

    def _check_out_indices(self, out_indices: int | Sequence[int]) -> Tuple[int, ...]:
        indices = (out_indices,) if isinstance(out_indices, int) else tuple(out_indices)
        resolved = []
        for i in indices:
            if not -self.num_layers <= i < self.num_layers:
                raise ValueError(f'out index {i} is out of range for {self.num_layers} blocks')
            resolved.append(i % self.num_layers)
        return tuple(resolved)

    @torch.no_grad()
    def _init_params(self) -> None:
        """Random init of the BEiT/EVA recipe: trunc-normal(0.02), residual projections ÷ sqrt(2 * layer)."""
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d)):
                nn.init.trunc_normal_(m.weight, std=.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        for p in (self.pos_embed, self.cls_token, self.mask_token):
            if p is not None:
                nn.init.trunc_normal_(p, std=.02)
        for i, blk in enumerate(self.blocks):
            # Keeps the residual stream's variance from growing with depth (BEiT ``fix_init_weight``).
            blk.attn.proj.weight.div_(math.sqrt(2.0 * (i + 1)))
            blk.mlp.out_proj.weight.div_(math.sqrt(2.0 * (i + 1)))

    def _frozen_modules(self) -> List[nn.Module]:
        mods: List[nn.Module] = []
        if self.freeze_patch_embed or self.frozen_stages >= 0:
            mods.append(self.patch_embed)
        if self.frozen_stages >= 0:
            mods.extend(self.blocks[:self.frozen_stages])
            if self.frozen_stages >= self.num_layers and self.norm is not None:
                mods.append(self.norm)
        return mods

    def _freeze(self) -> None:
        if self.frozen_stages >= 0:
            for p in (self.pos_embed, self.cls_token, self.mask_token):
                if p is not None:
                    p.requires_grad = False
        for m in self._frozen_modules():
            m.eval()
            for p in m.parameters():
                p.requires_grad = False

    def train(self, mode: bool = True) -> 'EVA':
        """Set training mode, keeping frozen parts in eval mode."""
        super().train(mode)
        if mode:
            for m in self._frozen_modules():
                m.eval()
        return self

    def init_weights(self) -> None:
        """Load ``init_cfg=dict(type='Pretrained', checkpoint=..., use_ema=False, allow=None)`` through the converter
        (a file that does not fit stops, see :func:`~eva_mm.checkpoint.loading.load_pretrained`), else
        mmengine init; ``use_ema=True`` reads ``model_ema`` instead of ``model`` from files that have both."""
        cfg = self.init_cfg[0] if isinstance(self.init_cfg, list) and len(self.init_cfg) == 1 else self.init_cfg
        if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained':
            # `allow`: keys a stated partial load may skip (default: the rel-pos tables MIM weights lack)
            load_pretrained(self, cfg['checkpoint'], prefix=cfg.get('prefix'),
                            map_location=cfg.get('map_location', 'cpu'), use_ema=bool(cfg.get('use_ema', False)),
                            allow=cfg.get('allow'))
            self._is_init = True
            return
        super().init_weights()

    def set_grad_checkpointing(self, enable: bool = True) -> None:
        """Turn per-block activation checkpointing on or off."""
        self.with_cp = enable

    # --------------------------------------------------------------------------------------------- helpers

    def get_layer_depth(self, param_name: str, prefix: str = '') -> Tuple[int, int]:
        """Layer depth of a parameter for layer-wise lr decay (mmpretrain's convention).

        Args:
            param_name: Parameter name, e.g. ``'backbone.blocks.3.attn.qkv.weight'``.
            prefix: Prefix of this backbone's parameters in ``param_name`` (e.g. ``'backbone.'``); names without it
                belong to necks and heads.

        Returns:
            ``(depth, num_layers + 2)``: depth 0 for the embeddings (patch, position, cls, mask), ``i + 1`` for
            block i, ``num_layers + 1`` for the final norm and anything outside the backbone; so
            ``rate ** (num_layers + 1 - depth)`` is the lr scale.
        """
        max_depth = self.num_layers + 2
        if not param_name.startswith(prefix):
            return self.num_layers + 1, max_depth
        name = param_name[len(prefix):]
        if name.startswith(('patch_embed', 'pos_embed', 'cls_token', 'mask_token')):
            return 0, max_depth
        if name.startswith('blocks.'):
            return int(name.split('.')[1]) + 1, max_depth
        return self.num_layers + 1, max_depth

    def no_weight_decay(self) -> Tuple[str, ...]:
        """Names that the BEiT/EVA fine-tuning recipes exempt from weight decay (besides 1-D parameters)."""
        return ('pos_embed', 'cls_token', 'mask_token')

    def _rope(self, grid: Tuple[int, int], device: torch.device) -> Rope:
        """RoPE tables for a grid, cached: they depend on the grid only (and are never saved)."""
        key = (grid, device)
        if key not in self._rope_cache:
            self._rope_cache[key] = build_rope_2d(grid, self.embed_dims // self.num_heads, self.rope_ref_grid,
                                                  self.arch_settings['rope_theta'], device=device)
        return self._rope_cache[key]

    # --------------------------------------------------------------------------------------------- forward

    def _embed(self, x: torch.Tensor, mask: Optional[torch.Tensor]) -> Tuple[torch.Tensor, Tuple[int, int]]:
        """Images ``[B, C, H, W]`` -> tokens ``[B, P + h * w, D]`` with position embedding, and ``(h, w)``."""
        validate_eva_inputs(x, mask, self.patch_size, self.patch_embed.proj.in_channels)
        x, hw = self.patch_embed(x)
        x = x.flatten(1, 2)
        if mask is not None:
            if self.mask_token is None:
                raise ValueError('forward(mask=...) needs EVA(use_mask_token=True)')
            w = mask.flatten(1).unsqueeze(-1).to(x.dtype)  # [B, N, 1]
            # BEiT-style MIM: masked patches become the mask token *before* the position embedding is added.
            x = x * (1 - w) + self.mask_token.to(x.dtype) * w
        grid_pe = self.pos_embed[:, 1:].unflatten(1, self.pos_embed_grid)
        x = x + resample_grid_embed(grid_pe, hw, antialias=self.pos_embed_antialias).flatten(1, 2)
        if self.cls_token is not None:
            cls = (self.cls_token + self.pos_embed[:, :1]).expand(x.shape[0], -1, -1)
            x = torch.cat((cls, x), dim=1)
        return self.pos_drop(x), hw

    def _run_blocks(self, x: torch.Tensor, hw: Tuple[int, int], keep: Sequence[int] = (),
                    patch_keep: Optional[torch.Tensor] = None):
        """Run all blocks; yields ``(index, tokens)`` after each block in ``keep`` (final norm applied last).

        ``patch_keep``: ``x`` holds only these patches of the ``hw`` grid (FLIP patch dropout); their RoPE rows
        are gathered and blocks see them as a ``(1, len(patch_keep))`` grid (global attention only)."""
        rope_global = self._rope(hw, x.device) if self.use_rope else None
        if patch_keep is not None:
            if self.window_size or any(b.attn.rel_pos_grid is not None for b in self.blocks):
                raise ValueError('patch_keep (patch dropout) needs global attention without relative position bias')
            if rope_global is not None:
                rope_global = tuple(t[patch_keep] for t in rope_global)
            hw = (1, patch_keep.numel())
        rope_window = self._rope((self.window_size,) * 2, x.device) if self.use_rope and self.window_size else None
        for i, blk in enumerate(self.blocks):
            rope = rope_window if blk.window_size else rope_global
            if self.with_cp and self.training and torch.is_grad_enabled():
                x = checkpoint(blk, x, hw, rope, use_reentrant=False)
            else:
                x = blk(x, hw, rope)
            if i == self.num_layers - 1 and self.norm is not None:
                x = self.norm(x)
            if i in keep:
                yield i, x

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, ...]:
        """Feature maps after the blocks in ``out_indices``.

        Args:
            x: ``[B, C, H, W]`` images.
            mask: Optional ``[B, h * w]`` or ``[B, h, w]`` bool, True where a patch is replaced by the mask token.

        Returns:
            One ``[B, D, H // p, W // p]`` map per out index (the last block's after the final norm if any).
        """
        b = x.shape[0]
        x, hw = self._embed(x, mask)
        num_prefix = x.shape[1] - hw[0] * hw[1]
        outs = {i: y[:, num_prefix:].reshape(b, hw[0], hw[1], -1).permute(0, 3, 1, 2).contiguous()
                for i, y in self._run_blocks(x, hw, self.out_indices)}
        return tuple(outs[i] for i in self.out_indices)

    def forward_tokens(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None,
                       patch_keep: Optional[torch.Tensor] = None) -> torch.Tensor:
        """All tokens after the last block and the final norm (if built): ``[B, P + h * w, D]``, cls first.

        For classification heads (cls token or mean of patch tokens) and MIM heads. ``patch_keep`` (sorted
        ``[K]`` patch indices, the same for the whole batch) drops every other patch token after the position
        embedding, prefix tokens kept: FLIP's patch dropout (arXiv 2212.00794); the output is ``[B, P + K, D]``.
        """
        x, hw = self._embed(x, mask)
        if patch_keep is not None:
            num_prefix = x.shape[1] - hw[0] * hw[1]
            x = torch.cat((x[:, :num_prefix], x[:, num_prefix + patch_keep]), dim=1)
        (_, y), = self._run_blocks(x, hw, (self.num_layers - 1,), patch_keep)
        return y
