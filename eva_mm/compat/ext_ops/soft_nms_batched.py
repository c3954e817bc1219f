"""Soft-NMS of many independent groups at once (all classes of an image), exact to the sequential definition.

The sequential definition (`nms.softnms_reference`, one group): repeatedly keep the alive box of highest score
(the first one on ties), multiply the scores of the other alive boxes by the weight of their IoU with it, and
retire those whose score falls below `min_score`. Classes are independent groups; across classes
(`class_agnostic`) everything is one group. The merged result is every kept box with its decayed score, ordered by
decayed score (descending), then candidate index (ascending), truncated to the top `max_num`.

Here every group advances one pick per step, in parallel, with the same float operations in the same order as the
sequential loop, so kept boxes, order and decayed scores are identical. Two facts bound the work:

* A group's kept scores never increase (each pick is the maximum of scores that only decay), and within a group
  equal kept scores come in ascending candidate order. So once a group's next pick ranks below the current
  `max_num`-th best kept box, nothing more of that group can enter the result: the group stops.
* A candidate scoring below that `max_num`-th best can never be in the result, and it decays nobody before its
  own turn, so it leaves the working set.

The loop synchronises with the host only at a few checkpoints (steps 1, 2, 4, ..., 32, then every 32), never per
box, so on CUDA it queues its kernels without waiting.
"""
from typing import Callable, List, Optional, Tuple

import torch
from torch import Tensor

__all__ = ['SOFT_NMS_METHODS', 'PairWeights', 'grouped_soft_nms', 'pairwise_iou', 'soft_nms_weights',
           'weights_from_boxes']

# mmcv's soft-NMS method codes (`mmcv.ops.nms.soft_nms`, `method_dict`).
SOFT_NMS_METHODS = {0: 'naive', 1: 'linear', 2: 'gaussian'}

#: The first working set is the GUESS_FACTOR * max_num best candidates (then 4x more per retry).
GUESS_FACTOR = 4

#: Largest box count for which the [B, B] weight matrix is built (16 MiB of float32 at 2,048 boxes).
MAX_MATRIX_BOXES = 2048

#: Soft-NMS weights for each group's pick, by box index: (picked [G, 1], keys [G, L]) -> [G, L].
PairWeights = Callable[[Tensor, Tensor], Tensor]


def pairwise_iou(box: Tensor, boxes: Tensor, offset: int = 0) -> Tensor:
    """IoU with mmcv's `offset` convention, broadcasting: box [..., 4] against boxes [..., 4] -> [...].

    The operation order is fixed and shared by the sequential reference and the batched loop, so both compute
    bit-identical overlaps.
    """
    lt = torch.maximum(box[..., :2], boxes[..., :2])
    rb = torch.minimum(box[..., 2:], boxes[..., 2:])
    wh = rb - lt
    box_wh = box[..., 2:] - box[..., :2]
    boxes_wh = boxes[..., 2:] - boxes[..., :2]
    if offset:  # adding 0 would only cost time
        wh, box_wh, boxes_wh = wh + offset, box_wh + offset, boxes_wh + offset
    wh = wh.clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    area = box_wh[..., 0] * box_wh[..., 1]
    areas = boxes_wh[..., 0] * boxes_wh[..., 1]
    return inter / (area + areas - inter)


def soft_nms_weights(iou: Tensor, method: str, iou_threshold: float, sigma: float) -> Tensor:
    """Score multipliers of soft-NMS (Bodla et al. 2017) for overlaps `iou` with the box just kept."""
    if method == 'naive':
        return (iou < iou_threshold).to(iou.dtype)
    if method == 'linear':
        return torch.where(iou >= iou_threshold, 1 - iou, torch.ones_like(iou))
    if method == 'gaussian':
        return torch.exp(-(iou * iou) / sigma)
    raise ValueError(f'soft-NMS method must be one of {sorted(SOFT_NMS_METHODS.values())}, got {method!r}')


def weights_from_boxes(boxes: Tensor, method: str, iou_threshold: float, sigma: float,
                       offset: int = 0) -> PairWeights:
    """Weights from boxes [B, 4], a key being a row of `boxes`.

    Up to MAX_MATRIX_BOXES boxes (class-agnostic boxes: every class of RoI r has box r) are read from one
    [B, B] weight matrix built on first use; more (class-specific boxes) get each pick's row against all B
    boxes, or against its group's slots only when those are fewer. All three give the same numbers.
    """
    matrix: List[Tensor] = []
    num = boxes.shape[0]

    def weigh(box: Tensor, others: Tensor) -> Tensor:
        return soft_nms_weights(pairwise_iou(box, others, offset), method, iou_threshold, sigma)

    def weights(picked: Tensor, keys: Tensor) -> Tensor:
        if not matrix and num <= MAX_MATRIX_BOXES:
            matrix.append(weigh(boxes[:, None], boxes[None]).reshape(-1))  # row = picked box, as below
        if matrix:
            return matrix[0].take(picked * num + keys)
        if num <= keys.shape[1]:
            return weigh(boxes[picked], boxes[None]).gather(1, keys)  # [G, B] rows, then the slots'
        return weigh(boxes[picked], boxes[keys])
    return weights


def _ranked(scores: Tensor, cands: Tensor) -> Tensor:
    """Order of (score descending, candidate ascending): two stable sorts."""
    by_cand = torch.argsort(cands, stable=True)
    by_score = torch.argsort(scores[by_cand], descending=True, stable=True)
    return by_cand[by_score]


def _pack(groups: Tensor, *values: Tensor) -> Tuple[Tensor, ...]:
    """Flat candidates (ascending candidate order) -> one padded [G, L] row per group, in the same order.

    The first value (scores) is padded with -inf, the others (indices) with 0.
    """
    order = torch.argsort(groups, stable=True)
    groups = groups[order]
    _, counts = torch.unique_consecutive(groups, return_counts=True)
    row = torch.repeat_interleave(torch.arange(len(counts), device=groups.device), counts)
    col = torch.arange(len(groups), device=groups.device) - (torch.cumsum(counts, 0) - counts)[row]
    shape = (len(counts), int(counts.max()))
    out = []
    for i, v in enumerate(values):
        padded = v.new_full(shape, float('-inf')) if i == 0 else v.new_zeros(shape)
        padded[row, col] = v[order]
        out.append(padded)
    return tuple(out)


def _prune_groups(groups: Tensor, scores: Tensor, max_num: int) -> Optional[Tensor]:
    """Mask of the candidates that can reach the top `max_num`, judged from the groups' maxima (None: all can).

    Each group's first pick is its maximum, undecayed; with at least `max_num` groups, the `max_num`-th largest
    of those maxima bounds the result from below, and a candidate scoring under it can never be in it.
    """
    if max_num <= 0:
        return None
    best = scores.new_full((int(groups.max()) + 1,), float('-inf')).scatter_reduce(0, groups, scores, 'amax')
    best = best[best > float('-inf')]
    if len(best) < max_num:
        return None
    return scores >= best.topk(max_num).values[-1]  # ties with the bound stay: the candidate order decides them


def grouped_soft_nms(groups: Tensor, scores: Tensor, cands: Tensor, keys: Tensor, pair_weights: PairWeights,
                     min_score: float, max_num: int = -1,
                     checkpoints: Optional[List[int]] = None) -> Tuple[Tensor, Tensor]:
    """Soft-NMS of every group at once.

    Args:
        groups: [N] int64 group of each candidate, >= 0 (its class; all zeros across classes).
        scores: [N] scores.
        cands: [N] int64 candidate indices, strictly ascending: ties are broken by them, and they are returned.
        keys: [N] int64 box of each candidate, as `pair_weights` reads it.
        pair_weights: soft-NMS weights of the others for the picked candidates (see :data:`PairWeights`).
        min_score: as mmcv's `soft_nms`: a decayed score below it retires the candidate.
        max_num: keep the top `max_num` of the merged result; <= 0 keeps everything.
        checkpoints: steps after which to prune (default 1, 2, 4, ..., 32, the first steps at which `max_num`
            boxes may be kept, then every 32).

    Returns:
        kept candidate indices [K] (values of `cands`) and their decayed scores [K], best first.
    """
    # Guess, then verify: a candidate below a score t can only be picked once its group's picks are below t, and
    # it decays nobody before that, so without it the picks scoring >= t are the same. If the run on the
    # candidates >= t keeps max_num boxes >= t, those are the answer; else retry with a lower t (finally all).
    guess = GUESS_FACTOR * max_num
    while 0 < max_num and GUESS_FACTOR * guess <= scores.numel():  # worth it only on a small part
        t = scores.topk(guess).values[-1]
        sub = scores >= t  # ties with t stay
        keep, kept = _run(groups[sub], scores[sub], cands[sub], keys[sub], pair_weights, min_score, max_num,
                          checkpoints)
        if len(kept) >= max_num and bool(kept[max_num - 1] >= t):
            return keep, kept
        guess *= GUESS_FACTOR
    return _run(groups, scores, cands, keys, pair_weights, min_score, max_num, checkpoints)


def _run(groups: Tensor, scores: Tensor, cands: Tensor, keys: Tensor, pair_weights: PairWeights, min_score: float,
         max_num: int, checkpoints: Optional[List[int]]) -> Tuple[Tensor, Tensor]:
    """The batched loop on one working set (see :func:`grouped_soft_nms`)."""
    if scores.numel() == 0:
        return cands.new_zeros(0), scores.new_zeros(0)
    keep = _prune_groups(groups, scores, max_num)
    if keep is not None:
        groups, scores, cands, keys = groups[keep], scores[keep], cands[keep], keys[keep]
    work, work_cands, work_keys = _pack(groups, scores, cands, keys)
    if checkpoints is None:
        checkpoints = [1, 2, 4, 8, 16, 32] + ([-(-max_num // work.shape[0]), max_num] if max_num > 0 else [])
    checks = set(checkpoints)
    retired = scores.new_tensor(float('-inf'))
    rec_scores: List[Tensor] = []
    rec_cands: List[Tensor] = []
    step = 0
    while True:
        pick = work.argmax(1, keepdim=True)  # first maximum on ties, as the sequential loop
        rec_scores.append(work.gather(1, pick).squeeze(1))
        rec_cands.append(work_cands.gather(1, pick).squeeze(1))
        weights = pair_weights(work_keys.gather(1, pick), work_keys)
        work.scatter_(1, pick, float('-inf'))
        work.mul_(weights)
        # Retired and dead slots become -inf (-inf * 0 is nan, and nan >= x is False).
        work = torch.where(work >= min_score, work, retired)
        step += 1
        if step not in checks and step % 32:
            continue
        # Fold the records into one tensor per checkpoint (a cat of every record at every checkpoint is quadratic).
        rec_scores[:], rec_cands[:] = [torch.cat(rec_scores)], [torch.cat(rec_cands)]
        work, work_cands, work_keys = _checkpoint(work, work_cands, work_keys, rec_scores[0], rec_cands[0],
                                                  max_num)
        if work.shape[0] == 0:
            break
    kept_scores, kept_cands = torch.cat(rec_scores), torch.cat(rec_cands)
    valid = kept_scores > retired
    kept_scores, kept_cands = kept_scores[valid], kept_cands[valid]
    order = _ranked(kept_scores, kept_cands)
    if max_num > 0:
        order = order[:max_num]
    return kept_cands[order], kept_scores[order]


def _checkpoint(work: Tensor, work_cands: Tensor, work_keys: Tensor, scores: Tensor, cands: Tensor,
                max_num: int) -> Tuple[Tensor, Tensor, Tensor]:
    """Stop the groups that are done or can no longer reach the top `max_num`, and drop hopeless candidates."""
    best, nxt = work.max(1)
    live = best > float('-inf')
    slot_keep = work > float('-inf')
    if max_num > 0:
        valid = scores > float('-inf')
        if int(valid.sum()) >= max_num:
            scores, cands = scores[valid], cands[valid]
            kth = _ranked(scores, cands)[max_num - 1]
            tau, tau_cand = scores[kth], cands[kth]
            next_cand = work_cands.gather(1, nxt[:, None]).squeeze(1)
            # The group's next pick enters only if it ranks before the max_num-th kept box.
            live &= (best > tau) | ((best == tau) & (next_cand < tau_cand))
            slot_keep &= work >= tau
    if not bool(live.all()):
        work, work_cands, work_keys, slot_keep = work[live], work_cands[live], work_keys[live], slot_keep[live]
    if work.shape[0] == 0:
        return work, work_cands, work_keys
    length = int(slot_keep.sum(1).max())
    if length < 0.75 * work.shape[1]:
        # Keep each row's surviving slots first, in their (ascending candidate) order.
        order = torch.argsort((~slot_keep).to(torch.uint8), dim=1, stable=True)[:, :length]
        work, work_cands, work_keys = work.gather(1, order), work_cands.gather(1, order), work_keys.gather(1, order)
    return work, work_cands, work_keys
