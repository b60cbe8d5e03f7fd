"""Text metrics: edit distances on strings or token sequences, and word-set Jaccard.

Edit distances are rapidfuzz's C++ Levenshtein (the kernel the ``Levenshtein`` package MLE-bench calls
wraps), in one batch call over all pairs. Word sets are Python's own ``str.lower``/``str.split``/``set``,
chained with ``map`` so that no Python bytecode runs per row.
"""

from __future__ import annotations

from itertools import chain
from typing import Any, Sequence

import numpy as np

from metrics._core import MetricInputError, check_same_length, paused_gc, register

__all__ = [
    "levenshtein_mean", "levenshtein_normalized", "jaccard_word", "levenshtein_distances", "int_rows", "split_rows",
]

# ---------------------------------------------------------------------------------------------
# Input readers
# ---------------------------------------------------------------------------------------------


def _string_list(values: Any, metric: str, what: str) -> list[str]:
    """``values`` as a non-empty list of Python strings; NaN/None and other non-strings raise."""
    if values is None:
        raise MetricInputError(f"{metric}: {what} is None; pass a sequence of strings", argument=what)
    if isinstance(values, str):
        raise MetricInputError(
            f"{metric}: {what} is a single string; pass a sequence of strings, one per row",
            argument=what,
        )
    if isinstance(values, np.ndarray) and values.ndim != 1:
        raise MetricInputError(
            f"{metric}: {what} must be 1-D, got shape {values.shape}; pass one string per row",
            argument=what,
        )
    rows = values if type(values) is list else list(values)  # read only: a list needs no copy
    if not rows:
        raise MetricInputError(f"{metric}: {what} is empty; pass at least one row", argument=what)
    try:
        "".join(rows)  # one C pass: a TypeError names no row, so only then look for the bad ones
    except TypeError:
        is_str = np.fromiter(map(isinstance, rows, [str] * len(rows)), dtype=bool, count=len(rows))
        bad = np.flatnonzero(~is_str)
        examples = [rows[i] for i in bad[:3]]
        raise MetricInputError(
            f"{metric}: {what} holds {len(bad)} value(s) that are not strings (first at row {int(bad[0])}, "
            f"e.g. {examples!r}); fill missing values (NaN/None) with '' or cast them to str",
            argument=what,
        ) from None
    return rows


_SEP = "\x01"  # not whitespace, and numpy keeps it (it strips trailing NULs)


def split_rows(rows: list[str]) -> tuple[list[str], np.ndarray]:
    """Whitespace-split every string: all tokens back to back, and how many each row has.

    One ``split`` of the joined text, with a separator token between rows, instead of one list per row
    (a million small lists make Python's garbage collector crawl).

    >>> split_rows(["a b", "", " c "])
    (['a', 'b', 'c'], array([2, 0, 1]))
    """
    n = len(rows)
    joined = f" {_SEP} ".join(rows)
    if joined.count(_SEP) == n - 1:
        tokens = joined.split()
        boundaries = np.flatnonzero(np.array(tokens, dtype=object) == _SEP)
        counts = np.diff(np.concatenate([[-1], boundaries, [len(tokens)]])) - 1
        return list(filter(_SEP.__ne__, tokens)), counts.astype(np.int64)
    # a row holds the separator character itself: split row by row
    per_row = list(map(str.split, rows))
    return list(chain.from_iterable(per_row)), np.fromiter(map(len, per_row), dtype=np.int64, count=n)


def int_rows(rows: Sequence[Any], metric: str, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Parse rows of integers (space-separated strings, or sequences of ints) into ``(values, counts)``.

    ``values`` holds every row's integers back to back and ``counts`` how many each row has. Tokens are
    parsed with Python's ``int`` (as ``map(int, s.split())`` does); anything else raises MetricInputError,
    whose ``rows`` attribute holds the index of the first bad row.

    >>> values, counts = int_rows(["3 1 2", "", "7"], "demo", "y_true")
    >>> values.tolist(), counts.tolist()
    ([3, 1, 2, 7], [3, 0, 1])
    """
    rows = list(rows)
    if all(map(isinstance, rows, [str] * len(rows))):
        parsed = _decimal_rows(rows)
        if parsed is not None:
            return parsed
        flat, counts = split_rows(rows)
    else:
        tokens = [r.split() if isinstance(r, str) else _int_sequence(r, metric, what, i) for i, r in enumerate(rows)]
        counts = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
        flat = list(chain.from_iterable(tokens))
    if not flat:
        return np.zeros(0, dtype=np.int64), counts
    try:
        values = np.array(flat, dtype=np.int64)
    except (ValueError, TypeError, OverflowError):
        row_of = np.repeat(np.arange(len(rows)), counts)
        for pos, tok in enumerate(flat):
            try:
                if not -(2**63) <= int(tok) < 2**63:
                    raise OverflowError
            except (ValueError, TypeError, OverflowError):
                error = MetricInputError(
                    f"{metric}: {what} row {int(row_of[pos])} holds {tok!r}, which is not an integer; "
                    "write each row as integers separated by spaces",
                    argument=what,
                )
                error.rows = np.array([int(row_of[pos])])
                raise error from None
        raise
    return values, counts


def _decimal_rows(rows: list[str]) -> tuple[np.ndarray, np.ndarray] | None:
    """``int_rows`` for rows of plain decimal integers, split and parsed in Arrow's C++ kernels; None
    for anything else (a sign ``+``, ``_``, non-ASCII digits, a bad token: Python's ``int`` then decides).

    Arrow splits on exactly the characters ``str.split()`` does (every code point is checked in the
    tests) but keeps empty strings at the ends, which are dropped here. Its integer parser also reads
    ``0x`` hexadecimal, which Python's ``int`` rejects, so text holding an ``x`` goes the Python way.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    text = "".join(rows)
    if "x" in text or "X" in text:
        return None
    lists = pc.utf8_split_whitespace(pa.array(rows, type=pa.large_string()))
    tokens = lists.values
    keep = np.asarray(pc.binary_length(tokens)) > 0
    try:
        values = np.asarray(pc.cast(tokens.filter(pa.array(keep)), pa.int64()))
    except pa.ArrowInvalid:
        return None
    row = np.repeat(np.arange(len(rows)), np.diff(np.asarray(lists.offsets)))
    return values, np.bincount(row[keep], minlength=len(rows)).astype(np.int64)


def _int_sequence(row: Any, metric: str, what: str, i: int) -> list[Any]:
    """One row given as a sequence: its integers (as ints, or as text for ``int`` to parse)."""
    if isinstance(row, float) and row != row:
        raise MetricInputError(
            f"{metric}: {what} row {i} is missing (NaN); write an empty string for an empty sequence",
            argument=what,
        )
    try:
        arr = np.asarray(list(row))
    except (TypeError, ValueError):
        raise MetricInputError(
            f"{metric}: {what} row {i} is {row!r}; pass a list of integers or a space-separated string",
            argument=what,
        ) from None
    if arr.dtype.kind in "iub" or arr.size == 0:
        return arr.astype(np.int64).tolist()
    if arr.dtype.kind == "f" and np.isfinite(arr).all() and (arr == np.round(arr)).all():
        return arr.astype(np.int64).tolist()
    if arr.dtype.kind in "UO":
        return arr.tolist()  # parsed by int() with the string rows
    error = MetricInputError(
        f"{metric}: {what} row {i} holds values that are not integers; pass integer labels",
        argument=what,
    )
    error.rows = np.array([i])
    raise error


def _dense_codes(flat: np.ndarray) -> tuple[np.ndarray, int]:
    """``flat`` renumbered 0..k-1 (same order), and k."""
    if flat.size == 0:
        return flat, 1
    low, high = int(flat.min()), int(flat.max())
    if high - low < 1 << 22:  # characters and small token ids: a lookup table, no sort
        present = np.zeros(high - low + 1, dtype=bool)
        present[flat - low] = True
        remap = np.cumsum(present) - 1
        return remap[flat - low], int(present.sum())
    alphabet, codes = np.unique(flat, return_inverse=True)
    return codes.reshape(-1), len(alphabet)


#: one more than the largest code point a Python string holds
_CODE_POINTS = 0x110000


def _as_strings(codes: np.ndarray, lengths: np.ndarray, sigma: int) -> list[Any]:
    """Each sequence of dense codes as one Python string (a code per character), for rapidfuzz.

    Lone surrogates are fine: rapidfuzz compares code points, never decodes. Beyond 1,114,112 distinct
    codes the rows go as lists of ints (rapidfuzz hashes them; slower, same distance).
    """
    ends = np.cumsum(lengths)
    if sigma > _CODE_POINTS:
        return [row.tolist() for row in np.split(codes, ends[:-1])]
    text = codes.astype("<u4").tobytes().decode("utf-32-le", "surrogatepass")
    return list(map(text.__getitem__, map(slice, (ends - lengths).tolist(), ends.tolist())))


def _pair_distances(a: list[Any], b: list[Any]) -> np.ndarray:
    """Levenshtein distance of each pair ``(a[i], b[i])``: rapidfuzz's C++ kernel on all cores."""
    from rapidfuzz.distance import Levenshtein
    from rapidfuzz.process import cpdist

    return cpdist(a, b, scorer=Levenshtein.distance, dtype=np.int64, workers=-1)


def levenshtein_distances(
    a_flat: np.ndarray, a_len: np.ndarray, b_flat: np.ndarray, b_len: np.ndarray
) -> np.ndarray:
    """Levenshtein distance of each pair of sequences given back to back (``flat``) with their lengths.

    Insertions, deletions and substitutions each cost 1, as ``Levenshtein.distance`` counts them. Each
    sequence becomes a string of one character per distinct value, scored by rapidfuzz in one batch call.

    >>> a = np.array([1, 2, 3, 1, 2]); b = np.array([1, 3, 9, 9])
    >>> levenshtein_distances(a, np.array([3, 2]), b, np.array([2, 2])).tolist()
    [1, 2]
    """
    a_len = np.asarray(a_len, dtype=np.int64)
    b_len = np.asarray(b_len, dtype=np.int64)
    codes, sigma = _dense_codes(np.concatenate([np.asarray(a_flat, dtype=np.int64), np.asarray(b_flat, dtype=np.int64)]))
    n_a = int(a_len.sum())
    return _pair_distances(_as_strings(codes[:n_a], a_len, sigma), _as_strings(codes[n_a:], b_len, sigma))


# ---------------------------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------------------------


@register("levenshtein_mean", higher_is_better=False, bounds=(0.0, np.inf), aliases=("mean_levenshtein",))
def levenshtein_mean(y_true: Any, y_pred: Any) -> float:
    """Mean character-level Levenshtein distance between true and predicted strings, over rows.

    Parameters
    ----------
    y_true, y_pred : sequence of str
        One string per row. Missing values (NaN/None) raise: fill them first (MLE-bench's
        bms-molecular-translation grader casts NaN to the string ``"nan"``; billion-word-imputation
        rejects it).

    >>> levenshtein_mean(["kitten", "abc"], ["sitting", "abc"])
    1.5
    """
    metric = "levenshtein_mean"
    t = _string_list(y_true, metric, "y_true")
    p = _string_list(y_pred, metric, "y_pred")
    n = check_same_length(metric, ("y_true", t), ("y_pred", p))
    return float(_pair_distances(t, p).sum() / n)


@register("levenshtein_normalized", higher_is_better=False, bounds=(0.0, np.inf), aliases=("gesture_edit_distance",))
def levenshtein_normalized(y_true: Any, y_pred: Any) -> float:
    """Token-level Levenshtein distance summed over rows, divided by the total number of true tokens.

    The multi-modal gesture recognition score: an error rate that can exceed 1.

    Parameters
    ----------
    y_true, y_pred : sequence of rows
        Each row a sequence of integers or a string of integers separated by whitespace. A row of
        ``y_pred`` may be empty; ``y_true`` must hold at least one token in all.

    >>> levenshtein_normalized(["1 2 3", "4 5"], ["1 3", "4 5 6"])
    0.4
    """
    metric = "levenshtein_normalized"
    t_rows = _rows(y_true, metric, "y_true")
    p_rows = _rows(y_pred, metric, "y_pred")
    check_same_length(metric, ("y_true", t_rows), ("y_pred", p_rows))
    t_flat, t_len = int_rows(t_rows, metric, "y_true")
    p_flat, p_len = int_rows(p_rows, metric, "y_pred")
    total = int(t_len.sum())
    if total == 0:
        raise MetricInputError(
            f"{metric}: y_true holds no tokens at all, so the error rate is undefined; "
            "pass at least one true token",
            argument="y_true",
        )
    return float(levenshtein_distances(t_flat, t_len, p_flat, p_len).sum() / total)


def _rows(values: Any, metric: str, what: str) -> list[Any]:
    if values is None or isinstance(values, str):
        raise MetricInputError(
            f"{metric}: {what} must be a sequence of rows, got {type(values).__name__}",
            argument=what,
        )
    rows = list(values)
    if not rows:
        raise MetricInputError(f"{metric}: {what} is empty; pass at least one row", argument=what)
    return rows


#: rows per chunk of word sets
_CHUNK = 256


def _lowered(rows: list[str]) -> list[str]:
    """``[r.lower() for r in rows]`` in one ``lower`` call on the rows joined by NUL.

    NUL is neither cased nor case-ignorable, so it bounds the context of a final sigma just as the end of
    a string does: the result is the same, character for character.

    >>> _lowered(["ΟΔΟΣ", "ÀB", ""])
    ['οδος', 'àb', '']
    """
    text = "\x00".join(rows)
    if text.count("\x00") != len(rows) - 1:  # a row holds NUL itself
        return list(map(str.lower, rows))
    return text.lower().split("\x00")


@register("jaccard_word", higher_is_better=True, bounds=(0.0, 1.0), aliases=("word_jaccard",))
def jaccard_word(y_true: Any, y_pred: Any, lowercase: bool = True, both_empty: float | str = "raise") -> float:
    """Mean over rows of the Jaccard index of the two strings' word sets (split on whitespace).

    Parameters
    ----------
    y_true, y_pred : sequence of str
        One text per row; missing values (NaN/None) raise (both MLE-bench graders fill them with '').
    lowercase : bool
        Compare words case-insensitively (both competitions do).
    both_empty : "raise" or float
        Score of a row where both texts have no words. The default follows Kaggle's
        tweet-sentiment-extraction formula, which divides by zero there, so such a row raises
        MetricInputError (MLE-bench v1 then reports the submission invalid). MLE-bench v1 grades
        chaii-hindi-and-tamil-question-answering with scikit-learn's ``jaccard_score``, which scores
        such a row 0: pass ``both_empty=0.0``.

    >>> jaccard_word(["the cat sat", "Hello"], ["The cat", "world"])
    0.3333333333333333
    >>> jaccard_word(["", "a"], ["", "a"], both_empty=0.0)
    0.5
    """
    metric = "jaccard_word"
    if not (both_empty == "raise" or isinstance(both_empty, (int, float)) and not isinstance(both_empty, bool)):
        raise MetricInputError(
            f"{metric}: both_empty must be 'raise' or a number, got {both_empty!r}",
            argument="both_empty",
        )
    t = _string_list(y_true, metric, "y_true")
    p = _string_list(y_pred, metric, "y_pred")
    n = check_same_length(metric, ("y_true", t), ("y_pred", p))
    n_shared, n_t, n_p = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    with paused_gc():  # live sets would make the collector rescan them again and again
        for lo in range(0, n, _CHUNK):  # chunks of rows: their sets stay in cache and their memory is reused
            hi = min(n, lo + _CHUNK)
            t_sets = list(map(set, map(str.split, _lowered(t[lo:hi]) if lowercase else t[lo:hi])))
            p_sets = list(map(set, map(str.split, _lowered(p[lo:hi]) if lowercase else p[lo:hi])))
            n_shared[lo:hi] = np.fromiter(map(len, map(set.intersection, t_sets, p_sets)), np.int64, hi - lo)
            n_t[lo:hi] = np.fromiter(map(len, t_sets), np.int64, hi - lo)
            n_p[lo:hi] = np.fromiter(map(len, p_sets), np.int64, hi - lo)
    n_union = n_t + n_p - n_shared
    empty = n_union == 0
    if empty.any():
        if both_empty == "raise":
            first = int(np.flatnonzero(empty)[0])
            raise MetricInputError(
                f"{metric}: {int(empty.sum())} row(s) have no words in either text (first at row {first}); "
                "the Jaccard index is undefined there (Kaggle's formula divides by zero). "
                "Pass both_empty=0.0 (or 1.0) to score such rows",
                argument="y_pred",
            )
    scores = np.divide(n_shared, n_union, out=np.full(n, float(both_empty) if empty.any() else 0.0), where=~empty)
    return float(np.mean(scores))
