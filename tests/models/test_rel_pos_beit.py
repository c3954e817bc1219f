"""EVA-01's "beit" rel-pos interpolation equals the official definition (scipy's cubic interp1d on log-spaced
offsets), and the EVA-01 1536-px test uses it."""
import numpy as np
import pytest
import torch
from mmengine.config import Config
from scipy import interpolate

from eva_mm.layers.rel_pos import get_rel_pos, resize_rel_pos
from eva_mm.models.backbones import EVA


def official_beit(table: torch.Tensor, dst_size: int) -> torch.Tensor:
    """EVA-01 det `get_rel_pos(interp_type="beit")`'s resampling, written out with scipy as the reference."""
    src_size = table.shape[0]
    q, dis, cur = 1.0903078, [], 1
    for i in range(src_size // 2):
        dis.append(cur)
        cur += q ** (i + 1)
    x = [-d for d in reversed(dis)] + [0] + dis
    t = dst_size // 2.0
    dx = np.arange(-t, t + 0.1, 1.0)
    cols = [interpolate.interp1d(x, table[:, i].double().numpy(), kind='cubic', fill_value='extrapolate')(dx)
            for i in range(table.shape[1])]
    return torch.tensor(np.stack(cols, 1), dtype=table.dtype)


@pytest.mark.parametrize('src, dst', [(159, 191), (31, 63), (63, 31), (9, 13)])
def test_beit_resize_equals_the_official_fit(src, dst):
    table = torch.randn(src, 16, generator=torch.Generator().manual_seed(src))
    out = resize_rel_pos(table, dst, 'beit')
    assert out.shape == (dst, 16)
    torch.testing.assert_close(out, official_beit(table, dst), atol=1e-4, rtol=1e-4)
    assert not torch.allclose(out, resize_rel_pos(table, dst, 'linear'), atol=1e-3)
    n = dst // 2 + 1  # a grid whose table has dst rows reads them at offsets q - k + n - 1
    assert torch.equal(get_rel_pos(n, n, table, 'beit'), out[torch.arange(n)[:, None] - torch.arange(n)[None] + n - 1])


def test_bad_interpolation_is_named():
    with pytest.raises(ValueError, match=r"must be one of \('linear', 'beit'\)"):
        resize_rel_pos(torch.zeros(5, 2), 7, 'cubic')
    with pytest.raises(ValueError, match='rel_pos_interp'):
        EVA(arch='eva02-t', img_size=32, patch_size=16, use_rel_pos=True, rel_pos_interp='bicubic')


def test_backbone_uses_it_only_off_the_training_grid():
    torch.manual_seed(0)
    kw = dict(arch=dict(embed_dims=32, depth=2, num_heads=2, mlp_hidden=64, mlp_type='gelu', use_rope=False),
              img_size=64, patch_size=16, window_size=2, global_attn_indexes=(1,), use_rel_pos=True,
              with_cls_token=False)
    beit, linear = EVA(rel_pos_interp='beit', **kw).eval(), EVA(**kw).eval()
    with torch.no_grad():
        for p in beit.parameters():
            p.normal_(0, 0.2)
        linear.load_state_dict(beit.state_dict())
        same, bigger = torch.randn(1, 3, 64, 64), torch.randn(1, 3, 96, 96)
        torch.testing.assert_close(beit(same)[0], linear(same)[0])  # 4x4 tables fit: nothing resized
        assert (beit(bigger)[0] - linear(bigger)[0]).abs().max() > 1e-3  # 7 -> 11 rows, fitted differently


@pytest.mark.parametrize('name', ['cascade-mask-rcnn_eva-g_lsj-1280-45k_coco',
                                  'cascade-mask-rcnn_eva-g_lsj-1280-75k_lvis-v1'])
def test_eva01_1536_test_sets_beit(name):
    cfg = Config.fromfile(f'configs/eva01/{name}.py')
    assert cfg.model.backbone.rel_pos_interp == 'beit' and cfg.model.backbone.img_size == 1280
