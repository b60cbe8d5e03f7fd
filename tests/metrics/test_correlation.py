"""Reference tests for metrics/correlation.py against scipy and brute-force Kendall tau."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import pearsonr, spearmanr

import metrics
from metrics import MetricInputError
from metrics.correlation import count_inversions, kendall_tau, pearson, spearman_mean_columnwise

SETTINGS = settings(max_examples=25, deadline=None)


def _rel(a: float, b: float, tol: float = 1e-12) -> bool:
    return math.isclose(a, b, rel_tol=tol, abs_tol=1e-14)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(3, 300))
def test_pearson_matches_scipy(seed, n):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n) * 1e3 + 5
    y = x * rng.normal() + rng.normal(size=n)
    assert _rel(pearson(x, y), pearsonr(x, y)[0], 1e-10)


def test_pearson_huge_values_do_not_overflow():
    rng = np.random.default_rng(2)
    x = rng.normal(size=50) * 1e300
    y = x + rng.normal(size=50) * 1e299
    assert _rel(pearson(x, y), pearsonr(x, y)[0], 1e-10)
    assert _rel(spearman_mean_columnwise(np.c_[x, y], np.c_[y, x]), spearmanr(x, y)[0], 1e-10)


def test_pearson_hand_value_and_two_points():
    assert _rel(pearson([1, 2, 3, 4], [2, 4, 6, 9]), 11.5 / math.sqrt(5 * 26.75))
    assert pearson([1, 2], [5, 3]) == -1.0


def test_pearson_constant_raises_or_is_nan():
    with pytest.raises(MetricInputError, match="constant"):
        pearson([1, 2, 3], [0, 0, 0])
    assert math.isnan(pearson([1, 2, 3], [0, 0, 0], constant="nan"))
    assert math.isnan(metrics.score("pearson", [5, 5, 5], [1, 2, 3], constant="nan"))
    with pytest.raises(MetricInputError, match="'raise' or 'nan'"):
        pearson([1, 2, 3], [1, 2, 4], constant="zero")


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(3, 200), m=st.integers(1, 5))
def test_spearman_mean_columnwise_matches_scipy(seed, n, m):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 4, (n, m)).astype(float)
    y = rng.integers(0, 6, (n, m)) / 5
    x[0], x[1], y[0], y[1] = 0, 3, 0, 1  # no constant column
    expected = np.mean([spearmanr(x[:, j], y[:, j]).correlation for j in range(m)])
    assert _rel(spearman_mean_columnwise(x, y), expected, 1e-10)


def test_spearman_constant_column():
    x = [[1, 1], [2, 2], [3, 3]]
    y = [[1, 0], [2, 0], [3, 0]]
    with pytest.raises(MetricInputError, match=r"column\(s\) \[1\]"):
        spearman_mean_columnwise(x, y)
    assert math.isnan(spearman_mean_columnwise(x, y, constant="nan"))
    assert _rel(spearman_mean_columnwise([1, 2, 3], [3, 2, 1]), -1.0)  # 1-D is one column


@pytest.mark.parametrize("name", ["pearson", "spearman_mean_columnwise"])
def test_correlation_bad_inputs(name):
    with pytest.raises(MetricInputError, match="rows"):
        metrics.score(name, [1, 2, 3], [1, 2])
    with pytest.raises(MetricInputError, match="NaN"):
        metrics.score(name, [1, 2, float("nan")], [1, 2, 3])
    with pytest.raises(MetricInputError, match="infinite"):
        metrics.score(name, [1, 2, 3], [1, 2, float("inf")])
    with pytest.raises(MetricInputError, match="at least 2 rows"):
        metrics.score(name, [1], [1])
    with pytest.raises(MetricInputError, match="empty"):
        metrics.score(name, [], [])
    with pytest.raises(MetricInputError, match="not numbers"):
        metrics.score(name, ["a", "b"], [1, 2])


def test_pearson_rejects_2d():
    with pytest.raises(MetricInputError, match="1-D"):
        pearson([[1, 2], [3, 4]], [[1, 2], [3, 4]])


# ------------------------------------------------------------------ kendall_tau


def _brute_inversions(ranks):
    return sum(1 for i in range(len(ranks)) for j in range(i + 1, len(ranks)) if ranks[i] > ranks[j])


def _kendall_reference(truth, pred):
    inversions = pairs = 0
    for t, p in zip(truth, pred):
        inversions += _brute_inversions([t.index(x) for x in p])
        pairs += len(t) * (len(t) - 1)
    return 1 - 4 * inversions / pairs


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40))
def test_kendall_tau_matches_brute_force(seed, n):
    rng = np.random.default_rng(seed)
    truth = [[f"{i}-{j}" for j in range(int(rng.integers(1, 25)))] for i in range(n)]
    truth[0] = ["a", "b"]  # at least one pair
    pred = [list(rng.permutation(t)) if rng.random() < 0.8 else list(t) for t in truth]
    assert kendall_tau(truth, pred) == _kendall_reference(truth, pred)
    as_text = kendall_tau([" ".join(t) for t in truth], [" ".join(p) for p in pred])
    assert as_text == _kendall_reference(truth, pred)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 200), groups=st.integers(1, 6))
def test_count_inversions_matches_brute_force(seed, n, groups):
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 50, n)
    group = np.sort(rng.integers(0, groups, n))
    expected = sum(_brute_inversions(values[group == g].tolist()) for g in range(groups))
    assert count_inversions(values, group) == expected


def test_kendall_tau_hand_values():
    assert kendall_tau(["a b c", "x y"], ["a c b", "x y"]) == 0.5
    assert kendall_tau(["a b c"], ["c b a"]) == -1.0
    assert kendall_tau([["a", "b"], ["z"]], [["a", "b"], ["z"]]) == 1.0  # 1-item rows add no pairs


def test_kendall_tau_requires_permutations():
    with pytest.raises(MetricInputError, match="different number of items"):
        kendall_tau(["a b c"], ["a b"])
    with pytest.raises(MetricInputError, match="not a permutation"):
        kendall_tau(["a b c"], ["a b d"])
    with pytest.raises(MetricInputError, match="not a permutation"):
        kendall_tau(["a b c", "x y"], ["a b c", "y y"])
    with pytest.raises(MetricInputError, match="not a permutation"):
        kendall_tau(["a b c", "x y"], ["a b x", "c y"])  # ids of another row
    with pytest.raises(MetricInputError, match="fewer than 2 items"):
        kendall_tau(["a", "b"], ["a", "b"])
    with pytest.raises(MetricInputError, match="rows"):
        kendall_tau(["a b"], ["a b", "c d"])
    with pytest.raises(MetricInputError, match="empty"):
        kendall_tau([], [])


def test_kendall_tau_dict_path_hands_bad_rows_to_the_general_path():
    truth, pred = ["a b c d", "x y z"], ["b a d c", "z y x"]
    expected = _kendall_reference([t.split() for t in truth], [p.split() for p in pred])
    assert kendall_tau(truth, pred) == expected
    assert kendall_tau([t.split() for t in truth], [p.split() for p in pred]) == expected  # lists of ids
    with pytest.raises(MetricInputError, match="row 0 of y_pred is not a permutation"):
        kendall_tau(truth, ["b a d e", "z y x"])  # an unknown id
    with pytest.raises(MetricInputError, match="row 1 of y_pred is not a permutation"):
        kendall_tau(truth, ["b a d c", "z z x"])  # a repeated id
    with pytest.raises(MetricInputError, match="hashable"):
        kendall_tau([[["a"], "b"]], [[["a"], "b"]])


def test_kendall_tau_non_ascii_ids_and_repeated_true_ids():
    assert kendall_tau(["\u00e9 b c"], ["b \u00e9 c"]) == 1 - 4 * 1 / 6
    with pytest.raises(MetricInputError, match="repeats an id"):
        kendall_tau(["a a b"], ["a b a"])
