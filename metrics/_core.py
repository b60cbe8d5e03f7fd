"""The metric registry and the input checks every metric shares.

A metric is a plain function ``fn(y_true, y_pred, **params) -> float`` registered with :func:`register`.
Each family module (``metrics/classification.py``, ...) registers its metrics at import time.
"""

from __future__ import annotations

import gc
import inspect
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Iterator, Sequence

import numpy as np

__all__ = [
    "Metric",
    "MetricInputError",
    "register",
    "get",
    "names",
    "score",
    "parameters",
    "PREDICTION_NAMES",
    "as_1d",
    "as_2d",
    "as_float",
    "check_same_length",
    "check_same_shape",
    "check_finite",
    "check_probabilities",
    "check_binary",
    "check_not_empty",
    "group_codes",
    "paused_gc",
    "column_means",
    "finite_result",
]


#: Parameter names that mean the prediction, the metric's second positional argument: reported as "y_pred".
PREDICTION_NAMES = frozenset({"y_pred", "y_prob", "y_score"})


class MetricInputError(ValueError):
    """Raised when a metric's inputs cannot be scored; the message names the problem and the fix.

    ``argument`` says which argument is at fault: ``"y_true"`` (the first positional argument), ``"y_pred"``
    (the second, whatever the metric calls it: ``y_prob``, ``y_score``), or the name of the keyword
    parameter (``"groups"``, ``"eps"``...); ``"name"`` for an unknown metric name. When two arguments
    disagree (lengths, label kinds) it is the second one named, the one that does not match.

    >>> import metrics
    >>> try:
    ...     metrics.score("rmse", [1.0, 2.0], [1.0])
    ... except metrics.MetricInputError as err:
    ...     print(err, "|", err.argument)
    rmse: y_true has 2 rows but y_pred has 1; pass one prediction per true value | y_pred
    """

    def __init__(self, message: str, *, argument: str | None = None) -> None:
        super().__init__(message)
        if argument is not None:
            argument = argument.split("[", 1)[0]  # "subgroups['male']" is the argument subgroups
        self.argument = "y_pred" if argument in PREDICTION_NAMES else argument


@dataclass(frozen=True)
class Metric:
    """A registered metric: its name, direction, bounds and function.

    ``bounds`` is ``(low, high)``; either may be ``-inf``/``inf``. ``fn(y_true, y_pred, **params)``
    returns a Python float.
    """

    name: str
    fn: Callable[..., float]
    higher_is_better: bool
    bounds: tuple[float, float]
    aliases: tuple[str, ...] = ()
    description: str = ""
    default_params: dict[str, Any] = field(default_factory=dict)

    @property
    def best(self) -> float:
        """The best value the metric can take (the bound in its direction)."""
        return self.bounds[1] if self.higher_is_better else self.bounds[0]

    @property
    def worst(self) -> float:
        """The worst value the metric can take (the bound opposite its direction)."""
        return self.bounds[0] if self.higher_is_better else self.bounds[1]

    def __call__(self, y_true: Any, y_pred: Any, **params: Any) -> float:
        return score(self.name, y_true, y_pred, **params)


_REGISTRY: dict[str, Metric] = {}
_ALIASES: dict[str, str] = {}


def register(
    name: str,
    *,
    higher_is_better: bool,
    bounds: tuple[float, float],
    aliases: Sequence[str] = (),
    description: str = "",
) -> Callable[[Callable[..., float]], Callable[..., float]]:
    """Decorator that registers ``fn`` under ``name`` (and its aliases) and returns it unchanged."""

    def decorate(fn: Callable[..., float]) -> Callable[..., float]:
        for key in (name, *aliases):
            if key in _REGISTRY or key in _ALIASES:
                raise RuntimeError(f"metric name {key!r} registered twice")
        metric = Metric(
            name=name,
            fn=fn,
            higher_is_better=higher_is_better,
            bounds=(float(bounds[0]), float(bounds[1])),
            aliases=tuple(aliases),
            description=description or (fn.__doc__ or "").strip().splitlines()[0],
        )
        _REGISTRY[name] = metric
        for alias in aliases:
            _ALIASES[alias] = name
        return fn

    return decorate


def get(name: str) -> Metric:
    """Return the :class:`Metric` registered under ``name`` or one of its aliases.

    >>> import metrics
    >>> m = metrics.get("roc_auc")
    >>> (m.name, m.higher_is_better, m.bounds)
    ('auc', True, (0.0, 1.0))
    """
    key = _ALIASES.get(name, name)
    try:
        return _REGISTRY[key]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise MetricInputError(f"unknown metric {name!r}; known metrics: {known}", argument="name") from None


def names() -> list[str]:
    """The canonical names of every registered metric, sorted (aliases not included).

    >>> import metrics
    >>> "auc" in metrics.names() and "map_at_k" in metrics.names()
    True
    """
    return sorted(_REGISTRY)


def score(name: str, y_true: Any, y_pred: Any, **params: Any) -> float:
    """Score ``y_pred`` against ``y_true`` with the metric ``name``; returns a Python float.

    Bad inputs raise :class:`MetricInputError` (a ``ValueError``) naming the problem.

    >>> import metrics
    >>> metrics.score("accuracy", [0, 1, 1, 0], [0, 1, 0, 0])
    0.75
    """
    metric = get(name)
    unknown = [key for key in params if key not in parameters(metric.name)]
    if unknown and not _takes_any_keyword(metric.fn):
        raise MetricInputError(
            f"{metric.name}: unknown parameter(s) {unknown}; its parameters are {sorted(parameters(metric.name))}",
            argument=unknown[0],
        )
    return float(metric.fn(y_true, y_pred, **params))


def parameters(name: str) -> frozenset[str]:
    """The keyword parameters of a metric: those of its function after ``y_true`` and the prediction.

    >>> import metrics
    >>> sorted(parameters("pearson"))
    ['constant']
    """
    return _parameters(get(name).fn)


@lru_cache(maxsize=None)
def _parameters(fn: Callable[..., float]) -> frozenset[str]:
    params = list(inspect.signature(fn).parameters.values())[2:]
    return frozenset(p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))


@lru_cache(maxsize=None)
def _takes_any_keyword(fn: Callable[..., float]) -> bool:
    return any(p.kind is p.VAR_KEYWORD for p in inspect.signature(fn).parameters.values())


# ---------------------------------------------------------------------------------------------
# Shared input checks. Each raises MetricInputError with the metric's name and a fix.
# ---------------------------------------------------------------------------------------------


def _to_array(values: Any, metric: str, what: str, dtype: Any = None) -> np.ndarray:
    if values is None:
        raise MetricInputError(f"{metric}: {what} is None; pass an array-like", argument=what)
    try:
        arr = np.asarray(values, dtype=dtype)
    except (ValueError, TypeError) as err:
        raise MetricInputError(
            f"{metric}: {what} cannot be read as an array ({err}); pass a rectangular array-like",
            argument=what,
        ) from None
    if arr.dtype == object and dtype is None:
        # Ragged input (lists of different lengths) becomes an object array: say so plainly.
        if arr.ndim == 1 and len(arr) and all(isinstance(v, (list, tuple, np.ndarray)) for v in arr):
            raise MetricInputError(
                f"{metric}: {what} is ragged; every row needs the same number of values",
                argument=what,
            )
    return arr


def as_float(values: Any, metric: str, what: str) -> np.ndarray:
    """``values`` as a float64 array; text or other non-numbers raise MetricInputError."""
    arr = _to_array(values, metric, what)
    if arr.dtype.kind in "fiub":
        return arr.astype(np.float64, copy=False)
    try:
        return arr.astype(np.float64)
    except (ValueError, TypeError):
        flat = arr.ravel()
        bad = []
        for v in flat[: min(len(flat), 100_000)]:
            try:
                float(v)
            except (ValueError, TypeError):
                bad.append(v)
                if len(bad) == 3:
                    break
        raise MetricInputError(
            f"{metric}: {what} holds values that are not numbers (e.g. {bad!r}); pass numeric values",
            argument=what,
        ) from None


def check_not_empty(arr: np.ndarray, metric: str, what: str = "y_true") -> None:
    """Raise if ``arr`` has no rows."""
    if arr.ndim == 0 or arr.shape[0] == 0:
        raise MetricInputError(f"{metric}: {what} is empty; pass at least one row", argument=what)


def as_1d(values: Any, metric: str, what: str, *, numeric: bool = True) -> np.ndarray:
    """``values`` as a non-empty 1-D array (float64 when ``numeric``); a column vector is flattened."""
    arr = as_float(values, metric, what) if numeric else _to_array(values, metric, what)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise MetricInputError(
            f"{metric}: {what} must be 1-D, got shape {arr.shape}; pass one value per row",
            argument=what,
        )
    check_not_empty(arr, metric, what)
    return arr


def as_2d(values: Any, metric: str, what: str, *, numeric: bool = True) -> np.ndarray:
    """``values`` as a non-empty 2-D array (rows x columns); a 1-D array becomes one column."""
    arr = as_float(values, metric, what) if numeric else _to_array(values, metric, what)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise MetricInputError(f"{metric}: {what} must be 2-D (rows x columns), got shape {arr.shape}", argument=what)
    check_not_empty(arr, metric, what)
    return arr


def check_same_length(metric: str, *named: tuple[str, Any]) -> int:
    """Raise unless every named array has the same number of rows; return that number.

    >>> check_same_length("rmse", ("y_true", [1, 2]), ("y_pred", [3, 4]))
    2
    """
    lengths = [(what, len(values)) for what, values in named]
    first_what, first_len = lengths[0]
    for what, n in lengths[1:]:
        if n != first_len:
            raise MetricInputError(
                f"{metric}: {first_what} has {first_len} rows but {what} has {n}; "
                "pass one prediction per true value",
                argument=what,
            )
    return first_len


def check_same_shape(
    metric: str, first: tuple[str, np.ndarray], second: tuple[str, np.ndarray], fix: str = "pass matching shapes"
) -> None:
    """Raise unless the two named arrays have the same shape.

    >>> check_same_shape("m", ("y_true", np.zeros((2, 3))), ("y_pred", np.zeros((2, 2))))
    Traceback (most recent call last):
    ...
    metrics._core.MetricInputError: m: y_true has shape (2, 3) but y_pred has (2, 2); pass matching shapes
    """
    (a_name, a), (b_name, b) = first, second
    if a.shape != b.shape:
        raise MetricInputError(
            f"{metric}: {a_name} has shape {a.shape} but {b_name} has {b.shape}; {fix}",
            argument=b_name,
        )


def check_finite(arr: np.ndarray, metric: str, what: str) -> None:
    """Raise if a float array holds NaN or infinity, with how many and where the first one is."""
    if arr.dtype.kind != "f":
        return
    bad = ~np.isfinite(arr)
    if bad.any():
        n_nan = int(np.isnan(arr).sum())
        n_inf = int(bad.sum()) - n_nan
        first = int(np.flatnonzero(bad.ravel())[0])
        row = first // (arr.shape[1] if arr.ndim == 2 else 1)
        parts = []
        if n_nan:
            parts.append(f"{n_nan} NaN")
        if n_inf:
            parts.append(f"{n_inf} infinite")
        raise MetricInputError(
            f"{metric}: {what} holds {' and '.join(parts)} value(s) (first at row {row}); "
            "fill or drop them before scoring",
            argument=what,
        )


def check_probabilities(arr: np.ndarray, metric: str, what: str = "y_pred") -> None:
    """Raise unless every value is a finite number in [0, 1]."""
    check_finite(arr, metric, what)
    bad = (arr < 0) | (arr > 1)
    if bad.any():
        examples = arr[bad][:3].tolist()
        raise MetricInputError(
            f"{metric}: {what} holds {int(bad.sum())} value(s) outside [0, 1] (e.g. {examples}); "
            "pass probabilities",
            argument=what,
        )


def check_binary(arr: np.ndarray, metric: str, what: str = "y_true") -> None:
    """Raise unless every value is 0 or 1 (bools count)."""
    check_finite(arr, metric, what)
    bad = (arr != 0) & (arr != 1)
    if bad.any():
        examples = np.unique(arr[bad])[:3].tolist()
        raise MetricInputError(
            f"{metric}: {what} must hold only 0 and 1, found {int(bad.sum())} other value(s) "
            f"(e.g. {examples}); encode the positive class as 1",
            argument=what,
        )



def group_codes(groups: Any, n: int, metric: str) -> tuple[np.ndarray, int]:
    """Integer codes 0..G-1 for a group label per row (groups in sorted order), and G.

    >>> codes, n_groups = group_codes(["b", "a", "b"], 3, "m")
    >>> codes.tolist(), n_groups
    ([1, 0, 1], 2)
    """
    g = np.asarray(groups)
    if g.ndim == 2 and g.shape[1] == 1:
        g = g[:, 0]
    if g.ndim != 1:
        raise MetricInputError(
            f"{metric}: groups must be 1-D (one group label per row), got shape {g.shape}",
            argument="groups",
        )
    check_same_length(metric, ("y_true", range(n)), ("groups", g))
    if g.dtype.kind == "f":
        check_finite(g, metric, "groups")
    if g.dtype.kind in "OUS":
        # Hash the labels (a dict), then order the few distinct ones: sorting a million strings is slow.
        labels = g.astype(str).tolist() if g.dtype == object else g.tolist()
        first_seen = {label: i for i, label in enumerate(dict.fromkeys(labels))}
        rank = np.empty(len(first_seen), dtype=np.int64)
        rank[[first_seen[k] for k in sorted(first_seen)]] = np.arange(len(first_seen))
        codes = rank[np.fromiter(map(first_seen.__getitem__, labels), dtype=np.int64, count=len(labels))]
        return codes, len(first_seen)
    _, codes = np.unique(g, return_inverse=True)
    codes = codes.reshape(-1).astype(np.int64)
    return codes, int(codes.max()) + 1


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector inside the block (restored after, even on error).

    Building one small container per row (sets, lists) makes the collector scan every live one over and
    over; the containers made here hold strings only, so no cycle can form.

    >>> with paused_gc():
    ...     sizes = list(map(len, map(set, ["aab", "c"])))
    >>> sizes
    [2, 1]
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def finite_result(value: float, metric: str, *named: tuple[str, np.ndarray]) -> float:
    """``value``, checked after the fact: a NaN or infinite result runs :func:`check_finite` on the inputs.

    A metric whose every NaN or infinite input makes its result NaN or infinite can skip the up-front scan
    (a pass over every input); the error is the same one, raised only when something is wrong. A result
    that is infinite from finite inputs (an overflow) is returned as it is.

    >>> finite_result(2.0, "rmse", ("y_true", np.array([np.nan])))   # a finite result: no scan
    2.0
    >>> finite_result(float("nan"), "rmse", ("y_true", np.array([1.0, np.nan])))
    Traceback (most recent call last):
    ...
    metrics._core.MetricInputError: rmse: y_true holds 1 NaN value(s) (first at row 1); fill or drop them before scoring
    """
    if not np.isfinite(value):
        for what, arr in named:
            check_finite(arr, metric, what)
    return value


def column_means(a: np.ndarray) -> np.ndarray:
    """The mean of each column of a 2-D array, each taken as numpy's 1-D mean of that column.

    ``a.mean(axis=0)`` on a tall array of a few columns runs numpy's inner loop a few elements at a time
    (ten times slower here) and adds row after row; a column at a time is fast and sums pairwise, as
    scikit-learn does on each column.

    >>> column_means(np.array([[1.0, 10.0], [2.0, 20.0], [6.0, 30.0]])).tolist()
    [3.0, 20.0]
    """
    return np.array([a[:, j].mean() for j in range(a.shape[1])])
