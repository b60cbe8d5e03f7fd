"""Segmentation metrics on binary masks, and the run-length encoding (RLE) helpers they share.

Masks come as a sequence of 2-D 0/1 (or bool) arrays, one per image, or as a sequence of RLE strings
with ``shape`` giving each image's (height, width). An RLE string is "start length start length ...":
1-indexed pixel numbers counted in ``order`` "F" (column-major: top to bottom, then left to right) or "C"
(row-major). When both sides are RLE, overlaps are measured on the runs directly (a sweep over the sorted
run ends), so a huge image is never decoded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from metrics._core import MetricInputError, check_same_length, register
from metrics.text import int_rows

__all__ = [
    "Runs",
    "parse_rles",
    "validate_rle",
    "rle_decode",
    "rle_encode",
    "dice",
    "fbeta",
    "iou_map",
    "dice_hausdorff",
]


# ---------------------------------------------------------------------------------------------
# Run-length encoding
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Runs:
    """Runs of many masks: ``row`` (which mask), 0-based ``start`` and ``length``, all int64 arrays.

    ``n_rows`` masks in all; ``n_pixels`` (per mask) when known.
    """

    row: np.ndarray
    start: np.ndarray
    length: np.ndarray
    n_rows: int
    n_pixels: np.ndarray | None = None

    @property
    def end(self) -> np.ndarray:
        """One past each run's last pixel (0-based)."""
        return self.start + self.length

    def sizes(self) -> np.ndarray:
        """Number of foreground pixels of each mask."""
        return np.bincount(self.row, weights=self.length, minlength=self.n_rows).astype(np.int64)


def _rle_error(metric: str, what: str, rows: np.ndarray, problem: str, fix: str) -> MetricInputError:
    """The error for malformed RLE rows; ``.rows`` holds their indices and ``.problem`` what is wrong with them,
    for callers that report examples."""
    first = int(rows[0])
    error = MetricInputError(
        f"{metric}: {what} has {len(rows)} malformed RLE row(s) (first at row {first}): {problem}; {fix}",
        argument=what,
    )
    error.rows = np.asarray(rows)
    error.problem = f"{problem}; {fix}"
    return error


def parse_rles(
    rles: Sequence[Any],
    n_pixels: Any = None,
    *,
    clip: bool = False,
    empty: str = "",
    metric: str = "rle",
    what: str = "rle",
) -> Runs:
    """Parse many RLE strings at once, checking MLE-bench's rules; raise MetricInputError naming the row.

    Rules: each value is a string of integer pairs "start length" (an even count), every number
    positive, starts sorted, runs not overlapping. A blank string (or ``empty``, e.g. "-") is an empty
    mask. With ``n_pixels`` (one number, or one per row) a run must end inside the image, unless
    ``clip`` is set: then it is cut at the image's end, as MLE-bench v1's decoder does silently.

    >>> runs = parse_rles(["1 3 10 2", "", "5 1"], n_pixels=12)
    >>> runs.row.tolist(), runs.start.tolist(), runs.length.tolist()
    ([0, 0, 2], [0, 9, 4], [3, 2, 1])
    >>> try:
    ...     parse_rles(["1 1", "4 2 1 1"], n_pixels=12)
    ... except MetricInputError as err:
    ...     print(err.rows, str(err).split("): ")[1])
    [1] run starts are not in increasing order; sort the runs by start pixel
    """
    rows = list(rles)
    n = len(rows)
    is_str = np.fromiter(map(isinstance, rows, [str] * n), dtype=bool, count=n)
    if not is_str.all():
        raise _rle_error(metric, what, np.flatnonzero(~is_str), "a value is not a string (missing/NaN?)",
                         "write an empty mask as an empty string")
    if empty:
        arr = np.array(rows, dtype=object)
        arr[arr == empty] = ""
        rows = arr.tolist()
    parsed = _ascii_int_rows(rows)
    try:
        values, counts = parsed if parsed is not None else int_rows(rows, metric, what)
    except MetricInputError as err:
        raise _rle_error(metric, what, err.rows, "a value is not an integer", "write integers only") from None
    odd = np.flatnonzero(counts % 2)
    if odd.size:
        raise _rle_error(metric, what, odd, "an odd number of values", "write 'start length' pairs")
    row = np.repeat(np.arange(n, dtype=np.int64), counts // 2)
    start, length = values[0::2], values[1::2]
    bad = (start <= 0) | (length <= 0)
    if bad.any():
        raise _rle_error(metric, what, np.unique(row[bad]), "starts and lengths must be positive integers",
                         "number pixels from 1")
    same = row[1:] == row[:-1]
    unsorted = same & (start[1:] < start[:-1])
    if unsorted.any():
        raise _rle_error(metric, what, np.unique(row[1:][unsorted]), "run starts are not in increasing order",
                         "sort the runs by start pixel")
    start = start - 1
    end = start + length
    size = None
    if n_pixels is not None:
        size = np.broadcast_to(np.asarray(n_pixels, dtype=np.int64), (n,)).copy()
        limit = size[row]
        over = end > limit
        if over.any():
            if not clip:
                raise _rle_error(metric, what, np.unique(row[over]), "a run goes past the last pixel of the image",
                                 "check the image size and the pixel order")
            end = np.minimum(end, limit)
            keep = end > start
            row, start, end = row[keep], start[keep], end[keep]
            same = row[1:] == row[:-1]
    overlap = same & (start[1:] < end[:-1])
    if overlap.any():
        raise _rle_error(metric, what, np.unique(row[1:][overlap]), "runs overlap", "merge overlapping runs")
    return Runs(row=row, start=start, length=end - start, n_rows=n, n_pixels=size)


#: bytes the vectorised RLE parser takes: ASCII digits, ASCII whitespace and its row separator (``,``)
_ASCII_INT_BYTES = np.zeros(256, dtype=bool)
_ASCII_INT_BYTES[np.frombuffer(b"0123456789 \t\n\r\x0b\x0c,", dtype=np.uint8)] = True
#: the most digits a token may have to be parsed as int64 without overflow
_MAX_DIGITS = 18


def _ascii_int_rows(rows: list[str]) -> tuple[np.ndarray, np.ndarray] | None:
    """Every row's whitespace-separated integers back to back and their count per row, parsed in numpy from one
    joined buffer (no Python object per token); ``None`` when some row holds anything but ASCII digits and
    whitespace (or a token too long for int64), for :func:`metrics.text.int_rows` to parse and explain.

    >>> values, counts = _ascii_int_rows(["1 3 10 2", "", " 5  1 "])
    >>> values.tolist(), counts.tolist()
    ([1, 3, 10, 2, 5, 1], [4, 0, 2])
    >>> _ascii_int_rows(["1 -3"]) is None, _ascii_int_rows(["1,3"]) is None
    (True, True)
    """
    n = len(rows)
    try:
        buf = np.frombuffer(",".join(rows).encode("ascii"), dtype=np.uint8)
    except UnicodeEncodeError:
        return None
    if not _ASCII_INT_BYTES[buf].all():
        return None
    is_sep = buf == ord(",")
    if int(np.count_nonzero(is_sep)) != n - 1:
        return None  # a row holds the separator itself
    digit = (buf >= ord("0")) & (buf <= ord("9"))
    starts = np.flatnonzero(digit & ~np.concatenate([[False], digit[:-1]]))
    ends = np.flatnonzero(digit & ~np.concatenate([digit[1:], [False]])) + 1
    width = ends - starts
    if width.size and int(width.max()) > _MAX_DIGITS:
        return None
    row = np.searchsorted(np.flatnonzero(is_sep), starts)
    values = np.zeros(len(starts), dtype=np.int64)
    for k in range(int(width.max()) if width.size else 0):  # Horner's rule, one digit of every token a pass
        digit_k = buf[np.minimum(starts + k, len(buf) - 1)].astype(np.int64) - ord("0")
        values = np.where(width > k, values * 10 + digit_k, values)
    return values, np.bincount(row, minlength=n).astype(np.int64)


def validate_rle(rle: str, shape: tuple[int, int] | None = None, *, clip: bool = False, empty: str = "") -> None:
    """Raise MetricInputError unless ``rle`` is a well-formed RLE string (see :func:`parse_rles`).

    >>> validate_rle("1 3 10 2", shape=(4, 3))
    >>> try:
    ...     validate_rle("1 3 2 2")
    ... except MetricInputError as err:
    ...     print(str(err).split("): ")[1])
    runs overlap; merge overlapping runs
    """
    n_pixels = None if shape is None else int(np.prod(shape))
    parse_rles([rle], n_pixels, clip=clip, empty=empty)


def _check_order(order: str, metric: str) -> None:
    if order not in ("F", "C"):
        raise MetricInputError(
            f"{metric}: order must be 'F' (column-major) or 'C' (row-major), got {order!r}",
            argument="order",
        )


def _decode_runs(runs: Runs, shapes: np.ndarray, order: str) -> list[np.ndarray] | np.ndarray:
    """Dense boolean masks of every row of ``runs`` (a 3-D array when all ``shapes`` (n, 2) agree)."""
    size = shapes[:, 0] * shapes[:, 1]
    offset = np.concatenate([[0], np.cumsum(size)])
    flat = np.zeros(int(offset[-1]), dtype=bool)
    n_on = int(runs.length.sum())
    if n_on:
        # index of every covered pixel: each run's first pixel, repeated along the run, plus 0, 1, 2...
        first = runs.start + offset[runs.row] - np.concatenate([[0], np.cumsum(runs.length)[:-1]])
        flat[np.repeat(first, runs.length) + np.arange(n_on)] = True
    if len(shapes) and (shapes == shapes[0]).all():
        h, w = (int(v) for v in shapes[0])
        stacked = flat.reshape(len(shapes), w, h).transpose(0, 2, 1) if order == "F" else flat.reshape(-1, h, w)
        return stacked
    masks = []
    for i, (h, w) in enumerate(shapes.tolist()):
        piece = flat[offset[i] : offset[i + 1]]
        masks.append(piece.reshape((w, h)).T if order == "F" else piece.reshape((h, w)))
    return masks


def rle_decode(rle: str, shape: tuple[int, int], order: str = "F", empty: str = "", clip: bool = False) -> np.ndarray:
    """Decode one RLE string into a boolean mask of ``shape`` (height, width).

    ``order="F"`` numbers pixels top to bottom, then left to right (contrails, HuBMAP, TGS, UW-Madison);
    ``"C"`` left to right, then top to bottom (Vesuvius). ``empty`` is an extra spelling of the empty mask.

    >>> rle_decode("1 2 6 1", (2, 3)).astype(int).tolist()
    [[1, 0, 0], [1, 0, 1]]
    >>> rle_decode("1 2 6 1", (2, 3), order="C").astype(int).tolist()
    [[1, 1, 0], [0, 0, 1]]
    """
    _check_order(order, "rle_decode")
    h, w = (int(v) for v in shape)
    runs = parse_rles([rle], h * w, clip=clip, empty=empty, metric="rle_decode")
    return _decode_runs(runs, np.array([[h, w]]), order)[0]


def rle_encode(mask: Any, order: str = "F") -> str:
    """Encode a 2-D 0/1 mask as an RLE string ("" for an empty mask); the inverse of :func:`rle_decode`.

    >>> rle_encode(np.array([[1, 0, 0], [1, 0, 1]]))
    '1 2 6 1'
    >>> rle_encode(np.array([[1, 0, 0], [1, 0, 1]]), order="C")
    '1 1 4 1 6 1'
    """
    _check_order(order, "rle_encode")
    arr = np.asarray(mask)
    if arr.ndim != 2:
        raise MetricInputError(f"rle_encode: mask must be 2-D, got shape {arr.shape}", argument="mask")
    flat = np.concatenate([[False], arr.ravel(order=order).astype(bool), [False]])
    edges = np.flatnonzero(flat[1:] != flat[:-1])
    starts, ends = edges[0::2], edges[1::2]
    pairs = np.column_stack([starts + 1, ends - starts]).ravel()
    return " ".join(map(str, pairs.tolist()))


# ---------------------------------------------------------------------------------------------
# Reading mask inputs
# ---------------------------------------------------------------------------------------------


def _is_rle_input(values: Any) -> bool:
    if isinstance(values, np.ndarray):
        return values.dtype.kind in "UOT" and values.ndim == 1 and values.size > 0 and isinstance(values[0], str)
    try:
        first = next(iter(values))
    except (TypeError, StopIteration):
        return False
    return isinstance(first, str)


def _shapes(shape: Any, n: int, metric: str) -> np.ndarray:
    if shape is None:
        raise MetricInputError(
            f"{metric}: masks given as RLE strings need shape=(height, width) (or one per row)",
            argument="shape",
        )
    arr = np.asarray(shape)
    if arr.ndim == 1 and arr.size == 2:
        arr = np.broadcast_to(arr, (n, 2))
    if arr.ndim != 2 or arr.shape != (n, 2):
        raise MetricInputError(
            f"{metric}: shape must be (height, width) or one (height, width) per row; got {arr.shape}",
            argument="shape",
        )
    if arr.dtype.kind not in "iu" and not (arr.dtype.kind == "f" and np.all(arr == np.round(arr))):
        raise MetricInputError(f"{metric}: shape must hold integers, got {arr.dtype}", argument="shape")
    arr = arr.astype(np.int64)
    if (arr <= 0).any():
        raise MetricInputError(f"{metric}: image heights and widths must be positive", argument="shape")
    return arr


def _dense_list(values: Any, metric: str, what: str) -> list[np.ndarray]:
    """A sequence of 2-D masks as a list of boolean arrays (a 3-D array is n masks)."""
    if values is None or isinstance(values, str):
        raise MetricInputError(f"{metric}: {what} must be a sequence of 2-D masks or of RLE strings", argument=what)
    if isinstance(values, np.ndarray) and values.ndim == 3 and values.dtype.kind in "biuf":
        if values.dtype != bool and not np.isin(values, (0, 1)).all():
            bad = int(np.flatnonzero(~np.isin(values, (0, 1)).reshape(len(values), -1).any(axis=1))[0])
            raise MetricInputError(
                f"{metric}: {what} mask {bad} holds values other than 0 and 1; pass binary masks (threshold first)",
                argument=what,
            )
        if len(values) == 0:
            raise MetricInputError(f"{metric}: {what} is empty; pass at least one mask", argument=what)
        return list(values.astype(bool, copy=False))
    items = list(values)
    if not items:
        raise MetricInputError(f"{metric}: {what} is empty; pass at least one mask", argument=what)
    masks = []
    for i, item in enumerate(items):
        arr = np.asarray(item)
        if arr.ndim == 0:
            raise MetricInputError(
                f"{metric}: {what} row {i} is {item!r}, not a 2-D mask or an RLE string; "
                "write an empty mask as an empty string",
                argument=what,
            )
        if arr.ndim != 2:
            raise MetricInputError(
                f"{metric}: {what} mask {i} has shape {arr.shape}; each mask must be 2-D",
                argument=what,
            )
        if arr.dtype != bool:
            if arr.dtype.kind not in "iuf" or not np.isin(arr, (0, 1)).all():
                raise MetricInputError(
                    f"{metric}: {what} mask {i} holds values other than 0 and 1; pass binary masks (threshold first)",
                    argument=what,
                )
            arr = arr.astype(bool)
        masks.append(arr)
    return masks


@dataclass
class _MaskPair:
    """Both sides of a mask metric, as runs (when both are RLE) or as dense masks."""

    n: int
    runs: tuple[Runs, Runs] | None
    dense: tuple[list[np.ndarray], list[np.ndarray]] | None
    shapes: np.ndarray


def _read_pair(y_true: Any, y_pred: Any, shape: Any, order: str, clip_runs: bool, metric: str) -> _MaskPair:
    _check_order(order, metric)
    t_rle, p_rle = _is_rle_input(y_true), _is_rle_input(y_pred)
    sides = []
    for values, is_rle, what in ((y_true, t_rle, "y_true"), (y_pred, p_rle, "y_pred")):
        if is_rle:
            rows = list(values)
            if not rows:
                raise MetricInputError(f"{metric}: {what} is empty; pass at least one mask", argument=what)
            sides.append(rows)
        else:
            sides.append(_dense_list(values, metric, what))
    n = check_same_length(metric, ("y_true", sides[0]), ("y_pred", sides[1]))
    if t_rle or p_rle:
        shapes = _shapes(shape, n, metric)
    else:
        shapes = np.array([m.shape for m in sides[0]], dtype=np.int64)
        pred_shapes = np.array([m.shape for m in sides[1]], dtype=np.int64)
        diff = np.flatnonzero((shapes != pred_shapes).any(axis=1))
        if diff.size:
            raise MetricInputError(
                f"{metric}: mask {int(diff[0])} has shape {tuple(shapes[diff[0]])} in y_true but "
                f"{tuple(pred_shapes[diff[0]])} in y_pred; pass masks of the same size",
                argument="y_pred",
            )
    n_pixels = shapes[:, 0] * shapes[:, 1]
    runs = [
        parse_rles(side, n_pixels, clip=clip_runs, metric=metric, what=what) if is_rle else None
        for side, is_rle, what in ((sides[0], t_rle, "y_true"), (sides[1], p_rle, "y_pred"))
    ]
    if t_rle and p_rle:
        return _MaskPair(n, (runs[0], runs[1]), None, shapes)
    dense = [_decode_runs(r, shapes, order) if r is not None else side for r, side in zip(runs, sides)]
    for side, is_rle, what in ((dense[0], t_rle, "y_true"), (dense[1], p_rle, "y_pred")):
        if is_rle:
            continue
        got = np.array([m.shape for m in side], dtype=np.int64)
        wrong = np.flatnonzero((got != shapes).any(axis=1))
        if wrong.size:
            i = int(wrong[0])
            raise MetricInputError(
                f"{metric}: {what} mask {i} has shape {tuple(got[i].tolist())} but shape says "
                f"{tuple(shapes[i].tolist())}; pass masks of the image's size",
                argument=what,
            )
    return _MaskPair(n, None, (dense[0], dense[1]), shapes)


def _run_intersections(t: Runs, p: Runs, n_pixels: np.ndarray) -> np.ndarray:
    """Pixels in both masks, per row, from the runs. Each side's runs, placed one image after another, are
    sorted and disjoint, so the runs of ``p`` overlapping a run of ``t`` form one range, found by binary search;
    every overlapping pair is then measured at once (there are at most as many pairs as runs on both sides)."""
    offset = np.concatenate([[0], np.cumsum(n_pixels)[:-1]])
    t_start, p_start = t.start + offset[t.row], p.start + offset[p.row]
    t_end, p_end = t_start + t.length, p_start + p.length
    first = np.searchsorted(p_end, t_start, side="right")  # the first p run ending after the t run starts
    stop = np.searchsorted(p_start, t_end, side="left")  # past the last p run starting before it ends
    n_pairs = np.maximum(stop - first, 0)
    ti = np.repeat(np.arange(len(t_start)), n_pairs)
    pj = np.arange(int(n_pairs.sum())) - np.repeat(np.cumsum(n_pairs) - n_pairs, n_pairs) + first[ti]
    overlap = np.minimum(t_end[ti], p_end[pj]) - np.maximum(t_start[ti], p_start[pj])
    return np.bincount(t.row[ti], weights=np.maximum(overlap, 0), minlength=t.n_rows).astype(np.int64)


def _overlap_counts(pair: _MaskPair) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per image: (pixels in both, pixels in y_true, pixels in y_pred), as int64 arrays."""
    if pair.runs is not None:
        t, p = pair.runs
        n_pixels = pair.shapes[:, 0] * pair.shapes[:, 1]
        return _run_intersections(t, p, n_pixels), t.sizes(), p.sizes()
    t_masks, p_masks = pair.dense
    if len({m.shape for m in t_masks}) == 1:
        t_arr, p_arr = np.stack(t_masks).reshape(pair.n, -1), np.stack(p_masks).reshape(pair.n, -1)
        return (t_arr & p_arr).sum(axis=1), t_arr.sum(axis=1), p_arr.sum(axis=1)
    inter = np.array([np.count_nonzero(a & b) for a, b in zip(t_masks, p_masks)], dtype=np.int64)
    return inter, np.array([np.count_nonzero(a) for a in t_masks]), np.array([np.count_nonzero(b) for b in p_masks])


# ---------------------------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------------------------


@register("dice", higher_is_better=True, bounds=(0.0, 1.0), aliases=("dice_coefficient",))
def dice(
    y_true: Any,
    y_pred: Any,
    reduction: str = "mean",
    empty_score: float = 1.0,
    shape: Any = None,
    order: str = "F",
    clip_runs: bool = False,
) -> float:
    """Dice coefficient 2|X∩Y| / (|X| + |Y|) of binary masks.

    Parameters
    ----------
    y_true, y_pred : sequence of 2-D 0/1 masks, or of RLE strings (then ``shape`` is required)
    reduction : "mean", "global" or "nanmean"
        "mean": Dice per image, then the mean (Kaggle's usual rule; MLE-bench v1 for
        hubmap-kidney-segmentation). "global": one Dice over all pixels of all images (MLE-bench v1 for
        google-research-identify-contrails-reduce-global-warming). "nanmean": Dice per image, images
        where both masks are empty left out (MLE-bench v1's Dice part of uw-madison-gi-tract); NaN when
        every image is empty on both sides.
    empty_score : float
        Score of an image ("mean") or of the whole set ("global") where both masks are empty. MLE-bench
        v1 uses 1.0 for hubmap and NaN for contrails (all-empty answers and submission score NaN).
    shape : (height, width), or one per row
        Image size for RLE inputs.
    order : "F" or "C"
        Pixel numbering of RLE inputs (column-major or row-major); it matters only when one side is
        RLE and the other a dense mask.
    clip_runs : bool
        Cut RLE runs that pass the image's end instead of raising (MLE-bench v1's decoder does this).

    >>> a = [np.array([[1, 1], [0, 0]]), np.array([[0, 0], [0, 0]])]
    >>> b = [np.array([[1, 0], [0, 0]]), np.array([[0, 0], [0, 0]])]
    >>> round(dice(a, b), 6), round(dice(a, b, reduction="global"), 6)
    (0.833333, 0.666667)
    >>> dice(["1 2", ""], ["1 1", ""], shape=(2, 2))
    0.8333333333333333
    """
    metric = "dice"
    if reduction not in ("mean", "global", "nanmean"):
        raise MetricInputError(
            f"{metric}: reduction must be 'mean', 'global' or 'nanmean', got {reduction!r}",
            argument="reduction",
        )
    pair = _read_pair(y_true, y_pred, shape, order, clip_runs, metric)
    inter, n_true, n_pred = _overlap_counts(pair)
    if reduction == "global":
        total = int(n_true.sum() + n_pred.sum())
        return float(empty_score) if total == 0 else float(2 * int(inter.sum()) / total)
    empty = np.nan if reduction == "nanmean" else empty_score
    return float(_reduce_per_image(_per_image_dice(inter, n_true, n_pred, empty), reduction))


def _per_image_dice(inter: np.ndarray, n_true: np.ndarray, n_pred: np.ndarray, empty_score: float) -> np.ndarray:
    total = n_true + n_pred
    return np.divide(2 * inter, total, out=np.full(len(total), float(empty_score)), where=total > 0)


def _reduce_per_image(scores: np.ndarray, reduction: str) -> float:
    if reduction == "nanmean":
        if np.isnan(scores).all():
            return float("nan")
        return float(np.nanmean(scores))
    return float(np.mean(scores))


@register("fbeta", higher_is_better=True, bounds=(0.0, 1.0), aliases=("f_beta", "f0.5"))
def fbeta(
    y_true: Any,
    y_pred: Any,
    beta: float = 0.5,
    shape: Any = None,
    order: str = "F",
    clip_runs: bool = False,
) -> float:
    """Binary F-beta score (1 + β²)·TP / ((1 + β²)·TP + β²·FN + FP), as scikit-learn's ``fbeta_score``.

    Parameters
    ----------
    y_true, y_pred : 0/1 labels of any shape, or sequences of RLE strings
        Labels (or pixels of one image) are flattened and scored as one set. RLE strings (with
        ``shape``) are decoded per row and the per-row scores averaged: MLE-bench v1's rule for
        vesuvius-challenge-ink-detection (one row per fragment).
    beta : float
        Weight of recall relative to precision (0.5 in the Vesuvius challenge).
    shape, order, clip_runs
        For RLE inputs, as in :func:`dice`.

    With no positive label in either input, the score is 0.0, as scikit-learn returns.

    >>> fbeta([1, 1, 0, 0], [1, 0, 1, 0])
    0.5
    >>> fbeta(["1 2"], ["1 1"], shape=(2, 2))
    0.8333333333333334
    """
    metric = "fbeta"
    if not isinstance(beta, (int, float)) or isinstance(beta, bool) or not beta > 0 or not np.isfinite(beta):
        raise MetricInputError(f"{metric}: beta must be a positive number, got {beta!r}", argument="beta")
    if _is_rle_input(y_true) or _is_rle_input(y_pred):
        pair = _read_pair(y_true, y_pred, shape, order, clip_runs, metric)
        inter, n_true, n_pred = _overlap_counts(pair)
        return float(np.mean(_fbeta_counts(inter, n_true, n_pred, beta)))
    t = _binary_flat(y_true, metric, "y_true")
    p = _binary_flat(y_pred, metric, "y_pred")
    check_same_length(metric, ("y_true", t), ("y_pred", p))
    inter = np.array([np.count_nonzero(t & p)])
    return float(_fbeta_counts(inter, np.array([np.count_nonzero(t)]), np.array([np.count_nonzero(p)]), beta)[0])


def _binary_flat(values: Any, metric: str, what: str) -> np.ndarray:
    if values is None or isinstance(values, str):
        raise MetricInputError(f"{metric}: {what} must be an array of 0/1 labels", argument=what)
    try:
        arr = np.asarray(values)
    except ValueError:
        raise MetricInputError(
            f"{metric}: {what} is ragged; pass a rectangular array of 0/1 labels",
            argument=what,
        ) from None
    if arr.dtype == object:
        raise MetricInputError(f"{metric}: {what} is ragged or holds non-numbers; pass 0/1 labels", argument=what)
    arr = arr.ravel()
    if arr.size == 0:
        raise MetricInputError(f"{metric}: {what} is empty; pass at least one label", argument=what)
    if arr.dtype != bool:
        if arr.dtype.kind not in "iuf":
            raise MetricInputError(f"{metric}: {what} must hold 0/1 labels, got {arr.dtype}", argument=what)
        bad = (arr != 0) & (arr != 1)
        if bad.any():
            raise MetricInputError(
                f"{metric}: {what} must hold only 0 and 1, found {int(bad.sum())} other value(s) "
                f"(e.g. {np.unique(arr[bad])[:3].tolist()}); threshold predictions into 0/1 first",
                argument=what,
            )
        arr = arr.astype(bool)
    return arr


def _fbeta_counts(tp: np.ndarray, n_true: np.ndarray, n_pred: np.ndarray, beta: float) -> np.ndarray:
    """F-beta from true positives and the positive counts; 0 where precision and recall are both 0."""
    b2 = beta * beta
    precision = np.divide(tp, n_pred, out=np.zeros(len(tp)), where=n_pred > 0)
    recall = np.divide(tp, n_true, out=np.zeros(len(tp)), where=n_true > 0)
    denom = b2 * precision + recall
    return np.divide((1 + b2) * precision * recall, denom, out=np.zeros(len(tp)), where=denom > 0)


_TGS_THRESHOLDS = np.arange(0.5, 1.0, 0.05)


@register("iou_map", higher_is_better=True, bounds=(0.0, 1.0), aliases=("mean_precision_iou",))
def iou_map(
    y_true: Any,
    y_pred: Any,
    thresholds: Any = _TGS_THRESHOLDS,
    empty_prediction_quirk: bool = False,
    shape: Any = None,
    order: str = "F",
    clip_runs: bool = False,
) -> float:
    """Mean over images of the precision at IoU thresholds, each image's mask taken as a single object.

    Per image: both masks empty scores 1; an empty true mask with a non-empty prediction scores 0;
    otherwise the IoU counts a hit at each threshold it strictly exceeds, and the image scores the
    fraction of thresholds hit (TGS Salt Identification).

    Parameters
    ----------
    y_true, y_pred : sequence of 2-D 0/1 masks, or of RLE strings (then ``shape`` is required)
    thresholds : array of float
        IoU thresholds; default ``np.arange(0.5, 1.0, 0.05)`` (10 values).
    empty_prediction_quirk : bool
        MLE-bench v1 computes the IoU with the Kaggle kernel's ``histogram2d``, whose bins for an all-zero
        prediction give IoU = |true mask| / pixels in the image instead of 0; set True to reproduce it
        (a true mask covering over half of the image then scores above 0 with an empty prediction).
    shape, order, clip_runs
        For RLE inputs, as in :func:`dice`.

    >>> t = [np.ones((2, 2)), np.array([[1, 1], [1, 0]]), np.zeros((2, 2))]
    >>> p = [np.ones((2, 2)), np.zeros((2, 2)), np.zeros((2, 2))]
    >>> iou_map(t, p)
    0.6666666666666666
    >>> round(iou_map(t, p, empty_prediction_quirk=True), 6)  # 3/4 of the image: 5 thresholds below 0.75
    0.833333
    """
    metric = "iou_map"
    thr = np.asarray(thresholds, dtype=np.float64).ravel()
    if thr.size == 0 or not np.isfinite(thr).all():
        raise MetricInputError(
            f"{metric}: thresholds must be a non-empty array of finite numbers",
            argument="thresholds",
        )
    pair = _read_pair(y_true, y_pred, shape, order, clip_runs, metric)
    inter, n_true, n_pred = _overlap_counts(pair)
    union = n_true + n_pred - inter
    iou = np.divide(inter, union, out=np.zeros(pair.n), where=union > 0)
    if empty_prediction_quirk:
        n_pixels = pair.shapes[:, 0] * pair.shapes[:, 1]
        quirk = (n_pred == 0) & (n_true > 0)
        iou[quirk] = n_true[quirk] / n_pixels[quirk]
    per_image = (iou[:, None] > thr[None, :]).mean(axis=1)
    per_image[(n_true == 0) & (n_pred == 0)] = 1.0
    per_image[(n_true == 0) & (n_pred > 0)] = 0.0
    return float(np.mean(per_image))


@register("dice_hausdorff", higher_is_better=True, bounds=(0.0, 1.0), aliases=("uw_madison",))
def dice_hausdorff(
    y_true: Any,
    y_pred: Any,
    slice_ids: Any,
    volume_ids: Any,
    dice_weight: float = 0.4,
    max_volume_ratio: float | None = None,
    shape: Any = None,
    order: str = "F",
    clip_runs: bool = False,
) -> float:
    """UW-Madison GI tract score: ``dice_weight``·Dice + (1 − ``dice_weight``)·(1 − 3-D Hausdorff).

    Dice is computed per row (2-D mask), rows empty on both sides left out (``nanmean``). The Hausdorff
    part works on 3-D volumes: rows with the same ``slice_ids`` are ORed into one slice (e.g. the three
    organ classes), a volume's slices (rows with the same ``volume_ids``) are stacked in slice-id order
    (string order), voxel coordinates are divided by the volume's shape, and the symmetric Hausdorff
    distance is divided by √3. A volume empty on both sides is left out; identical volumes score 0; one
    empty side scores 1.

    Parameters
    ----------
    y_true, y_pred : sequence of 2-D 0/1 masks, or of RLE strings (then ``shape`` is required)
    slice_ids, volume_ids : sequence, one per row
        Slice key (sorted as strings) and volume (e.g. case and day) of each row.
    dice_weight : float
        Weight of the Dice part (0.4); the Hausdorff part gets the rest.
    max_volume_ratio : float or None
        MLE-bench v1 scores a volume's Hausdorff distance 1 without computing it when the prediction has
        more than 10 times the true voxels (``max_volume_ratio=10``); None computes it always.
    shape, order, clip_runs
        For RLE inputs, as in :func:`dice`; ``order`` fixes the voxel coordinates, so it matters here.

    Returns NaN when every row is empty on both sides (MLE-bench v1 does the same).

    >>> t = [np.array([[1, 0], [0, 0]]), np.array([[0, 0], [0, 1]])]
    >>> p = [np.array([[1, 0], [0, 0]]), np.array([[0, 0], [1, 0]])]
    >>> round(dice_hausdorff(t, p, slice_ids=["s1", "s2"], volume_ids=["v", "v"]), 6)  # Dice 0.5, HD 0.5/√3
    0.626795
    """
    metric = "dice_hausdorff"
    if not 0.0 <= float(dice_weight) <= 1.0:
        raise MetricInputError(f"{metric}: dice_weight must be in [0, 1], got {dice_weight!r}", argument="dice_weight")
    if max_volume_ratio is not None and not float(max_volume_ratio) > 0:
        raise MetricInputError(
            f"{metric}: max_volume_ratio must be positive or None, got {max_volume_ratio!r}",
            argument="max_volume_ratio",
        )
    pair = _read_pair(y_true, y_pred, shape, order, clip_runs, metric)
    slices = _id_array(slice_ids, pair.n, metric, "slice_ids")
    volumes = _id_array(volume_ids, pair.n, metric, "volume_ids")
    inter, n_true, n_pred = _overlap_counts(pair)
    dice_part = _reduce_per_image(_per_image_dice(inter, n_true, n_pred, np.nan), "nanmean")
    distances = _volume_hausdorff(pair, slices, volumes, n_true, n_pred, order, max_volume_ratio, metric)
    valid = distances[~np.isnan(distances)]
    hd_part = float(np.mean(valid)) if valid.size else float("nan")
    w = float(dice_weight)
    return float(w * dice_part + (1 - w) * (1 - hd_part))


def _id_array(values: Any, n: int, metric: str, what: str) -> np.ndarray:
    if values is None:
        raise MetricInputError(f"{metric}: {what} is required, one per row", argument=what)
    arr = np.asarray(list(values), dtype=object)
    if arr.ndim != 1 or len(arr) != n:
        raise MetricInputError(
            f"{metric}: {what} has {len(arr)} values but there are {n} rows; pass one per row",
            argument=what,
        )
    return arr.astype(str)


def _volume_hausdorff(
    pair: _MaskPair,
    slices: np.ndarray,
    volumes: np.ndarray,
    n_true: np.ndarray,
    n_pred: np.ndarray,
    order: str,
    max_ratio: float | None,
    metric: str,
) -> np.ndarray:
    """Normalised symmetric Hausdorff distance per volume (NaN where both volumes are empty)."""
    slice_key, slice_code = np.unique(slices, return_inverse=True)  # sorted as strings
    volume_key, volume_code = np.unique(volumes, return_inverse=True)
    true_voxels = np.bincount(volume_code, weights=n_true, minlength=len(volume_key))
    pred_voxels = np.bincount(volume_code, weights=n_pred, minlength=len(volume_key))
    out = np.full(len(volume_key), np.nan)
    one_empty = (true_voxels == 0) != (pred_voxels == 0)
    out[one_empty] = 1.0
    both_present = (true_voxels > 0) & (pred_voxels > 0)
    row_order = np.argsort(slice_code, kind="stable")
    for v in np.flatnonzero(both_present):
        rows = row_order[volume_code[row_order] == v]
        t_vol, p_vol = _volumes(pair, rows, slice_code[rows], order, metric)
        out[v] = _hausdorff(t_vol, p_vol, max_ratio)
    return out


def _volumes(pair: _MaskPair, rows: np.ndarray, codes: np.ndarray, order: str, metric: str):
    """The true and predicted 3-D volumes of ``rows`` (already sorted by slice), ORed per slice."""
    shapes = pair.shapes[rows]
    if (shapes != shapes[0]).any():
        raise MetricInputError(
            f"{metric}: the slices of one volume have different image sizes; check shape",
            argument="shape",
        )
    starts_slice = np.r_[True, codes[1:] != codes[:-1]]  # rows arrive sorted by slice
    n_slices = int(starts_slice.sum())
    vols = []
    for side in (0, 1):
        if pair.runs is not None:
            # every run decoded straight into its slice: rows of one slice OR together as they overlap
            row, start, length = _select_runs(pair.runs[side], rows)
            slice_of_row = np.cumsum(starts_slice) - 1
            sub = Runs(slice_of_row[row], start, length, n_rows=n_slices)
            vols.append(_decode_runs(sub, np.broadcast_to(shapes[0], (n_slices, 2)).copy(), order))
        else:
            masks = np.stack([pair.dense[side][r] for r in rows])
            vols.append(np.logical_or.reduceat(masks, np.flatnonzero(starts_slice), axis=0))
    return vols[0], vols[1]


def _select_runs(runs: Runs, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The runs of ``rows``, renumbered 0..len(rows)-1."""
    new_index = np.full(runs.n_rows, -1, dtype=np.int64)
    new_index[rows] = np.arange(len(rows))
    picked = new_index[runs.row] >= 0
    return new_index[runs.row[picked]], runs.start[picked], runs.length[picked]


def _surface_points(mask: np.ndarray) -> np.ndarray:
    """Coordinates (``np.argwhere`` order) of the voxels of ``mask`` that erosion removes: its surface.

    Computed on the bounding box of ``mask`` plus one voxel, which gives the same voxels (erosion treats
    outside the array as empty, as it treats the margin) at a fraction of the cost for small organs.

    >>> m = np.zeros((4, 5, 5), dtype=bool); m[1:4, 1:4, 1:4] = True
    >>> len(_surface_points(m)), _surface_points(m)[0].tolist()
    (26, [1, 1, 1])
    """
    from scipy.ndimage import binary_erosion

    lo, hi = [], []
    for axis in range(mask.ndim):
        present = np.flatnonzero(mask.any(axis=tuple(a for a in range(mask.ndim) if a != axis)))
        lo.append(max(int(present[0]) - 1, 0))
        hi.append(min(int(present[-1]) + 2, mask.shape[axis]))
    box = mask[tuple(slice(a, b) for a, b in zip(lo, hi))]
    return np.argwhere(box & ~binary_erosion(box)) + np.asarray(lo)


def _hausdorff(t_vol: np.ndarray, p_vol: np.ndarray, max_ratio: float | None) -> float:
    """Symmetric Hausdorff distance of two non-empty 3-D masks, coordinates divided by the shape, ÷√3.

    1 without computing it when the prediction has more than ``max_ratio`` times the true voxels.
    """
    from scipy.spatial.distance import directed_hausdorff

    t_vol, p_vol = np.ascontiguousarray(t_vol), np.ascontiguousarray(p_vol)  # argwhere is slow on views
    if np.array_equal(t_vol, p_vol):
        return 0.0
    if max_ratio is not None and np.count_nonzero(p_vol) > max_ratio * np.count_nonzero(t_vol):
        return 1.0
    scale = np.asarray(t_vol.shape, dtype=np.float64)

    def directed(a: np.ndarray, b: np.ndarray) -> float:
        # Points of a inside b are at distance 0, and the nearest point of b to any other point lies on
        # b's surface, so both sets shrink without changing the result.
        outside = a & ~b
        if not outside.any():
            return 0.0
        return directed_hausdorff(np.argwhere(outside) / scale, _surface_points(b) / scale)[0]

    return max(directed(t_vol, p_vol), directed(p_vol, t_vol)) / np.sqrt(3)
