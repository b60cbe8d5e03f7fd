"""The probabilistic metrics against references (scikit-learn, brute-force loops of the published formulas),
their MLE-bench quirk parameters, and their bad-input errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import log_loss

import metrics
from metrics import MetricInputError
from metrics.probabilistic import kl_divergence, logloss_binary, logloss_multiclass, logloss_weighted_multilabel

REL = 1e-12
F64_EPS = float(np.finfo(np.float64).eps)


def _rel_close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL, abs_tol=0.0)


def _probs(rng: np.random.Generator, n: int, k: int, extremes: bool = True) -> np.ndarray:
    p = rng.dirichlet(np.ones(k) * 0.7, size=n)
    if extremes:  # a few exact 0/1 rows exercise the clipping
        hot = rng.integers(0, k, size=3)
        p[:3] = np.eye(k)[hot]
    return p


# ------------------------------------------------------------------ references


@pytest.mark.parametrize("seed", range(5))
def test_binary_matches_sklearn_with_float64_eps(seed):
    rng = np.random.default_rng(seed)
    n = 200
    y = rng.integers(0, 2, n)
    p = rng.random(n)
    p[:4] = [0.0, 1.0, 0.0, 1.0]
    expected = log_loss(y, p)
    assert _rel_close(logloss_binary(y, p, eps="float64"), expected)
    # scikit-learn computes the same row losses and the same mean: bit-for-bit equal
    assert logloss_binary(y, p, eps="float64") == expected


@pytest.mark.parametrize("seed", range(5))
def test_binary_matches_kaggle_formula_by_loop(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 150)
    p = rng.random(150)
    p[:2] = [0.0, 1.0]
    total = 0.0
    for yi, pi in zip(y, p):
        q = min(max(pi, 1e-15), 1 - 1e-15)
        total += -(yi * math.log(q) + (1 - yi) * math.log(1 - q))
    assert _rel_close(logloss_binary(y, p), total / len(y))


@pytest.mark.parametrize("seed", range(5))
def test_multiclass_mlebench_setting_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(3, 12))
    y = rng.integers(0, k, 300)
    y[:k] = np.arange(k)
    p = _probs(rng, 300, k)
    expected = log_loss(y, p, labels=np.arange(k))
    got = logloss_multiclass(y, p, eps="float64", renormalize=False)
    assert got == expected
    onehot = np.eye(k, dtype=int)[y]
    assert logloss_multiclass(onehot, p, eps="float64", renormalize=False) == expected


@pytest.mark.parametrize("seed", range(5))
def test_multiclass_kaggle_default_matches_loop(seed):
    rng = np.random.default_rng(seed)
    k = 4
    y = rng.integers(0, k, 120)
    p = _probs(rng, 120, k) * rng.uniform(0.5, 1.5, size=(120, 1))  # rows not summing to 1
    p = np.clip(p, 0, 1)
    total = 0.0
    for yi, row in zip(y, p):
        clipped = [min(max(v, 1e-15), 1 - 1e-15) for v in row]
        total += -math.log(clipped[yi] / sum(clipped))
    assert _rel_close(logloss_multiclass(y, p), total / len(y))


def test_multiclass_labels_follow_the_given_column_order():
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.3, 0.6, 0.1]])
    names = ["MWS", "EAP", "HPL"]  # deliberately not sorted
    by_label = logloss_multiclass(["MWS", "HPL", "EAP"], p, labels=names)
    by_index = logloss_multiclass([0, 2, 1], p)
    assert by_label == by_index


@pytest.mark.parametrize("seed", range(5))
def test_weighted_multilabel_matches_loop(seed):
    rng = np.random.default_rng(seed)
    n_studies = 30
    y = (rng.random((n_studies, 8)) < 0.3).astype(int)
    p = rng.random((n_studies, 8))
    p[0, :2] = [0.0, 1.0]
    pos_w = np.array([14, 2, 2, 2, 2, 2, 2, 2], dtype=float)
    neg_w = np.array([7, 1, 1, 1, 1, 1, 1, 1], dtype=float)
    per_study = []
    for i in range(n_studies):
        num = den = 0.0
        for j in range(8):
            q = min(max(p[i, j], 1e-15), 1 - 1e-15)
            w = pos_w[j] if y[i, j] == 1 else neg_w[j]
            num += w * -(y[i, j] * math.log(q) + (1 - y[i, j]) * math.log(1 - q))
            den += w
        per_study.append(num / den)
    expected = sum(per_study) / n_studies
    wide = logloss_weighted_multilabel(y, p, positive_weights=pos_w, negative_weights=neg_w)
    assert _rel_close(wide, expected)
    # the long (melted) form the RSNA grader passes gives the same value
    studies = np.repeat([f"1.2.826.0.1.3680043.{i}" for i in range(n_studies)], 8)
    long = logloss_weighted_multilabel(
        y.ravel(), p.ravel(), groups=studies,
        positive_weights=np.tile(pos_w, n_studies), negative_weights=np.tile(neg_w, n_studies),
    )
    assert _rel_close(long, expected)


@pytest.mark.parametrize("seed", range(5))
def test_kl_matches_loop(seed):
    rng = np.random.default_rng(seed)
    votes = rng.integers(0, 6, size=(80, 6))
    votes[np.arange(80), rng.integers(0, 6, 80)] += 1
    p = _probs(rng, 80, 6)
    total = 0.0
    for row, pred in zip(votes, p):
        s = row.sum()
        for v, q in zip(row, pred):
            t = v / s
            if t != 0:
                total += t * math.log(t / min(max(q, 1e-15), 1 - 1e-15))
    assert _rel_close(kl_divergence(votes, p), total / len(votes))


def test_kl_agrees_with_kaggles_documented_examples():
    # The Kaggle metric's documented example values (ham/spam), recomputed by hand.
    y = [[0, 1], [1, 0], [1, 0], [0, 1]]
    p = [[0.1, 0.9], [0.9, 0.1], [0.8, 0.2], [0.35, 0.65]]
    assert round(kl_divergence(y, p), 6) == 0.216162
    y = [[0, 0.1, 0.9], [0.5, 0.5, 0], [0.5, 0.5, 0]]
    p = [[0.2, 0.1, 0.7], [0.3, 0.5, 0.2], [0.5, 0.5, 0]]
    assert round(kl_divergence(y, p), 6) == 0.160532


# ------------------------------------------------------------------ MLE-bench quirk parameters


def test_eps_float64_costs_more_for_a_confident_miss():
    assert _rel_close(logloss_binary([1], [0.0]), -math.log(1e-15))              # Kaggle: 34.54
    assert _rel_close(logloss_binary([1], [0.0], eps="float64"), -math.log(F64_EPS))  # MLE-bench: 36.04
    assert round(logloss_multiclass([0], [[0.0, 1.0]], eps="float64", renormalize=False), 2) == 36.04


def test_renormalize_changes_unnormalised_rows_only():
    p = [[0.2, 0.2], [0.5, 0.5]]
    assert _rel_close(logloss_multiclass([0, 1], p), math.log(2))                  # rows rescaled to 0.5
    assert _rel_close(logloss_multiclass([0, 1], p, renormalize=False), (math.log(5) + math.log(2)) / 2)
    normalised = [[0.3, 0.7], [0.6, 0.4]]
    assert _rel_close(logloss_multiclass([0, 1], normalised), logloss_multiclass([0, 1], normalised, renormalize=False))


def test_score_entry_point_passes_parameters():
    assert metrics.score("logloss_binary", [1], [0.0], eps="float64") == logloss_binary([1], [0.0], eps="float64")
    assert metrics.get("kl_divergence").higher_is_better is False


# ------------------------------------------------------------------ bad inputs


@pytest.mark.parametrize(
    "call, fragment",
    [
        (lambda: logloss_binary([0, 1, 1], [0.1, 0.2]), "rows"),
        (lambda: logloss_binary([0, 1], [0.1, np.nan]), "NaN"),
        (lambda: logloss_binary([0, 1], [0.1, np.inf]), "infinite"),
        (lambda: logloss_binary([], []), "empty"),
        (lambda: logloss_binary([0, 2], [0.1, 0.2]), "only 0 and 1"),
        (lambda: logloss_binary([0, 1], [0.1, 1.2]), "outside [0, 1]"),
        (lambda: logloss_binary([0, 1], [[0.1, 0.2], [0.3, 0.4]]), "1-D"),
        (lambda: logloss_binary([0, 1], [0.1, 0.2], eps=0.7), "eps"),
        (lambda: logloss_binary([0, 1], [0.1, 0.2], eps="float32"), "eps"),
        (lambda: logloss_binary([0, 1], ["a", "b"]), "not numbers"),
        (lambda: logloss_multiclass([0, 1], [[0.5, 0.5]]), "rows"),
        (lambda: logloss_multiclass([0, 3], [[0.5, 0.5], [0.5, 0.5]]), "class indices"),
        (lambda: logloss_multiclass([0, 1.5], [[0.5, 0.5], [0.5, 0.5]]), "class indices"),
        (lambda: logloss_multiclass([0, 1], [[0.5, -0.5], [0.5, 0.5]]), "outside [0, 1]"),
        (lambda: logloss_multiclass([0, 1], [[1.0], [1.0]]), "column"),
        (lambda: logloss_multiclass([[1, 1], [0, 1]], [[0.5, 0.5], [0.5, 0.5]]), "exactly one 1"),
        (lambda: logloss_multiclass([[1, 0, 0], [0, 1, 0]], [[0.5, 0.5], [0.5, 0.5]]), "shape"),
        (lambda: logloss_multiclass(["a", "z"], [[0.5, 0.5], [0.5, 0.5]], labels=["a", "b"]), "not in labels"),
        (lambda: logloss_multiclass(["a", "b"], [[0.5, 0.5], [0.5, 0.5]], labels=["a", "b", "c"]), "labels has 3"),
        (lambda: logloss_multiclass(["a", "b"], [[0.5, 0.5], [0.5, 0.5]], labels=["a", "a"]), "duplicates"),
        (lambda: logloss_multiclass([0, 1], [[0.5, 0.5], [np.nan, 0.5]]), "NaN"),
        (lambda: logloss_weighted_multilabel([1, 0], [0.5, 0.5], groups=["a", "a"]), "positive_weights"),
        (lambda: logloss_weighted_multilabel([1, 0], [0.5, 0.5], positive_weights=1, negative_weights=1), "groups"),
        (lambda: logloss_weighted_multilabel([1, 0], [0.5, 0.5], groups=["a"], positive_weights=1,
                                             negative_weights=1), "rows"),
        (lambda: logloss_weighted_multilabel([1, 0], [0.5, 0.5], groups=["a", "b"], positive_weights=[1, 1, 1],
                                             negative_weights=1), "rows"),
        (lambda: logloss_weighted_multilabel([1, 0], [0.5, 0.5], groups=["a", "b"], positive_weights=-1,
                                             negative_weights=1), "negative"),
        (lambda: logloss_weighted_multilabel([1, 0], [0.5, 0.5], groups=["a", "b"], positive_weights=0,
                                             negative_weights=0), "zero total weight"),
        (lambda: logloss_weighted_multilabel([[1, 0]], [[0.5, 0.5]], positive_weights=[1, 1, 1],
                                             negative_weights=[1, 1]), "one weight per label"),
        (lambda: logloss_weighted_multilabel([1, 3], [0.5, 0.5], groups=["a", "b"], positive_weights=1,
                                             negative_weights=1), "only 0 and 1"),
        (lambda: logloss_weighted_multilabel([1, 0], [0.5, 1.5], groups=["a", "b"], positive_weights=1,
                                             negative_weights=1), "outside [0, 1]"),
        (lambda: kl_divergence([[1, 0], [0, 0]], [[0.5, 0.5], [0.5, 0.5]]), "sum to 0"),
        (lambda: kl_divergence([[1, -1]], [[0.5, 0.5]]), "negative"),
        (lambda: kl_divergence([[1, 0]], [[0.5, 0.5, 0.0]]), "shape"),
        (lambda: kl_divergence([[1, 0]], [[0.5, 1.5]]), "outside [0, 1]"),
        (lambda: kl_divergence([[1, np.nan]], [[0.5, 0.5]]), "NaN"),
        (lambda: kl_divergence(np.empty((0, 2)), np.empty((0, 2))), "empty"),
    ],
)
def test_bad_inputs_raise_metric_input_error(call, fragment):
    with pytest.raises(MetricInputError) as info:
        call()
    assert fragment in str(info.value)
    assert ";" in str(info.value) or "pass" in str(info.value)  # every message says how to fix it


def test_single_class_binary_is_scored_not_refused():
    assert _rel_close(logloss_binary([1, 1], [0.5, 0.5]), math.log(2))
