"""The regression and distance metrics against references (scikit-learn, numpy, brute-force loops of the
published formulas), their MLE-bench quirk parameters, and their bad-input errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import mean_absolute_error, root_mean_squared_error, root_mean_squared_log_error

import metrics
from metrics import MetricInputError
from metrics.regression import (
    group_quantiles,
    haversine_p50_p95,
    laplace_log_likelihood,
    log_mae_grouped,
    mae,
    mcrmse,
    mean_angular_error,
    rmse,
    rmsle_mean_columnwise,
)

REL = 1e-12


def _rel_close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL, abs_tol=0.0)


# ------------------------------------------------------------------ references


@pytest.mark.parametrize("seed", range(5))
def test_rmse_mae_match_sklearn(seed):
    rng = np.random.default_rng(seed)
    y, p = rng.normal(0, 10, 300), rng.normal(0, 10, 300)
    assert rmse(y, p) == root_mean_squared_error(y, p)
    assert mae(y, p) == mean_absolute_error(y, p)


@pytest.mark.parametrize("seed", range(5))
def test_rmsle_matches_sklearn_per_column_mean(seed):
    rng = np.random.default_rng(seed)
    y, p = rng.uniform(0, 5, (200, 2)), rng.uniform(0, 5, (200, 2))
    expected = (root_mean_squared_log_error(y[:, 0], p[:, 0]) + root_mean_squared_log_error(y[:, 1], p[:, 1])) / 2
    assert _rel_close(rmsle_mean_columnwise(y, p), expected)
    assert _rel_close(rmsle_mean_columnwise(y[:, 0], p[:, 0]), root_mean_squared_log_error(y[:, 0], p[:, 0]))


@pytest.mark.parametrize("seed", range(5))
def test_mcrmse_matches_sklearn_per_column_mean(seed):
    rng = np.random.default_rng(seed)
    y, p = rng.normal(0, 1, (150, 3)), rng.normal(0, 1, (150, 3))
    expected = np.mean([root_mean_squared_error(y[:, j], p[:, j]) for j in range(3)])
    assert _rel_close(mcrmse(y, p), expected)


@pytest.mark.parametrize("seed", range(5))
def test_log_mae_grouped_matches_loop(seed):
    rng = np.random.default_rng(seed)
    types = np.array(["1JHC", "1JHN", "2JHH", "3JHC"])[rng.integers(0, 4, 400)]
    y, p = rng.normal(50, 30, 400), rng.normal(50, 30, 400)
    expected = np.mean([math.log(mean_absolute_error(y[types == t], p[types == t])) for t in sorted(set(types))])
    assert _rel_close(log_mae_grouped(y, p, groups=types), expected)
    assert _rel_close(log_mae_grouped(y, p, groups=types, floor=0), expected)


@pytest.mark.parametrize("seed", range(5))
def test_mean_angular_error_matches_cartesian_loop(seed):
    rng = np.random.default_rng(seed)
    y = np.column_stack([rng.uniform(0, 2 * np.pi, 200), rng.uniform(0, np.pi, 200)])
    p = np.column_stack([rng.uniform(0, 2 * np.pi, 200), rng.uniform(0, np.pi, 200)])
    total = 0.0
    for (a1, z1), (a2, z2) in zip(y, p):
        v1 = (math.sin(z1) * math.cos(a1), math.sin(z1) * math.sin(a1), math.cos(z1))
        v2 = (math.sin(z2) * math.cos(a2), math.sin(z2) * math.sin(a2), math.cos(z2))
        dot = max(-1.0, min(1.0, sum(a * b for a, b in zip(v1, v2))))
        total += math.acos(dot)
    assert math.isclose(mean_angular_error(y, p), total / len(y), rel_tol=1e-10)


def test_mean_angular_error_known_angles():
    # opposite directions (pi) and a right angle (pi/2)
    y = [[0.0, 0.0], [0.0, np.pi / 2]]
    p = [[0.0, np.pi], [np.pi / 2, np.pi / 2]]
    assert _rel_close(mean_angular_error(y, p), (np.pi + np.pi / 2) / 2)


def _haversine_loop(a, b):
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


@pytest.mark.parametrize("seed", range(5))
def test_haversine_matches_loop_with_numpy_quantiles(seed):
    rng = np.random.default_rng(seed)
    n = 240
    trips = np.array(["2021-04-22-US-SJC-1-GooglePixel4", "2021-07-19-US-MTV-1-XiaomiMi8",
                      "2020-06-04-US-MTV-1-GooglePixel5"])
    groups = trips[rng.integers(0, 3, n)]
    y = np.column_stack([37.4 + rng.normal(0, 0.05, n), -122.1 + rng.normal(0, 0.05, n)])
    p = y + rng.normal(0, 2e-5, (n, 2))
    per_trip = []
    for t in dict.fromkeys(groups):  # first-appearance order, as MLE-bench iterates unique()
        d = np.array([_haversine_loop(a, b) for a, b in zip(y[groups == t], p[groups == t])])
        per_trip.append((np.quantile(d, 0.5) + np.quantile(d, 0.95)) / 2)
    assert math.isclose(haversine_p50_p95(y, p, groups=groups), np.mean(per_trip), rel_tol=1e-10)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("few_groups_path", [True, False])
def test_group_quantiles_equal_numpy_bit_for_bit(seed, few_groups_path, monkeypatch):
    import metrics.regression

    monkeypatch.setattr(metrics.regression, "_FEW_GROUPS", 2_000 if few_groups_path else 0)
    rng = np.random.default_rng(seed)
    values = rng.exponential(5.0, 500)
    codes = rng.integers(0, 7, 500)
    for q in (0.0, 0.5, 0.95, 1.0):
        got = group_quantiles(values, codes, 7, q)
        expected = [np.quantile(values[codes == g], q) for g in range(7)]
        assert got.tolist() == expected


@pytest.mark.parametrize("seed", range(5))
def test_laplace_matches_loop(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(1500, 4000, 100).astype(float)
    p = y + rng.normal(0, 800, 100)
    conf = rng.uniform(0, 400, 100)
    total = 0.0
    for a, b, c in zip(y, p, conf):
        sigma = max(c, 70.0)
        delta = min(abs(a - b), 1000.0)
        total += -math.sqrt(2) * delta / sigma - math.log(math.sqrt(2) * sigma)
    assert _rel_close(laplace_log_likelihood(y, p, confidence=conf), total / 100)


# ------------------------------------------------------------------ MLE-bench quirk parameters


def test_log_mae_floor_zero_gives_minus_infinity_for_a_perfect_group():
    y = [1.0, 2.0, 3.0, 4.0]
    p = [1.0, 2.0, 3.5, 4.5]
    groups = ["a", "a", "b", "b"]
    assert log_mae_grouped(y, p, groups=groups, floor=0) == -math.inf          # MLE-bench v1
    assert _rel_close(log_mae_grouped(y, p, groups=groups), (math.log(1e-9) + math.log(0.5)) / 2)  # Kaggle


def test_laplace_clipping_parameters():
    # sigma below the minimum is raised to it; errors beyond delta_max are capped
    assert _rel_close(laplace_log_likelihood([0.0], [0.0], confidence=[10.0]), -math.log(math.sqrt(2) * 70))
    capped = laplace_log_likelihood([0.0], [5000.0], confidence=[100.0])
    assert _rel_close(capped, -math.sqrt(2) * 1000 / 100 - math.log(math.sqrt(2) * 100))
    custom = laplace_log_likelihood([0.0], [5000.0], confidence=[10.0], sigma_min=20.0, delta_max=2000.0)
    assert _rel_close(custom, -math.sqrt(2) * 2000 / 20 - math.log(math.sqrt(2) * 20))
    assert metrics.get("laplace_log_likelihood").higher_is_better


def test_haversine_without_groups_is_one_trip():
    rng = np.random.default_rng(3)
    y = np.column_stack([rng.uniform(-60, 60, 50), rng.uniform(-180, 180, 50)])
    p = y + rng.normal(0, 1e-3, (50, 2))
    assert haversine_p50_p95(y, p) == haversine_p50_p95(y, p, groups=["one"] * 50)


def test_angular_error_clips_the_dot_product():
    # the same direction written two ways: the dot product may round above 1, arccos must not give NaN
    y = [[0.3, 1.1]] * 5
    p = [[0.3 + 2 * np.pi, 1.1]] * 5
    value = mean_angular_error(y, p)
    assert 0.0 <= value < 1e-7


# ------------------------------------------------------------------ bad inputs


@pytest.mark.parametrize(
    "call, fragment",
    [
        (lambda: rmse([1, 2, 3], [1, 2]), "rows"),
        (lambda: rmse([1, 2], [1, np.nan]), "NaN"),
        (lambda: rmse([1, 2], [1, np.inf]), "infinite"),
        (lambda: rmse([], []), "empty"),
        (lambda: rmse([[1, 2], [3, 4]], [[1, 2], [3, 4]]), "1-D"),
        (lambda: mae([1, 2], ["x", "y"]), "not numbers"),
        (lambda: mae([1, np.nan], [1, 2]), "NaN"),
        (lambda: rmsle_mean_columnwise([[1, 2]], [[-0.1, 2]]), "negative"),
        (lambda: rmsle_mean_columnwise([[-1, 2]], [[0.1, 2]]), "negative"),
        (lambda: rmsle_mean_columnwise([[1, 2]], [[1, 2, 3]]), "shape"),
        (lambda: mcrmse([[1, 2], [3, 4]], [[1, 2]]), "rows"),
        (lambda: mcrmse([[1, 2]], [[1, np.nan]]), "NaN"),
        (lambda: log_mae_grouped([1, 2], [1, 2]), "groups"),
        (lambda: log_mae_grouped([1, 2], [1, 2], groups=["a"]), "rows"),
        (lambda: log_mae_grouped([1, 2], [1, 2], groups=["a", "b"], floor=-1), "floor"),
        (lambda: log_mae_grouped([1, 2], [1, 2], groups=[1.0, np.nan]), "NaN"),
        (lambda: mean_angular_error([[0, 1, 2]], [[0, 1, 2]]), "2 columns"),
        (lambda: mean_angular_error([[0, 1]], [[0, np.inf]]), "infinite"),
        (lambda: haversine_p50_p95([[95.0, 0.0]], [[0.0, 0.0]]), "latitudes"),
        (lambda: haversine_p50_p95([[1.0, 0.0]], [[0.0, 0.0]], groups=["a", "b"]), "rows"),
        (lambda: haversine_p50_p95([[1.0]], [[0.0]]), "2 columns"),
        (lambda: laplace_log_likelihood([1.0], [1.0]), "confidence"),
        (lambda: laplace_log_likelihood([1.0], [1.0], confidence=[np.nan]), "NaN"),
        (lambda: laplace_log_likelihood([1.0], [1.0], confidence=[1.0, 2.0]), "rows"),
        (lambda: laplace_log_likelihood([1.0], [1.0], confidence=[1.0], sigma_min=0), "sigma_min"),
    ],
)
def test_bad_inputs_raise_metric_input_error(call, fragment):
    with pytest.raises(MetricInputError) as info:
        call()
    assert fragment in str(info.value)


def test_score_entry_point_rejects_unknown_parameters():
    with pytest.raises(MetricInputError, match="unknown parameter"):
        metrics.score("rmse", [1.0], [1.0], floor=0)
