"""Random cases for the ranking metrics (auc, auc_mean_columnwise, weighted_auc, jigsaw_bias_auc, lwlrap,
map_at_k), used by the shared property suite."""

from __future__ import annotations

import numpy as np

from tests.metrics.cases import Case


def _labels(rng: np.random.Generator, n: int) -> np.ndarray:
    y = rng.integers(0, 2, n)
    y[:2] = [0, 1]
    return y[rng.permutation(n)]


def _separating(rng: np.random.Generator, y: np.ndarray) -> np.ndarray:
    """Scores ranking every positive above every negative."""
    return np.where(y == 1, 0.6 + 0.4 * rng.random(y.shape), 0.4 * rng.random(y.shape))


def _flip_one_pair(y: np.ndarray, scores: np.ndarray) -> np.ndarray:
    worse = scores.copy()
    worse[np.flatnonzero(y == 1)[0]] = -1.0
    worse[np.flatnonzero(y == 0)[0]] = 2.0
    return worse


def _binary(rng, n):
    y = _labels(rng, n)
    perfect = _separating(rng, y)
    return y, perfect, _flip_one_pair(y, perfect), {}


def _binary_dtype(y, s, params):
    return y.astype(bool).tolist(), list(s), params


def _columns(rng, n):
    y = np.column_stack([_labels(rng, n) for _ in range(3)])
    perfect = _separating(rng, y)
    worse = perfect.copy()
    worse[:, 1] = _flip_one_pair(y[:, 1], perfect[:, 1])
    return y, perfect, worse, {}


def _columns_ignored(rng, n):
    y, perfect, worse, _ = _columns(rng, n)
    unscored = rng.random(n) < 0.2
    scored_pos = np.flatnonzero((y == 1).all(axis=1) | (y == 0).all(axis=1))
    unscored[scored_pos] = False
    y = y.copy()
    y[unscored] = -1
    for j in range(y.shape[1]):  # keep both classes among scored rows
        if len(set(y[~unscored, j].tolist())) < 2:
            y[np.flatnonzero(~unscored)[:2], j] = [0, 1]
    perfect = _separating(rng, y)
    worse = perfect.copy()
    worse[:, 0] = _flip_one_pair(y[:, 0], perfect[:, 0])
    return y, perfect, worse, {"ignore_value": -1}


def _jigsaw(rng, n):
    n_groups = 3
    toxicity = np.resize([0.0, 0.3, 0.7, 1.0], n) * 1.0
    groups = np.zeros((n, n_groups))
    for j in range(n_groups):
        groups[(np.arange(n) % (2 * n_groups)) // 2 == j, j] = rng.choice([0.5, 0.8, 1.0])
    perm = rng.permutation(n)
    toxicity, groups = toxicity[perm], groups[perm]
    y = (toxicity >= 0.5).astype(int)
    perfect = _separating(rng, y)
    return toxicity, perfect, _flip_one_pair(y, perfect), {"subgroups": groups}


def _jigsaw_binarized(rng, n):
    toxicity, perfect, worse, params = _jigsaw(rng, n)
    return toxicity, perfect, worse, {**params, "binarize_predictions": True}


def _multilabel(rng, n):
    m = 6
    y = (rng.random((n, m)) < 0.25).astype(int)
    y[0] = 0
    y[0, rng.integers(0, m)] = 1
    y[y.sum(axis=1) == 0, 0] = 1
    perfect = _separating(rng, y)
    worse = perfect.copy()
    worse[0, np.flatnonzero(y[0])[0]] = -1.0
    return y, perfect, worse, {}


def _map_problem(rng, n):
    vocab = [f"a{i}" for i in range(40)]
    truth = [" ".join(rng.choice(vocab, rng.integers(1, 5), replace=False)) for _ in range(n)]
    perfect = list(truth)
    worse = list(truth)
    worse[0] = "zz"
    return truth, perfect, worse, {"k": 5}


def _map_as_lists(y, p, params):
    return [s.split() for s in y], [s.split() for s in p], params


CASES = [
    Case("auc", _binary, dtype_variant=_binary_dtype),
    Case("auc_mean_columnwise", _columns),
    Case("auc_mean_columnwise", _columns_ignored, min_rows=8),
    Case("weighted_auc", _binary, dtype_variant=_binary_dtype),
    Case("jigsaw_bias_auc", _jigsaw, min_rows=24),
    Case("jigsaw_bias_auc", _jigsaw_binarized, min_rows=24),
    Case("lwlrap", _multilabel),
    Case("map_at_k", _map_problem, dtype_variant=_map_as_lists),
]
