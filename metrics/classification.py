"""Classification metrics on hard labels: accuracy, top-1 error, macro and micro F1, Matthews correlation,
quadratic weighted kappa, and the probabilistic F-beta of the RSNA breast cancer competition.

Labels may be ints, floats holding whole numbers, bools or strings; the two sides must use the same kind
(numbers on both sides, or text on both sides). Everything is vectorised: labels are encoded once (an
offset for integers in a compact range, a hash table for text, ``np.unique`` otherwise) and counted with
``np.bincount``.

>>> import metrics
>>> metrics.score("f1_macro", ["cat", "dog", "dog"], ["cat", "dog", "cat"])
0.6666666666666666
"""

from __future__ import annotations

import numbers
from itertools import chain
from typing import Any

import numpy as np

from metrics._core import (
    MetricInputError,
    as_1d,
    check_binary,
    check_finite,
    check_same_length,
    register,
)

__all__ = [
    "accuracy",
    "top1_error",
    "f1_macro",
    "f1_micro",
    "mcc",
    "qwk",
    "pf1",
    "label_array",
    "label_sets",
]

_NUM, _STR = "numeric", "text"
_COLLECTIONS = (list, tuple, set, frozenset, np.ndarray)
_SEPARATOR = "\x01"  # not whitespace, so str.split() keeps it as a token of its own


# ---------------------------------------------------------------------------------------------
# Label handling
# ---------------------------------------------------------------------------------------------


def _whole_floats(arr: np.ndarray, metric: str, what: str, hint: str) -> np.ndarray:
    """Float labels as int64; NaN, infinity and fractions raise."""
    check_finite(arr, metric, what)
    fractional = arr != np.floor(arr)
    if fractional.any():
        examples = arr[fractional][:3].tolist()
        raise MetricInputError(
            f"{metric}: {what} holds {int(fractional.sum())} value(s) that are not whole numbers "
            f"(e.g. {examples}); {hint}",
            argument=what,
        )
    if np.abs(arr).max() >= 2.0**63:
        raise MetricInputError(f"{metric}: {what} holds labels too large for 64-bit integers", argument=what)
    return arr.astype(np.int64)


def _is_missing(value: Any) -> bool:
    """None, a float NaN, or pandas' NA/NaT scalars (recognised by type name: metrics does not import pandas)."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    return isinstance(value, float) and value != value


def _object_labels(arr: np.ndarray, metric: str, what: str, hint: str) -> tuple[np.ndarray, str]:
    values = arr.tolist()
    types = set(map(type, values))
    if all(issubclass(t, str) for t in types):
        return arr, _STR
    numeric = all(issubclass(t, (numbers.Real, np.bool_)) for t in types)
    if numeric and all(issubclass(t, (numbers.Integral, np.bool_)) for t in types):
        try:
            return arr.astype(np.int64), _NUM
        except OverflowError:
            raise MetricInputError(
                f"{metric}: {what} holds labels too large for 64-bit integers",
                argument=what,
            ) from None
    if numeric:
        return _whole_floats(arr.astype(np.float64), metric, what, hint), _NUM
    missing = sum(map(_is_missing, values))
    if missing:
        raise MetricInputError(
            f"{metric}: {what} holds {missing} missing value(s) (None/NaN); fill them before scoring",
            argument=what,
        )
    names = sorted(t.__name__ for t in types)
    raise MetricInputError(
        f"{metric}: {what} mixes value types {names}; pass labels of one kind (all numbers or all strings)",
        argument=what,
    )


def label_array(
    values: Any, metric: str = "labels", what: str = "y_true", hint: str = "pass class labels"
) -> tuple[np.ndarray, str]:
    """Read class labels: returns ``(array, kind)`` with kind ``"numeric"`` (int64) or ``"text"``.

    Bools and whole-number floats become int64; fractions, NaN and mixed text/numbers raise
    :class:`MetricInputError`.

    >>> arr, kind = label_array([1.0, 2.0, True])
    >>> arr.tolist(), kind
    ([1, 2, 1], 'numeric')
    >>> label_array(["a", "b"])[1]
    'text'
    """
    arr = as_1d(values, metric, what, numeric=False)
    kind = arr.dtype.kind
    if kind in "US":
        return arr, _STR
    if kind == "b":
        return arr.astype(np.int64), _NUM
    if kind in "iu":
        if kind == "u" and arr.size and arr.max() >= 2**63:
            raise MetricInputError(f"{metric}: {what} holds labels too large for 64-bit integers", argument=what)
        return arr.astype(np.int64, copy=False), _NUM
    if kind == "f":
        return _whole_floats(arr, metric, what, hint), _NUM
    if kind == "O":
        return _object_labels(arr, metric, what, hint)
    raise MetricInputError(f"{metric}: {what} has dtype {arr.dtype}, which is not a label type; {hint}", argument=what)


def _label_pair(
    y_true: Any, y_pred: Any, metric: str, hint: str = "pass class labels"
) -> tuple[np.ndarray, np.ndarray, str]:
    t, t_kind = label_array(y_true, metric, "y_true", hint)
    p, p_kind = label_array(y_pred, metric, "y_pred", hint)
    check_same_length(metric, ("y_true", t), ("y_pred", p))
    if t_kind != p_kind:
        raise MetricInputError(
            f"{metric}: y_true holds {t_kind} labels but y_pred holds {p_kind} labels; "
            "encode both sides the same way (e.g. cast both to str)",
            argument="y_pred",
        )
    return t, p, t_kind


def _encode(*arrays: np.ndarray, kind: str) -> tuple[list[np.ndarray], int]:
    """Integer codes 0..K-1 shared by the arrays, and K.

    Numbers in a compact range are offset by the minimum (codes follow the values' order, gaps allowed);
    other numbers go through a sort (codes follow the sorted distinct values); text is hashed (codes
    follow first appearance, which is enough for metrics that only count per class).
    """
    if kind == _STR:
        lists = [a.tolist() for a in arrays]
        table = {label: i for i, label in enumerate(dict.fromkeys(chain.from_iterable(lists)))}
        codes = [np.fromiter(map(table.__getitem__, values), dtype=np.int64, count=len(values)) for values in lists]
        return codes, len(table)
    filled = [a for a in arrays if len(a)]
    low = min(int(a.min()) for a in filled)
    high = max(int(a.max()) for a in filled)
    if high - low <= 4 * sum(len(a) for a in arrays) + 1024:
        return [a.astype(np.int64) - low for a in arrays], high - low + 1
    classes, inverse = np.unique(np.concatenate(arrays), return_inverse=True)
    bounds = np.cumsum([len(a) for a in arrays])[:-1]
    return np.split(inverse.ravel(), bounds), len(classes)


def _dense(*arrays: np.ndarray) -> list[np.ndarray]:
    """Codes that are the rank of each value among the sorted distinct values of all arrays."""
    low = min(int(a.min()) for a in arrays)
    high = max(int(a.max()) for a in arrays)
    if high - low <= 4 * sum(len(a) for a in arrays) + 1024:
        present = np.zeros(high - low + 1, dtype=np.int64)
        for a in arrays:
            present[a - low] = 1
        rank = np.cumsum(present) - 1
        return [rank[a - low] for a in arrays]
    classes, inverse = np.unique(np.concatenate(arrays), return_inverse=True)
    bounds = np.cumsum([len(a) for a in arrays])[:-1]
    return np.split(inverse.ravel(), bounds)


def _correct_count(y_true: Any, y_pred: Any, metric: str) -> tuple[int, int]:
    t, p, _ = _label_pair(y_true, y_pred, metric)
    return int(np.count_nonzero(t == p)), len(t)


# ---------------------------------------------------------------------------------------------
# Accuracy and top-1 error
# ---------------------------------------------------------------------------------------------


@register("accuracy", higher_is_better=True, bounds=(0.0, 1.0), aliases=("accuracy_score",))
def accuracy(y_true: Any, y_pred: Any) -> float:
    """Fraction of rows whose predicted label equals the true label (= sklearn ``accuracy_score``).

    Parameters
    ----------
    y_true, y_pred : array-like of labels (ints, whole-number floats, bools or strings), same length.
        ``1`` and ``1.0`` are the same label; ``"1"`` and ``1`` are different kinds and raise.

    >>> accuracy([0, 1, 2, 2], [0, 2, 2, 2])
    0.75
    >>> accuracy(["a", "b"], ["a", "a"])
    0.5
    """
    correct, n = _correct_count(y_true, y_pred, "accuracy")
    return correct / n


@register("top1_error", higher_is_better=False, bounds=(0.0, 1.0), aliases=("top_1_error",))
def top1_error(y_true: Any, y_pred: Any) -> float:
    """Top-1 classification error: ``1 - accuracy`` (iNaturalist 2019).

    Parameters
    ----------
    y_true, y_pred : array-like of labels, same length (see :func:`accuracy`).

    >>> top1_error([5, 7, 9, 9], [5, 7, 9, 1])
    0.25
    """
    correct, n = _correct_count(y_true, y_pred, "top1_error")
    return 1.0 - correct / n


# ---------------------------------------------------------------------------------------------
# F1 scores
# ---------------------------------------------------------------------------------------------


@register("f1_macro", higher_is_better=True, bounds=(0.0, 1.0), aliases=("macro_f1",))
def f1_macro(y_true: Any, y_pred: Any, labels: str = "union") -> float:
    """Unweighted mean over classes of the per-class F1 = 2·TP / (2·TP + FP + FN).

    Parameters
    ----------
    y_true, y_pred : array-like of labels, same length.
    labels : ``"union"`` (default; scikit-learn's ``f1_score(average='macro')`` and MLE-bench v1): the
        classes are the union of true and predicted labels, so a predicted class that never occurs in the
        truth adds an F1 of 0 to the mean. ``"true"``: only the classes present in ``y_true``; predictions
        of other classes still count as misses of the true class.

    Every class averaged has at least one true or predicted row, so F1 is never 0/0 here.

    >>> f1_macro([0, 0, 1, 1], [0, 1, 1, 1])   # class 0: 2/3, class 1: 4/5
    0.7333333333333334
    >>> f1_macro([0, 0], [0, 5])                 # class 5 adds a zero under "union"
    0.3333333333333333
    >>> f1_macro([0, 0], [0, 5], labels="true")
    0.6666666666666666
    """
    if labels not in ("union", "true"):
        raise MetricInputError(f"f1_macro: labels must be 'union' or 'true', got {labels!r}", argument="labels")
    t, p, kind = _label_pair(y_true, y_pred, "f1_macro")
    (ct, cp), k = _encode(t, p, kind=kind)
    true_count = np.bincount(ct, minlength=k)
    pred_count = np.bincount(cp, minlength=k)
    tp = np.bincount(ct[ct == cp], minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):  # absent codes (gaps) are dropped below
        f1 = 2.0 * tp / (true_count + pred_count)
    present = true_count > 0 if labels == "true" else (true_count + pred_count) > 0
    return float(np.mean(f1[present]))


def _row_tokens(values: Any, metric: str, what: str) -> tuple[np.ndarray, np.ndarray, str, int]:
    """Flatten rows of label collections into ``(row_index, labels, kind, n_rows)``."""
    if values is None:
        raise MetricInputError(f"{metric}: {what} is None; pass one label collection per row", argument=what)
    if isinstance(values, str):
        raise MetricInputError(f"{metric}: {what} is a single string; pass one entry per row", argument=what)
    rows = values.tolist() if isinstance(values, np.ndarray) else list(values)
    n = len(rows)
    if n == 0:
        raise MetricInputError(f"{metric}: {what} is empty; pass at least one row", argument=what)
    types = set(map(type, rows))
    if all(issubclass(t, str) for t in types):
        joined = f" {_SEPARATOR} ".join(rows)
        if joined.count(_SEPARATOR) != n - 1:
            raise MetricInputError(
                f"{metric}: {what} holds \\x01 control characters; remove them from the labels",
                argument=what,
            )
        tokens = np.array(joined.split(), dtype=object)
        is_sep = tokens == _SEPARATOR
        row = np.cumsum(is_sep)[~is_sep]
        return row, tokens[~is_sep], _STR, n
    if all(issubclass(t, _COLLECTIONS) for t in types):
        lengths = np.fromiter(map(len, rows), dtype=np.int64, count=n)
        row = np.repeat(np.arange(n), lengths)
        flat = list(chain.from_iterable(rows))
        if not flat:
            return row, np.array([], dtype=object), "empty", n
        labels, kind = label_array(flat, metric, f"the labels in {what}")
        return row, labels, kind, n
    missing = sum(map(_is_missing, rows))
    if missing:
        raise MetricInputError(
            f"{metric}: {what} has {missing} missing row(s) (None/NaN); use an empty string or an empty "
            "list for a row without labels",
            argument=what,
        )
    names = sorted(t.__name__ for t in types)
    raise MetricInputError(
        f"{metric}: {what} rows must all be space-separated strings or all be collections of labels, "
        f"got types {names}",
        argument=what,
    )


def label_sets(values: Any, metric: str = "labels", what: str = "y_true") -> tuple[np.ndarray, np.ndarray, int]:
    """Flatten multilabel rows (space-separated strings, or lists/sets/tuples) into pairs.

    Returns ``(row_index, labels, n_rows)``; duplicates within a row are kept (callers dedupe).

    >>> rows, labels, n = label_sets(["a b", "", "c"])
    >>> rows.tolist(), labels.tolist(), n
    ([0, 0, 2], ['a', 'b', 'c'], 3)
    """
    row, labels, _, n = _row_tokens(values, metric, what)
    return row, labels, n


def _sorted_unique(keys: np.ndarray) -> np.ndarray:
    keys = np.sort(keys)
    if len(keys) == 0:
        return keys
    return keys[np.concatenate(([True], keys[1:] != keys[:-1]))]


def _multilabel_f1(y_true: Any, y_pred: Any, drop_unseen: bool) -> float:
    metric = "f1_micro"
    rt, lt, kt, n_true = _row_tokens(y_true, metric, "y_true")
    rp, lp, kp, n_pred = _row_tokens(y_pred, metric, "y_pred")
    check_same_length(metric, ("y_true", range(n_true)), ("y_pred", range(n_pred)))
    if "empty" not in (kt, kp) and kt != kp:
        raise MetricInputError(
            f"{metric}: y_true holds {kt} labels but y_pred holds {kp} labels; encode both sides the same way",
            argument="y_pred",
        )
    kind = kp if kt == "empty" else kt
    if kind == "empty":
        return 0.0
    lt = lt if len(lt) else lt.astype(lp.dtype)
    lp = lp if len(lp) else lp.astype(lt.dtype)
    (ct, cp), k = _encode(lt, lp, kind=kind)
    if drop_unseen:
        seen = np.zeros(k, dtype=bool)
        seen[ct] = True
        keep = seen[cp]
        rp, cp = rp[keep], cp[keep]
    true_keys = _sorted_unique(rt.astype(np.int64) * k + ct)
    pred_keys = _sorted_unique(rp.astype(np.int64) * k + cp)
    denominator = len(true_keys) + len(pred_keys)
    if denominator == 0:
        return 0.0
    tp = len(np.intersect1d(true_keys, pred_keys, assume_unique=True))
    return 2.0 * tp / denominator


@register("f1_micro", higher_is_better=True, bounds=(0.0, 1.0), aliases=("micro_f1",))
def f1_micro(
    y_true: Any, y_pred: Any, drop_unseen_predictions: bool = False, multilabel: bool | None = None
) -> float:
    """Micro-averaged F1 = 2·TP / (|true labels| + |predicted labels|), pooled over all (row, label) pairs.

    Parameters
    ----------
    y_true, y_pred : single-label 1-D label arrays (micro F1 then equals accuracy), or multilabel rows:
        one collection of labels per row (list, tuple, set), or one space-separated string per row
        (an empty string is a row without labels). Duplicate labels within a row count once.
    drop_unseen_predictions : MLE-bench v1 uses True (facebook-recruiting-iii, imet-2020,
        plant-pathology-2021): its MultiLabelBinarizer is fitted on the answers only, so predicted labels
        that never occur in ``y_true`` are dropped and cost nothing. False (default) counts them as
        false positives. Applies to multilabel rows only.
    multilabel : None (default) treats rows that are lists/sets/tuples as multilabel and anything else as
        single labels (a string such as ``"Sugar beet"`` is one label); True also splits strings on
        whitespace; False forces single labels.

    Returns 0.0 when neither side holds any label (scikit-learn's ``zero_division`` default).

    >>> f1_micro([["a", "b"], ["c"]], [["a"], ["c", "d"]])     # TP=2, |T|=3, |P|=3
    0.6666666666666666
    >>> f1_micro(["a b", "c"], ["a", "c d"], multilabel=True, drop_unseen_predictions=True)  # "d" dropped
    0.8
    >>> f1_micro([1, 2, 3, 3], [1, 2, 3, 1])          # single label: accuracy
    0.75
    """
    if multilabel is None:
        first = _first_row(y_true)
        multilabel = isinstance(first, _COLLECTIONS) and not _is_2d_array(y_true)
    if multilabel:
        return _multilabel_f1(y_true, y_pred, bool(drop_unseen_predictions))
    correct, n = _correct_count(y_true, y_pred, "f1_micro")
    return 2.0 * correct / (2 * n)


def _first_row(values: Any) -> Any:
    if isinstance(values, (str, bytes)) or values is None:
        return None
    try:
        return next(iter(values), None)
    except TypeError:
        return None


def _is_2d_array(values: Any) -> bool:
    return isinstance(values, np.ndarray) and values.ndim == 2


# ---------------------------------------------------------------------------------------------
# Matthews correlation and quadratic weighted kappa
# ---------------------------------------------------------------------------------------------


@register("mcc", higher_is_better=True, bounds=(-1.0, 1.0), aliases=("matthews_corrcoef",))
def mcc(y_true: Any, y_pred: Any) -> float:
    """Matthews correlation coefficient of hard binary labels (= sklearn ``matthews_corrcoef``).

    Parameters
    ----------
    y_true, y_pred : array-like of 0/1 (or bools), same length. Probabilities and other labels raise:
        threshold scores to hard 0/1 predictions first.

    Returns 0.0 when it is undefined (either side constant), as scikit-learn does.

    >>> mcc([1, 1, 0, 0], [1, 0, 0, 0])   # (1·2 - 0·1) / sqrt(1·3·2·2)
    0.5773502691896258
    >>> mcc([1, 0, 1], [0, 0, 0])
    0.0
    """
    hint = "pass hard 0/1 labels (threshold probabilities first)"
    t, p, kind = _label_pair(y_true, y_pred, "mcc", hint)
    if kind == _STR:
        raise MetricInputError(f"mcc: labels must be 0/1 numbers, got text; {hint}", argument="y_true")
    check_binary(t, "mcc", "y_true")
    check_binary(p, "mcc", "y_pred")
    n = float(len(t))
    # The multiclass covariance form scikit-learn uses, on the 2x2 confusion counts.
    counts = np.bincount(2 * t + p, minlength=4).astype(np.float64)
    true_sum = np.array([counts[0] + counts[1], counts[2] + counts[3]])
    pred_sum = np.array([counts[0] + counts[2], counts[1] + counts[3]])
    correct = counts[0] + counts[3]
    cov_tp = correct * n - true_sum @ pred_sum
    cov_pp = n * n - pred_sum @ pred_sum
    cov_tt = n * n - true_sum @ true_sum
    if cov_pp * cov_tt == 0:
        return 0.0
    return float(cov_tp / np.sqrt(cov_tt * cov_pp))


@register(
    "qwk",
    higher_is_better=True,
    bounds=(-1.0, 1.0),
    aliases=("quadratic_weighted_kappa", "cohen_kappa_quadratic"),
)
def qwk(y_true: Any, y_pred: Any, labels: str = "range") -> float:
    """Quadratic weighted kappa between two integer ratings.

    kappa = 1 - sum(w·O) / sum(w·E) with w_ij = (i - j)², O the confusion counts and E the outer product
    of the two rating histograms divided by n. It reduces to
    ``2·Σ(a-ā)(b-b̄) / (Σ(a-ā)² + Σ(b-b̄)² + n(ā-b̄)²)`` on the rating indices a, b, which is what is
    computed (no K×K matrix).

    Parameters
    ----------
    y_true, y_pred : array-like of integer ratings (whole-number floats accepted), same length.
    labels : ``"range"`` (default, Kaggle): the rating index is the value itself (every integer from the
        minimum to the maximum of both arrays is a category). ``"observed"``: scikit-learn
        ``cohen_kappa_score(weights='quadratic')`` and MLE-bench v1 (aptos2019,
        learning-agency-lab-aes2): the categories are the sorted union of the observed values and the
        weights use the category's index: beside 0..3, a 10 counts as category 4.

    Returns NaN when undefined: both sides constant and equal (0/0), as scikit-learn and Kaggle do.

    >>> qwk([1, 2, 3, 4], [1, 2, 3, 4])
    1.0
    >>> qwk([0, 1, 2, 3], [0, 1, 2, 10])            # 2·15.5 / (5 + 62.75 + 4·1.75²) = 31/80
    0.3875
    >>> qwk([0, 1, 2, 3], [0, 1, 2, 10], labels="observed")   # indices [0, 1, 2, 4]: 13/14
    0.9285714285714286
    """
    if labels not in ("range", "observed"):
        raise MetricInputError(f"qwk: labels must be 'range' or 'observed', got {labels!r}", argument="labels")
    hint = "pass integer ratings (round continuous predictions first)"
    t, p, kind = _label_pair(y_true, y_pred, "qwk", hint)
    if kind == _STR:
        raise MetricInputError(f"qwk: ratings must be integers, got text; {hint}", argument="y_true")
    if labels == "observed":
        a, b = _dense(t, p)
    else:
        low = min(t.min(), p.min())
        a, b = t - low, p - low
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    n = len(a)
    da = a - a.mean()
    db = b - b.mean()
    gap = a.mean() - b.mean()
    denominator = da @ da + db @ db + n * gap * gap
    if denominator == 0:
        return float("nan")
    return float(2.0 * (da @ db) / denominator)


# ---------------------------------------------------------------------------------------------
# Probabilistic F-beta (RSNA screening mammography)
# ---------------------------------------------------------------------------------------------


@register("pf1", higher_is_better=True, bounds=(0.0, 1.0), aliases=("pfbeta", "probabilistic_f1"))
def pf1(y_true: Any, y_prob: Any, beta: float = 1.0) -> float:
    """Probabilistic F-beta of the RSNA Screening Mammography competition (Kaggle's ``pfbeta``).

    Predictions are clipped to [0, 1]; ctp = Σ p over positive rows, cfp = Σ p over negative rows,
    precision = ctp / (ctp + cfp), recall = ctp / #positives, and the score is
    (1 + β²)·P·R / (β²·P + R), or 0 when P or R is 0.

    Parameters
    ----------
    y_true : array-like of 0/1 (or bools).
    y_prob : array-like of predicted probabilities, same length (values outside [0, 1] are clipped).
    beta : the F-beta weight; MLE-bench v1 and Kaggle use 1.

    Undefined cases follow the reference scorer (Kaggle's, which MLE-bench v1 runs on numpy arrays):
    all predictions 0 gives 0.0 (precision 0/0 is NaN there, so the "P > 0" test fails); no positive row in
    ``y_true`` raises (recall divides by zero there); every prediction negative raises too (the clipped
    zeros are Python ints there, so precision divides by zero).

    >>> pf1([1, 0, 1, 0], [0.8, 0.2, 0.4, 0.0])     # P = 1.2/1.4, R = 1.2/2
    0.7058823529411765
    >>> pf1([1, 0], [0.0, 0.0])
    0.0
    """
    metric = "pf1"
    t = as_1d(y_true, metric, "y_true")
    p = as_1d(y_prob, metric, "y_prob")
    check_same_length(metric, ("y_true", t), ("y_prob", p))
    check_binary(t, metric, "y_true")
    check_finite(p, metric, "y_prob")
    beta = float(beta)
    if not np.isfinite(beta) or beta <= 0:
        raise MetricInputError(f"pf1: beta must be a positive number, got {beta!r}", argument="beta")
    positives = t == 1
    n_pos = int(np.count_nonzero(positives))
    if n_pos == 0:
        raise MetricInputError(
            "pf1: y_true has no positive row, so recall is undefined (the reference scorer divides by zero); "
            "score a set that holds at least one positive",
            argument="y_true",
        )
    if not (p >= 0).any():
        raise MetricInputError(
            "pf1: every prediction is negative, so precision is 0/0 (the reference scorer divides by zero); "
            "pass probabilities in [0, 1]",
            argument="y_pred",
        )
    clipped = np.clip(p, 0.0, 1.0)
    ctp = float(clipped[positives].sum())
    cfp = float(clipped[~positives].sum())
    if ctp == 0:
        return 0.0
    precision = ctp / (ctp + cfp)
    recall = ctp / n_pos
    b2 = beta * beta
    return (1 + b2) * precision * recall / (b2 * precision + recall)
