"""The benchmark harness runs end to end at a tiny size, and its measuring primitives measure what they claim."""
import importlib.util
import json
import os.path as osp
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

import eva_mm  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)  # benchmarks/ is a top-level folder of the checkout, like tools/

from benchmarks import gpu  # noqa: E402
from benchmarks.backbone import build_pair  # noqa: E402
from benchmarks.breakdown import op_breakdown, op_class, speedup_bound  # noqa: E402
from benchmarks.detector import run_backbone_cp  # noqa: E402
from benchmarks.measure import count_flops, interleaved_times, paired_ratio_stats, peak_memory  # noqa: E402

SMOKE_CONFIG = gpu.SMOKE_CONFIG
pytestmark = pytest.mark.filterwarnings('ignore:pkg_resources is deprecated:UserWarning')


def test_interleaved_times_alternate_after_warmup() -> None:
    calls = []
    steps = {name: (lambda n=name: calls.append(n)) for name in ('a', 'b', 'c')}
    times = interleaved_times(steps, torch.device('cpu'), warmup=2, repeats=3)
    assert calls == ['a', 'b', 'c'] * 5  # 2 warm-up rounds, then 3 timed rounds, always in turn
    assert {k: len(v) for k, v in times.items()} == {'a': 3, 'b': 3, 'c': 3}
    with pytest.raises(ValueError, match='repeats'):
        interleaved_times(steps, torch.device('cpu'), repeats=0)


def test_cpu_peak_memory_is_the_live_tensor_high_water_mark() -> None:
    mib = 2 ** 20
    keep = torch.ones(mib // 4)  # allocated before: not part of the step's peak

    def step() -> torch.Tensor:
        a = torch.empty(3 * mib, dtype=torch.uint8)
        b = torch.empty(2 * mib, dtype=torch.uint8)
        del a, b  # 5 MiB were alive together
        c = torch.empty(4 * mib, dtype=torch.uint8)  # 4 MiB alone: below the peak
        return c[:8].clone()

    peak = peak_memory(step, torch.device('cpu'))
    assert 5 * mib <= peak < 5 * mib + 64 * 1024  # plus the 8-byte result
    assert keep.numel() == mib // 4


def test_paired_ratio_stats() -> None:
    stats = paired_ratio_stats([2.0, 3.0, 4.0, 6.0, 10.0], [1.0, 1.0, 2.0, 2.0, 2.0])  # ratios 2, 3, 2, 3, 5
    assert stats == dict(median=3.0, q1=2.0, q3=3.0)
    assert paired_ratio_stats([3.0], [2.0]) == dict(median=1.5, q1=1.5, q3=1.5)
    with pytest.raises(ValueError, match='equally many rounds'):
        paired_ratio_stats([1.0, 2.0], [1.0])


def test_flop_count_of_a_matmul() -> None:
    a, b = torch.randn(8, 16), torch.randn(16, 32)
    assert count_flops(lambda: a @ b) == 2 * 8 * 16 * 32


def test_op_breakdown_splits_gemm_attention_and_the_rest() -> None:
    assert op_class('aten::addmm') == op_class('aten::mkldnn_convolution') == 'gemm'
    assert op_class('aten::_scaled_dot_product_flash_attention_for_cpu_backward') == 'attention'
    assert op_class('aten::native_layer_norm') == 'other'
    a, b = torch.randn(256, 256), torch.randn(256, 256)
    q = torch.randn(1, 2, 64, 16)
    big = torch.randn(1 << 20)

    def step() -> None:
        for _ in range(4):
            a @ b
        F.scaled_dot_product_attention(q, q, q)
        big.mul(2).add(1).exp()

    parts = op_breakdown(step, torch.device('cpu'))
    assert parts['gemm_s'] > 0 and parts['attention_s'] > 0 and parts['other_s'] > 0
    assert parts['total_s'] == pytest.approx(parts['gemm_s'] + parts['attention_s'] + parts['other_s'])
    only_gemm = op_breakdown(lambda: [a @ b for _ in range(8)], torch.device('cpu'))
    assert only_gemm['attention_s'] == 0 and only_gemm['gemm_share'] > 0.5
    # Half of eva_mm's 2 s step outside GEMM/attention: at best 1 s, so timm's 3 s step bounds the speed-up at 3x.
    assert speedup_bound(2.0, dict(gemm_share=0.4, attention_share=0.1), 3.0) == pytest.approx(3.0)


def test_pair_computes_the_same_function_and_unknown_arch_is_named() -> None:
    eva, ref = build_pair('eva02-t', img_size=28, depth=1)
    x = torch.randn(1, 3, 28, 28)
    with torch.no_grad():
        torch.testing.assert_close(eva.forward_tokens(x), ref.forward_features(x), atol=1e-5, rtol=0)
    with pytest.raises(KeyError, match="eva-l"):
        build_pair('eva-l', img_size=28)


def test_tool_end_to_end_tiny(tmp_path) -> None:
    """tools/benchmark.py with all three sections, as a user runs it: table on stdout, JSON on disk."""
    out = tmp_path / 'bench.json'
    cmd = [sys.executable, osp.join(ROOT, 'tools', 'benchmark.py'), '--bench', 'backbone', 'cp', 'detector',
           '--arch', 'eva02-t', '--img-size', '28', '--batch', '2', '--depth', '1', '--repeats', '2',
           '--config', SMOKE_CONFIG, '--det-img-size', '128', '--det-repeats', '1', '--det-rois', '16',
           '--out', str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'eva_mm / timm throughput' in proc.stdout and 'plain peak memory / with_cp' in proc.stdout

    payload = json.loads(out.read_text())
    assert payload['machine']['torch'] == torch.__version__ and payload['machine']['cpu_cores'] >= 1
    bb = payload['results']['backbone']
    assert bb['parity_max_abs_diff'] < 1e-4  # both models computed the same function
    assert set(bb['models']) == {'eva_mm', 'timm'}
    for m in bb['models'].values():
        for kind in ('forward', 'train'):
            assert m[kind]['img_per_s'] > 0 and 0 < m[kind]['fraction_of_matmul']
        assert m['train_peak_bytes'] > 0
    # Training costs about three forwards: the FLOP counter saw the backward too.
    assert 2.5 < bb['flops']['train'] / bb['flops']['forward'] < 3.5
    s = bb['speedup_vs_timm']
    assert s['train'] == pytest.approx(bb['models']['eva_mm']['train']['img_per_s']
                                       / bb['models']['timm']['train']['img_per_s'])
    t = bb['times']
    assert bb['speedup_vs_timm_best']['forward'] == pytest.approx(min(t['timm/forward']) / min(t['eva_mm/forward']))
    rounds = bb['speedup_vs_timm_rounds']['train']
    per_round = sorted(a / b for a, b in zip(t['timm/train'], t['eva_mm/train']))
    assert rounds['median'] == pytest.approx(sum(per_round) / 2)  # two rounds
    assert per_round[0] <= rounds['q1'] <= rounds['median'] <= rounds['q3'] <= per_round[-1]
    assert 'per-round ratios, median [quartiles]' in proc.stdout
    assert 'time by operator class' in proc.stdout and 'bound: with zero time outside GEMM' in proc.stdout
    for m in bb['models'].values():
        for part in m['breakdown'].values():
            assert sum(part[f'{c}_share'] for c in ('gemm', 'attention', 'other')) == pytest.approx(1.0)
            assert part['gemm_s'] > 0 and part['attention_s'] > 0  # the classes matched real operator names
    parts = bb['models']['eva_mm']['breakdown']['train']
    floor = bb['models']['eva_mm']['train']['seconds'] * (parts['gemm_share'] + parts['attention_share'])
    assert bb['speedup_bound']['train'] == pytest.approx(bb['models']['timm']['train']['seconds'] / floor)
    for section in ('cp', 'detector'):
        r = payload['results'][section]
        assert len(r['times']['plain']) == len(r['times']['with_cp']) == 1  # --det-repeats
        assert r['plain']['peak_bytes'] > 0 and r['with_cp']['peak_bytes'] > 0
    assert payload['results']['cp']['memory_ratio_plain_over_cp'] >= 1.0  # gradients dominate at this size
    assert payload['results']['detector']['sampled_rois'] == 16


def test_with_cp_keeps_only_block_inputs() -> None:
    """Where activations dominate (1024 tokens, 3 blocks, 64 wide), checkpointing must cut the step's peak."""
    r = run_backbone_cp(SMOKE_CONFIG, img_size=512, batch=1, device=torch.device('cpu'), dtype=torch.float32,
                        warmup=1, repeats=1)
    plain, cp = r['plain']['peak_bytes'], r['with_cp']['peak_bytes']
    params = 4 * 190_000  # about the smoke trunk's float32 gradients, which both settings hold at the end
    assert plain > 4 * params  # activations, not gradients, set the plain peak here
    assert r['memory_ratio_plain_over_cp'] == pytest.approx(plain / cp) and plain / cp > 2.0


def test_tool_rejects_bad_arguments(capsys) -> None:
    spec = importlib.util.spec_from_file_location('benchmark_tool', osp.join(ROOT, 'tools', 'benchmark.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    parse_args = tool.parse_args
    with pytest.raises(SystemExit):
        parse_args(['--batch', '0'])
    assert '--batch must be >= 1' in capsys.readouterr().err
    if not torch.cuda.is_available():
        with pytest.raises(SystemExit):
            parse_args(['--device', 'cuda'])
        assert 'CUDA is not available' in capsys.readouterr().err


def test_gpu_script_dry_run(tmp_path) -> None:
    payload = gpu.main(['--dry-run', '--out-dir', str(tmp_path)])
    saved = json.loads((tmp_path / 'gpu_benchmark.json').read_text())
    assert saved['dry_run'] is True and set(saved['results']) == set(payload['results'])
    for name, r in saved['results'].items():
        assert 'error' not in r and 'skipped' not in r, (name, r)
    backbone = saved['results']['eva02-t_28_b2_eager']
    assert backbone['dtype'] == 'bfloat16' and backbone['speedup_vs_timm']['train'] > 0


def test_gpu_script_budget_skips_and_failures_are_recorded() -> None:
    def boom(**_):
        raise RuntimeError('compiler missing')

    jobs = [('fails', boom, {}, str, 0.0), ('too_long', boom, {}, str, 1e9)]
    results = gpu.run_jobs(jobs, budget_s=10.0)
    assert results['fails']['error'] == 'RuntimeError: compiler missing'
    assert 'budget' in results['too_long']['skipped']


def test_test_section_end_to_end_smoke(tmp_path) -> None:
    """`--bench test` at smoke size: the stage split adds up, the sequential soft-NMS (before) keeps the same
    detections, and the post-processing protocols run soft- and hard NMS on the same input."""
    out = tmp_path / 'bench.json'
    cmd = [sys.executable, osp.join(ROOT, 'tools', 'benchmark.py'), '--bench', 'test', '--test-configs', SMOKE_CONFIG,
           '--test-rois', '40', '--test-before', '--det-repeats', '1', '--repeats', '1', '--warmup', '0',
           '--test-protocols', 'coco_eva02', 'lvis_eva02', '--test-sequential', '--test-devices', 'cpu',
           '--out', str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'NMS+maskness' in proc.stdout and 'soft/hard' in proc.stdout
    r = json.loads(out.read_text())['results']['test']
    step = r['test_step'][0]
    s = step['seconds']
    parts = ('backbone', 'neck', 'rpn', 'roi_heads', 'nms', 'maskness', 'mask_paste', 'other')
    assert sum(s[k] for k in parts) == pytest.approx(s['total'], rel=1e-6)
    assert all(s[k] > 0 for k in ('backbone', 'rpn', 'roi_heads', 'nms', 'maskness', 'mask_paste'))
    assert step['rois'] == 40 and step['sequential']['detections'] == s['detections'] > 0
    post = r['postprocess']['cpu']
    assert set(post) == {'coco_eva02', 'lvis_eva02'}
    assert post['coco_eva02']['candidates'] == 80_000 and post['coco_eva02']['kept']['soft_nms'] == 100
    assert post['lvis_eva02']['classes'] == 1203
