"""Probabilistic metrics: log losses and the Kullback-Leibler divergence (lower is better for all).

Defaults follow Kaggle's definitions (clip predictions to ``[1e-15, 1 - 1e-15]``, renormalise rows of a
multiclass prediction). MLE-bench v1 grades log loss with scikit-learn >= 1.5, which clips with the float64
machine epsilon and does not renormalise: pass ``eps="float64", renormalize=False`` to reproduce it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from metrics._core import (
    check_same_shape,
    group_codes,
    MetricInputError,
    as_1d,
    as_2d,
    check_binary,
    check_finite,
    check_probabilities,
    check_same_length,
    register,
)

__all__ = [
    "logloss_binary",
    "logloss_multiclass",
    "logloss_weighted_multilabel",
    "kl_divergence",
    "resolve_eps",
]

KAGGLE_EPS = 1e-15


def resolve_eps(eps: float | str, metric: str) -> float:
    """The clipping epsilon as a float: a number in (0, 0.5), or ``"float64"`` for float64's machine epsilon.

    >>> resolve_eps(1e-15, "logloss_binary")
    1e-15
    >>> resolve_eps("float64", "logloss_binary") == float(np.finfo(np.float64).eps)
    True
    """
    if isinstance(eps, str):
        if eps == "float64":
            return float(np.finfo(np.float64).eps)
        raise MetricInputError(f"{metric}: eps={eps!r} is not understood; pass a number or 'float64'", argument="eps")
    value = float(eps)
    if not 0.0 < value < 0.5:
        raise MetricInputError(f"{metric}: eps={eps!r} must lie in (0, 0.5); Kaggle uses 1e-15", argument="eps")
    return value


def _mean_neg_log(p: np.ndarray) -> float:
    """Mean of ``-log(p)``, row losses computed exactly as scikit-learn computes them."""
    return float(np.mean(-np.log(p)))


@register("logloss_binary", higher_is_better=False, bounds=(0.0, np.inf), aliases=("binary_logloss",))
def logloss_binary(y_true: Any, y_prob: Any, eps: float | str = KAGGLE_EPS) -> float:
    """Binary log loss (cross-entropy) of P(class 1) against 0/1 labels.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        True labels, 0 or 1.
    y_prob : array-like of shape (n,)
        Predicted probability of class 1, in [0, 1].
    eps : float or "float64", default 1e-15
        ``y_prob`` is clipped to ``[eps, 1 - eps]`` before ``ln p`` / ``ln(1 - p)`` (Kaggle: 1e-15).
        MLE-bench v1 uses ``eps="float64"`` (2.22e-16, scikit-learn >= 1.5 ``log_loss``).

    A single class in ``y_true`` is scored (the formula is defined); scikit-learn refuses it.

    >>> round(logloss_binary([1, 0, 1], [0.9, 0.2, 0.6]), 6)   # -(ln .9 + ln .8 + ln .6) / 3
    0.279777
    >>> round(logloss_binary([1], [0.0], eps="float64"), 4)      # -ln(2.22e-16)
    36.0437
    """
    name = "logloss_binary"
    y = as_1d(y_true, name, "y_true")
    p = as_1d(y_prob, name, "y_prob")
    check_same_length(name, ("y_true", y), ("y_prob", p))
    check_binary(y, name, "y_true")
    check_probabilities(p, name, "y_prob")
    e = resolve_eps(eps, name)
    # Kaggle's order: clip p, then take 1 - p for label 0. With eps = 2**-52 this equals scikit-learn's
    # expand-then-clip bit for bit; with 1e-15 it is Kaggle's formula (1 - (1 - 1e-15) is not 1e-15).
    clipped = np.clip(p, e, 1.0 - e)
    p_true = np.where(y == 1, clipped, 1.0 - clipped)
    return _mean_neg_log(p_true)


def _class_indices(y_true: Any, n_classes: int, labels: Any, name: str) -> np.ndarray:
    """The true class of each row as an index into the probability columns."""
    if labels is not None:
        classes = np.asarray(list(labels))
        values = np.asarray(y_true)
        if classes.shape != (n_classes,):
            raise MetricInputError(
                f"{name}: labels has {classes.size} classes but y_prob has {n_classes} columns; "
                "pass one label per probability column, in column order",
                argument="labels",
            )
        if values.ndim != 1:
            raise MetricInputError(
                f"{name}: with labels=, y_true must be 1-D, got shape {values.shape}",
                argument="y_true",
            )
        if classes.dtype.kind in "OUS" or values.dtype.kind in "OUS":
            classes, values = classes.astype(str), values.astype(str)
        if np.unique(classes).size != classes.size:
            raise MetricInputError(f"{name}: labels holds duplicates; pass each class once", argument="labels")
        order = np.argsort(classes, kind="stable")
        pos = np.minimum(np.searchsorted(classes[order], values), n_classes - 1)
        found = classes[order][pos] == values
        if not found.all():
            unknown = np.unique(values[~found])[:3].tolist()
            raise MetricInputError(
                f"{name}: y_true holds {int((~found).sum())} label(s) not in labels= (e.g. {unknown}); "
                "pass labels covering every class",
                argument="y_true",
            )
        return order[pos]
    idx = as_1d(y_true, name, "y_true")
    check_finite(idx, name, "y_true")
    bad = (idx != np.round(idx)) | (idx < 0) | (idx >= n_classes)
    if bad.any():
        raise MetricInputError(
            f"{name}: y_true must hold class indices 0..{n_classes - 1} (found e.g. {idx[bad][:3].tolist()}); "
            "pass indices, a one-hot matrix, or labels with labels=",
            argument="y_true",
        )
    return idx.astype(np.int64)


@register("logloss_multiclass", higher_is_better=False, bounds=(0.0, np.inf), aliases=("multiclass_logloss",))
def logloss_multiclass(
    y_true: Any,
    y_prob: Any,
    eps: float | str = KAGGLE_EPS,
    renormalize: bool = True,
    labels: Any = None,
) -> float:
    """Multiclass log loss: mean over rows of ``-ln p(true class)``.

    Parameters
    ----------
    y_true : array-like
        Either class indices (1-D ints ``0..K-1``), labels (1-D, with ``labels=`` the class of each
        column), or a one-hot matrix of shape (n, K).
    y_prob : array-like of shape (n, K)
        Predicted probabilities, columns in class order, values in [0, 1].
    eps : float or "float64", default 1e-15
        Probabilities are clipped to ``[eps, 1 - eps]``. MLE-bench v1: ``"float64"`` (2.22e-16).
    renormalize : bool, default True
        Kaggle divides each clipped row by its sum. MLE-bench v1 (scikit-learn >= 1.5): False.
    labels : sequence, optional
        The class of each probability column, when ``y_true`` holds labels.

    >>> p = [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]]
    >>> round(logloss_multiclass([0, 1], p), 6)                      # -(ln .7 + ln .8) / 2
    0.289909
    >>> # renormalised rows are [2/3, 1/3]: -(ln 1/3 + ln 2/3) / 2
    >>> round(logloss_multiclass(["b", "a"], [[0.5, 0.25], [0.5, 0.25]], labels=["a", "b"]), 6)
    0.752039
    >>> round(logloss_multiclass([[1, 0], [0, 1]], [[0.5, 0.25], [0.5, 0.25]], eps="float64",
    ...                          renormalize=False), 6)                # -(ln .5 + ln .25) / 2
    1.039721
    """
    name = "logloss_multiclass"
    p = as_2d(y_prob, name, "y_prob")
    n, k = p.shape
    if k < 2:
        raise MetricInputError(
            f"{name}: y_prob has {k} column; pass one probability column per class (>= 2)",
            argument="y_pred",
        )
    check_probabilities(p, name, "y_prob")
    check_same_length(name, ("y_true", y_true), ("y_prob", p))
    shape = np.shape(y_true)
    if labels is None and len(shape) == 2 and shape[1] > 1:
        onehot = as_2d(y_true, name, "y_true")
        check_same_shape(name, ("one-hot y_true", onehot), ("y_prob", p))
        check_binary(onehot, name, "y_true")
        per_row = onehot.sum(axis=1)
        if (per_row != 1).any():
            raise MetricInputError(
                f"{name}: {int((per_row != 1).sum())} row(s) of one-hot y_true do not hold exactly one 1; "
                "mark the true class of every row",
                argument="y_true",
            )
        idx = np.argmax(onehot, axis=1)
    else:
        idx = _class_indices(y_true, k, labels, name)
    e = resolve_eps(eps, name)
    if renormalize:
        clipped = np.clip(p, e, 1.0 - e)
        p_true = clipped[np.arange(n), idx] / clipped.sum(axis=1)
    else:
        p_true = np.clip(p[np.arange(n), idx], e, 1.0 - e)
    return _mean_neg_log(p_true)


def _per_row_weights(values: Any, n: int, name: str, what: str) -> np.ndarray:
    w = np.asarray(values, dtype=np.float64) if np.ndim(values) == 0 else as_1d(values, name, what)
    if w.ndim == 0:
        w = np.full(n, float(w))
    check_same_length(name, ("y_true", range(n)), (what, w))
    check_finite(w, name, what)
    if (w < 0).any():
        raise MetricInputError(f"{name}: {what} holds negative weights; pass weights >= 0", argument=what)
    return w


@register("logloss_weighted_multilabel", higher_is_better=False, bounds=(0.0, np.inf))
def logloss_weighted_multilabel(
    y_true: Any,
    y_prob: Any,
    groups: Any = None,
    positive_weights: Any = None,
    negative_weights: Any = None,
    eps: float | str = KAGGLE_EPS,
) -> float:
    """Weighted multi-label log loss (RSNA 2022 cervical spine): per-group weighted BCE, mean over groups.

    Each cell's binary cross-entropy is weighted by ``positive_weights`` where the label is 1 and by
    ``negative_weights`` where it is 0; a group's loss is its weighted sum divided by its weight sum; the
    score is the unweighted mean over groups.

    Parameters
    ----------
    y_true : array-like
        0/1 labels: long form (n,) with ``groups`` giving each row's group (e.g. the study), or wide form
        (n_groups, n_labels) with one group per row (then ``groups`` is not needed).
    y_prob : array-like, same shape as y_true
        Predicted probabilities in [0, 1].
    groups : array-like of shape (n,), optional
        Group label of each row (long form only).
    positive_weights, negative_weights : scalar or array-like
        Long form: one weight per row (or a scalar). Wide form: one weight per label column.
        RSNA 2022: positive ``[14, 2, 2, 2, 2, 2, 2, 2]``, negative ``[7, 1, 1, 1, 1, 1, 1, 1]`` for
        ``[patient_overall, C1..C7]``.
    eps : float or "float64", default 1e-15
        Predictions are clipped to ``[eps, 1 - eps]`` (MLE-bench v1 also uses 1e-15 here).

    >>> y = [[1, 0], [0, 0]]
    >>> p = [[0.5, 0.5], [0.5, 0.5]]
    >>> round(logloss_weighted_multilabel(y, p, positive_weights=[2, 1], negative_weights=[1, 1]), 6)  # ln 2
    0.693147
    >>> # group a: (2 ln 1.25 + ln 2) / 3; group b: ln(1 / 0.9); the mean of the two
    >>> round(logloss_weighted_multilabel([1, 0, 0], [0.8, 0.5, 0.1], groups=["a", "a", "b"],
    ...                                   positive_weights=2, negative_weights=1), 6)
    0.242586
    """
    name = "logloss_weighted_multilabel"
    if positive_weights is None or negative_weights is None:
        raise MetricInputError(
            f"{name}: pass positive_weights and negative_weights (RSNA 2022: 14/2 and 7/1)",
            argument="positive_weights",
        )
    if np.ndim(y_true) == 2 and groups is None:
        y2 = as_2d(y_true, name, "y_true")
        p2 = as_2d(y_prob, name, "y_prob")
        check_same_shape(name, ("y_true", y2), ("y_prob", p2))
        n_groups, n_labels = y2.shape
        pos = np.broadcast_to(_label_weights(positive_weights, n_labels, name, "positive_weights"), y2.shape)
        neg = np.broadcast_to(_label_weights(negative_weights, n_labels, name, "negative_weights"), y2.shape)
        y = y2.ravel()
        p = p2.ravel()
        pos = pos.ravel()
        neg = neg.ravel()
        codes = np.repeat(np.arange(n_groups), n_labels)
    else:
        if groups is None:
            raise MetricInputError(
                f"{name}: long-form input needs groups=; pass the group (e.g. study) of each row",
                argument="groups",
            )
        y = as_1d(y_true, name, "y_true")
        p = as_1d(y_prob, name, "y_prob")
        check_same_length(name, ("y_true", y), ("y_prob", p))
        codes, n_groups = group_codes(groups, len(y), name)
        pos = _per_row_weights(positive_weights, len(y), name, "positive_weights")
        neg = _per_row_weights(negative_weights, len(y), name, "negative_weights")
    check_binary(y, name, "y_true")
    check_probabilities(p, name, "y_prob")
    e = resolve_eps(eps, name)
    pc = np.clip(p, e, 1.0 - e)
    loss = -(y * np.log(pc) + (1.0 - y) * np.log(1.0 - pc))
    w = y * pos + (1.0 - y) * neg
    num = np.bincount(codes, weights=loss * w, minlength=n_groups)
    den = np.bincount(codes, weights=w, minlength=n_groups)
    if (den == 0).any():
        raise MetricInputError(
            f"{name}: {int((den == 0).sum())} group(s) have zero total weight; pass weights > 0",
            argument="positive_weights",
        )
    return float(np.mean(num / den))


def _label_weights(values: Any, n_labels: int, name: str, what: str) -> np.ndarray:
    w = np.asarray(values, dtype=np.float64)
    if w.ndim == 0:
        w = np.full(n_labels, float(w))
    if w.shape != (n_labels,):
        raise MetricInputError(
            f"{name}: {what} has shape {w.shape}; pass one weight per label column ({n_labels})",
            argument=what,
        )
    check_finite(w, name, what)
    if (w < 0).any():
        raise MetricInputError(f"{name}: {what} holds negative weights; pass weights >= 0", argument=what)
    return w


@register("kl_divergence", higher_is_better=False, bounds=(0.0, np.inf), aliases=("kl",))
def kl_divergence(y_true: Any, y_prob: Any, eps: float | str = KAGGLE_EPS) -> float:
    """Kullback-Leibler divergence KL(y_true || y_prob), summed per row and averaged over rows (HMS, Kaggle).

    Parameters
    ----------
    y_true : array-like of shape (n, K)
        Non-negative targets (vote counts or probabilities); each row is divided by its sum.
    y_prob : array-like of shape (n, K)
        Predicted probabilities in [0, 1] (rows should sum to 1; graders check that); clipped to
        ``[eps, 1 - eps]``.
    eps : float or "float64", default 1e-15
        Kaggle's metric and MLE-bench v1 both use 1e-15.

    Cells where the normalised target is 0 contribute 0 (scipy's ``rel_entr`` convention).

    >>> round(kl_divergence([[3, 1], [0, 2]], [[0.5, 0.5], [0.5, 0.5]]), 6)   # (.75 ln 1.5 + .25 ln .5 + ln 2) / 2
    0.41198
    """
    name = "kl_divergence"
    y = as_2d(y_true, name, "y_true")
    p = as_2d(y_prob, name, "y_prob")
    check_same_shape(name, ("y_true", y), ("y_prob", p), "pass one column per class")
    totals = y.sum(axis=1)
    # Valid input passes these three reductions (a NaN fails each); anything else gets the full checks.
    if not (y.min() >= 0 and p.min() >= 0 and p.max() <= 1 and totals.min() > 0 and np.isfinite(totals).all()):
        _kl_checks(y, p, totals, name)
    e = resolve_eps(eps, name)
    target = y / totals[:, None]
    cells = np.divide(target, np.clip(p, e, 1.0 - e))
    with np.errstate(divide="ignore", invalid="ignore"):  # 0 * log(0) is NaN here, and 0 below
        cells = np.multiply(target, np.log(cells, out=cells), out=cells)
    np.copyto(cells, 0.0, where=target == 0)  # scipy's rel_entr convention: a zero target adds 0
    return float(np.mean(cells.sum(axis=1)))


def _kl_checks(y: np.ndarray, p: np.ndarray, totals: np.ndarray, name: str) -> None:
    """kl_divergence's input checks in their order; each raises MetricInputError."""
    check_finite(y, name, "y_true")
    if (y < 0).any():
        raise MetricInputError(
            f"{name}: y_true holds negative values; pass vote counts or probabilities",
            argument="y_true",
        )
    if (totals == 0).any():
        raise MetricInputError(
            f"{name}: {int((totals == 0).sum())} row(s) of y_true sum to 0; every row needs a positive total",
            argument="y_true",
        )
    check_probabilities(p, name, "y_prob")
