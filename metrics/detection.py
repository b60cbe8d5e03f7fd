"""Object-detection metrics: 3-D mAP (Lyft), VOC-style pair AP (SIIM-COVID19), COCO AP at one IoU
threshold (VinBigData) and point-in-box F1 (Kuzushiji).

Input form, shared by every metric here: ``y_true`` and ``y_pred`` are sequences with one entry per image
(or sample, or page), in the same image order; each entry is a 2-D array-like of boxes, one box per row, with
the columns the metric documents (an image without boxes is ``[]`` or an array of shape ``(0, ncols)``).
Class labels are numeric codes (map class names to integers first, e.g. with ``np.unique``). Internally the
boxes are flattened into one array with an image index, so every per-box computation is vectorised; only
greedy matching, which is sequential by definition, loops, and then over match *rounds* (the k-th
candidate of every image at once), never over boxes.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from metrics._core import MetricInputError, register

__all__ = [
    "map_detection_3d",
    "map_detection_voc",
    "map_detection_coco",
    "f1_detection_points",
    "iou_xyxy",
    "iou_3d",
    "rectangle_intersection_area",
    "box_corners_bev",
]

LYFT_IOU_THRESHOLDS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
#: COCO's 101 recall points 0, 0.01, ..., 1 (pycocotools builds them with np.linspace).
COCO_RECALL_POINTS = np.linspace(0.0, 1.0, 101)
COCO_MAX_DETS = 100
COCO_AREA_RANGE = (0.0, 1e10)


# ---------------------------------------------------------------------------------------------
# Input handling
# ---------------------------------------------------------------------------------------------


def _flatten(values: Any, ncols: int, metric: str, what: str, layout: str) -> tuple[np.ndarray, np.ndarray, int]:
    """One entry per image of (m_i, ncols) boxes -> (image index per box, boxes (m, ncols), n_images)."""
    if values is None or isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        raise MetricInputError(
            f"{metric}: {what} must be a sequence with one array of boxes per image ({layout})",
            argument=what,
        )
    n_images = len(values)
    if n_images == 0:
        raise MetricInputError(f"{metric}: {what} is empty; pass one entry (possibly []) per image", argument=what)
    blocks = []
    for i, entry in enumerate(values):
        try:
            arr = np.asarray(entry, dtype=np.float64)
        except (TypeError, ValueError):
            raise MetricInputError(
                f"{metric}: {what}[{i}] is not a numeric array of boxes; each row is {layout} "
                "with numeric class codes",
                argument=what,
            ) from None
        if arr.size == 0:
            arr = arr.reshape(0, ncols)
        elif arr.ndim == 1 and arr.shape[0] == ncols:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != ncols:
            raise MetricInputError(
                f"{metric}: {what}[{i}] has shape {arr.shape}; each image needs an (n, {ncols}) array of "
                f"boxes, one row {layout}",
                argument=what,
            )
        blocks.append(arr)
    counts = np.fromiter((b.shape[0] for b in blocks), dtype=np.int64, count=n_images)
    boxes = np.concatenate(blocks, axis=0) if counts.sum() else np.empty((0, ncols))
    bad = ~np.isfinite(boxes)
    if bad.any():
        row = int(np.flatnonzero(bad.any(axis=1))[0])
        image = int(np.searchsorted(np.cumsum(counts), row, side="right"))
        raise MetricInputError(
            f"{metric}: {what} holds {int(bad.sum())} NaN or infinite value(s) (first in image {image}); "
            "drop or fix those boxes before scoring",
            argument=what,
        )
    image = np.repeat(np.arange(n_images), counts)
    return image, boxes, n_images


def _same_images(metric: str, n_true: int, n_pred: int) -> None:
    if n_true != n_pred:
        raise MetricInputError(
            f"{metric}: y_true has {n_true} images but y_pred has {n_pred}; pass one entry per image, "
            "in the same order (an image without predictions is [])",
            argument="y_pred",
        )


def _class_keys(image_a, cls_a, image_b, cls_b) -> tuple[np.ndarray, np.ndarray, int]:
    """Integer keys ``image * k + class code``, equal exactly when (image, class) are equal; and ``k``."""
    classes, inverse = np.unique(np.concatenate([cls_a, cls_b]), return_inverse=True)
    k = max(len(classes), 1)
    code_a, code_b = inverse[: len(cls_a)], inverse[len(cls_a):]
    return image_a * k + code_a, image_b * k + code_b, k


def _pairs_by_key(key_a: np.ndarray, key_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (i, j) with key_a[i] == key_b[j], sorted by i, then by j's original order."""
    order_b = np.argsort(key_b, kind="stable")
    sorted_b = key_b[order_b]
    lo = np.searchsorted(sorted_b, key_a, side="left")
    counts = np.searchsorted(sorted_b, key_a, side="right") - lo
    total = int(counts.sum())
    ia = np.repeat(np.arange(len(key_a)), counts)
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    return ia, order_b[np.repeat(lo, counts) + offsets]


def _rank_in_group(group: np.ndarray) -> np.ndarray:
    """Position of each item among the items of its group, in index order."""
    order = np.argsort(group, kind="stable")
    rank = np.empty(len(group), dtype=np.int64)
    g = group[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]]) if len(g) else np.empty(0, np.int64)
    lengths = np.diff(np.r_[starts, len(g)])
    rank[order] = np.arange(len(g)) - np.repeat(starts, lengths)
    return rank


def _greedy_match(
    pair_a: np.ndarray,
    pair_b: np.ndarray,
    step: np.ndarray,
    n_a: int,
    n_b: int,
    pref: np.ndarray | None = None,
    tier: np.ndarray | None = None,
    last: bool = False,
    holds: np.ndarray | None = None,
) -> np.ndarray:
    """Sequential greedy assignment of choosers ``a`` to candidates ``b``, one round per ``step``.

    Pairs must be sorted by (step, a) and, within a chooser, in candidate order. ``step`` is the rank of
    the chooser within its conflict group (choosers of one group never share candidates with another group),
    so the choosers of one round are independent and are served together. Each chooser takes, among its
    candidates not yet taken: the lowest ``tier``, then the highest ``pref``, then the first (or ``last``)
    in candidate order. A chosen candidate becomes taken unless ``holds[a]`` is False.
    Returns the chosen candidate per chooser (-1 for none).
    """
    match = np.full(n_a, -1, dtype=np.int64)
    taken = np.zeros(n_b, dtype=bool)
    if len(pair_a) == 0:
        return match
    cuts = np.flatnonzero(np.diff(step)) + 1
    for s, e in zip(np.r_[0, cuts], np.r_[cuts, len(step)]):
        free = np.flatnonzero(~taken[pair_b[s:e]]) + s
        if len(free) == 0:
            continue
        a, b = pair_a[free], pair_b[free]
        seg = np.flatnonzero(np.r_[True, a[1:] != a[:-1]])
        seg_len = np.diff(np.r_[seg, len(a)])
        keep = np.ones(len(a), dtype=bool)
        if tier is not None:
            t = tier[free]
            keep &= t == np.repeat(np.minimum.reduceat(t, seg), seg_len)
        if pref is not None:
            p = np.where(keep, pref[free], -np.inf)
            keep &= p == np.repeat(np.maximum.reduceat(p, seg), seg_len)
        pos = np.arange(len(a))
        if last:
            pick = np.maximum.reduceat(np.where(keep, pos, -1), seg)
        else:
            pick = np.minimum.reduceat(np.where(keep, pos, len(a)), seg)
        match[a[pick]] = b[pick]
        chosen = b[pick] if holds is None else b[pick][holds[a[pick]]]
        taken[chosen] = True
    return match


def _reverse_cummax_by_group(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """For each i, max of values[j] over j >= i within i's group (groups contiguous, ascending). Exact."""
    if len(values) == 0:
        return values.copy()
    uniq, rank = np.unique(values, return_inverse=True)
    offset = (group.max() - group).astype(np.int64) * len(uniq)
    key = offset + rank
    best = np.maximum.accumulate(key[::-1])[::-1] - offset
    return uniq[best]


# ---------------------------------------------------------------------------------------------
# Geometry
# ---------------------------------------------------------------------------------------------


def iou_xyxy(a: Any, b: Any) -> np.ndarray:
    """Elementwise IoU of axis-aligned boxes ``[x0, y0, x1, y1]``; 0 where the union is not positive.

    >>> iou_xyxy([[0, 0, 2, 2]], [[1, 0, 3, 2]]).tolist()
    [0.3333333333333333]
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    w = np.maximum(0.0, np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0]))
    h = np.maximum(0.0, np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1]))
    inter = w * h
    union = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]) + (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) - inter
    out = np.zeros(len(inter))
    np.divide(inter, union, out=out, where=union > 0)
    return out


def _iou_coco(dt: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Elementwise IoU of ``[x, y, w, h]`` boxes exactly as pycocotools' bbIou computes it (non-crowd)."""
    w = np.minimum(dt[:, 2] + dt[:, 0], gt[:, 2] + gt[:, 0]) - np.maximum(dt[:, 0], gt[:, 0])
    h = np.minimum(dt[:, 3] + dt[:, 1], gt[:, 3] + gt[:, 1]) - np.maximum(dt[:, 1], gt[:, 1])
    inter = w * h
    union = dt[:, 2] * dt[:, 3] + gt[:, 2] * gt[:, 3] - inter
    ok = (w > 0) & (h > 0)
    out = np.zeros(len(inter))
    np.divide(inter, union, out=out, where=ok)
    return out


def box_corners_bev(cx: Any, cy: Any, length: Any, width: Any, yaw: Any) -> np.ndarray:
    """Corners (n, 4, 2), counter-clockwise, of rectangles with ``length`` along the heading ``yaw``.

    >>> box_corners_bev([0.0], [0.0], [4.0], [2.0], [0.0])[0].tolist()
    [[2.0, 1.0], [-2.0, 1.0], [-2.0, -1.0], [2.0, -1.0]]
    """
    cx, cy, length, width, yaw = (np.asarray(v, dtype=np.float64) for v in (cx, cy, length, width, yaw))
    c, s = np.cos(yaw), np.sin(yaw)
    local_x = np.array([0.5, -0.5, -0.5, 0.5])[None, :] * length[:, None]
    local_y = np.array([0.5, 0.5, -0.5, -0.5])[None, :] * width[:, None]
    x = cx[:, None] + local_x * c[:, None] - local_y * s[:, None]
    y = cy[:, None] + local_x * s[:, None] + local_y * c[:, None]
    return np.stack([x, y], axis=-1)


def _clip_half_plane(x, y, count, ax, ay, bx, by):
    """One Sutherland-Hodgman pass: keep the part of each polygon left of the directed edge a -> b.

    Polygons are padded rows of vertex coordinates ``x``, ``y`` (n, m) with ``count`` valid vertices each.
    """
    n, m = x.shape
    rows = np.arange(n)[:, None]
    j = np.arange(m)[None, :]
    valid = j < count[:, None]
    nxt = (j + 1) % np.maximum(count, 1)[:, None]
    d = (bx - ax)[:, None] * (y - ay[:, None]) - (by - ay)[:, None] * (x - ax[:, None])
    d_next = d[rows, nxt]
    inside = d >= 0
    crosses = valid & (inside != (d_next >= 0))
    t = d / np.where(crosses, d - d_next, 1.0)
    # Each vertex emits itself when inside, then the crossing point of its outgoing edge.
    emit = np.stack([valid & inside, crosses], axis=2).reshape(n, 2 * m)
    cand_x = np.stack([x, x + t * (x[rows, nxt] - x)], axis=2).reshape(n, 2 * m)
    cand_y = np.stack([y, y + t * (y[rows, nxt] - y)], axis=2).reshape(n, 2 * m)
    slot = np.cumsum(emit, axis=1) - 1
    r, c = np.nonzero(emit)
    out_x = np.zeros((n, m))
    out_y = np.zeros((n, m))
    out_x[r, slot[r, c]] = cand_x[r, c]
    out_y[r, slot[r, c]] = cand_y[r, c]
    return out_x, out_y, slot[:, -1] + 1


def rectangle_intersection_area(corners_a: Any, corners_b: Any) -> np.ndarray:
    """Elementwise intersection area of convex quadrilaterals given as counter-clockwise corners (n, 4, 2).

    Sutherland-Hodgman: polygon A is clipped by the four edges of B, all pairs at once.

    >>> a = box_corners_bev([0.0], [0.0], [2.0], [2.0], [0.0])
    >>> b = box_corners_bev([1.0], [1.0], [2.0], [2.0], [0.0])
    >>> rectangle_intersection_area(a, b).tolist()
    [1.0]
    """
    a = np.asarray(corners_a, dtype=np.float64)
    b = np.asarray(corners_b, dtype=np.float64)
    n = a.shape[0]
    if n == 0:
        return np.zeros(0)
    # Work relative to A's first corner: world coordinates (thousands of metres) would cost precision.
    origin = a[:, :1, :]
    a, b = a - origin, b - origin
    x = np.zeros((n, 8))
    y = np.zeros((n, 8))
    x[:, :4], y[:, :4] = a[..., 0], a[..., 1]
    count = np.full(n, 4)
    for k in range(4):
        e0, e1 = b[:, k], b[:, (k + 1) % 4]
        x, y, count = _clip_half_plane(x, y, count, e0[:, 0], e0[:, 1], e1[:, 0], e1[:, 1])
    rows = np.arange(n)[:, None]
    j = np.arange(8)[None, :]
    nxt = (j + 1) % np.maximum(count, 1)[:, None]
    cross = x * y[rows, nxt] - x[rows, nxt] * y
    area = 0.5 * np.abs(np.where(j < count[:, None], cross, 0.0).sum(axis=1))
    return np.where(count >= 3, area, 0.0)


def iou_3d(a: Any, b: Any) -> np.ndarray:
    """Elementwise 3-D IoU of boxes ``[cx, cy, cz, w, l, h, yaw]`` (Lyft convention, clipped to [0, 1]).

    Intersection = bird's-eye rotated-rectangle overlap x height overlap; union = sum of volumes minus it.

    >>> iou_3d([[0, 0, 0, 2, 2, 2, 0]], [[1, 0, 0, 2, 2, 2, 0]]).tolist()
    [0.3333333333333333]
    """
    a = np.asarray(a, dtype=np.float64).reshape(-1, 7)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 7)
    ca = box_corners_bev(a[:, 0], a[:, 1], a[:, 4], a[:, 3], a[:, 6])
    cb = box_corners_bev(b[:, 0], b[:, 1], b[:, 4], b[:, 3], b[:, 6])
    area = rectangle_intersection_area(ca, cb)
    top = np.minimum(a[:, 2] + a[:, 5] / 2, b[:, 2] + b[:, 5] / 2)
    bottom = np.maximum(a[:, 2] - a[:, 5] / 2, b[:, 2] - b[:, 5] / 2)
    inter = np.maximum(0.0, top - bottom) * area
    volume_a = a[:, 3] * a[:, 4] * a[:, 5]
    volume_b = b[:, 3] * b[:, 4] * b[:, 5]
    return np.clip(inter / (volume_a + volume_b - inter), 0.0, 1.0)


def _iou_3d_sparse(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """:func:`iou_3d` computed only for pairs that can overlap (ground circles and heights); 0 elsewhere."""
    reach = 0.5 * (np.hypot(a[:, 3], a[:, 4]) + np.hypot(b[:, 3], b[:, 4])) * (1 + 1e-9)
    near = np.hypot(a[:, 0] - b[:, 0], a[:, 1] - b[:, 1]) <= reach
    near &= np.abs(a[:, 2] - b[:, 2]) <= 0.5 * (a[:, 5] + b[:, 5]) * (1 + 1e-9)
    out = np.zeros(len(a))
    out[near] = iou_3d(a[near], b[near])
    return out


# ---------------------------------------------------------------------------------------------
# Lyft 3-D mAP
# ---------------------------------------------------------------------------------------------


@register("map_detection_3d", higher_is_better=True, bounds=(0.0, 1.0), aliases=("lyft_map_3d",))
def map_detection_3d(
    y_true: Sequence[Any],
    y_pred: Sequence[Any],
    iou_thresholds: Sequence[float] = LYFT_IOU_THRESHOLDS,
    averaging: str = "global",
) -> float:
    """Lyft 3-D detection mAP, averaged over IoU thresholds.

    Parameters
    ----------
    y_true : one entry per sample, an (m, 8) array ``[class, cx, cy, cz, w, l, h, yaw]`` (sizes > 0;
        ``l`` lies along the heading ``yaw``).
    y_pred : one entry per sample, a (k, 9) array ``[class, score, cx, cy, cz, w, l, h, yaw]``.
    iou_thresholds : a prediction is a true positive when its 3-D IoU with its best-overlapping ground-truth
        box of the same class (and sample) is strictly above the threshold and that box is not yet taken.
        The default is Lyft's list 0.5, 0.55, ..., 0.95 (``np.arange(0.5, 1.0, 0.05)`` is off by one ulp).
    averaging : ``"global"`` (Kaggle): per threshold and class, predictions of all samples are pooled
        in score order; mAP = mean over the classes present in ``y_true``; score = mean over thresholds.
        ``"per_sample"`` (MLE-bench v1 uses this): the same per sample over that sample's classes, then
        the mean over all (sample, threshold) pairs; a sample without ground truth makes the score NaN, as in
        MLE-bench.

    AP is the area under the precision envelope (recall sentinels 0 and 1); a class without predictions
    scores 0 and predicted classes absent from the ground truth are ignored. Ties in score keep input order.

    >>> gt = [[[0, 0, 0, 0, 2, 4, 2, 0]], [[0, 10, 0, 0, 2, 4, 2, 0], [1, 20, 0, 0, 2, 4, 2, 0]]]
    >>> pred = [[[0, 0.9, 0, 0, 0, 2, 4, 2, 0]], [[0, 0.8, 10, 0, 0, 2, 4, 2, 0]]]
    >>> map_detection_3d(gt, pred)
    0.5
    >>> map_detection_3d(gt, pred, averaging="per_sample")
    0.75
    """
    name = "map_detection_3d"
    ti, tb, n_true = _flatten(y_true, 8, name, "y_true", "[class, cx, cy, cz, w, l, h, yaw]")
    pi, pb, n_pred = _flatten(y_pred, 9, name, "y_pred", "[class, score, cx, cy, cz, w, l, h, yaw]")
    _same_images(name, n_true, n_pred)
    thresholds = np.atleast_1d(np.asarray(iou_thresholds, dtype=np.float64))
    if thresholds.ndim != 1 or len(thresholds) == 0 or ((thresholds < 0) | (thresholds > 1)).any():
        raise MetricInputError(
            f"{name}: iou_thresholds must be a non-empty list of values in [0, 1]",
            argument="iou_thresholds",
        )
    if averaging not in ("global", "per_sample"):
        raise MetricInputError(
            f"{name}: averaging must be 'global' or 'per_sample', got {averaging!r}",
            argument="averaging",
        )
    for what, sizes in (("y_true", tb[:, 4:7]), ("y_pred", pb[:, 5:8])):
        if (sizes <= 0).any():
            raise MetricInputError(
                f"{name}: {what} has boxes with a width, length or height <= 0; sizes must be positive",
                argument=what,
            )
    if len(tb) == 0 and averaging == "global":
        raise MetricInputError(f"{name}: y_true holds no boxes, so no class can be scored", argument="y_true")

    tkey, pkey, n_codes = _class_keys(ti, tb[:, 0], pi, pb[:, 0])
    # Scoring groups: a class (global) or a (sample, class) pair (per sample), among those with ground truth.
    group_key = tb[:, 0] if averaging == "global" else tkey
    pred_key = pb[:, 0] if averaging == "global" else pkey
    groups, true_group = np.unique(group_key, return_inverse=True)
    n_groups = len(groups)
    slot = np.minimum(np.searchsorted(groups, pred_key), max(n_groups - 1, 0))
    pred_group = np.where(groups[slot] == pred_key, slot, -1) if n_groups else np.full(len(pb), -1)

    keep = pred_group >= 0
    pred_index = np.flatnonzero(keep)
    # Predictions in processing order: by group, then score descending, ties in input order.
    order = pred_index[np.lexsort((pred_index, -pb[pred_index, 1], pred_group[pred_index]))]
    # Best ground truth per prediction (same sample and class), first on ties, over all of them.
    ia, ib = _pairs_by_key(pkey[order], tkey)
    ious = _iou_3d_sparse(pb[order[ia], 2:9], tb[ib, 1:8])
    best_iou = np.full(len(order), -np.inf)
    best_gt = np.full(len(order), -1, dtype=np.int64)
    if len(ia):
        seg = np.flatnonzero(np.r_[True, ia[1:] != ia[:-1]])
        seg_max = np.maximum.reduceat(ious, seg)
        hit = ious == np.repeat(seg_max, np.diff(np.r_[seg, len(ia)]))
        first = np.minimum.reduceat(np.where(hit, np.arange(len(ia)), len(ia)), seg)
        best_iou[ia[seg]] = seg_max
        best_gt[ia[seg]] = ib[first]

    group = pred_group[order]
    n_gt = np.bincount(true_group, minlength=n_groups).astype(np.float64)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if len(group) else np.zeros(0, np.int64)
    position = np.arange(len(group)) - np.repeat(starts, np.diff(np.r_[starts, len(group)])) + 1
    ap = np.zeros((len(thresholds), n_groups))
    for t, thr in enumerate(thresholds):
        candidate = np.flatnonzero(best_iou > thr)
        _, first_use = np.unique(best_gt[candidate], return_index=True)
        tp = np.zeros(len(group), dtype=np.int64)
        tp[candidate[first_use]] = 1
        cum_tp = np.cumsum(tp)
        cum_tp -= np.repeat(np.r_[0, cum_tp][starts], np.diff(np.r_[starts, len(group)]))
        precision = cum_tp / position
        envelope = _reverse_cummax_by_group(precision, group)
        n = n_gt[group]
        step = cum_tp / n - (cum_tp - 1) / n
        ap[t] = np.bincount(group, weights=np.where(tp == 1, step * envelope, 0.0), minlength=n_groups)
    if averaging == "global":
        return float(np.mean(ap.mean(axis=1)))
    # per sample: mean over the sample's classes, for each threshold; NaN for a sample without ground truth
    group_sample = (groups // n_codes).astype(np.int64)
    per_sample = np.full((n_true, len(thresholds)), np.nan)
    counts = np.bincount(group_sample, minlength=n_true)
    has = counts > 0
    for t in range(len(thresholds)):
        sums = np.bincount(group_sample, weights=ap[t], minlength=n_true)
        per_sample[has, t] = sums[has] / counts[has]
    return float(np.mean(per_sample))


# ---------------------------------------------------------------------------------------------
# SIIM-COVID19 (MLE-bench's VOC-style pair pooling)
# ---------------------------------------------------------------------------------------------


def _average_precision_pairs(y: np.ndarray, score: np.ndarray) -> float:
    """scikit-learn's ``average_precision_score`` (no interpolation; tied scores form one threshold)."""
    order = np.argsort(-score, kind="stable")
    y, score = y[order], score[order]
    last = np.r_[np.flatnonzero(np.diff(score)), len(score) - 1]
    tps = np.cumsum(y)[last]
    fps = (last + 1) - tps
    precision = tps / (tps + fps)
    recall = tps / tps[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def _boxes_2d(y_true: Any, y_pred: Any, iou_threshold: float, name: str):
    """Checked 2-D box inputs: (truth image index, truth boxes, prediction image index, prediction boxes,
    the classes present in the truth, the number of images)."""
    ti, tb, n_true = _flatten(y_true, 5, name, "y_true", "[class, x0, y0, x1, y1]")
    pi, pb, n_pred = _flatten(y_pred, 6, name, "y_pred", "[class, score, x0, y0, x1, y1]")
    _same_images(name, n_true, n_pred)
    if len(tb) == 0:
        raise MetricInputError(f"{name}: y_true holds no boxes, so no class can be scored", argument="y_true")
    if not 0 <= iou_threshold <= 1:
        raise MetricInputError(
            f"{name}: iou_threshold must be in [0, 1], got {iou_threshold}",
            argument="iou_threshold",
        )
    return ti, tb, pi, pb, np.unique(tb[:, 0]), n_true


@register("map_detection_voc", higher_is_better=True, bounds=(0.0, 1.0), aliases=("siim_map",))
def map_detection_voc(y_true: Sequence[Any], y_pred: Sequence[Any], iou_threshold: float = 0.5) -> float:
    """Mean over classes of AP from pooled (label, score) pairs: SIIM-COVID19 as MLE-bench v1 scores it.

    Parameters
    ----------
    y_true : one entry per image (row), an (m, 5) array ``[class, x0, y0, x1, y1]``.
    y_pred : one entry per image, a (k, 6) array ``[class, score, x0, y0, x1, y1]``.
    iou_threshold : a match needs IoU strictly above it (0.5).

    For each class of ``y_true`` and each image: predictions in score order (ties in input order) each take
    the best-IoU ground-truth box not yet taken (first on ties); the image then gives (1, score) per match,
    (0, score) per unmatched prediction, (1, 0) per unmatched ground-truth box, and one (0, 0) when it has
    neither. AP is scikit-learn's ``average_precision_score`` on the pooled pairs; the score is the mean
    over classes. Predicted classes absent from ``y_true`` are ignored. A class whose pairs are all
    positives has no defined AP here (MLE-bench asserts): MetricInputError. Kaggle instead scored the
    standard PASCAL VOC 2010 AP.

    >>> gt = [[[0, 0, 0, 1, 1]], [[1, 0, 0, 10, 10]], []]
    >>> pred = [[[0, 0.9, 0, 0, 1, 1]], [[1, 0.5, 0, 0, 10, 9]], [[1, 0.7, 0, 0, 5, 5]]]
    >>> map_detection_voc(gt, pred)
    0.75
    """
    name = "map_detection_voc"
    ti, tb, pi, pb, classes, n_images = _boxes_2d(y_true, y_pred, iou_threshold, name)
    tkey, pkey, _ = _class_keys(ti, tb[:, 0], pi, pb[:, 0])
    in_classes = np.isin(pb[:, 0], classes)
    pred_index = np.flatnonzero(in_classes)
    order = pred_index[np.lexsort((pred_index, -pb[pred_index, 1], pkey[pred_index]))]
    step = _rank_in_group(pkey[order])
    ia, ib = _pairs_by_key(pkey[order], tkey)
    ious = iou_xyxy(pb[order[ia], 2:6], tb[ib, 1:5]) if len(ia) else np.zeros(0)
    ok = ious > iou_threshold
    ia, ib, ious = ia[ok], ib[ok], ious[ok]
    by_step = np.lexsort((np.arange(len(ia)), step[ia]))
    match = _greedy_match(ia[by_step], ib[by_step], step[ia[by_step]], len(order), len(tb), pref=ious[by_step])
    matched_gt = np.zeros(len(tb), dtype=bool)
    matched_gt[match[match >= 0]] = True

    aps = []
    for c in classes:
        p_sel = order[pb[order, 0] == c]
        t_sel = tb[:, 0] == c
        n_missed = int((t_sel & ~matched_gt).sum())
        busy = np.zeros(n_images, dtype=bool)
        busy[pi[p_sel]] = True
        busy[ti[t_sel]] = True
        n_idle = int((~busy).sum())
        # (1, score) per match, (0, score) per false positive, (1, 0) per miss, (0, 0) per idle image
        y = np.r_[(match[pb[order, 0] == c] >= 0).astype(np.float64), np.ones(n_missed), np.zeros(n_idle)]
        s = np.r_[pb[p_sel, 1], np.zeros(n_missed + n_idle)]
        if y.min() == 1:
            raise MetricInputError(
                f"{name}: every pair of class {c:g} is a positive, so its AP is undefined (MLE-bench asserts); "
                "the ground truth must leave some images without that class",
                argument="y_true",
            )
        aps.append(_average_precision_pairs(y, s))
    return float(np.mean(aps))


# ---------------------------------------------------------------------------------------------
# COCO AP at one IoU threshold (VinBigData)
# ---------------------------------------------------------------------------------------------


@register("map_detection_coco", higher_is_better=True, bounds=(0.0, 1.0), aliases=("coco_ap",))
def map_detection_coco(
    y_true: Sequence[Any],
    y_pred: Sequence[Any],
    iou_threshold: float = 0.4,
    boxes_as_xywh_quirk: bool = False,
    zero_id_quirk: bool = False,
    zero_id_prediction_image: int = 0,
) -> float:
    """COCO-style AP at one IoU threshold (pycocotools ``COCOeval('bbox')`` ``stats[0]`` semantics).

    Parameters
    ----------
    y_true : one entry per image, an (m, 5) array ``[class, x0, y0, x1, y1]``.
    y_pred : one entry per image, a (k, 6) array ``[class, score, x0, y0, x1, y1]``.
    iou_threshold : a match needs IoU >= the threshold (0.4 for VinBigData).
    boxes_as_xywh_quirk : MLE-bench v1 uses True: it hands ``[x0, y0, x1, y1]`` to COCO, which reads
        ``[x, y, w, h]``, so IoU is computed on boxes ``[x0, x0 + x1] x [y0, y0 + y1]`` (areas used for the
        area range stay ``(x1 - x0)(y1 - y0)``).
    zero_id_quirk : MLE-bench v1 uses True: it numbers boxes from 0 and pycocotools reads id 0 as "no
        match". The first ground-truth box of image 0 can then never be recalled (the detection matched to it
        counts as a false positive), and a box matched by prediction id 0 stays free for the next detection.
    zero_id_prediction_image : the image whose first predicted box carries id 0 (MLE-bench numbers
        predictions in submission-file order, so this is the image of the submission's first row).

    Per image and class, the 100 best-scored detections (ties in input order) each take the unmatched
    ground-truth box of highest IoU (last on ties); AP per class is the mean of the interpolated precision
    at the 101 recall points 0, 0.01, ..., 1; the score is the mean over the classes of ``y_true``.
    Predicted classes absent from ``y_true`` are ignored; unmatched detections (and ground truth) with an
    area outside [0, 1e10] are ignored.

    >>> gt = [[[0, 0, 0, 10, 10]], [[0, 0, 0, 10, 10]]]
    >>> pred = [[[0, 0.9, 0, 0, 10, 10]], [[0, 0.8, 50, 50, 60, 60]]]
    >>> round(map_detection_coco(gt, pred), 6)
    0.50495
    """
    name = "map_detection_coco"
    ti, tb, pi, pb, classes, n_images = _boxes_2d(y_true, y_pred, iou_threshold, name)
    lo, hi = COCO_AREA_RANGE
    t_area = (tb[:, 3] - tb[:, 1]) * (tb[:, 4] - tb[:, 2])
    p_area = (pb[:, 4] - pb[:, 2]) * (pb[:, 5] - pb[:, 3])
    t_ignore = (t_area < lo) | (t_area > hi)

    def as_xywh(xyxy: np.ndarray) -> np.ndarray:
        if boxes_as_xywh_quirk:
            return xyxy
        return np.column_stack([xyxy[:, 0], xyxy[:, 1], xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1]])

    tkey, pkey, _ = _class_keys(ti, tb[:, 0], pi, pb[:, 0])
    pred_id_zero = -1
    if zero_id_quirk and len(pb):
        if not 0 <= zero_id_prediction_image < n_images:
            raise MetricInputError(
                f"{name}: zero_id_prediction_image must index an image of y_pred",
                argument="zero_id_prediction_image",
            )
        first = np.flatnonzero(pi == zero_id_prediction_image)
        pred_id_zero = int(first[0]) if len(first) else -1
    gt_id_zero = int(np.flatnonzero(ti == 0)[0]) if zero_id_quirk and (ti == 0).any() else -1

    pred_index = np.flatnonzero(np.isin(pb[:, 0], classes))
    order = pred_index[np.lexsort((pred_index, -pb[pred_index, 1], pkey[pred_index]))]
    rank = _rank_in_group(pkey[order])
    order = order[rank < COCO_MAX_DETS]
    rank = rank[rank < COCO_MAX_DETS]

    ia, ib = _pairs_by_key(pkey[order], tkey)
    ious = _iou_coco(as_xywh(pb[order[ia], 2:6]), as_xywh(tb[ib, 1:5])) if len(ia) else np.zeros(0)
    ok = ious >= min(iou_threshold, 1 - 1e-10)
    ia, ib, ious = ia[ok], ib[ok], ious[ok]
    by_step = np.lexsort((np.arange(len(ia)), rank[ia]))
    holds = order != pred_id_zero
    match = _greedy_match(
        ia[by_step], ib[by_step], rank[ia[by_step]], len(order), len(tb),
        pref=ious[by_step], tier=t_ignore[ib[by_step]].astype(np.int8), last=True, holds=holds,
    )
    matched = match >= 0
    counted_match = matched & (match != gt_id_zero)
    ignored = np.where(matched, t_ignore[np.maximum(match, 0)], False)
    ignored |= ~counted_match & ((p_area[order] < lo) | (p_area[order] > hi))
    tp = counted_match & ~ignored
    fp = ~counted_match & ~ignored

    cls = pb[order, 0]
    # Within a class: score descending, ties by image then by the per-image order.
    precisions = []
    for c in classes:
        npig = int(((tb[:, 0] == c) & ~t_ignore).sum())
        if npig == 0:
            continue
        sel = np.flatnonzero(cls == c)
        sel = sel[np.lexsort((pi[order][sel], -pb[order][sel, 1]))]
        tp_sum = np.cumsum(tp[sel]).astype(np.float64)
        fp_sum = np.cumsum(fp[sel]).astype(np.float64)
        recall = tp_sum / npig
        precision = tp_sum / (fp_sum + tp_sum + np.spacing(1))
        precision = np.maximum.accumulate(precision[::-1])[::-1] if len(precision) else precision
        idx = np.searchsorted(recall, COCO_RECALL_POINTS, side="left")
        q = np.zeros(len(COCO_RECALL_POINTS))
        inside = idx < len(precision)
        q[inside] = precision[idx[inside]]
        precisions.append(q)
    if not precisions:
        raise MetricInputError(
            f"{name}: every ground-truth box lies outside COCO's area range; nothing to score",
            argument="y_true",
        )
    return float(np.mean(np.concatenate(precisions)))


# ---------------------------------------------------------------------------------------------
# Kuzushiji: points in boxes, micro F1
# ---------------------------------------------------------------------------------------------


@register("f1_detection_points", higher_is_better=True, bounds=(0.0, 1.0), aliases=("kuzushiji_f1",))
def f1_detection_points(y_true: Sequence[Any], y_pred: Sequence[Any]) -> float:
    """Micro F1 of labelled points against labelled boxes, summed over pages (Kuzushiji).

    Parameters
    ----------
    y_true : one entry per page, an (m, 5) array ``[label, x, y, w, h]`` (box corner and size).
    y_pred : one entry per page, a (k, 3) array ``[label, x, y]`` (character centres).

    Ground-truth boxes are visited in order; each takes the first unused prediction with the same label
    lying strictly inside it (x < px < x + w, y < py < y + h) as a true positive, else it is a false
    negative; unused predictions are false positives. The score is 2PR/(P+R) on the summed counts, 0 when
    there is no prediction, no ground truth or no true positive.

    >>> gt = [[[7, 0, 0, 10, 10], [7, 20, 0, 10, 10]], []]
    >>> pred = [[[7, 5, 5], [7, 5, 6]], [[3, 1, 1]]]
    >>> round(f1_detection_points(gt, pred), 6)   # tp 1, fp 2, fn 1: P = 1/3, R = 1/2
    0.4
    """
    name = "f1_detection_points"
    ti, tb, n_true = _flatten(y_true, 5, name, "y_true", "[label, x, y, w, h]")
    pi, pb, n_pred = _flatten(y_pred, 3, name, "y_pred", "[label, x, y]")
    _same_images(name, n_true, n_pred)
    tkey, pkey, _ = _class_keys(ti, tb[:, 0], pi, pb[:, 0])
    ia, ib = _pairs_by_key(tkey, pkey)
    xmax = tb[ia, 1] + tb[ia, 3]
    ymax = tb[ia, 2] + tb[ia, 4]
    px, py = pb[ib, 1], pb[ib, 2]
    inside = (tb[ia, 1] < px) & (xmax > px) & (tb[ia, 2] < py) & (ymax > py)
    ia, ib = ia[inside], ib[inside]
    step = _rank_in_group(tkey)
    by_step = np.lexsort((np.arange(len(ia)), step[ia]))
    match = _greedy_match(ia[by_step], ib[by_step], step[ia[by_step]], len(tb), len(pb))
    tp = int((match >= 0).sum())
    fn = len(tb) - tp
    fp = len(pb) - tp
    if tp + fp == 0 or tp + fn == 0:
        return 0.0
    precision = tp / (tp + fp)
    recall = tp / (tp + fn)
    if precision > 0 and recall > 0:
        return float(2 * precision * recall / (precision + recall))
    return 0.0
