"""The CLIP text transformer (arXiv 2103.00020 §2.4) as EVA-CLIP uses it (arXiv 2303.15389): GELU MLPs.

Parameter names are open_clip's ``TextTransformer`` names (which the official EVA-CLIP ``text.*`` keys share), so
released text towers load without renaming.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

__all__ = ['CLIPTextTransformer']


class _ResBlock(nn.Module):
    """Pre-norm block: ``x + attn(ln_1(x))``, ``x + mlp(ln_2(x))``."""

    def __init__(self, width: int, heads: int, mlp_ratio: float = 4.0) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(width)
        hidden = int(width * mlp_ratio)
        self.mlp = nn.Sequential()
        self.mlp.add_module('c_fc', nn.Linear(width, hidden))
        self.mlp.add_module('gelu', nn.GELU())
        self.mlp.add_module('c_proj', nn.Linear(hidden, width))

    def forward(self, x: torch.Tensor, attn_mask: torch.Tensor) -> torch.Tensor:
        y = self.ln_1(x)
        x = x + self.attn(y, y, y, attn_mask=attn_mask, need_weights=False)[0]
        return x + self.mlp(self.ln_2(x))


class _Transformer(nn.Module):
    def __init__(self, width: int, layers: int, heads: int) -> None:
        super().__init__()
        self.resblocks = nn.ModuleList(_ResBlock(width, heads) for _ in range(layers))


class CLIPTextTransformer(nn.Module):
    """Token ids ``[B, L]`` -> text embeddings ``[B, embed_dim]`` (not normalised).

    Causal self-attention; the feature of the end-of-text token (the largest id in each row, as in CLIP's BPE
    vocabulary) after ``ln_final``, times ``text_projection``.

    Args:
        embed_dim: Output (joint embedding) width.
        context_length: Maximum number of tokens.
        vocab_size: BPE vocabulary size (49408 for CLIP).
        width: Transformer width.
        heads: Attention heads.
        layers: Transformer depth.
        with_cp: Activation checkpointing per block (non-reentrant) while training.
    """

    def __init__(self, embed_dim: int = 512, context_length: int = 77, vocab_size: int = 49408, width: int = 512,
                 heads: int = 8, layers: int = 12, with_cp: bool = False) -> None:
        super().__init__()
        self.context_length = context_length
        self.num_layers = layers
        self.with_cp = with_cp
        self.token_embedding = nn.Embedding(vocab_size, width)
        self.positional_embedding = nn.Parameter(torch.empty(context_length, width))
        self.transformer = _Transformer(width, layers, heads)
        self.ln_final = nn.LayerNorm(width)
        self.text_projection = nn.Parameter(torch.empty(width, embed_dim))
        # Additive causal mask; a function of the length only, so never saved.
        mask = torch.full((context_length, context_length), float('-inf')).triu_(1)
        self.register_buffer('attn_mask', mask, persistent=False)
        self._init_params(width, layers)

    @torch.no_grad()
    def _init_params(self, width: int, layers: int) -> None:
        """CLIP's text init (open_clip ``TextTransformer.init_parameters``)."""
        nn.init.normal_(self.token_embedding.weight, std=0.02)
        nn.init.normal_(self.positional_embedding, std=0.01)
        proj_std = width ** -0.5 * (2 * layers) ** -0.5
        for blk in self.transformer.resblocks:
            nn.init.normal_(blk.attn.in_proj_weight, std=width ** -0.5)
            nn.init.normal_(blk.attn.out_proj.weight, std=proj_std)
            nn.init.normal_(blk.mlp.c_fc.weight, std=(2 * width) ** -0.5)
            nn.init.normal_(blk.mlp.c_proj.weight, std=proj_std)
        nn.init.normal_(self.text_projection, std=width ** -0.5)

    def get_layer_depth(self, param_name: str, prefix: str = '') -> tuple:
        """``(depth, num_layers + 2)`` for layer-wise lr decay, EVA-CLIP's rule (official
        ``EVA-CLIP/rei/training/optim.py``, ``get_num_layer_for_transformer``): token and position embeddings 0,
        block i ``i + 1``, everything else (``ln_final``, ``text_projection``) ``num_layers + 1``."""
        name = param_name[len(prefix):] if param_name.startswith(prefix) else param_name
        if name.startswith(('token_embedding', 'positional_embedding')):
            return 0, self.num_layers + 2
        if name.startswith('transformer.resblocks.'):
            return int(name.split('.')[2]) + 1, self.num_layers + 2
        return self.num_layers + 1, self.num_layers + 2

    def forward(self, text: torch.Tensor) -> torch.Tensor:
        """``[B, L]`` int64 token ids (``L <= context_length``) -> ``[B, embed_dim]``."""
        if text.ndim != 2 or text.shape[1] > self.context_length:
            raise ValueError(f'text must be [B, L<={self.context_length}] token ids, got shape {tuple(text.shape)}')
        n = text.shape[1]
        x = self.token_embedding(text) + self.positional_embedding[:n]
        mask = self.attn_mask[:n, :n].to(x.dtype)
        for blk in self.transformer.resblocks:
            if self.with_cp and self.training and torch.is_grad_enabled():
                x = checkpoint(blk, x, mask, use_reentrant=False)
            else:
                x = blk(x, mask)
        x = self.ln_final(x)
        x = x[torch.arange(x.shape[0], device=x.device), text.argmax(dim=-1)]  # end-of-text token
        return x @ self.text_projection
