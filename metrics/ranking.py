"""Ranking metrics: ROC AUC and its variants, label-ranking precision (LWLRAP) and MAP@k.

Every AUC here comes from one vectorised rank-sum routine (sort once, average the ranks of tied scores),
which equals scikit-learn's ``roc_auc_score``: the trapezoid rule over distinct thresholds, so tied scores
get half credit.
"""

from __future__ import annotations

from itertools import chain, repeat
from operator import getitem
from typing import Any, Sequence

import numpy as np

from metrics._core import (
    check_same_shape,
    MetricInputError,
    as_1d,
    as_2d,
    check_binary,
    check_finite,
    check_same_length,
    paused_gc,
    register,
)

__all__ = [
    "auc",
    "auc_mean_columnwise",
    "weighted_auc",
    "jigsaw_bias_auc",
    "lwlrap",
    "map_at_k",
    "roc_points",
    "tokenize",
    "match_tokens",
]


# ---------------------------------------------------------------------------------------------
# AUC core
# ---------------------------------------------------------------------------------------------


def _group_starts(sorted_values: np.ndarray) -> np.ndarray:
    """Start index of each run of equal values in a sorted array."""
    change = np.flatnonzero(sorted_values[1:] != sorted_values[:-1]) + 1
    return np.concatenate(([0], change))


def _auc_sorted(y_sorted: np.ndarray, s_sorted: np.ndarray) -> float:
    """AUC from labels and scores already sorted by ascending score (Mann-Whitney with average ranks).

    Returns NaN when only one class is present; callers turn that into an error.
    """
    n = len(s_sorted)
    n_pos = float(np.count_nonzero(y_sorted))
    n_neg = n - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    starts = _group_starts(s_sorted)
    ends = np.append(starts[1:], n)
    avg_rank = (starts + ends + 1) / 2.0  # 1-based average rank of each tie group
    pos_per_group = np.add.reduceat(y_sorted.astype(np.float64), starts)
    rank_sum = float(np.dot(pos_per_group, avg_rank))
    return (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


def _binary_inputs(y_true: Any, y_score: Any, metric: str) -> tuple[np.ndarray, np.ndarray]:
    y = as_1d(y_true, metric, "y_true")
    s = as_1d(y_score, metric, "y_score")
    check_same_length(metric, ("y_true", y), ("y_score", s))
    check_binary(y, metric, "y_true")
    check_finite(s, metric, "y_score")
    return y, s


def _one_class_error(metric: str, where: str = "y_true") -> MetricInputError:
    return MetricInputError(
        f"{metric}: {where} holds only one class, so the AUC is undefined; "
        "score a set that has both positives (1) and negatives (0)",
        argument="y_true",
    )


@register("auc", higher_is_better=True, bounds=(0.0, 1.0), aliases=("roc_auc", "auroc"))
def auc(y_true: Any, y_score: Any) -> float:
    """Binary ROC AUC; tied scores get half credit (equals scikit-learn's ``roc_auc_score``).

    Parameters
    ----------
    y_true : 1-D array-like of 0/1 (bools accepted); both classes must be present.
    y_score : 1-D array-like of finite scores (any real numbers; only their order matters).

    >>> auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    >>> auc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5])   # a constant prediction
    0.5
    """
    y, s = _binary_inputs(y_true, y_score, "auc")
    order = np.argsort(s)
    value = _auc_sorted(y[order], s[order])
    if np.isnan(value):
        raise _one_class_error("auc")
    return value


@register("auc_mean_columnwise", higher_is_better=True, bounds=(0.0, 1.0), aliases=("roc_auc_macro",))
def auc_mean_columnwise(y_true: Any, y_score: Any, ignore_value: float | None = None) -> float:
    """Mean over columns of the binary ROC AUC (scikit-learn's ``roc_auc_score(average="macro")``).

    Parameters
    ----------
    y_true : 2-D array-like (rows x columns) of 0/1; each column needs both classes.
    y_score : 2-D array-like of finite scores, same shape.
    ignore_value : rows whose truth equals this value are left out of that column's AUC. MLE-bench v1
        uses ``ignore_value=-1`` for jigsaw-toxic-comment-classification-challenge, whose unscored test
        rows are labelled -1 (there a whole row is -1, so dropping per column equals dropping the row).

    >>> auc_mean_columnwise([[0, 1], [1, 0], [1, 1]], [[0.2, 0.9], [0.8, 0.3], [0.6, 0.1]])  # (1 + 0.5) / 2
    0.75
    >>> auc_mean_columnwise([[0, 1], [1, 0], [-1, -1], [1, 1]],
    ...                     [[0.2, 0.9], [0.8, 0.3], [0.9, 0.9], [0.6, 0.1]], ignore_value=-1)
    0.75
    """
    metric = "auc_mean_columnwise"
    y = as_2d(y_true, metric, "y_true")
    s = as_2d(y_score, metric, "y_score")
    check_same_length(metric, ("y_true", y), ("y_score", s))
    check_same_shape(metric, ("y_true", y), ("y_score", s), "pass one score per label")
    check_finite(s, metric, "y_score")
    keep = np.ones(y.shape, dtype=bool) if ignore_value is None else y != ignore_value
    check_binary(np.where(keep, y, 0.0), metric, "y_true")
    values = []
    for j in range(y.shape[1]):
        yj, sj = y[keep[:, j], j], s[keep[:, j], j]
        order = np.argsort(sj)
        value = _auc_sorted(yj[order], sj[order])
        if np.isnan(value):
            raise _one_class_error(metric, f"column {j} of y_true")
        values.append(value)
    return float(np.mean(values))


# ---------------------------------------------------------------------------------------------
# Weighted AUC (ALASKA2)
# ---------------------------------------------------------------------------------------------


def roc_points(y_true: np.ndarray, y_score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ROC curve's ``(fpr, tpr)`` vertices, one per distinct score from the highest, starting at (0, 0).

    >>> fpr, tpr = roc_points(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    >>> fpr.tolist(), tpr.tolist()
    ([0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0])
    """
    order = np.argsort(-y_score, kind="stable")
    s, y = y_score[order], y_true[order].astype(np.float64)
    ends = np.append(np.flatnonzero(s[1:] != s[:-1]), len(s) - 1)
    tps = np.cumsum(y)[ends]
    fps = (ends + 1) - tps
    tpr = np.concatenate(([0.0], tps / tps[-1]))
    fpr = np.concatenate(([0.0], fps / fps[-1]))
    return fpr, tpr


def _insert_tpr_breakpoints(fpr: np.ndarray, tpr: np.ndarray, breaks: np.ndarray):
    """Add a vertex at each TPR breakpoint the curve lacks, its FPR linearly interpolated."""
    missing = breaks[~np.isin(breaks, tpr)]
    if missing.size == 0:
        return fpr, tpr
    i = np.searchsorted(tpr, missing, side="right")  # first vertex with tpr > breakpoint
    new_fpr = fpr[i - 1] + (fpr[i] - fpr[i - 1]) * (missing - tpr[i - 1]) / (tpr[i] - tpr[i - 1])
    return np.insert(fpr, i, new_fpr), np.insert(tpr, i, missing)


@register("weighted_auc", higher_is_better=True, bounds=(0.0, 1.0))
def weighted_auc(
    y_true: Any,
    y_score: Any,
    tpr_thresholds: Sequence[float] = (0.0, 0.4, 1.0),
    weights: Sequence[float] = (2, 1),
) -> float:
    """ALASKA2's weighted AUC: the ROC area cut into horizontal TPR bands, each band weighted.

    The area of band ``[lo, hi]`` is the integral over FPR of ``clip(tpr - lo, 0, hi - lo)`` along the
    piecewise-linear ROC curve (TPR breakpoints inserted with interpolated FPR); the score is
    ``sum(weight * area) / sum(weight * (hi - lo))``, so it lies in [0, 1]. This is Kaggle's definition
    and MLE-bench v1's (whose grader inserts the breakpoints the same way).

    Parameters
    ----------
    y_true : 1-D array-like of 0/1, both classes present.
    y_score : 1-D array-like of finite scores.
    tpr_thresholds : increasing TPR band edges from 0 to 1.
    weights : one weight per band.

    >>> round(weighted_auc([0, 1, 0, 1], [0, 0, 0, 0]), 5)   # constant prediction
    0.58571
    >>> weighted_auc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    1.0
    """
    metric = "weighted_auc"
    y, s = _binary_inputs(y_true, y_score, metric)
    edges = np.asarray(tpr_thresholds, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if edges.ndim != 1 or len(edges) < 2 or len(w) != len(edges) - 1:
        raise MetricInputError(
            f"{metric}: need k+1 tpr_thresholds for k weights, got {len(edges)} and {len(w)}",
            argument="tpr_thresholds",
        )
    if edges[0] != 0.0 or edges[-1] != 1.0 or np.any(np.diff(edges) <= 0):
        raise MetricInputError(
            f"{metric}: tpr_thresholds must increase from 0 to 1, got {edges.tolist()}",
            argument="tpr_thresholds",
        )
    n_pos = np.count_nonzero(y)
    if n_pos == 0 or n_pos == len(y):
        raise _one_class_error(metric)
    fpr, tpr = roc_points(y, s)
    fpr, tpr = _insert_tpr_breakpoints(fpr, tpr, edges)
    dx = np.diff(fpr)
    total = 0.0
    for lo, hi, weight in zip(edges[:-1], edges[1:], w):
        band = np.clip(tpr - lo, 0.0, hi - lo)
        total += weight * float(np.dot(dx, (band[1:] + band[:-1]) / 2.0))
    return float(total / np.dot(np.diff(edges), w))


# ---------------------------------------------------------------------------------------------
# Jigsaw Unintended Bias
# ---------------------------------------------------------------------------------------------


def _subgroup_matrix(subgroups: Any, n: int, metric: str) -> tuple[np.ndarray, list[str]]:
    """Identity memberships as a float matrix (rows x identities) and the identity names."""
    if isinstance(subgroups, dict):
        names = [str(k) for k in subgroups]
        cols = [as_1d(v, metric, f"subgroups[{k!r}]") for k, v in subgroups.items()]
        if not cols:
            raise MetricInputError(
                f"{metric}: subgroups is empty; pass at least one identity column",
                argument="subgroups",
            )
        matrix = np.column_stack(cols)
    elif hasattr(subgroups, "columns") and hasattr(subgroups, "to_numpy"):  # a DataFrame
        names = [str(c) for c in subgroups.columns]
        matrix = as_2d(subgroups.to_numpy(dtype=np.float64, na_value=np.nan), metric, "subgroups")
    else:
        matrix = as_2d(subgroups, metric, "subgroups")
        names = [f"identity {j}" for j in range(matrix.shape[1])]
    check_same_length(metric, ("y_true", range(n)), ("subgroups", matrix))
    if np.isinf(matrix).any():
        raise MetricInputError(
            f"{metric}: subgroups hold infinite values; pass identity scores in [0, 1]",
            argument="subgroups",
        )
    return matrix, names


@register("jigsaw_bias_auc", higher_is_better=True, bounds=(0.0, 1.0))
def jigsaw_bias_auc(
    y_true: Any,
    y_score: Any,
    subgroups: Any,
    power: float = -5.0,
    overall_weight: float = 0.25,
    binarize_predictions: bool = False,
    threshold: float = 0.5,
) -> float:
    """Jigsaw Unintended Bias final metric: overall AUC blended with power means of bias AUCs.

    Labels and identity values are binarised as ``value >= threshold`` (NaN identity values count as
    "not mentioned"). For each identity three AUCs are computed: subgroup (rows mentioning it), BPSN
    (non-toxic rows mentioning it with toxic rows that do not) and BNSP (toxic rows mentioning it with
    non-toxic rows that do not). Each kind is combined over identities by the power mean
    ``(mean(auc ** power)) ** (1 / power)``. The score is ``overall_weight * overall_auc`` plus
    ``(1 - overall_weight) / 3`` times each of the three power means (Kaggle: 0.25 each).

    Parameters
    ----------
    y_true : 1-D toxicity targets (fractions in [0, 1] or 0/1).
    y_score : 1-D predicted scores.
    subgroups : identity values, 2-D (rows x identities), a DataFrame or a dict of columns.
    power : power-mean exponent (Kaggle: -5).
    overall_weight : weight of the overall AUC.
    binarize_predictions : MLE-bench v1 uses ``True``: predictions are thresholded at ``threshold``
        before every AUC, so the AUCs rank 0/1 predictions (Kaggle ranks the raw scores).
    threshold : binarisation threshold (0.5).

    >>> y = [0, 0, 1, 1, 0, 1]
    >>> s = [0.1, 0.6, 0.7, 0.9, 0.2, 0.4]
    >>> g = [[1, 0], [1, 0], [1, 0], [0, 1], [0, 1], [0, 1]]
    >>> round(jigsaw_bias_auc(y, s, g), 6)  # 0.25 * (8/9 + 1 + 2 * ((0.75**-5 + 1) / 2) ** -0.2)
    0.885024
    >>> jigsaw_bias_auc(y, s, g, binarize_predictions=True)  # 0.25 * (2/3 + 0.75 + 2 * 16.5 ** -0.2)
    0.6395793150752872
    """
    metric = "jigsaw_bias_auc"
    target = as_1d(y_true, metric, "y_true")
    s = as_1d(y_score, metric, "y_score")
    n = check_same_length(metric, ("y_true", target), ("y_score", s))
    check_finite(target, metric, "y_true")
    check_finite(s, metric, "y_score")
    matrix, names = _subgroup_matrix(subgroups, n, metric)
    if power == 0:
        raise MetricInputError(f"{metric}: power must be non-zero", argument="power")
    y = target >= threshold
    members = matrix >= threshold  # NaN compares False: not mentioned
    if binarize_predictions:
        s = (s >= threshold).astype(np.float64)

    order = np.argsort(s)
    y_sorted, s_sorted, members_sorted = y[order], s[order], members[order]

    def sub_auc(mask_sorted: np.ndarray, what: str) -> float:
        value = _auc_sorted(y_sorted[mask_sorted], s_sorted[mask_sorted])
        if np.isnan(value):
            raise _one_class_error(metric, what)
        return value

    overall = sub_auc(np.ones(n, dtype=bool), "y_true")
    per_kind = np.empty((3, matrix.shape[1]))
    for j, name in enumerate(names):
        m = members_sorted[:, j]
        per_kind[0, j] = sub_auc(m, f"the subgroup of {name}")
        per_kind[1, j] = sub_auc((m & ~y_sorted) | (~m & y_sorted), f"the BPSN set of {name}")
        per_kind[2, j] = sub_auc((m & y_sorted) | (~m & ~y_sorted), f"the BNSP set of {name}")
    with np.errstate(divide="ignore"):
        power_means = np.mean(per_kind**power, axis=1) ** (1.0 / power)
    bias_weight = (1.0 - overall_weight) / 3.0
    return float(overall_weight * overall + bias_weight * power_means.sum())


# ---------------------------------------------------------------------------------------------
# LWLRAP (Freesound 2019)
# ---------------------------------------------------------------------------------------------


@register("lwlrap", higher_is_better=True, bounds=(0.0, 1.0), aliases=("label_weighted_lrap",))
def lwlrap(y_true: Any, y_score: Any) -> float:
    """Label-weighted label-ranking average precision (Freesound Audio Tagging 2019).

    For each true label of each row: the number of true labels scored at least as high, divided by the
    number of labels scored at least as high; the score averages this over all true (row, label) pairs.
    Equals scikit-learn's ``label_ranking_average_precision_score`` with ``sample_weight`` = the number
    of true labels per row, rows without a true label skipped (as Kaggle and MLE-bench v1 do).

    Parameters
    ----------
    y_true : 2-D array-like (rows x labels) of 0/1; at least one row must have a true label.
    y_score : 2-D array-like of finite scores, same shape.

    >>> lwlrap([[1, 0, 0], [0, 1, 1]], [[0.9, 0.5, 0.1], [0.8, 0.7, 0.2]])  # (1 + 1/2 + 2/3) / 3
    0.7222222222222222
    """
    metric = "lwlrap"
    y = as_2d(y_true, metric, "y_true")
    s = as_2d(y_score, metric, "y_score")
    check_same_length(metric, ("y_true", y), ("y_score", s))
    check_same_shape(metric, ("y_true", y), ("y_score", s))
    check_binary(y, metric, "y_true")
    check_finite(s, metric, "y_score")
    scored = y.any(axis=1)
    if not scored.any():
        raise MetricInputError(f"{metric}: no row of y_true has a true label; nothing to score", argument="y_true")
    y, s = y[scored], s[scored]
    n_labels = y.shape[1]
    order = np.argsort(-s, axis=1, kind="stable")
    s_sorted = np.take_along_axis(s, order, axis=1)
    y_sorted = np.take_along_axis(y, order, axis=1)
    # Last position of each element's tie group: its rank counts every label scored >= it.
    pos = np.broadcast_to(np.arange(n_labels), s.shape)
    is_last = np.ones(s.shape, dtype=bool)
    is_last[:, :-1] = s_sorted[:, :-1] != s_sorted[:, 1:]
    last = np.minimum.accumulate(np.where(is_last, pos, n_labels)[:, ::-1], axis=1)[:, ::-1]
    true_at_or_above = np.take_along_axis(np.cumsum(y_sorted, axis=1), last, axis=1)
    precision = true_at_or_above / (last + 1.0)
    return float(precision[y_sorted == 1].sum() / y_sorted.sum())


# ---------------------------------------------------------------------------------------------
# MAP@k
# ---------------------------------------------------------------------------------------------


def tokenize(values: Any, metric: str, what: str, split_on: str = "whitespace") -> list[list[Any]]:
    """Rows of tokens: strings are split (``"whitespace"``: ``str.split()``; ``"single_space"``:
    ``str.split(" ")``, so double spaces give empty tokens); other rows must be collections.

    >>> tokenize(["a b", "c  d", ["x", 1]], "map_at_k", "y_pred", split_on="single_space")
    [['a', 'b'], ['c', '', 'd'], ['x', 1]]
    """
    if split_on not in ("whitespace", "single_space"):
        raise MetricInputError(
            f"{metric}: split_on must be 'whitespace' or 'single_space', got {split_on!r}",
            argument="split_on",
        )
    if isinstance(values, str) or values is None:
        raise MetricInputError(
            f"{metric}: {what} must be a sequence of rows, got {type(values).__name__}",
            argument=what,
        )
    if hasattr(values, "tolist"):
        values = values.tolist()
    sep = None if split_on == "whitespace" else " "
    try:
        return [v.split(sep) if isinstance(v, str) else v if type(v) is list else list(v) for v in values]
    except TypeError:
        bad = next(v for v in values if not isinstance(v, str) and not hasattr(v, "__iter__"))
        raise MetricInputError(
            f"{metric}: {what} holds {bad!r}, which is neither a string nor a collection of labels; "
            "pass one string or list per row (write missing rows as empty strings)",
            argument=what,
        ) from None


_MIX = np.int64(-7046029254386353131)  # odd 64-bit constant (0x9E3779B97F4A7C15) spreading row ids


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _exact_codes(tokens: list[Any]) -> np.ndarray:
    vocab: dict[Any, int] = {}
    return np.fromiter(map(vocab.setdefault, tokens, range(len(tokens))), np.int64, len(tokens))


def match_tokens(
    tokens: list[Any], rows: np.ndarray, metric: str, n_true: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Group equal tokens of the same row: ``(order, new)`` where ``order`` sorts the tokens so that equal
    (row, token) pairs are adjacent and keep their input order, and ``new[i]`` is True where the i-th
    sorted token starts a new (row, token) group.

    Keys mix each token's hash with its row; equal keys are then compared as objects, and a hash
    collision between different tokens falls back to exact dictionary codes, so grouping is exact.
    ``n_true``: the first ``n_true`` tokens are y_true's and the rest y_pred's (says which one is at fault
    when a token cannot be hashed).

    >>> order, new = match_tokens(["a", "b", "a", "a"], np.array([0, 0, 0, 1]), "demo")
    >>> sorted(group.tolist() for group in np.split(order, np.flatnonzero(new)[1:]))
    [[0, 2], [1], [3]]
    """
    try:
        codes = np.fromiter(map(hash, tokens), dtype=np.int64, count=len(tokens))
    except TypeError as err:
        first = next(i for i, token in enumerate(tokens) if not _hashable(token))
        raise MetricInputError(
            f"{metric}: labels must be hashable ({err}); pass strings or numbers",
            argument="y_true" if n_true is not None and first < n_true else "y_pred",
        ) from None
    for attempt in ("hash", "exact"):
        if attempt == "exact":
            codes = _exact_codes(tokens) + rows * np.int64(len(tokens))
            order = np.argsort(codes, kind="stable")
            break
        with np.errstate(over="ignore"):
            keys = codes + rows * _MIX  # wraps around modulo 2**64
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        same = sorted_keys[1:] == sorted_keys[:-1]
        if not same.any():
            break
        obj = np.empty(len(tokens), dtype=object)
        obj[:] = tokens
        left, right = order[:-1][same], order[1:][same]
        if bool(np.all(obj[left] == obj[right])) and bool(np.all(rows[left] == rows[right])):
            break
    sorted_codes = codes[order] if attempt == "exact" else sorted_keys
    new = np.concatenate(([True], sorted_codes[1:] != sorted_codes[:-1])) if len(order) else order.astype(bool)
    return order, new


def _flatten(rows: list[list[Any]]) -> tuple[list[Any], np.ndarray]:
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    return list(chain.from_iterable(rows)), lengths


@register("map_at_k", higher_is_better=True, bounds=(0.0, 1.0), aliases=("mapk", "map@k"))
def map_at_k(y_true: Any, y_pred: Any, k: int = 12, split_on: str = "whitespace") -> float:
    """Mean average precision at k over rows (Kaggle's MAP@k).

    Per row: predictions are truncated to ``k``; the i-th prediction (1-based) adds
    ``hits so far / i`` when it is a true label and not a repeat of an earlier prediction; the sum is
    divided by ``min(number of true labels, k)``; a row with no true label scores 0. The score is the
    mean over rows.

    Parameters
    ----------
    y_true : sequence of label collections (lists, sets, or space-separated strings), one per row.
    y_pred : sequence of ranked predictions, same forms.
    k : number of predictions used per row.
    split_on : how strings are split. ``"whitespace"`` (default) splits on runs of whitespace.
        MLE-bench v1 uses ``"single_space"``: ``str.split(" ")``, so a double space makes an empty
        token that takes one of the k slots.

    >>> map_at_k(["a b", "c"], ["a x b", "y c"], k=3)
    0.6666666666666666
    >>> map_at_k([["a"]], [["a", "a"]], k=2)
    1.0
    """
    metric = "map_at_k"
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        raise MetricInputError(f"{metric}: k must be a positive integer, got {k!r}", argument="k")
    if split_on not in ("whitespace", "single_space"):
        raise MetricInputError(
            f"{metric}: split_on must be 'whitespace' or 'single_space', got {split_on!r}",
            argument="split_on",
        )
    fast = _map_at_k_strings(y_true, y_pred, k, split_on)
    if fast is not None:
        return fast
    actual = tokenize(y_true, metric, "y_true", split_on)
    predicted = tokenize(y_pred, metric, "y_pred", split_on)
    n = check_same_length(metric, ("y_true", actual), ("y_pred", predicted))
    if n == 0:
        raise MetricInputError(f"{metric}: y_true is empty; pass at least one row", argument="y_true")

    act_flat, act_len = _flatten(actual)
    pred_flat, pred_len = _flatten([row[:k] for row in predicted])
    n_act = len(act_flat)
    rows = np.repeat(np.tile(np.arange(n, dtype=np.int64), 2), np.concatenate((act_len, pred_len)))
    order, new = match_tokens(act_flat + pred_flat, rows, metric, n_true=len(act_flat))
    # Within a (row, token) group the true labels come first, then the predictions in rank order.
    is_pred = order >= n_act
    group = np.cumsum(new) - 1
    group_is_true = np.zeros(int(group[-1]) + 1 if len(group) else 0, dtype=bool)
    group_is_true[group[~is_pred]] = True
    first_pred = is_pred & np.concatenate(([True], new[1:] | ~is_pred[:-1]))
    hit = np.zeros(len(pred_flat), dtype=bool)
    hit[order[first_pred & group_is_true[group]] - n_act] = True
    n_true = np.bincount(rows[order[new & ~is_pred]], minlength=n)  # distinct true labels per row
    return _mean_ap(_precision_sums(hit, pred_len), n_true, k)


def _precision_sums(hit: np.ndarray, pred_len: np.ndarray) -> np.ndarray:
    """Per row, the sum of ``hits so far / rank`` over its hits: ``hit`` holds each prediction's flag
    (rows back to back, ``pred_len`` each; a hit is a true label not predicted earlier in its row).

    >>> _precision_sums(np.array([True, False, True, False]), np.array([3, 1])).tolist()  # 1/1 + 2/3; 0
    [1.6666666666666665, 0.0]
    """
    n = len(pred_len)
    row_start = np.concatenate(([0], np.cumsum(pred_len)[:-1]))
    position = np.arange(len(hit)) - np.repeat(row_start, pred_len)  # 0-based rank in its row
    cum_hits = np.cumsum(hit)
    hits_before_row = np.repeat(np.concatenate(([0], cum_hits))[row_start], pred_len)
    precision = np.where(hit, (cum_hits - hits_before_row) / (position + 1.0), 0.0)
    return np.bincount(np.repeat(np.arange(n), pred_len), weights=precision, minlength=n)


def _mean_ap(row_sum: np.ndarray, n_true: np.ndarray, k: int) -> float:
    """Mean over rows of AP@k: each row's precision sum over min(distinct true labels, k); 0 without any."""
    denom = np.minimum(n_true, k)
    return float(np.divide(row_sum, denom, out=np.zeros(len(row_sum)), where=denom > 0).mean())


# ---------------------------------------------------------------------------------------------
# MAP@k on rows of strings: Python's own split and sets, chained with map
# ---------------------------------------------------------------------------------------------


def _text_rows(values: Any) -> list[str] | None:
    if isinstance(values, str) or values is None:
        return None
    rows = values.tolist() if hasattr(values, "tolist") else list(values)
    return rows if set(map(type, rows)) == {str} else None


#: rows per chunk of the string path: their sets and lists stay in cache and their memory is reused
_CHUNK = 256


def _map_at_k_strings(y_true: Any, y_pred: Any, k: int, split_on: str) -> float | None:
    """MAP@k for rows of strings, exact for any text: Python's own ``str.split`` and ``set`` chained with
    ``map`` (no bytecode per row), then numpy on the rows that hit at all; None when the rows are not all
    strings."""
    truth, pred = _text_rows(y_true), _text_rows(y_pred)
    if truth is None or pred is None or len(truth) != len(pred) or not truth:
        return None
    n = len(truth)
    sep = repeat(None if split_on == "whitespace" else " ")
    first_k = repeat(slice(0, k))
    n_true, row_sum = np.empty(n, dtype=np.int64), np.zeros(n)
    hit_rows, hit_sets, hit_ranked = [], [], []  # rows with at least one hit, scored together at the end
    with paused_gc():
        for lo in range(0, n, _CHUNK):
            hi = min(n, lo + _CHUNK)
            true_sets = list(map(set, map(str.split, truth[lo:hi], sep)))
            ranked = list(map(getitem, map(str.split, pred[lo:hi], sep), first_k))
            n_true[lo:hi] = np.fromiter(map(len, true_sets), dtype=np.int64, count=hi - lo)
            disjoint = np.fromiter(map(set.isdisjoint, true_sets, ranked), dtype=bool, count=hi - lo)
            rows = np.flatnonzero(~disjoint).tolist()
            if rows:
                hit_rows.append(lo + np.array(rows))
                hit_sets += map(true_sets.__getitem__, rows)
                hit_ranked += map(ranked.__getitem__, rows)
        if hit_rows:
            row_sum[np.concatenate(hit_rows)] = _hit_rows_precision(hit_sets, hit_ranked)
    return _mean_ap(row_sum, n_true, k)


def _hit_rows_precision(true_sets: list[set[str]], ranked: list[list[str]]) -> np.ndarray:
    """Precision sums of rows whose ``ranked`` predictions hold at least one of their true labels."""
    found = np.fromiter(map(len, map(set.intersection, true_sets, ranked)), dtype=np.int64, count=len(ranked))
    lengths = np.fromiter(map(len, ranked), dtype=np.int64, count=len(ranked))
    flat = list(chain.from_iterable(ranked))
    own_set = chain.from_iterable(map(repeat, true_sets, lengths.tolist()))
    hit = np.fromiter(map(set.__contains__, own_set, flat), dtype=bool, count=len(flat))
    row = np.repeat(np.arange(len(ranked)), lengths)
    if (np.bincount(row, weights=hit, minlength=len(ranked)) > found).any():  # a true label predicted twice
        first = np.zeros(len(flat), dtype=bool)
        first[np.unique(row * len(flat) + _exact_codes(flat), return_index=True)[1]] = True
        hit &= first  # only its first occurrence scores
    return _precision_sums(hit, lengths)
