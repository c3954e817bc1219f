"""A compact re-statement of the official EVA-01 video model, for parity tests only.

Written from github.com/baaivision/EVA ``EVA-01/video/models/beit.py`` (``VisionTransformer`` with
``PatchEmbed3D``, ``Attention`` with q/v bias, ``Block`` without layer scale, ``use_mean_pooling=True``), at any
width and depth. Parameter names are the official ones, so its ``state_dict()`` is an official-layout file.
"""
import torch
import torch.nn.functional as F
from torch import nn


class _Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads, self.scale = heads, (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=False)
        self.q_bias = nn.Parameter(torch.zeros(dim))
        self.v_bias = nn.Parameter(torch.zeros(dim))
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, _ = x.shape
        bias = torch.cat((self.q_bias, torch.zeros_like(self.v_bias), self.v_bias))
        q, k, v = F.linear(x, self.qkv.weight, bias).reshape(b, n, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        attn = ((q * self.scale) @ k.transpose(-2, -1)).softmax(-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, -1))


class _Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1, self.act, self.fc2 = nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class _Block(nn.Module):
    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.norm1, self.attn = nn.LayerNorm(dim, eps=1e-6), _Attention(dim, heads)
        self.norm2, self.mlp = nn.LayerNorm(dim, eps=1e-6), _Mlp(dim, hidden)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class _PatchEmbed3D(nn.Module):
    def __init__(self, patch, tubelet, dim):
        super().__init__()
        self.proj = nn.Conv3d(3, dim, (tubelet, patch, patch), stride=(tubelet, patch, patch))

    def forward(self, x):  # x: [B, T, 3, H, W] as the official code takes it
        return self.proj(x.transpose(1, 2)).flatten(2).transpose(1, 2)


class OfficialVideoViT(nn.Module):
    def __init__(self, img_size, frames, patch, dim, depth, heads, hidden, num_classes, tubelet=1):
        super().__init__()
        self.patch_embed = _PatchEmbed3D(patch, tubelet, dim)
        n = (frames // tubelet) * (img_size // patch) ** 2
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim) * .02)
        self.pos_embed = nn.Parameter(torch.randn(1, n + 1, dim) * .02)
        self.blocks = nn.ModuleList(_Block(dim, heads, hidden) for _ in range(depth))
        self.fc_norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, num_classes)

    def forward_features(self, x):
        x = self.patch_embed(x)
        x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1) + self.pos_embed
        for blk in self.blocks:
            x = blk(x)
        return self.fc_norm(x[:, 1:].mean(1))  # norm is Identity under mean pooling

    def forward(self, x):
        return self.head(self.forward_features(x))
