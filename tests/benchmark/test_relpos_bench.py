"""tools/benchmark.py --bench relpos / relpos-backbone at smoke size: every path runs its kernel (the folded one
SDPA's fused kernel, the chunked one its autograd function) with less memory than the previous path, the path
switches restore what they replaced, and a wrong mmdet path is one clear error."""
import importlib.util
import os.path as osp
import sys

import pytest
import torch

import eva_mm  # noqa: F401
from eva_mm.layers import attention as attention_mod

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)  # benchmarks/ and tools/ are top-level folders of the checkout

from benchmarks.relpos import format_relpos, previous_rel_pos_path, rel_pos_path  # noqa: E402
from benchmarks.relpos_backbone import format_relpos_backbone, load_mmdet_vitdet  # noqa: E402
from eva_mm.layers.rel_pos_attention import get_rel_pos_kernel  # noqa: E402

_spec = importlib.util.spec_from_file_location('_benchmark_tool', osp.join(ROOT, 'tools', 'benchmark.py'))
_tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_tool)

pytestmark = pytest.mark.filterwarnings('ignore:pkg_resources is deprecated:UserWarning')


def test_relpos_section_smoke(tmp_path) -> None:
    out = tmp_path / 'relpos.json'
    payload = _tool.main(['--bench', 'relpos', '--relpos-blocks', 'vitdet-b@192', 'eva-g@192:mem',
                              '--relpos-dim', '96', '--repeats', '1', '--warmup', '0', '--device', 'cpu',
                              '--out', str(out)])
    timed, mem_only = payload['results']['relpos']
    assert out.exists() and timed['tokens'] == 144 and 'seconds' in timed and 'seconds' not in mem_only
    for r in (timed, mem_only):
        assert '_scaled_dot_product_attention_math' in r['kernels']['previous']
        assert '_scaled_dot_product_flash_attention_for_cpu_backward' in r['kernels']['folded']
        assert '_ChunkedRelPosAttentionBackward' in r['kernels']['chunked']
        for path in ('folded', 'chunked'):
            assert r['peak_bytes'][path] < r['peak_bytes']['previous'], path
            assert f'peak memory previous / {path}' in format_relpos(r)
    assert set(timed['speedup']) == {'folded', 'chunked'}


def test_relpos_backbone_section_smoke_without_mmdet(tmp_path) -> None:
    payload = _tool.main(['--bench', 'relpos-backbone', '--relpos-img-size', '64', '--relpos-depth', '3',
                          '--relpos-dim', '48', '--repeats', '1', '--warmup', '0', '--device', 'cpu',
                          '--out', str(tmp_path / 'b.json')])
    r = payload['results']['relpos_backbone']
    assert 'give --mmdet-vitdet-path' in r['mmdet_source'] and r['baseline'] == 'eva_mm previous'
    assert set(r['seconds']) == {'eva_mm previous', 'eva_mm folded', 'eva_mm chunked'}
    assert '_ChunkedRelPosAttention' in r['kernels']['eva_mm chunked']
    assert 'baseline' in format_relpos_backbone(r)
    with pytest.raises(FileNotFoundError, match='no vit.py there'):
        load_mmdet_vitdet(str(tmp_path))


def test_previous_path_is_restored_and_equal() -> None:
    fast = attention_mod.rel_pos_attention
    torch.manual_seed(0)
    q, k, v = (torch.randn(1, 2, 12, 8) for _ in range(3))
    tables = torch.randn(5, 8), torch.randn(7, 8)
    with previous_rel_pos_path():
        assert attention_mod.rel_pos_attention is not fast
        ref = attention_mod.rel_pos_attention(q, k, v, *tables, (3, 4), 8 ** -0.5)
    assert attention_mod.rel_pos_attention is fast
    torch.testing.assert_close(fast(q, k, v, *tables, (3, 4), 8 ** -0.5), ref, atol=1e-6, rtol=1e-5)
    with rel_pos_path('folded'):
        assert get_rel_pos_kernel() == 'folded'
    assert get_rel_pos_kernel() == 'auto'
    with pytest.raises(ValueError, match="one of .*got 'flash'"):
        with rel_pos_path('flash'):
            pass
