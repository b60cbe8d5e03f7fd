"""Random problems for the shared property suite: the regression and distance metrics."""

from __future__ import annotations

import numpy as np

from tests.metrics.cases import Case


def _spoil(rng: np.random.Generator, y: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """``y`` plus noise, with at least one value changed."""
    worse = y + rng.normal(0, scale, y.shape)
    worse.flat[0] = y.flat[0] + scale
    return worse


def _plain_problem(rng: np.random.Generator, n: int):
    y = rng.normal(10, 3, n)
    return y, y.copy(), _spoil(rng, y), {}


def _list_and_column(y_true, y_pred, params):
    return list(np.asarray(y_true).tolist()), np.asarray(y_pred)[:, None], params


def _int_problem(rng: np.random.Generator, n: int):
    y = rng.integers(0, 100, n)
    worse = y + rng.integers(-3, 4, n)
    worse[0] = y[0] + 5
    return y, y.copy(), worse, {}


def _int_as_float(y_true, y_pred, params):
    return np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float), params


def _nonneg_problem(rng: np.random.Generator, n: int):
    y = rng.uniform(0, 5, size=(n, 2))
    worse = np.abs(_spoil(rng, y, 0.5))
    return y, y.copy(), worse, {}


def _matrix_problem(rng: np.random.Generator, n: int):
    y = rng.normal(0, 1, size=(n, 3))
    return y, y.copy(), _spoil(rng, y, 0.3), {}


def _matrix_as_lists(y_true, y_pred, params):
    return np.asarray(y_true).tolist(), np.asarray(y_pred).tolist(), params


def _grouped_problem(rng: np.random.Generator, n: int, floor: float | None):
    types = np.array(["1JHC", "2JHH", "3JHN"])
    groups = types[rng.integers(0, 3, n)]
    y = rng.normal(50, 20, n)
    worse = _spoil(rng, y, 2.0)
    params = {"groups": groups} if floor is None else {"groups": groups, "floor": floor}
    return y, y.copy(), worse, params


def _groups_as_codes(y_true, y_pred, params):
    codes = np.unique(params["groups"], return_inverse=True)[1].reshape(-1)
    return y_true, y_pred, {**params, "groups": codes}


def _directions(rng: np.random.Generator, n: int) -> np.ndarray:
    """Directions whose dot product with themselves evaluates to exactly 1 (so a copy scores exactly 0)."""
    out = np.empty((0, 2))
    while len(out) < n:
        cand = np.column_stack([rng.uniform(0, 2 * np.pi, 4 * n), rng.uniform(0, np.pi, 4 * n)])
        sz, cz = np.sin(cand[:, 1]), np.cos(cand[:, 1])
        dot = sz * sz * (np.cos(cand[:, 0]) ** 2 + np.sin(cand[:, 0]) ** 2) + cz * cz
        out = np.vstack([out, cand[dot >= 1.0]])
    return out[:n]


def _angular_problem(rng: np.random.Generator, n: int):
    y = _directions(rng, n)
    worse = y + rng.normal(0, 0.2, y.shape)
    worse[0] = y[0] + [0.5, 0.5]
    return y, y.copy(), worse, {}


def _haversine_problem(rng: np.random.Generator, n: int):
    y = np.column_stack([37.4 + rng.normal(0, 0.01, n), -122.1 + rng.normal(0, 0.01, n)])
    groups = np.array(["2021-04-22-US-SJC-1-GooglePixel4", "2021-07-19-US-MTV-1-XiaomiMi8"])[rng.integers(0, 2, n)]
    worse = y + rng.normal(0, 1e-4, y.shape)
    return y, y.copy(), worse, {"groups": groups}


def _laplace_problem(rng: np.random.Generator, n: int):
    y = rng.integers(1500, 4000, n).astype(float)
    worse = y + rng.normal(0, 200, n)
    worse[0] = y[0] + 300
    confidence = rng.uniform(0, 70, n)  # at or below sigma_min: a perfect FVC scores the bound
    return y, y.copy(), worse, {"confidence": confidence}


def _confidence_as_list(y_true, y_pred, params):
    return list(y_true), y_pred, {**params, "confidence": list(params["confidence"])}


CASES: list[Case] = [
    Case("rmse", _plain_problem, dtype_variant=_list_and_column),
    Case("rmse", _int_problem, dtype_variant=_int_as_float),
    Case("mae", _plain_problem, dtype_variant=_list_and_column),
    Case("mae", _int_problem, dtype_variant=_int_as_float),
    Case("rmsle_mean_columnwise", _nonneg_problem, dtype_variant=_matrix_as_lists),
    Case("mcrmse", _matrix_problem, dtype_variant=_matrix_as_lists),
    Case("log_mae_grouped", lambda rng, n: _grouped_problem(rng, n, None), perfect_value=float(np.log(1e-9)),
         dtype_variant=_groups_as_codes),
    Case("log_mae_grouped", lambda rng, n: _grouped_problem(rng, n, 0.0), dtype_variant=_groups_as_codes),
    Case("mean_angular_error", _angular_problem, dtype_variant=_matrix_as_lists),
    Case("haversine_p50_p95", _haversine_problem, dtype_variant=_matrix_as_lists),
    Case("laplace_log_likelihood", _laplace_problem, dtype_variant=_confidence_as_list),
]
