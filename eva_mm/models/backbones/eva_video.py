"""EVA video backbone: eva_mm's EVA blocks over all frames' patches at once (joint space-time attention).

Follows the official EVA-01 video model (github.com/baaivision/EVA, ``EVA-01/video/models/beit.py`` and the
loader in ``EVA-01/video/models/clip_mae.py``): a Conv3d patch embedding (tubelet 1) inflated from the image
kernel, one cls token plus all T x h x w patch tokens in every block, a learned space-time position embedding
of ``1 + T * h * w`` slots initialised by repeating the image one per frame and resized trilinearly when the
number of frames or the grid changes, then mean pooling of the patch tokens and ``fc_norm`` (arXiv 2211.07636).

EVA-02 (arXiv 2303.11331) reports no video result, so its video form is our choice: the image position embedding
(per frame, bicubically resized as in the image model), the 2D RoPE of each frame (the same table for every
frame, so attention stays translation-aware in space only) and a learned temporal embedding of T slots,
zero-initialised so that an image checkpoint starts as a frame-wise image model.
"""
from __future__ import annotations

import math
from typing import List, Mapping, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint

from eva_mm.checkpoint.fit import check_fit
from eva_mm.checkpoint.video import (
    inflate_image_state_dict,
    is_video_state_dict,
    read_video_source,
    video_backbone_state_dict,
)
from eva_mm.layers.pos_embed import resample_grid_embed
from eva_mm.layers.video_pos_embed import resize_video_grid_embed
from eva_mm.registry import MODELS

from .eva import EVA

__all__ = ['EVAVideo']


# keys an image checkpoint has no value for: the mean-pool norm and EVA-02's temporal embedding start fresh
_IMAGE_INIT_ALLOW = (r'^fc_norm\.', r'^time_embed$')


@MODELS.register_module()
class EVAVideo(EVA):
    """EVA / EVA-02 for clips ``[B, C, T, H, W]``; returns pooled ``[B, D]`` features for mmaction2 heads.

    Args:
        arch: As :class:`EVA` (``'eva-g'`` for the official video model).
        num_frames: Frames the position (EVA-01) or temporal (EVA-02) embedding is stored for; other clip
            lengths are resized to at run time.
        tubelet_size: Frames per Conv3d patch (official: 1).
        img_size: Frame size the position embedding is stored for.
        drop_path_rate, with_cp, etc.: As :class:`EVA` (window attention, rel-pos and MIM are image-only).
        init_cfg: ``dict(type='Pretrained', checkpoint=...)``: an image checkpoint of any format eva_mm reads
            (inflated), an official video checkpoint (``eva_video_k722.pth`` / ``eva_video_k400.pth``), or an
            eva_mm / mmaction2 recognizer checkpoint; position embeddings are resized to this model.
    """

    def __init__(self, arch: str | Mapping = 'eva-g', num_frames: int = 8, tubelet_size: int = 1,
                 img_size: int | Sequence[int] = 224, init_cfg: Optional[dict | List[dict]] = None,
                 **kwargs) -> None:
        for image_only in ('window_size', 'use_rel_pos', 'use_mask_token', 'global_attn_indexes', 'out_indices'):
            if image_only in kwargs:
                raise ValueError(f'EVAVideo does not take {image_only!r} (image-only feature of EVA)')
        super().__init__(arch=arch, img_size=img_size, with_cls_token=True, final_norm=False, init_cfg=init_cfg,
                         **kwargs)
        if num_frames % tubelet_size:
            raise ValueError(f'num_frames={num_frames} is not a multiple of tubelet_size={tubelet_size}')
        self.tubelet_size = tubelet_size
        self.num_frames = num_frames
        p, d = self.patch_size, self.embed_dims
        in_channels = self.patch_embed.proj.in_channels
        self.patch_embed.proj = nn.Conv3d(in_channels, d, (tubelet_size, p, p), stride=(tubelet_size, p, p))
        t = num_frames // tubelet_size
        self.pos_embed_thw = (t, *self.pos_embed_grid)
        if self.use_rope:
            self.time_embed = nn.Parameter(torch.zeros(1, t, d))
        else:
            self.time_embed = None
            self.pos_embed = nn.Parameter(torch.zeros(1, 1 + math.prod(self.pos_embed_thw), d))
        self.fc_norm = nn.LayerNorm(d, eps=self.arch_settings['norm_eps'])
        with torch.no_grad():
            nn.init.trunc_normal_(self.patch_embed.proj.weight, std=.02)
            nn.init.zeros_(self.patch_embed.proj.bias)
            nn.init.trunc_normal_(self.pos_embed, std=.02)
        self._freeze()

    def init_weights(self) -> None:
        """Load ``init_cfg=dict(type='Pretrained', checkpoint=...)`` (image or video layout), else random init."""
        cfg = self.init_cfg[0] if isinstance(self.init_cfg, list) and len(self.init_cfg) == 1 else self.init_cfg
        if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained':
            sd = self._converted(cfg['checkpoint'], cfg.get('prefix'), bool(cfg.get('use_ema')))
            # a file of another width / depth / model is an error, not a silent partial load; `allow` (regexes)
            # widens what may not fit, and by default only what an image file lacks (fc_norm, time_embed)
            allow = cfg.get('allow')
            check_fit(sd, self, allow=_IMAGE_INIT_ALLOW if allow is None else allow,
                      source=str(cfg['checkpoint']) if isinstance(cfg['checkpoint'], str) else 'checkpoint',
                      hint="If a partial load is intended, list the keys that may not fit in the backbone's "
                           "init_cfg: allow=[regexes]")
            self.load_state_dict({k: v for k, v in sd.items() if k in self.state_dict()}, strict=False)
            self._is_init = True
            return
        super().init_weights()

    def load_checkpoint(self, checkpoint: str | dict, prefix: Optional[str] = None, use_ema: bool = False,
                        strict: bool = False) -> Tuple[List[str], List[str]]:
        """Load an image or video checkpoint into this backbone; returns ``(missing, unexpected)`` keys.

        Video files (5-D patch kernel) keep their space-time position embedding, resized trilinearly to
        ``(T, h, w)`` of this model (e.g. the recipe's 8 -> 16 frame transfer); image files go through eva_mm's
        converter and are inflated (kernel repeated over the tubelet and divided by its size as in the
        official loader, position embedding repeated per frame).

        Args:
            checkpoint: Path or checkpoint dict.
            prefix: Keep only keys under this prefix (e.g. ``'backbone.'``).
            use_ema: Read ``model_ema`` where a file has it.
            strict: Raise when a backbone key is missing or unexpected.
        """
        sd = self._converted(checkpoint, prefix, use_ema)
        own = self.state_dict()
        bad = [f'{k}: {tuple(v.shape)} vs {tuple(own[k].shape)}' for k, v in sd.items()
               if k in own and v.shape != own[k].shape]
        if bad:
            raise ValueError('checkpoint shapes do not fit EVAVideo: ' + '; '.join(bad))
        result = self.load_state_dict({k: v for k, v in sd.items() if k in own}, strict=False)
        unexpected = sorted(set(sd) - set(own))
        if strict and (result.missing_keys or unexpected):
            raise RuntimeError(f'EVAVideo checkpoint: missing {result.missing_keys}, unexpected {unexpected}')
        return list(result.missing_keys), unexpected

    def _converted(self, checkpoint: str | dict, prefix: Optional[str], use_ema: bool) -> dict:
        """A video or image checkpoint in this backbone's layout (positions resized, image files inflated)."""
        src = read_video_source(checkpoint, prefix=prefix, use_ema=use_ema)
        if is_video_state_dict(src):
            return video_backbone_state_dict(src, None, None if self.use_rope else self.pos_embed_thw)
        return inflate_image_state_dict(self, src)

    def get_layer_depth(self, param_name: str, prefix: str = '') -> Tuple[int, int]:
        """As :meth:`EVA.get_layer_depth`; the temporal embedding is an embedding (depth 0)."""
        if param_name.startswith(prefix + 'time_embed'):
            return 0, self.num_layers + 2
        return super().get_layer_depth(param_name, prefix)

    def no_weight_decay(self) -> Tuple[str, ...]:
        """Embeddings exempt from weight decay."""
        return super().no_weight_decay() + ('time_embed',)

    def _embed_video(self, x: torch.Tensor) -> Tuple[torch.Tensor, Tuple[int, int, int]]:
        """Clips ``[B, C, T, H, W]`` -> tokens ``[B, 1 + T' * h * w, D]`` (cls first) and ``(T', h, w)``."""
        x = self.patch_embed.proj(x).permute(0, 2, 3, 4, 1)  # [B, T', h, w, D]
        b, t, h, w, d = x.shape
        if self.time_embed is None:
            grid = self.pos_embed[:, 1:].unflatten(1, self.pos_embed_thw)
            x = x + resize_video_grid_embed(grid, (t, h, w))
        else:
            grid = self.pos_embed[:, 1:].unflatten(1, self.pos_embed_grid)
            x = x + resample_grid_embed(grid, (h, w), antialias=self.pos_embed_antialias).unsqueeze(1)
            x = x + _resize_time_embed(self.time_embed, t)[:, :, None, None]
        cls = (self.cls_token + self.pos_embed[:, :1]).expand(b, -1, -1)
        return self.pos_drop(torch.cat((cls, x.reshape(b, t * h * w, d)), dim=1)), (t, h, w)

    def forward_tokens(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """All tokens after the last block: ``[B, 1 + T' * h * w, D]``, cls first, frames in time order."""
        if mask is not None:
            raise ValueError('EVAVideo has no masked (MIM) forward')
        if x.dim() != 5:
            raise ValueError(f'EVAVideo expects clips [B, C, T, H, W], got shape {tuple(x.shape)}')
        x, (t, h, w) = self._embed_video(x)
        # Joint space-time attention: the blocks see one (T' * h) x w grid; RoPE is each frame's 2D table.
        hw = (t * h, w)
        rope = None
        if self.use_rope:
            sin, cos = self._rope((h, w), x.device)
            rope = (sin.repeat(t, 1), cos.repeat(t, 1))
        for blk in self.blocks:
            if self.with_cp and self.training and torch.is_grad_enabled():
                x = checkpoint(blk, x, hw, rope, use_reentrant=False)
            else:
                x = blk(x, hw, rope)
        return x

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """``[B, C, T, H, W]`` clips -> ``fc_norm(mean of patch tokens)``, ``[B, D]`` (official mean pooling)."""
        return self.fc_norm(self.forward_tokens(x, mask)[:, 1:].mean(1))


def _resize_time_embed(time_embed: torch.Tensor, t: int) -> torch.Tensor:
    """``[1, T, D]`` -> ``[1, t, D]`` by linear interpolation along time."""
    if time_embed.shape[1] == t:
        return time_embed
    y = F.interpolate(time_embed.transpose(1, 2).float(), size=t, mode='linear', align_corners=False)
    return y.transpose(1, 2).to(time_embed.dtype)
