"""Random problems for the shared property suite: one or more cases per classification metric."""

from __future__ import annotations

import numpy as np

from tests.metrics.cases import Case


def _labels(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """n labels from 0..k-1 with every class present at least once (n >= k)."""
    y = rng.integers(0, k, n)
    y[:k] = np.arange(k)
    return rng.permutation(y)


def _flip_some(rng: np.random.Generator, y: np.ndarray, k: int) -> np.ndarray:
    """A copy of ``y`` with at least one label changed to another class."""
    worse = y.copy()
    wrong = rng.random(len(y)) < 0.3
    wrong[rng.integers(len(y))] = True
    worse[wrong] = (worse[wrong] + rng.integers(1, k, wrong.sum())) % k
    return worse


def _label_problem(rng: np.random.Generator, n: int):
    k = int(rng.integers(2, 5))
    y = _labels(rng, n, k)
    return y, y.copy(), _flip_some(rng, y, k), {}


def _as_float_labels(y_true, y_pred, params):
    return np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float), params


def _as_text_labels(y_true, y_pred, params):
    return [f"c{v}" for v in y_true], [f"c{v}" for v in y_pred], params


def _binary_problem(rng: np.random.Generator, n: int):
    y = _labels(rng, n, 2)
    worse = y.copy()
    flip = rng.choice(n, size=max(1, n // 4), replace=False)
    worse[flip] = 1 - worse[flip]
    return y, y.copy(), worse, {}


def _as_bools(y_true, y_pred, params):
    return np.asarray(y_true).astype(bool), np.asarray(y_pred).astype(bool), params


def _rating_problem(rng: np.random.Generator, n: int):
    y = _labels(rng, n, 5) + 1
    worse = np.clip(y + rng.integers(-2, 3, n), 1, 5)
    worse[0] = 5 if y[0] != 5 else 1
    return y, y.copy(), worse, {}


def _observed_rating_problem(rng: np.random.Generator, n: int):
    y, perfect, worse, _ = _rating_problem(rng, n)
    return y, perfect, worse, {"labels": "observed"}


def _multilabel_rows(rng: np.random.Generator, n: int, vocab: list[str]) -> list[str]:
    return [" ".join(rng.choice(vocab, size=int(rng.integers(1, 4)), replace=False)) for _ in range(n)]


def _multilabel_problem(rng: np.random.Generator, n: int):
    vocab = [f"tag{i}" for i in range(8)]
    y = _multilabel_rows(rng, n, vocab)
    worse = list(y)
    for i in rng.choice(n, size=max(1, n // 3), replace=False):
        worse[i] = "tag0 unseen" if y[i] != "tag0" else "tag1"
    return y, list(y), worse, {"multilabel": True, "drop_unseen_predictions": bool(rng.integers(0, 2))}


def _as_label_lists(y_true, y_pred, params):
    return [row.split() for row in y_true], [row.split() for row in y_pred], {
        k: v for k, v in params.items() if k != "multilabel"
    }


def _true_as_bools(y_true, y_pred, params):
    return np.asarray(y_true).astype(bool), y_pred, params


def _pf1_problem(rng: np.random.Generator, n: int):
    y = _labels(rng, n, 2)
    perfect = y.astype(float)
    worse = np.clip(perfect + rng.uniform(-0.6, 0.6, n), 0, 1)
    worse[np.flatnonzero(y == 0)[0]] = 0.9
    return y, perfect, worse, {}


CASES = [
    Case("accuracy", _label_problem, dtype_variant=_as_float_labels),
    Case("accuracy", _label_problem, dtype_variant=_as_text_labels),
    Case("top1_error", _label_problem, dtype_variant=_as_text_labels),
    Case("f1_macro", _label_problem, dtype_variant=_as_text_labels),
    Case("f1_micro", _label_problem, dtype_variant=_as_float_labels),
    Case("f1_micro", _multilabel_problem, dtype_variant=_as_label_lists),
    Case("mcc", _binary_problem, dtype_variant=_as_bools),
    Case("qwk", _rating_problem, dtype_variant=_as_float_labels, min_rows=5),
    Case("qwk", _observed_rating_problem, dtype_variant=_as_float_labels, min_rows=5),
    Case("pf1", _pf1_problem, dtype_variant=_true_as_bools),
]
