"""Random cases for the correlation metrics (pearson, spearman_mean_columnwise, kendall_tau), used by the
shared property suite."""

from __future__ import annotations

import numpy as np

from tests.metrics.cases import Case


def _pearson(rng, n):
    x = rng.normal(size=n)
    return x, 2.0 * x + 1.0, x + rng.normal(size=n), {}


def _ints_as_floats(y, p, params):
    return np.asarray(y).tolist(), np.asarray(p).tolist(), params


def _spearman(rng, n):
    x = rng.integers(0, 5, (n, 3)).astype(float)
    x[:2] = [[0, 0, 0], [4, 4, 4]]
    perfect = np.exp(x)  # monotone: same ranks
    worse = perfect + rng.normal(scale=5.0, size=x.shape)
    worse[np.argmax(x[:, 0]), 0] = -100.0
    return x, perfect, worse, {}


def _spearman_dtype(y, p, params):
    return np.asarray(y).astype(int), p, params


def _kendall(rng, n):
    truth = [[f"c{i}_{j}" for j in range(int(rng.integers(2, 7)))] for i in range(n)]
    perfect = [list(row) for row in truth]
    worse = [list(row) for row in truth]
    worse[0][0], worse[0][1] = worse[0][1], worse[0][0]
    return truth, perfect, worse, {}


def _kendall_strings(y, p, params):
    return [" ".join(row) for row in y], [" ".join(row) for row in p], params


CASES = [
    Case("pearson", _pearson, dtype_variant=_ints_as_floats),
    Case("spearman_mean_columnwise", _spearman, dtype_variant=_spearman_dtype),
    Case("kendall_tau", _kendall, dtype_variant=_kendall_strings),
]
