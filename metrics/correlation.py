"""Correlation metrics: Pearson's r, mean column-wise Spearman's rho, and AI4Code's pooled Kendall tau."""

from __future__ import annotations

from itertools import chain, repeat
from typing import Any

import numpy as np

from metrics._core import (
    MetricInputError, as_1d, as_2d, check_finite, check_same_length, check_same_shape, paused_gc, register,
)
from metrics.ranking import match_tokens, tokenize

__all__ = ["pearson", "spearman_mean_columnwise", "kendall_tau", "count_inversions", "average_ranks"]

_CONSTANT_CHOICES = ("raise", "nan")


def _check_constant_option(constant: str, metric: str) -> None:
    if constant not in _CONSTANT_CHOICES:
        raise MetricInputError(f"{metric}: constant must be 'raise' or 'nan', got {constant!r}", argument="constant")


def _columnwise_r(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson r of each column pair (2-D, rows x columns); NaN where a column is constant."""
    return np.array([_r(x[:, j], y[:, j]) for j in range(x.shape[1])])


def _r(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson r of two 1-D arrays, NaN when either is constant.

    scipy.stats.pearsonr's formula, centred then normalised. scipy first divides by the largest absolute
    deviation against overflow; r does not change under that scaling, so it is done only when the plain
    products overflow. Sums of products are ``einsum`` (one SIMD pass): BLAS ``dot`` starts threads, which
    cost more than the sum on a busy machine.
    """
    if x.max() == x.min() or y.max() == y.min():
        return np.nan
    if len(x) == 2:  # scipy returns the exact sign for two points
        return float(np.sign((x[1] - x[0]) * (y[1] - y[0])))
    xm = x - x.mean()
    ym = y - y.mean()
    with np.errstate(over="ignore", invalid="ignore"):
        r = _dot(xm, ym) / (np.sqrt(_dot(xm, xm)) * np.sqrt(_dot(ym, ym)))
    if not np.isfinite(r):
        xm /= max(xm.max(), -xm.min())
        ym /= max(ym.max(), -ym.min())
        r = _dot(xm, ym) / (np.sqrt(_dot(xm, xm)) * np.sqrt(_dot(ym, ym)))
    return float(min(max(r, -1.0), 1.0))


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.einsum("i,i->", a, b))


def average_ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks (1-based, ties share their mean rank) of each column: ``scipy.stats.rankdata(x, axis=0)``.

    Ranks are half-integers, so any exact computation gives the same bits; this one sorts each column as
    a contiguous row of the transpose and assigns tie groups with one cumulative sum.

    >>> average_ranks(np.array([[3.0, 1.0], [1.0, 1.0], [3.0, 2.0]])).tolist()
    [[2.5, 1.5], [1.0, 1.5], [2.5, 3.0]]
    """
    cols = np.ascontiguousarray(x.T)
    k, n = cols.shape
    order = np.argsort(cols, axis=1)
    ordered = np.take_along_axis(cols, order, axis=1)
    new = np.ones((k, n), dtype=bool)
    np.not_equal(ordered[:, 1:], ordered[:, :-1], out=new[:, 1:])
    if new.all():  # no ties: the rank is the sorted position
        sorted_rank = np.broadcast_to(np.arange(1.0, n + 1.0), (k, n))
    else:
        flat = new.ravel()
        starts = np.flatnonzero(flat)  # every column starts a group, so no group crosses columns
        sizes = np.diff(np.append(starts, flat.size))
        mean_rank = starts % n + (sizes + 1) / 2  # (first + last) / 2, 1-based
        sorted_rank = mean_rank[np.cumsum(flat) - 1].reshape(k, n)
    ranks = np.empty((k, n))
    np.put_along_axis(ranks, order, sorted_rank, axis=1)
    return ranks.T


def _paired(y_true: Any, y_pred: Any, metric: str, two_d: bool) -> tuple[np.ndarray, np.ndarray]:
    convert = as_2d if two_d else as_1d
    x = convert(y_true, metric, "y_true")
    y = convert(y_pred, metric, "y_pred")
    check_same_length(metric, ("y_true", x), ("y_pred", y))
    check_same_shape(metric, ("y_true", x), ("y_pred", y))
    check_finite(x, metric, "y_true")
    check_finite(y, metric, "y_pred")
    if len(x) < 2:
        raise MetricInputError(f"{metric}: a correlation needs at least 2 rows, got {len(x)}", argument="y_true")
    return x, y


def _constant_error(metric: str, where: str, pred_constant: bool) -> MetricInputError:
    """The error for an undefined correlation: the prediction's fault when it is constant, else y_true's."""
    argument = "y_pred" if pred_constant else "y_true"
    return MetricInputError(
        f"{metric}: {where} is constant, so the correlation is undefined; vary the predictions, or pass "
        "constant='nan' to get NaN as MLE-bench v1 does",
        argument=argument,
    )


@register("pearson", higher_is_better=True, bounds=(-1.0, 1.0), aliases=("pearsonr",))
def pearson(y_true: Any, y_pred: Any, constant: str = "raise") -> float:
    """Pearson correlation coefficient r (scipy.stats.pearsonr's statistic).

    Parameters
    ----------
    y_true, y_pred : 1-D array-likes of finite numbers, at least 2 rows.
    constant : what a constant input gives: ``"raise"`` (default) a MetricInputError; ``"nan"`` NaN.
        MLE-bench v1 uses ``"nan"`` (us-patent-phrase-to-phrase-matching): the NaN score counts as a
        valid submission that wins no medal.

    >>> round(pearson([1, 2, 3, 4], [2, 4, 6, 9]), 6)  # 11.5 / sqrt(5 * 26.75)
    0.994377
    >>> pearson([1, 2, 3], [0, 0, 0], constant="nan")
    nan
    """
    metric = "pearson"
    _check_constant_option(constant, metric)
    x, y = _paired(y_true, y_pred, metric, two_d=False)
    r = _r(x, y)
    if np.isnan(r) and constant == "raise":
        raise _constant_error(metric, "y_true or y_pred", bool(np.ptp(y) == 0))
    return r


@register("spearman_mean_columnwise", higher_is_better=True, bounds=(-1.0, 1.0), aliases=("spearman",))
def spearman_mean_columnwise(y_true: Any, y_pred: Any, constant: str = "raise") -> float:
    """Mean over columns of Spearman's rho (scipy.stats.spearmanr: Pearson r of average ranks).

    Parameters
    ----------
    y_true, y_pred : 2-D array-likes (rows x columns) of finite numbers; a 1-D input is one column.
    constant : what a constant column gives: ``"raise"`` (default) a MetricInputError; ``"nan"`` NaN for
        that column and so NaN for the mean. MLE-bench v1 uses ``"nan"`` (google-quest-challenge).

    >>> round(spearman_mean_columnwise([[1, 1], [2, 3], [3, 2]], [[10, 1], [20, 2], [30, 3]]), 12)  # (1 + 0.5) / 2
    0.75
    """
    metric = "spearman_mean_columnwise"
    _check_constant_option(constant, metric)
    x, y = _paired(y_true, y_pred, metric, two_d=True)
    r = _columnwise_r(average_ranks(x), average_ranks(y))
    if constant == "raise" and np.isnan(r).any():
        cols = np.flatnonzero(np.isnan(r))[:5].tolist()
        pred_constant = bool((np.ptp(y[:, cols], axis=0) == 0).any())
        raise _constant_error(metric, f"column(s) {cols} of y_true or y_pred", pred_constant)
    return float(np.mean(r))


def count_inversions(values: np.ndarray, groups: np.ndarray) -> int:
    """Number of pairs i < j of the same group with ``values[i] > values[j]``, summed over groups.

    ``values`` are non-negative integers; ``groups`` labels each element (elements of a group in order).
    Works bit by bit from the highest: at each bit, a pair is an inversion decided there when both share
    the higher bits, the earlier has the bit set and the later has it clear; so each level is one stable
    sort and one cumulative sum, O(n log n) per bit.

    >>> count_inversions(np.array([2, 0, 1, 1, 0]), np.array([0, 0, 0, 1, 1]))
    3
    """
    values = np.asarray(values, dtype=np.int64)
    groups = np.asarray(groups, dtype=np.int64)
    if len(values) < 2:
        return 0
    n_bits = int(values.max()).bit_length()
    total = 0
    for bit in range(n_bits - 1, -1, -1):
        prefix = values >> (bit + 1)
        key = groups * (int(prefix.max()) + 1) + prefix
        order = np.argsort(key, kind="stable")  # keeps positions in order within a bucket
        k_sorted = key[order]
        set_bit = ((values[order] >> bit) & 1).astype(np.int64)
        starts = np.flatnonzero(np.concatenate(([True], k_sorted[1:] != k_sorted[:-1])))
        lengths = np.diff(np.append(starts, len(k_sorted)))
        cum = np.cumsum(set_bit)
        before_bucket = np.repeat(np.concatenate(([0], cum))[starts], lengths)
        earlier_set = cum - set_bit - before_bucket
        total += int(earlier_set[set_bit == 0].sum())
    return total


@register("kendall_tau", higher_is_better=True, bounds=(-1.0, 1.0), aliases=("kendall_tau_pooled",))
def kendall_tau(y_true: Any, y_pred: Any) -> float:
    """AI4Code's Kendall tau: ``1 - 4 * sum(inversions) / sum(n * (n - 1))`` pooled over all rows.

    Each row is one ordering (a notebook's cells); ``inversions`` counts pairs of items the prediction
    puts in the opposite order to the truth, and ``n`` is the row's item count.

    Parameters
    ----------
    y_true : sequence of true orderings (lists of ids, or whitespace-separated strings), one per row.
    y_pred : sequence of predicted orderings; each must be a permutation of its row's true ids.

    >>> kendall_tau(["a b c", "x y"], ["a c b", "x y"])   # 1 inversion; 1 - 4 * 1 / (6 + 2)
    0.5
    """
    metric = "kendall_tau"
    fast = _true_ranks_dict(y_true, y_pred, metric)
    if fast is None:
        fast = _true_ranks(y_true, y_pred, metric)
    true_rank, row, pairs = fast
    inversions = count_inversions(true_rank, row)
    return 1.0 - 4.0 * inversions / pairs


def _length_errors(t_len: np.ndarray, p_len: np.ndarray, metric: str) -> int:
    """Raise unless every row has as many predicted as true items; return sum(n * (n - 1))."""
    if (t_len != p_len).any():
        row = int(np.flatnonzero(t_len != p_len)[0])
        raise MetricInputError(
            f"{metric}: {int((t_len != p_len).sum())} row(s) of y_pred have a different number of items "
            f"than y_true (first at row {row}: {p_len[row]} vs {t_len[row]}); order every item exactly once",
            argument="y_pred",
        )
    pairs = int((t_len * (t_len - 1)).sum())
    if pairs == 0:
        raise MetricInputError(f"{metric}: every row has fewer than 2 items, so tau is undefined", argument="y_true")
    return pairs


def _not_a_permutation(metric: str, row: int) -> MetricInputError:
    return MetricInputError(
        f"{metric}: row {row} of y_pred is not a permutation of its true ids (an unknown, missing or "
        "repeated id); list each of the row's ids exactly once",
        argument="y_pred",
    )


def _true_ranks_dict(y_true: Any, y_pred: Any, metric: str):
    """``(true_rank, row, pairs)`` through one dict per row (id -> true position), built and looked up
    with ``map`` (no bytecode per item); None when a predicted row is not a permutation of its true ids,
    or ids are unhashable: :func:`_true_ranks` then finds the row and says what is wrong."""
    truth = tokenize(y_true, metric, "y_true")
    pred = tokenize(y_pred, metric, "y_pred")
    n_rows = check_same_length(metric, ("y_true", truth), ("y_pred", pred))
    if n_rows == 0:
        return None
    t_len = np.fromiter(map(len, truth), dtype=np.int64, count=n_rows)
    p_len = np.fromiter(map(len, pred), dtype=np.int64, count=n_rows)
    pairs = _length_errors(t_len, p_len, metric)
    try:
        with paused_gc():
            position = list(map(dict, map(zip, truth, map(range, t_len.tolist()))))
            lookups = map(map, map(getattr, position, repeat("__getitem__")), pred)
            true_rank = np.fromiter(chain.from_iterable(lookups), dtype=np.int64, count=int(p_len.sum()))
            distinct_true = np.fromiter(map(len, position), dtype=np.int64, count=n_rows)
            distinct_pred = np.fromiter(map(len, map(set, pred)), dtype=np.int64, count=n_rows)
    except (KeyError, TypeError):  # an id missing from its row's truth, or an unhashable id
        return None
    if (distinct_true != t_len).any():
        raise MetricInputError(
            f"{metric}: y_true repeats an id within a row (first at row "
            f"{int(np.flatnonzero(distinct_true != t_len)[0])}); each id must appear once",
            argument="y_true",
        )
    if (distinct_pred != p_len).any():  # a repeated prediction: a permutation has none
        raise _not_a_permutation(metric, int(np.flatnonzero(distinct_pred != p_len)[0]))
    return true_rank, np.repeat(np.arange(n_rows, dtype=np.int64), p_len), pairs


def _true_ranks(y_true: Any, y_pred: Any, metric: str):
    """``(true_rank, row, pairs)``: each predicted id's position in its row's true order, for any input."""
    truth = tokenize(y_true, metric, "y_true")
    pred = tokenize(y_pred, metric, "y_pred")
    n_rows = check_same_length(metric, ("y_true", truth), ("y_pred", pred))
    if n_rows == 0:
        raise MetricInputError(f"{metric}: y_true is empty; pass at least one ordering", argument="y_true")
    t_len = np.fromiter(map(len, truth), dtype=np.int64, count=n_rows)
    p_len = np.fromiter(map(len, pred), dtype=np.int64, count=n_rows)
    pairs = _length_errors(t_len, p_len, metric)

    n_items = int(t_len.sum())
    row = np.repeat(np.arange(n_rows, dtype=np.int64), t_len)
    order, new = match_tokens(
        list(chain.from_iterable(truth)) + list(chain.from_iterable(pred)), np.tile(row, 2), metric, n_true=n_items
    )
    # A permutation pairs every true id with exactly one predicted id of its row: groups of two, the
    # true id first (it comes first in the input).
    is_pred = order >= n_items
    starts = np.flatnonzero(new)
    sizes = np.diff(np.append(starts, len(order)))
    first_is_true = ~is_pred[starts]
    second_is_pred = np.zeros(len(starts), dtype=bool)
    has_two = sizes >= 2
    second_is_pred[has_two] = is_pred[starts[has_two] + 1]
    bad = (sizes != 2) | ~first_is_true | ~second_is_pred
    if bad.any():
        bad_row = int(np.tile(row, 2)[order[starts[np.flatnonzero(bad)[0]]]])
        raise _not_a_permutation(metric, bad_row)
    row_start = np.concatenate(([0], np.cumsum(t_len)[:-1]))
    true_position = np.arange(n_items) - np.repeat(row_start, t_len)
    true_rank = np.empty(n_items, dtype=np.int64)  # position in the truth of each predicted id
    true_rank[order[starts + 1] - n_items] = true_position[order[starts]]
    return true_rank, row, pairs
