"""Random problems for the shared property suite: the probabilistic metrics (log losses, KL divergence)."""

from __future__ import annotations

import numpy as np

from tests.metrics.cases import Case


def _binary_labels(rng: np.random.Generator, n: int) -> np.ndarray:
    y = rng.integers(0, 2, n)
    y[:2] = [0, 1]
    return rng.permutation(y)


def _soften(rng: np.random.Generator, y: np.ndarray) -> np.ndarray:
    """Probabilities of class 1 that lean towards the truth but are never perfect."""
    return np.where(y == 1, rng.uniform(0.55, 0.95, len(y)), rng.uniform(0.05, 0.45, len(y)))


def _binary_problem(rng: np.random.Generator, n: int):
    y = _binary_labels(rng, n)
    return y, y.astype(float), _soften(rng, y), {}


def _binary_mlebench_problem(rng: np.random.Generator, n: int):
    y, perfect, worse, _ = _binary_problem(rng, n)
    return y, perfect, worse, {"eps": "float64"}


def _binary_as_bool(y_true, y_pred, params):
    return np.asarray(y_true).astype(bool), list(np.asarray(y_pred, dtype=float)), params


def _multiclass_parts(rng: np.random.Generator, n: int):
    k = int(rng.integers(2, 6))
    y = rng.integers(0, k, n)
    y[: min(k, n)] = np.arange(min(k, n))
    y = rng.permutation(y)
    perfect = np.eye(k)[y]
    noise = rng.dirichlet(np.ones(k), size=n)
    worse = 0.5 * perfect + 0.5 * noise
    return y, perfect, worse, k


def _multiclass_problem(rng: np.random.Generator, n: int):
    y, perfect, worse, _ = _multiclass_parts(rng, n)
    return y, perfect, worse, {}


def _multiclass_onehot_mlebench(rng: np.random.Generator, n: int):
    y, perfect, worse, k = _multiclass_parts(rng, n)
    return np.eye(k, dtype=int)[y], perfect, worse, {"eps": "float64", "renormalize": False}


def _multiclass_as_labels(y_true, y_pred, params):
    k = np.asarray(y_pred).shape[1]
    names = [f"class_{j}" for j in range(k)]
    return [names[i] for i in np.asarray(y_true)], y_pred, {**params, "labels": names}


def _onehot_as_float(y_true, y_pred, params):
    return np.asarray(y_true, dtype=float), np.asarray(y_pred).tolist(), params


def _weighted_problem(rng: np.random.Generator, n: int):
    n_groups = max(1, n // 4)
    groups = np.sort(rng.integers(0, n_groups, n))
    groups[0] = 0
    y = rng.integers(0, 2, n)
    kind = rng.integers(0, 8, n)  # label type: 0 = overall, 1..7 = vertebrae
    params = {
        "groups": groups,
        "positive_weights": np.where(kind == 0, 14.0, 2.0),
        "negative_weights": np.where(kind == 0, 7.0, 1.0),
    }
    return y, y.astype(float), _soften(rng, y), params


def _weighted_groups_as_text(y_true, y_pred, params):
    return y_true, y_pred, {**params, "groups": [f"study_{g}" for g in params["groups"]]}


def _kl_problem(rng: np.random.Generator, n: int):
    votes = rng.integers(0, 5, size=(n, 6))
    votes[np.arange(n), rng.integers(0, 6, n)] += 1
    perfect = votes / votes.sum(axis=1, keepdims=True)
    worse = 0.5 * perfect + 0.5 * rng.dirichlet(np.ones(6), size=n)
    return votes, perfect, worse, {}


def _kl_votes_as_float(y_true, y_pred, params):
    return np.asarray(y_true, dtype=float), y_pred, params


CASES: list[Case] = [
    Case("logloss_binary", _binary_problem, dtype_variant=_binary_as_bool),
    Case("logloss_binary", _binary_mlebench_problem, dtype_variant=_binary_as_bool),
    Case("logloss_multiclass", _multiclass_problem, dtype_variant=_multiclass_as_labels),
    Case("logloss_multiclass", _multiclass_onehot_mlebench, dtype_variant=_onehot_as_float),
    Case("logloss_weighted_multilabel", _weighted_problem, dtype_variant=_weighted_groups_as_text),
    Case("kl_divergence", _kl_problem, dtype_variant=_kl_votes_as_float),
]
