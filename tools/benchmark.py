"""Benchmark eva_mm's EVA backbone against timm's Eva, and activation checkpointing in a ViTDet detector.

    python tools/benchmark.py [--bench backbone cp detector] [--arch eva02-b] [--img-size 224] [--batch 8]
                              [--depth N] [--device cpu|cuda] [--dtype fp32|bf16|fp16] [--compile]
                              [--no-timm] [--no-memory] [--no-breakdown]
                              [--warmup 1] [--repeats 5] [--config DET_CFG] [--det-img-size 1024]
                              [--det-batch 1] [--det-arch A] [--det-depth N] [--det-rois R]
                              [--out results.json]

Sections (``--bench``, any subset):
  backbone  eva_mm vs timm (same weights): forward and forward+backward img/s, peak training memory, achieved
            FLOP/s against a plain matmul of the model's widest GEMM size, all interleaved after warm-up;
            then one profiled step per model splits the time into GEMM / attention / other, which bounds the
            speed-up any change outside GEMMs and attention can reach.
  cp        the detector config's backbone, forward+backward with_cp off/on: time and peak memory.
  detector  the detector's full train step (with optimizer) with_cp off/on: time and peak memory.
  test      EVA's test protocol: each --test-configs config's test step on a generated image split into
            backbone / neck / RPN / RoI heads / NMS / maskness / mask pasting, on CPU and CUDA (when present);
            then soft-NMS against hard NMS on the same input at the recipes' sizes (benchmarks/postprocess.py).
  relpos    one global rel-pos block (--relpos-blocks, e.g. vitdet-b@1024 eva-g@1280) forward+backward: eva_mm's
            previous path (N x N bias as SDPA attn_mask) vs the folded fused path: time, peak memory, SDPA kernels
            (benchmarks/relpos.py); a block given as NAME@SIZE:mem is measured for memory only.
  relpos-backbone  the ViTDet-B backbone (rel-pos in every block) at --relpos-img-size forward+backward: eva_mm
            on each rel-pos path against mmdet's projects/ViTDet ViT (--mmdet-vitdet-path, not in mmdet's wheel):
            time, peak memory, attention kernels, same weights (benchmarks/relpos_backbone.py).
Prints one table per section and writes every raw number with a machine description to ``--out``.
"""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout without installing

import torch  # noqa: E402

import eva_mm  # noqa: E402,F401  (fixes the stack and registers eva_mm before any config is read)
from benchmarks.backbone import run_backbone  # noqa: E402
from benchmarks.detector import DEFAULT_DETECTOR_CONFIG, run_backbone_cp, run_detector  # noqa: E402
from benchmarks.measure import machine_info  # noqa: E402
from benchmarks.relpos import format_relpos, run_relpos  # noqa: E402
from benchmarks.relpos_backbone import format_relpos_backbone, run_relpos_backbone  # noqa: E402
from benchmarks.report import format_backbone, format_cp, format_machine, write_json  # noqa: E402
from benchmarks.test_step import DEFAULT_TEST_CONFIGS, format_test_bench, run_test_bench  # noqa: E402

DTYPES = dict(fp32=torch.float32, bf16=torch.bfloat16, fp16=torch.float16)
SECTIONS = ('backbone', 'cp', 'detector', 'test', 'relpos', 'relpos-backbone')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument('--bench', nargs='+', choices=SECTIONS, default=['backbone'])
    parser.add_argument('--arch', default='eva02-b', help='backbone section: eva_mm arch with a timm counterpart')
    parser.add_argument('--img-size', type=int, default=224)
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--depth', type=int, default=None, help='truncate the backbone (default: full depth)')
    parser.add_argument('--no-timm', action='store_true', help='measure eva_mm only')
    parser.add_argument('--no-memory', action='store_true', help='skip the peak-memory runs of the backbone section')
    parser.add_argument('--no-breakdown', action='store_true',
                        help='skip the profiled steps that split the backbone time into GEMM / attention / other')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--dtype', choices=sorted(DTYPES), default='fp32',
                        help='fp32, or autocast to bf16/fp16 (weights stay fp32)')
    parser.add_argument('--compile', action='store_true', help='torch.compile the backbones (backbone section)')
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--config', default=DEFAULT_DETECTOR_CONFIG, help='detector config (cp, detector)')
    parser.add_argument('--det-img-size', type=int, default=1024)
    parser.add_argument('--det-batch', type=int, default=1)
    parser.add_argument('--det-arch', default=None, help='replace the detector backbone arch')
    parser.add_argument('--det-depth', type=int, default=None, help='truncate the detector backbone')
    parser.add_argument('--det-repeats', type=int, default=2)
    parser.add_argument('--det-rois', type=int, default=None,
                        help="detector section: RoIs sampled per stage (default: the recipe's 512)")
    parser.add_argument('--test-configs', nargs='+', default=DEFAULT_TEST_CONFIGS, help='test section: configs')
    parser.add_argument('--test-devices', nargs='+', default=None,
                        help='test section: devices (default: cpu, and cuda when available)')
    parser.add_argument('--test-img-size', type=int, default=None, help="test section: input (default: config's)")
    parser.add_argument('--test-rois', type=int, default=None, help="test section: RPN proposals (default: 1000)")
    parser.add_argument('--test-before', action='store_true',
                        help='test section: also time the first config with the sequential soft-NMS (slow)')
    parser.add_argument('--test-protocols', nargs='+', default=None, help='test section: post-processing protocols')
    parser.add_argument('--test-sequential', nargs='*', default=['coco_eva02', 'lvis_eva02'],
                        help='test section: protocols also timed with the sequential soft-NMS')
    parser.add_argument('--relpos-blocks', nargs='+', default=['vitdet-b@1024', 'eva-g@1280:mem'],
                        help='relpos section: BLOCK@IMG_SIZE[:mem] (blocks: vitdet-b, eva-g)')
    parser.add_argument('--relpos-dim', type=int, default=None,
                        help='relpos, relpos-backbone sections: override the width (smoke)')
    parser.add_argument('--relpos-paths', nargs='+', choices=('previous', 'folded', 'chunked'),
                        default=['previous', 'folded', 'chunked'], help="relpos sections: eva_mm's rel-pos paths")
    parser.add_argument('--relpos-img-size', type=int, default=1024, help='relpos-backbone section: input side')
    parser.add_argument('--relpos-depth', type=int, default=None, help='relpos-backbone section: truncate (smoke)')
    parser.add_argument('--relpos-no-kernels', action='store_true',
                        help='relpos-backbone section: skip the profiled step that names the attention kernels')
    parser.add_argument('--mmdet-vitdet-path', default=None,
                        help="relpos-backbone section: mmdet's projects/ViTDet/vitdet/vit.py, its folder or an "
                             "mmdetection checkout (default: import projects.ViTDet.vitdet)")
    parser.add_argument('--threads', type=int, default=None, help='torch.set_num_threads (CPU)')
    parser.add_argument('--out', default='benchmark.json', help='JSON result file')
    args = parser.parse_args(argv)
    for name in ('batch', 'img_size', 'det_img_size', 'det_batch', 'repeats', 'det_repeats'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} must be >= 1, got {getattr(args, name)}')
    if args.device.startswith('cuda') and not torch.cuda.is_available():
        parser.error(f'--device {args.device}: CUDA is not available on this machine')
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device, dtype = torch.device(args.device), DTYPES[args.dtype]
    payload = dict(machine=machine_info(device), args=vars(args), results={})
    print(format_machine(payload['machine']), flush=True)
    start = time.perf_counter()
    if 'backbone' in args.bench:
        r = run_backbone(args.arch, args.img_size, args.batch, device, dtype, depth=args.depth,
                         compile=args.compile, warmup=args.warmup, repeats=args.repeats, with_timm=not args.no_timm,
                         memory=not args.no_memory, breakdown=not args.no_breakdown)
        payload['results']['backbone'] = r
        print('\n' + format_backbone(r), flush=True)
    det = dict(config=args.config, img_size=args.det_img_size, batch=args.det_batch, device=device, dtype=dtype,
               arch=args.det_arch, depth=args.det_depth, warmup=args.warmup, repeats=args.det_repeats)
    if 'cp' in args.bench:
        r = run_backbone_cp(**det)
        payload['results']['cp'] = r
        print('\n' + format_cp(r, 'backbone forward+backward'), flush=True)
    if 'detector' in args.bench:
        r = run_detector(**det, rois=args.det_rois)
        payload['results']['detector'] = r
        print('\n' + format_cp(r, 'detector train step'), flush=True)
    if 'test' in args.bench:
        devices = [torch.device(d) for d in args.test_devices or
                   ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])]
        r = run_test_bench(args.test_configs, devices, args.test_img_size, args.test_rois, args.warmup,
                           args.det_repeats, args.test_before, args.test_protocols, args.test_sequential,
                           args.repeats)
        payload['results']['test'] = r
        print('\n' + format_test_bench(r), flush=True)
    if 'relpos' in args.bench:
        payload['results']['relpos'] = []
        for spec in args.relpos_blocks:
            name, _, rest = spec.partition('@')
            size, _, mode = rest.partition(':')
            r = run_relpos(name, int(size), device, dtype, warmup=args.warmup, repeats=args.repeats,
                           timing=mode != 'mem', dim=args.relpos_dim, paths=args.relpos_paths)
            payload['results']['relpos'].append(r)
            print('\n' + format_relpos(r), flush=True)
    if 'relpos-backbone' in args.bench:
        r = run_relpos_backbone(args.relpos_img_size, device, dtype, batch=args.det_batch,
                                mmdet_vitdet_path=args.mmdet_vitdet_path, depth=args.relpos_depth,
                                dim=args.relpos_dim, warmup=args.warmup, repeats=args.repeats,
                                paths=args.relpos_paths, kernels=not args.relpos_no_kernels)
        payload['results']['relpos_backbone'] = r
        print('\n' + format_relpos_backbone(r), flush=True)
    payload['wall_s'] = time.perf_counter() - start
    write_json(args.out, payload)
    print(f'\nwrote {args.out} ({payload["wall_s"]:.0f} s)')
    return payload


if __name__ == '__main__':
    main()
