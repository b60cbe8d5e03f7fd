"""Property-suite cases for the text metrics (``metrics/text.py``)."""

from __future__ import annotations

import numpy as np

from tests.metrics.cases import Case

_CHARS = np.array(list("abcXYZ =/()é漢"))
_WORDS = np.array(["the", "cat", "sat", "on", "a", "mat", "The", "dog", "ran", "fast"])


def _string(rng: np.random.Generator, low: int, high: int) -> str:
    return "".join(rng.choice(_CHARS, int(rng.integers(low, high))))


def _mutate(rng: np.random.Generator, text: str) -> str:
    """``text`` with one character replaced by one it cannot equal (so the distance grows by one)."""
    i = int(rng.integers(len(text)))
    return text[:i] + "#" + text[i + 1 :]


def _levenshtein_mean(rng: np.random.Generator, n: int):
    y_true = [_string(rng, 1, 12) for _ in range(n)]
    y_worse = [_mutate(rng, s) for s in y_true]
    return y_true, list(y_true), y_worse, {}


def _as_series(y_true, y_pred, params):
    import pandas as pd

    return pd.Series(y_true, dtype="string"), np.array(y_pred, dtype=object), params


def _sequences(rng: np.random.Generator, n: int):
    y_true = [" ".join(map(str, rng.integers(1, 21, int(rng.integers(1, 8))))) for _ in range(n)]
    y_worse = [s + " 99" for s in y_true]
    return y_true, list(y_true), y_worse, {}


def _as_int_lists(y_true, y_pred, params):
    return [[int(v) for v in s.split()] for s in y_true], [np.array(s.split(), dtype=np.int64) for s in y_pred], params


def _jaccard(rng: np.random.Generator, n: int):
    y_true = [" ".join(rng.choice(_WORDS, int(rng.integers(1, 6)))) for _ in range(n)]
    y_worse = [s + " zebra" for s in y_true]
    return y_true, [s.upper() for s in y_true], y_worse, {}


def _jaccard_chaii(rng: np.random.Generator, n: int):
    y_true, perfect, worse, _ = _jaccard(rng, n)
    y_true[0], perfect[0], worse[0] = "", "", ""  # both empty scores 0 under chaii's rule
    worse[1] = "zebra"
    return y_true, perfect, worse, {"both_empty": 0.0}


CASES = [
    Case("levenshtein_mean", _levenshtein_mean, dtype_variant=_as_series),
    Case("levenshtein_normalized", _sequences, dtype_variant=_as_int_lists),
    Case("jaccard_word", _jaccard, dtype_variant=_as_series),
]

# chaii's rule keeps a both-empty row at 0, so a perfect prediction scores below 1 there: checked in
# test_text.py rather than here.
