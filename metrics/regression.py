"""Regression and distance metrics: RMSE, MAE, RMSLE, MCRMSE, grouped log-MAE, angular and haversine errors,
and OSIC's Laplace log-likelihood.

All are lower-is-better except :func:`laplace_log_likelihood`. Group-wise metrics use ``np.bincount`` and one
sort, never a Python loop over rows or groups.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from metrics._core import (
    check_same_shape,
    column_means,
    group_codes,
    MetricInputError,
    as_1d,
    as_2d,
    check_finite,
    check_same_length,
    finite_result,
    register,
)

__all__ = [
    "rmse",
    "mae",
    "rmsle_mean_columnwise",
    "mcrmse",
    "log_mae_grouped",
    "mean_angular_error",
    "haversine_p50_p95",
    "haversine_distance",
    "laplace_log_likelihood",
    "group_quantiles",
    "EARTH_RADIUS_M",
]

#: Earth radius used by the Google Smartphone Decimeter metric, in metres.
EARTH_RADIUS_M = 6_371_000.0


def _pair_1d(y_true: Any, y_pred: Any, name: str, finite: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Both inputs as 1-D float arrays of one length; ``finite=False`` leaves the NaN/inf scan to
    :func:`finite_result` on the metric's value."""
    y = as_1d(y_true, name, "y_true")
    p = as_1d(y_pred, name, "y_pred")
    check_same_length(name, ("y_true", y), ("y_pred", p))
    if finite:
        check_finite(y, name, "y_true")
        check_finite(p, name, "y_pred")
    return y, p


def _pair_2d(
    y_true: Any, y_pred: Any, name: str, n_cols: int | None = None, finite: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Both inputs as 2-D float arrays of one shape; ``finite`` as in :func:`_pair_1d`."""
    y = as_2d(y_true, name, "y_true")
    p = as_2d(y_pred, name, "y_pred")
    check_same_length(name, ("y_true", y), ("y_pred", p))
    check_same_shape(name, ("y_true", y), ("y_pred", p), "pass the same columns")
    if n_cols is not None and y.shape[1] != n_cols:
        raise MetricInputError(f"{name}: expected {n_cols} columns, got shape {y.shape}", argument="y_true")
    if finite:
        check_finite(y, name, "y_true")
        check_finite(p, name, "y_pred")
    return y, p


def _squared_difference(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``(y - p) ** 2`` in one new array (squared in place: the same bits, one allocation fewer)."""
    d = np.subtract(y, p)
    return np.multiply(d, d, out=d)


@register("rmse", higher_is_better=False, bounds=(0.0, np.inf), aliases=("root_mean_squared_error",))
def rmse(y_true: Any, y_pred: Any) -> float:
    """Root mean squared error, ``sqrt(mean((y_true - y_pred)^2))``.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Finite numbers.

    >>> rmse([1.0, 2.0, 3.0], [1.0, 2.0, 5.0])   # sqrt(4 / 3)
    1.1547005383792515
    """
    y, p = _pair_1d(y_true, y_pred, "rmse", finite=False)
    value = float(np.sqrt(np.mean(_squared_difference(y, p))))
    return finite_result(value, "rmse", ("y_true", y), ("y_pred", p))


@register("mae", higher_is_better=False, bounds=(0.0, np.inf), aliases=("mean_absolute_error",))
def mae(y_true: Any, y_pred: Any) -> float:
    """Mean absolute error, ``mean(|y_true - y_pred|)``.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Finite numbers.

    >>> mae([1, 2, 3], [2, 2, 5])   # (1 + 0 + 2) / 3
    1.0
    """
    y, p = _pair_1d(y_true, y_pred, "mae", finite=False)
    d = np.subtract(p, y)
    value = float(np.mean(np.abs(d, out=d)))
    return finite_result(value, "mae", ("y_true", y), ("y_pred", p))


@register("rmsle_mean_columnwise", higher_is_better=False, bounds=(0.0, np.inf), aliases=("rmsle",))
def rmsle_mean_columnwise(y_true: Any, y_pred: Any) -> float:
    """Mean over columns of the root mean squared log error ``sqrt(mean((ln(1+p) - ln(1+y))^2))``.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n, k) or (n,)
        Non-negative numbers; a 1-D input is one column. Negative values raise MetricInputError, as
        scikit-learn 1.5's ``root_mean_squared_log_error`` (used by MLE-bench v1) raises.

    >>> round(rmsle_mean_columnwise([[0, 1], [0, 1]], [[np.e - 1, 1], [np.e - 1, 1]]), 6)  # (1 + 0) / 2
    0.5
    """
    name = "rmsle_mean_columnwise"
    y, p = _pair_2d(y_true, y_pred, name, finite=False)
    if not (y.min() >= 0 and p.min() >= 0):  # a NaN fails this too: then the full checks, in their order
        check_finite(y, name, "y_true")
        check_finite(p, name, "y_pred")
        for what, arr in (("y_true", y), ("y_pred", p)):
            if (arr < 0).any():
                raise MetricInputError(
                    f"{name}: {what} holds {int((arr < 0).sum())} negative value(s) "
                    f"(e.g. {arr[arr < 0][:3].tolist()}); RMSLE needs values >= 0: clip predictions at 0",
                    argument=what,
                )
    d = np.log1p(y)
    d -= np.log1p(p)
    per_column = np.sqrt(column_means(np.multiply(d, d, out=d)))
    return finite_result(float(np.mean(per_column)), name, ("y_true", y), ("y_pred", p))


@register("mcrmse", higher_is_better=False, bounds=(0.0, np.inf), aliases=("mean_columnwise_rmse",))
def mcrmse(y_true: Any, y_pred: Any) -> float:
    """Mean column-wise root mean squared error: the RMSE of each column, averaged over columns.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n, k)
        Finite numbers, one column per scored target.

    >>> mcrmse([[0, 0], [0, 0]], [[1, 3], [1, 3]])   # (1 + 3) / 2
    2.0
    """
    y, p = _pair_2d(y_true, y_pred, "mcrmse", finite=False)
    value = float(np.mean(np.sqrt(column_means(_squared_difference(y, p)))))
    return finite_result(value, "mcrmse", ("y_true", y), ("y_pred", p))


@register("log_mae_grouped", higher_is_better=False, bounds=(-np.inf, np.inf), aliases=("log_mae",))
def log_mae_grouped(y_true: Any, y_pred: Any, groups: Any = None, floor: float = 1e-9) -> float:
    """Mean over groups of ``ln(max(MAE_group, floor))`` (CHAMPS scalar coupling, grouped by coupling type).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Finite numbers.
    groups : array-like of shape (n,)
        Group label of each row (e.g. the coupling ``type``).
    floor : float, default 1e-9
        Kaggle floors each group's MAE at 1e-9. MLE-bench v1 uses ``floor=0``: a perfect group then gives
        ``ln 0 = -inf`` and the score is ``-inf``.

    >>> round(log_mae_grouped([0, 0, 0], [1, 3, np.e], groups=["a", "a", "b"]), 6)  # (ln 2 + 1) / 2
    0.846574
    >>> log_mae_grouped([1.0, 2.0], [1.0, 3.0], groups=["a", "b"], floor=0)
    -inf
    """
    name = "log_mae_grouped"
    if groups is None:
        raise MetricInputError(
            f"{name}: pass groups= (the group of each row, e.g. the coupling type)",
            argument="groups",
        )
    y, p = _pair_1d(y_true, y_pred, name)
    codes, n_groups = group_codes(groups, len(y), name)
    floor = float(floor)
    if not floor >= 0:
        raise MetricInputError(f"{name}: floor={floor} must be >= 0 (Kaggle: 1e-9, MLE-bench v1: 0)", argument="floor")
    sums = np.bincount(codes, weights=np.abs(p - y), minlength=n_groups)
    counts = np.bincount(codes, minlength=n_groups)
    group_mae = np.maximum(sums / counts, floor)
    with np.errstate(divide="ignore"):
        return float(np.mean(np.log(group_mae)))


@register("mean_angular_error", higher_is_better=False, bounds=(0.0, np.pi), aliases=("angular_error",))
def mean_angular_error(y_true: Any, y_pred: Any) -> float:
    """Mean angle, in radians, between true and predicted directions given as (azimuth, zenith) (IceCube).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n, 2)
        Columns ``[azimuth, zenith]`` in radians. The unit vectors' dot product is clipped to [-1, 1]
        before ``arccos``, as the competition's metric does.

    >>> y = [[0.0, np.pi / 2], [1.0, 0.0]]            # along x; straight up
    >>> p = [[np.pi / 2, np.pi / 2], [2.0, 0.0]]      # along y (a right angle); straight up (azimuth is moot)
    >>> round(mean_angular_error(y, p), 6)            # (pi/2 + 0) / 2
    0.785398
    """
    name = "mean_angular_error"
    y, p = _pair_2d(y_true, y_pred, name, n_cols=2)
    az1, zen1 = y[:, 0], y[:, 1]
    az2, zen2 = p[:, 0], p[:, 1]
    sz1, sz2 = np.sin(zen1), np.sin(zen2)
    dot = sz1 * sz2 * (np.cos(az1) * np.cos(az2) + np.sin(az1) * np.sin(az2)) + np.cos(zen1) * np.cos(zen2)
    return float(np.mean(np.abs(np.arccos(np.clip(dot, -1.0, 1.0)))))


def haversine_distance(lat_lon_1: Any, lat_lon_2: Any, radius: float = EARTH_RADIUS_M) -> np.ndarray:
    """Great-circle distance in metres between rows of ``[latitude, longitude]`` in degrees.

    >>> float(np.round(haversine_distance([[0.0, 0.0]], [[0.0, 90.0]])[0] / 1000))  # a quarter of the equator
    10008.0
    """
    a = np.asarray(lat_lon_1, dtype=np.float64)
    b = np.asarray(lat_lon_2, dtype=np.float64)
    lat1, lon1 = np.deg2rad(a[:, 0]), np.deg2rad(a[:, 1])  # contiguous columns: faster than strided slices
    lat2, lon2 = np.deg2rad(b[:, 0]), np.deg2rad(b[:, 1])
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * radius * np.arcsin(np.sqrt(h))


_FEW_GROUPS = 2_000


def group_quantiles(values: Any, codes: Any, n_groups: int, qs: Any) -> np.ndarray:
    """The quantiles ``qs`` of ``values`` within each group, like ``np.quantile`` (linear) per group.

    ``codes`` are integer group codes 0..n_groups-1; every group must be non-empty. Returns an array of
    shape ``(len(qs), n_groups)`` (or ``(n_groups,)`` for a scalar ``q``). One sort for all groups and all qs.

    >>> group_quantiles([1.0, 10.0, 3.0, 2.0, 20.0], [0, 1, 0, 0, 1], 2, 0.5).tolist()
    [2.0, 15.0]
    """
    v = np.asarray(values, dtype=np.float64)
    c = np.asarray(codes, dtype=np.int64)
    q = np.asarray(qs, dtype=np.float64)
    counts = np.bincount(c, minlength=n_groups)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    if n_groups <= _FEW_GROUPS:
        # Few groups (trips): order rows by group with a radix sort, then np.quantile on each group's slice,
        # which partitions instead of sorting.
        by_group = v[np.argsort(c.astype(np.uint16), kind="stable")]
        out = np.stack([np.quantile(by_group[s:s + n], q) for s, n in zip(starts, counts)], axis=-1)
        return out
    order = np.argsort(v, kind="stable")
    order = order[np.argsort(c[order], kind="stable")]  # by group, values ascending within each group
    sorted_v = v[order]
    virtual = (counts - 1) * q[..., None]  # numpy's "linear" method: (n - 1) * q
    below = np.floor(virtual)
    gamma = virtual - below
    lo = starts + below.astype(np.int64)
    hi = starts + np.minimum(below.astype(np.int64) + 1, counts - 1)
    a, b = sorted_v[lo], sorted_v[hi]
    diff = b - a
    # numpy's _lerp: a + diff * t, or b - diff * (1 - t) when t >= 0.5 (bit-for-bit the same as np.quantile)
    return np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma)


@register("haversine_p50_p95", higher_is_better=False, bounds=(0.0, np.inf), aliases=("mean_haversine_p50_p95",))
def haversine_p50_p95(y_true: Any, y_pred: Any, groups: Any = None) -> float:
    """Smartphone Decimeter 2022: per group (trip), the mean of the 50th and 95th percentile haversine error
    in metres; then the mean over groups.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n, 2)
        Columns ``[latitude, longitude]`` in degrees. R = 6,371,000 m.
    groups : array-like of shape (n,), optional
        Trip of each row; without it all rows form one trip. Percentiles are numpy's linear interpolation.

    >>> y = [[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]
    >>> p = [[0.0, 0.0], [0.0, 0.0], [0.0, 1e-3]]   # errors 0, 0, 111.19 m
    >>> round(haversine_p50_p95(y, p), 3)            # (0 + 0.9 * 111.195) / 2
    50.038
    """
    name = "haversine_p50_p95"
    y, p = _pair_2d(y_true, y_pred, name, n_cols=2)
    for what, arr in (("y_true", y), ("y_pred", p)):
        if (np.abs(arr[:, 0]) > 90).any():
            raise MetricInputError(
                f"{name}: {what} has latitudes outside [-90, 90]; columns are [lat, lon] in degrees",
                argument=what,
            )
    d = haversine_distance(y, p)
    if groups is None:
        codes, n_groups = np.zeros(len(d), dtype=np.int64), 1
    else:
        codes, n_groups = group_codes(groups, len(d), name)
    p50, p95 = group_quantiles(d, codes, n_groups, (0.50, 0.95))
    return float(np.mean((p50 + p95) / 2))


@register(
    "laplace_log_likelihood",
    higher_is_better=True,
    bounds=(-np.inf, -np.log(np.sqrt(2) * 70.0)),
    aliases=("modified_laplace_log_likelihood",),
)
def laplace_log_likelihood(
    y_true: Any,
    y_pred: Any,
    confidence: Any = None,
    sigma_min: float = 70.0,
    delta_max: float = 1000.0,
) -> float:
    """OSIC's modified Laplace log-likelihood: mean of ``-sqrt(2) * delta / sigma - ln(sqrt(2) * sigma)``.

    ``sigma = max(confidence, sigma_min)`` and ``delta = min(|y_true - y_pred|, delta_max)``. Higher is better;
    the best value is ``-ln(sqrt(2) * sigma_min)`` (about -4.5951 for 70).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        True and predicted FVC (ml).
    confidence : array-like of shape (n,)
        Predicted standard deviation of each prediction (finite; graders fill a missing one with 0,
        as MLE-bench v1 does).
    sigma_min, delta_max : float
        Kaggle's clipping constants, 70 and 1000.

    >>> round(laplace_log_likelihood([2000], [2100], confidence=[100]), 6)  # -sqrt2 - ln(100 sqrt2)
    -6.365957
    """
    name = "laplace_log_likelihood"
    if confidence is None:
        raise MetricInputError(
            f"{name}: pass confidence= (the predicted standard deviation of each row)",
            argument="confidence",
        )
    y, p = _pair_1d(y_true, y_pred, name)
    c = as_1d(confidence, name, "confidence")
    check_same_length(name, ("y_true", y), ("confidence", c))
    check_finite(c, name, "confidence")
    if not (sigma_min > 0 and delta_max > 0):
        raise MetricInputError(
            f"{name}: sigma_min and delta_max must be > 0 (Kaggle: 70 and 1000)",
            argument="sigma_min",
        )
    sigma = np.maximum(c, sigma_min)
    delta = np.minimum(np.abs(y - p), delta_max)
    return float(np.mean(-np.sqrt(2) * delta / sigma - np.log(np.sqrt(2) * sigma)))
