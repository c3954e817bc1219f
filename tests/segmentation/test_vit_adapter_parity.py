"""EVAAdapter against an independent reference written from the official definition (baaivision/EVA
``EVA-01/seg/mmseg_custom/models/backbones/{beit_adapter,adapter_modules,base/beit}.py`` and
``EVA-01/seg/ops/{modules,functions}``): same parameter names (strict load both ways = the released layout), four
outputs equal within 1e-4 at random weights, reduced depth with the real interaction pattern (4 groups, two extra
extractors after the last)."""
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from eva_mm.models.backbones import EVAAdapter

# ------------------------------------------------------------------ reference (official structure, plain torch)


def ref_msda_core(value, shapes, locs, weights):
    """Official ``ms_deform_attn_core_pytorch``: bilinear grid_sample per level, weighted sum."""
    b, _, heads, d = value.shape
    _, q, _, levels, points, _ = locs.shape
    per_level = value.split([int(h) * int(w) for h, w in shapes], dim=1)
    grids = 2 * locs - 1
    sampled = []
    for lvl, (h, w) in enumerate(shapes):
        v = per_level[lvl].flatten(2).transpose(1, 2).reshape(b * heads, d, int(h), int(w))
        g = grids[:, :, :, lvl].transpose(1, 2).flatten(0, 1)
        sampled.append(F.grid_sample(v, g, mode='bilinear', padding_mode='zeros', align_corners=False))
    weights = weights.transpose(1, 2).reshape(b * heads, 1, q, levels * points)
    out = (torch.stack(sampled, dim=-2).flatten(-2) * weights).sum(-1).view(b, heads * d, q)
    return out.transpose(1, 2)


class RefMSDA(nn.Module):
    def __init__(self, d, levels, heads, points, ratio):
        super().__init__()
        self.h, self.l, self.p, self.vd = heads, levels, points, int(d * ratio)
        self.sampling_offsets = nn.Linear(d, heads * levels * points * 2)
        self.attention_weights = nn.Linear(d, heads * levels * points)
        self.value_proj = nn.Linear(d, self.vd)
        self.output_proj = nn.Linear(self.vd, d)

    def forward(self, query, ref, feat, shapes, starts):
        b, q, _ = query.shape
        v = self.value_proj(feat).view(b, feat.shape[1], self.h, self.vd // self.h)
        off = self.sampling_offsets(query).view(b, q, self.h, self.l, self.p, 2)
        aw = F.softmax(self.attention_weights(query).view(b, q, self.h, self.l * self.p), -1)
        aw = aw.view(b, q, self.h, self.l, self.p)
        norm = torch.stack([shapes[..., 1], shapes[..., 0]], -1)
        locs = ref[:, :, None, :, None, :] + off / norm[None, None, None, :, None, :]
        return self.output_proj(ref_msda_core(v, shapes, locs, aw))


class RefDW(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.dwconv = nn.Conv2d(d, d, 3, 1, 1, groups=d)

    def forward(self, x, H, W):
        B, N, C = x.shape
        n = N // 21
        x1 = x[:, :16 * n].transpose(1, 2).reshape(B, C, 2 * H, 2 * W)
        x2 = x[:, 16 * n:20 * n].transpose(1, 2).reshape(B, C, H, W)
        x3 = x[:, 20 * n:].transpose(1, 2).reshape(B, C, H // 2, W // 2)
        return torch.cat([self.dwconv(t).flatten(2).transpose(1, 2) for t in (x1, x2, x3)], 1)


class RefCFFN(nn.Module):
    def __init__(self, d, hidden):
        super().__init__()
        self.fc1, self.dwconv, self.fc2 = nn.Linear(d, hidden), RefDW(hidden), nn.Linear(hidden, d)

    def forward(self, x, H, W):
        return self.fc2(F.gelu(self.dwconv(self.fc1(x), H, W)))


class RefExtractor(nn.Module):
    def __init__(self, d, heads, points, ratio, cffn_ratio):
        super().__init__()
        self.query_norm, self.feat_norm = nn.LayerNorm(d, eps=1e-6), nn.LayerNorm(d, eps=1e-6)
        self.attn = RefMSDA(d, 1, heads, points, ratio)
        self.ffn, self.ffn_norm = RefCFFN(d, int(d * cffn_ratio)), nn.LayerNorm(d, eps=1e-6)

    def forward(self, query, ref, feat, shapes, starts, H, W):
        query = query + self.attn(self.query_norm(query), ref, self.feat_norm(feat), shapes, starts)
        return query + self.ffn(self.ffn_norm(query), H, W)


class RefInjector(nn.Module):
    def __init__(self, d, heads, points, ratio):
        super().__init__()
        self.query_norm, self.feat_norm = nn.LayerNorm(d, eps=1e-6), nn.LayerNorm(d, eps=1e-6)
        self.attn = RefMSDA(d, 3, heads, points, ratio)
        self.gamma = nn.Parameter(torch.zeros(d))

    def forward(self, query, ref, feat, shapes, starts):
        return query + self.gamma * self.attn(self.query_norm(query), ref, self.feat_norm(feat), shapes, starts)


class RefInteraction(nn.Module):
    def __init__(self, d, heads, points, ratio, cffn_ratio, extra):
        super().__init__()
        self.injector = RefInjector(d, heads, points, ratio)
        self.extractor = RefExtractor(d, heads, points, ratio, cffn_ratio)
        if extra:
            self.extra_extractors = nn.Sequential(*[RefExtractor(d, heads, points, ratio, cffn_ratio)
                                                    for _ in range(2)])
        else:
            self.extra_extractors = None

    def forward(self, x, c, cls, blocks, d1, d2, H, W):
        x = self.injector(x, d1[0], c, d1[1], d1[2])
        x = torch.cat((cls, x), 1)
        for blk in blocks:
            x = blk(x)
        cls, x = x[:, :1], x[:, 1:]
        c = self.extractor(c, d2[0], x, d2[1], d2[2], H, W)
        for e in self.extra_extractors or ():
            c = e(c, d2[0], x, d2[1], d2[2], H, W)
        return x, c, cls


class RefAttn(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d, bias=False)
        self.q_bias, self.v_bias = nn.Parameter(torch.zeros(d)), nn.Parameter(torch.zeros(d))
        self.proj = nn.Linear(d, d)

    def forward(self, x):
        B, N, C = x.shape
        bias = torch.cat((self.q_bias, torch.zeros_like(self.v_bias), self.v_bias))
        q, k, v = F.linear(x, self.qkv.weight, bias).reshape(B, N, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        attn = ((q * (C // self.heads) ** -0.5) @ k.transpose(-2, -1)).softmax(-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(B, N, C))


class RefMlp(nn.Module):
    def __init__(self, d, hidden):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(d, hidden), nn.Linear(hidden, d)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class RefBlock(nn.Module):
    def __init__(self, d, heads, hidden):
        super().__init__()
        self.norm1, self.attn = nn.LayerNorm(d, eps=1e-6), RefAttn(d, heads)
        self.norm2, self.mlp = nn.LayerNorm(d, eps=1e-6), RefMlp(d, hidden)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


def _conv_bn(cin, cout, stride):
    return [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]


class RefSPM(nn.Module):
    def __init__(self, w, d):
        super().__init__()
        self.stem = nn.Sequential(*_conv_bn(3, w, 2), *_conv_bn(w, w, 1), *_conv_bn(w, w, 1), nn.MaxPool2d(3, 2, 1))
        self.conv2 = nn.Sequential(*_conv_bn(w, 2 * w, 2))
        self.conv3 = nn.Sequential(*_conv_bn(2 * w, 4 * w, 2))
        self.conv4 = nn.Sequential(*_conv_bn(4 * w, 4 * w, 2))
        self.fc1, self.fc2 = nn.Conv2d(w, d, 1), nn.Conv2d(2 * w, d, 1)
        self.fc3, self.fc4 = nn.Conv2d(4 * w, d, 1), nn.Conv2d(4 * w, d, 1)

    def forward(self, x):
        c1 = self.stem(x)
        c2 = self.conv2(c1)
        c3 = self.conv3(c2)
        c4 = self.conv4(c3)
        bs = x.shape[0]
        return (self.fc1(c1), *(fc(c).view(bs, self.fc1.out_channels, -1).transpose(1, 2)
                                for fc, c in ((self.fc2, c2), (self.fc3, c3), (self.fc4, c4))))


def ref_points(shapes):
    out = []
    for h, w in shapes:
        y, x = torch.meshgrid(torch.linspace(0.5, h - 0.5, h), torch.linspace(0.5, w - 0.5, w), indexing='ij')
        out.append(torch.stack((x.reshape(-1)[None] / w, y.reshape(-1)[None] / h), -1))
    return torch.cat(out, 1)[:, :, None]


def ref_deform_inputs(h, w):
    pyr = [(h // 8, w // 8), (h // 16, w // 16), (h // 32, w // 32)]
    s1 = torch.as_tensor(pyr, dtype=torch.long)
    s2 = torch.as_tensor([(h // 16, w // 16)], dtype=torch.long)
    st = lambda s: torch.cat((s.new_zeros(1), s.prod(1).cumsum(0)[:-1]))  # noqa: E731
    return [ref_points([(h // 16, w // 16)]), s1, st(s1)], [ref_points(pyr), s2, st(s2)]


class RefBEiTAdapter(nn.Module):
    def __init__(self, d, depth, heads, hidden, img, indexes, dheads, points, ratio, cffn_ratio, inplane):
        super().__init__()
        self.indexes = indexes
        self.patch_embed = nn.Module()
        self.patch_embed.proj = nn.Conv2d(3, d, 16, 16)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.pos_embed = nn.Parameter(torch.zeros(1, (img // 16) ** 2 + 1, d))
        self.blocks = nn.ModuleList([RefBlock(d, heads, hidden) for _ in range(depth)])
        self.level_embed = nn.Parameter(torch.zeros(3, d))
        self.spm = RefSPM(inplane, d)
        self.interactions = nn.Sequential(*[RefInteraction(d, dheads, points, ratio, cffn_ratio, i == len(indexes) - 1)
                                            for i in range(len(indexes))])
        self.up = nn.ConvTranspose2d(d, d, 2, 2)
        self.norm1, self.norm2, self.norm3, self.norm4 = (nn.BatchNorm2d(d) for _ in range(4))

    def forward(self, x):
        d1, d2 = ref_deform_inputs(*x.shape[-2:])
        c1, c2, c3, c4 = self.spm(x)
        c2, c3, c4 = c2 + self.level_embed[0], c3 + self.level_embed[1], c4 + self.level_embed[2]
        c = torch.cat([c2, c3, c4], 1)
        x = self.patch_embed.proj(x)
        H, W = x.shape[-2:]
        x = x.flatten(2).transpose(1, 2)
        bs, _, dim = x.shape
        cls = self.cls_token.expand(bs, -1, -1)
        x = x + self.pos_embed[:, 1:]
        outs = []
        for i, layer in enumerate(self.interactions):
            idx = self.indexes[i]
            x, c, cls = layer(x, c, cls, self.blocks[idx[0]:idx[-1] + 1], d1, d2, H, W)
            outs.append(x.transpose(1, 2).reshape(bs, dim, H, W))
        n2, n3 = c2.size(1), c3.size(1)
        c2 = c[:, :n2].transpose(1, 2).reshape(bs, dim, 2 * H, 2 * W)
        c3 = c[:, n2:n2 + n3].transpose(1, 2).reshape(bs, dim, H, W)
        c4 = c[:, n2 + n3:].transpose(1, 2).reshape(bs, dim, H // 2, W // 2)
        c1 = self.up(c2) + c1
        x1, x2, x3, x4 = outs
        c1 = c1 + F.interpolate(x1, scale_factor=4, mode='bilinear', align_corners=False)
        c2 = c2 + F.interpolate(x2, scale_factor=2, mode='bilinear', align_corners=False)
        c3 = c3 + x3
        c4 = c4 + F.interpolate(x4, scale_factor=0.5, mode='bilinear', align_corners=False)
        return [self.norm1(c1), self.norm2(c2), self.norm3(c3), self.norm4(c4)]


# --------------------------------------------------------------------------------------------------- tests

D, DEPTH, HEADS, HIDDEN, IMG = 64, 8, 4, 160, 64
INDEXES = [[0, 1], [2, 3], [4, 5], [6, 7]]


def _pair():
    torch.manual_seed(0)
    ours = EVAAdapter(arch=dict(embed_dims=D, depth=DEPTH, num_heads=HEADS, mlp_hidden=HIDDEN, mlp_type='gelu',
                                 use_rope=False),
                      img_size=IMG, patch_size=16, interaction_indexes=INDEXES, deform_num_heads=4, n_points=4,
                      deform_ratio=0.5, cffn_ratio=0.25, conv_inplane=8, adapter_norm_cfg=dict(type='BN')).eval()
    ref = RefBEiTAdapter(D, DEPTH, HEADS, HIDDEN, IMG, INDEXES, 4, 4, 0.5, 0.25, 8).eval()
    g = torch.Generator().manual_seed(1)
    sd = {}
    for k, v in ref.state_dict().items():
        if v.is_floating_point():
            # random everything, incl. injector gamma (0 at init would hide the injector) and BN statistics
            v = torch.rand(v.shape, generator=g) + 0.5 if k.endswith('running_var') else \
                torch.randn(v.shape, generator=g) * (0.3 if v.ndim > 1 else 0.1)
        sd[k] = v
    ref.load_state_dict(sd, strict=True)
    return ours, ref, sd


def test_official_layout_loads_strict_both_ways():
    ours, ref, sd = _pair()
    missing, unexpected = ours.load_state_dict(sd, strict=True)
    assert not missing and not unexpected
    assert set(ours.state_dict()) == set(ref.state_dict())
    assert any(k.startswith('interactions.3.extra_extractors.1.ffn.dwconv.dwconv.') for k in sd)
    assert not any(k.startswith('interactions.2.extra_extractors') for k in sd)


def test_four_outputs_match_reference():
    ours, ref, sd = _pair()
    ours.load_state_dict(sd, strict=True)
    # at the stored position grid: the official model adds pos_embed as stored, without resampling
    x = torch.randn(2, 3, IMG, IMG, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        a, b = ours(x), ref(x)
    assert len(a) == 4
    for i, (u, v) in enumerate(zip(a, b)):
        assert u.shape == v.shape == (2, D, IMG // 4 // 2 ** i, IMG // 4 // 2 ** i)
        torch.testing.assert_close(u, v, atol=1e-4, rtol=1e-4, msg=f'output {i}')
    assert a[0].abs().mean() > 0.1  # not trivially zero


def test_reference_msda_core_equals_eva_mm_msda_path():
    ours, ref, sd = _pair()
    ours.load_state_dict(sd, strict=True)
    attn_ours = ours.interactions[0].injector.attn
    attn_ref = ref.interactions[0].injector.attn
    shapes = torch.tensor([[4, 4], [2, 2], [1, 1]])
    starts = torch.tensor([0, 16, 20])
    q, f = torch.randn(2, 5, D), torch.randn(2, 21, D)
    refp = torch.rand(1, 5, 1, 2)
    torch.testing.assert_close(attn_ours(q, refp, f, shapes, starts), attn_ref(q, refp, f, shapes, starts),
                               atol=1e-5, rtol=1e-5)
    assert math.isclose(attn_ours.value_dim, D * 0.5)


def test_odd_input_is_refused():
    ours, _, _ = _pair()
    with pytest.raises(ValueError, match='divisible by 32'):
        ours(torch.randn(1, 3, 48, 64))
