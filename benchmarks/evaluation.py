"""COCO / LVIS evaluation at val-set sizes on generated ground truth and detections: exact evaluator vs faster one.

The ground truth has the real sets' shape: LVIS v1 val has 19,809 images, 1,203 categories (rare / common /
frequent), about 12 annotations per image and federated labels (`neg_category_ids`, `not_exhaustive_category_ids`);
COCO val2017 has 5,000 images, 80 categories and about 7 annotations per image. Detections are the top
`max_dets` of a detector-like output per image: jittered copies of the ground truth (right and confused classes)
plus background boxes, scores falling with the jitter. Both evaluators read the same dicts; the run reports each
one's seconds and every AP field of both, and their largest difference.
"""
from __future__ import annotations

import time
from typing import Dict, List, Tuple

import numpy as np

__all__ = ['VAL_SIZES', 'synthetic_ground_truth', 'synthetic_detections', 'run_evaluation']

#: name -> (images, categories, mean annotations per image) of the real val sets.
VAL_SIZES = {'lvis': (19809, 1203, 12.4), 'coco': (5000, 80, 7.3)}


def synthetic_ground_truth(kind: str, num_images: int, seed: int = 0, img_size: int = 640) -> dict:
    """LVIS v1 (``kind='lvis'``) or COCO-format ground truth with boxes and box-shaped polygons."""
    rng = np.random.default_rng(seed)
    _, num_cats, per_image = VAL_SIZES[kind]
    # A long-tailed category frequency, as LVIS (and, milder, COCO).
    weights = 1.0 / np.arange(1, num_cats + 1) ** (1.1 if kind == 'lvis' else 0.6)
    weights = rng.permutation(weights / weights.sum())
    images, anns = [], []
    for img_id in range(1, num_images + 1):
        n = max(1, rng.poisson(per_image))
        cats = rng.choice(num_cats, size=n, p=weights) + 1
        wh = np.exp(rng.uniform(np.log(8), np.log(img_size / 2), size=(n, 2)))
        xy = rng.uniform(0, 1, size=(n, 2)) * (img_size - wh)
        image = dict(id=img_id, height=img_size, width=img_size, file_name=f'{img_id:012d}.jpg')
        if kind == 'lvis':
            others = np.setdiff1d(np.arange(1, num_cats + 1), cats)
            image['neg_category_ids'] = sorted(rng.choice(others, size=min(len(others), 8), replace=False).tolist())
            present = np.unique(cats)
            image['not_exhaustive_category_ids'] = sorted(present[rng.uniform(size=len(present)) < 0.1].tolist())
        images.append(image)
        for (x, y), (w, h), c in zip(xy.tolist(), wh.tolist(), cats.tolist()):
            anns.append(dict(id=len(anns) + 1, image_id=img_id, category_id=c, bbox=[x, y, w, h], area=w * h,
                             iscrowd=0, segmentation=[[x, y, x + w, y, x + w, y + h, x, y + h]]))
    counts = np.bincount([a['category_id'] for a in anns], minlength=num_cats + 1)
    # LVIS v1's split by image count: 337 rare, 461 common, 405 frequent categories, assigned here by rank.
    rank = np.argsort(np.argsort(counts[1:], kind='stable'), kind='stable')
    categories = []
    for c in range(1, num_cats + 1):
        cat = dict(id=c, name=f'category_{c}', synset=f'category_{c}.n.01')
        if kind == 'lvis':
            r = rank[c - 1] / num_cats
            cat.update(image_count=int(counts[c]), instance_count=int(counts[c]),
                       frequency='r' if r < 337 / 1203 else 'c' if r < 798 / 1203 else 'f')
        categories.append(cat)
    return dict(images=images, annotations=anns, categories=categories)


def synthetic_detections(gt: dict, max_dets: int, seed: int = 1) -> List[dict]:
    """``max_dets`` detections per image (COCO results format, boxes only), best first."""
    rng = np.random.default_rng(seed)
    by_image: Dict[int, list] = {}
    for a in gt['annotations']:
        by_image.setdefault(a['image_id'], []).append(a)
    num_cats = len(gt['categories'])
    out = []
    for image in gt['images']:
        anns = by_image.get(image['id'], [])
        boxes = np.array([a['bbox'] for a in anns], float).reshape(-1, 4)
        cats = np.array([a['category_id'] for a in anns], int)
        # About half of the detections are near an object, the rest background boxes with random classes.
        near = rng.integers(0, max(len(anns), 1), size=max_dets // 2) if len(anns) else np.zeros(0, int)
        jitter = rng.normal(0, 0.15, size=(len(near), 4))
        b_near = boxes[near] * (1 + jitter * [0, 0, 1, 1]) + jitter * boxes[near][:, [2, 3, 2, 3]] * [1, 1, 0, 0]
        right = rng.uniform(size=len(near)) < 0.7
        c_near = np.where(right, cats[near], rng.integers(1, num_cats + 1, size=len(near)))
        s_near = np.exp(-np.abs(jitter).sum(1) * 3) * np.where(right, 1.0, 0.3)
        nb = max_dets - len(near)
        wh = np.exp(rng.uniform(np.log(8), np.log(image['width'] / 2), size=(nb, 2)))
        b_bg = np.concatenate([rng.uniform(0, 1, size=(nb, 2)) * (image['width'] - wh), wh], 1)
        c_bg, s_bg = rng.integers(1, num_cats + 1, size=nb), rng.uniform(0, 0.3, size=nb)
        b = np.concatenate([b_near, b_bg]).clip(min=0.5)
        c, s = np.concatenate([c_near, c_bg]), np.concatenate([s_near, s_bg])
        for i in np.argsort(-s, kind='stable'):
            out.append(dict(image_id=image['id'], category_id=int(c[i]), bbox=[round(v, 2) for v in b[i].tolist()],
                            score=round(float(s[i]), 5)))
    return out


def run_evaluation(kind: str = 'lvis', fraction: float = 1.0, max_dets: int = 300, seed: int = 0,
                   evaluators: Tuple[str, ...] = ('exact', 'faster')) -> Dict[str, object]:
    """Time the exact evaluator (lvis 0.5.3 / pycocotools) and faster-coco-eval on the same generated inputs.

    Args:
        fraction: of the real val set's images (the time of the whole set is extrapolated linearly).

    Returns:
        JSON-ready dict: seconds of each, their AP fields, the largest difference, the extrapolation.
    """
    from eva_mm.evaluation.fast_eval import coco_eval_fields, lvis_eval_fields
    num_images = max(1, round(VAL_SIZES[kind][0] * fraction))
    gt = synthetic_ground_truth(kind, num_images, seed)
    dets = synthetic_detections(gt, max_dets, seed + 1)
    out: Dict[str, object] = dict(kind=kind, images=num_images, annotations=len(gt['annotations']),
                                  detections=len(dets), max_dets=max_dets, fraction=fraction)
    fields: Dict[str, Dict[str, float]] = {}
    for name in evaluators:
        start = time.perf_counter()
        if kind == 'lvis':
            fields[name] = lvis_eval_fields(gt, dets, 'bbox', max_dets, backend=name)
        else:
            fields[name] = coco_eval_fields(gt, dets, 'bbox', backend=name)
        out[f'{name}_s'] = time.perf_counter() - start
        out[f'{name}_val_set_s'] = out[f'{name}_s'] / fraction
    out['fields'] = fields
    if len(fields) == 2:
        a, b = fields.values()
        out['max_abs_diff'] = max(abs(a[k] - b[k]) for k in a)
        out['speedup'] = out['exact_s'] / out['faster_s']
    return out


def main(argv=None) -> Dict[str, object]:
    """``python benchmarks/evaluation.py [--kind lvis|coco] [--fraction F] [--max-dets N] [--out FILE]``."""
    import argparse
    import json
    import os.path as osp
    import sys
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
    import eva_mm  # noqa: F401
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--kind', choices=sorted(VAL_SIZES), default='lvis')
    parser.add_argument('--fraction', type=float, default=1.0, help='of the val set (time extrapolated)')
    parser.add_argument('--max-dets', type=int, default=300)
    parser.add_argument('--out', default=None)
    args = parser.parse_args(argv)
    r = run_evaluation(args.kind, args.fraction, args.max_dets)
    print(f"{args.kind}: {r['images']} images, {r['annotations']} annotations, {r['detections']} detections "
          f"(max_dets {r['max_dets']}); exact {r['exact_s']:.1f} s, faster-coco-eval {r['faster_s']:.1f} s "
          f"({r['speedup']:.2f}x); whole val set ~{r['exact_val_set_s']:.0f} s vs ~{r['faster_val_set_s']:.0f} s; "
          f"largest AP-field difference {r['max_abs_diff']:.1e}")
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(r, f, indent=1)
    return r


if __name__ == '__main__':
    main()
