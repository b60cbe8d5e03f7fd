"""The submission contract of a competition, built from its spec and the public sample submission only.

Checks, in order: the columns (missing, extra, duplicated), dtype coercion (text in numeric columns), the ids
(no nulls, unique, equal as a set to the expected ids: counts of missing and unknown with a few examples), and
the value domains of each column (pandera checks: probabilities in [0, 1], finite numbers, labels in the
allowed set, well-formed RLE, prediction strings in whole token groups, NaN only where nullable, inf never).
The contract never sees answers, so no message can contain an answer value; when the expected ids come from
the answers (host-side grading without a sample submission), missing ids are counted but never shown.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pyarrow_
import pyarrow.compute as pc

from schemas.columns import ID_POLICIES, ROW_SUM_RULES, SubmissionColumn, SubmissionSpec
from schemas.csvio import CSVReadError, check_limits, read_csv
from schemas.ids import SubmissionIds, hash_key, joint_codes
from schemas.report import MAX_EXAMPLES, ValidationError, ValidationReport, json_safe
from schemas.specs import spec_for

__all__ = [
    "ID_POLICIES", "SubmissionContract", "CheckedSubmission", "contract_for", "validate", "validate_frame",
    "validate_submission", "validate_prepared", "read_submission", "id_key", "value_errors", "pattern_ok",
    "row_sums_ok", "row_sum_error", "row_sum_groups", "permutation_error", "token_groups_ok", "group_numbers_ok",
]

_NUMERIC = ("float", "int")
#: a submission file over this many bytes is refused before it is read (the harness may change it)
MAX_SUBMISSION_BYTES = 1 << 30
#: a submission whose header has more columns is refused before it is parsed
MAX_SUBMISSION_COLUMNS = 10_000


def _examples(values: Any) -> tuple[Any, ...]:
    return tuple(json_safe(v) for v in list(values[:MAX_EXAMPLES]))


def _to_arrow_text(series: pd.Series) -> pyarrow_.Array:
    arr = pyarrow_.array(series.astype("str"), type=pyarrow_.string(), from_pandas=True)
    # One contiguous array: pyarrow.chunked_array() of ChunkedArrays falls back to a slow per-value path.
    return arr.combine_chunks() if isinstance(arr, pyarrow_.ChunkedArray) else arr


def id_key(frame: pd.DataFrame, id_columns: tuple[str, ...] | list[str]) -> pyarrow_.Array:
    """The id of each row as one arrow string (several id columns joined by U+001F).

    >>> id_key(pd.DataFrame({"a": ["x", "y"], "b": ["1", "2"]}), ["a", "b"]).to_pylist()
    ['x\\x1f1', 'y\\x1f2']
    """
    parts = [_to_arrow_text(frame[c]) for c in id_columns]
    if len(parts) == 1:
        return parts[0]
    return pc.binary_join_element_wise(*parts, "\x1f")


# ---- vectorised checks on text columns (each returns a boolean mask, True = good) --------------------

def _tokens(text: pyarrow_.Array) -> tuple[pyarrow_.Array, np.ndarray, np.ndarray]:
    """Whitespace tokens of each row: the flat non-empty tokens, each token's row index, tokens per row."""
    lists = pc.utf8_split_whitespace(pc.utf8_trim_whitespace(text))
    flat = pc.list_flatten(lists)
    parents = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)
    nonempty = pc.not_equal(flat, "")
    flat = pc.filter(flat, nonempty)
    parents = parents[nonempty.to_numpy(zero_copy_only=False)]
    counts = np.bincount(parents, minlength=len(text))
    return flat, parents, counts


def rle_ok(series: pd.Series, empty: str | None = None) -> np.ndarray:
    """True where a run-length string is well formed: pairs of positive integers "start length", starts
    increasing and runs not overlapping; an empty string (or ``empty``, e.g. "-") is an empty mask.

    >>> rle_ok(pd.Series(["1 3 10 2", "", "5 2 6 1", "3 0", "4 2 1", "-"]), empty="-").tolist()
    [True, True, False, False, False, True]
    """
    text = pc.utf8_trim_whitespace(_to_arrow_text(series.fillna("")))
    # the shape (pairs of integers, or nothing) is checked per row by one regex; only then are tokens parsed
    good = pc.match_substring_regex(text, _RLE_SHAPE).to_numpy(zero_copy_only=False)
    if empty:
        good &= pc.not_equal(text, empty).to_numpy(zero_copy_only=False)
    parse = good & (pc.utf8_length(text).to_numpy(zero_copy_only=False) > 0)
    row_ids = np.flatnonzero(parse)
    lists = pc.utf8_split_whitespace(pc.filter(text, pyarrow_.array(parse)))
    values = pc.cast(pc.list_flatten(lists), pyarrow_.int64()).to_numpy()
    rows = row_ids[pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)][0::2]
    starts, lengths = values[0::2], values[1::2]
    bad_pair = (starts < 1) | (lengths < 1)
    same_row = rows[1:] == rows[:-1]
    overlap = same_row & (starts[1:] < starts[:-1] + lengths[:-1])
    good[np.concatenate([rows[bad_pair], rows[1:][overlap]])] = False
    if empty:
        good |= pc.equal(text, empty).to_numpy(zero_copy_only=False)
    return good


_RLE_SHAPE = r"^([0-9]{1,18}\s+[0-9]{1,18}(\s+[0-9]{1,18}\s+[0-9]{1,18})*)?$"


#: a decimal number token (Python's ``float`` also reads "1_0", "nan" and "inf": stricter here)
_NUMBER = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"


def _groups(series: pd.Series, group_size: int, separator: str | None) -> tuple[Any, np.ndarray, np.ndarray]:
    """Each value's tokens (an arrow list array), its token count, and whether the count is a whole number
    of groups. Tokens are split on any whitespace, or on exactly ``separator`` (then only an empty value has
    no tokens, and a doubled separator makes an empty token)."""
    text = _to_arrow_text(series.fillna(""))
    if separator is None:
        lists = pc.utf8_split_whitespace(pc.utf8_trim_whitespace(text))
    else:
        lists = pc.split_pattern(pc.if_else(pc.equal(text, ""), pyarrow_.scalar(None, pyarrow_.string()), text),
                                 separator)
    counts = pc.fill_null(pc.list_value_length(lists), 0).to_numpy(zero_copy_only=False).astype(np.int64)
    if separator is None:  # a blank value splits into one empty token: it has none
        counts[pc.equal(pc.utf8_trim_whitespace(text), "").to_numpy(zero_copy_only=False)] = 0
    return lists, counts, counts % int(group_size) == 0


def token_groups_ok(series: pd.Series, group_size: int, *, separator: str | None = None) -> np.ndarray:
    """True where a prediction string has a whole number of ``group_size``-token groups (empty included);
    tokens are split on any whitespace, or on exactly ``separator``.

    >>> token_groups_ok(pd.Series(["0.9 1 2 3 4", "", "0.5 1 2"]), 5).tolist()
    [True, True, False]
    >>> token_groups_ok(pd.Series(["a b c", "a  b c"]), 3, separator=" ").tolist()
    [True, False]
    """
    return _groups(series, group_size, separator)[2]


def group_numbers_ok(series: pd.Series, group_size: int, numbers: tuple[int, ...], *,
                     positive: tuple[int, ...] = (), separator: str | None = None) -> np.ndarray:
    """True where the tokens at positions ``numbers`` of each ``group_size``-token group are finite decimal
    numbers and those at ``positive`` are above 0; values not made of whole groups are left to
    :func:`token_groups_ok` (True here).

    >>> group_numbers_ok(pd.Series(["car 1 2", "car x 2", "car 1 -2", "car 1 inf", "car 1"]), 3, (1, 2),
    ...                  positive=(2,), separator=" ").tolist()
    [True, False, False, False, True]
    """
    lists, counts, whole = _groups(series, group_size, separator)
    good = np.ones(len(counts), dtype=bool)
    parsed = whole & (counts > 0)
    if not parsed.any():
        return good
    kept = pc.filter(lists, pyarrow_.array(parsed))
    flat = pc.list_flatten(kept)
    # every kept value is made of whole groups, so a token's place in its group is its flat index mod g
    in_numbers = np.zeros(int(group_size), dtype=bool)
    in_numbers[list(numbers)] = True
    position = np.arange(len(flat)) % int(group_size)
    checked = np.flatnonzero(in_numbers[position])
    tokens = flat.take(pyarrow_.array(checked))
    try:  # arrow parses what the graders' first parse accepts; only a failure needs the token-wise test
        values = pc.cast(tokens, pyarrow_.float64()).to_numpy(zero_copy_only=False)
    except pyarrow_.ArrowInvalid:
        syntax = pc.match_substring_regex(tokens, _NUMBER).to_numpy(zero_copy_only=False)
        values = np.full(len(tokens), np.nan)
        values[syntax] = pc.cast(pc.filter(tokens, pyarrow_.array(syntax)), pyarrow_.float64()).to_numpy(
            zero_copy_only=False)
    bad = ~np.isfinite(values)
    if positive:
        in_positive = np.zeros(int(group_size), dtype=bool)
        in_positive[list(positive)] = True
        bad |= in_positive[position[checked]] & ~(values > 0)
    parents = pc.list_parent_indices(kept).to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(parsed)[parents[checked[bad]]]
    good[rows] = False
    return good


def labels_in(series: pd.Series, allowed: tuple[Any, ...]) -> np.ndarray:
    """True where every space-separated label is in ``allowed``.

    >>> labels_in(pd.Series(["a b", "c", ""]), ("a", "b")).tolist()
    [True, False, True]
    """
    flat, parents, counts = _tokens(_to_arrow_text(series.fillna("")))
    ok_tok = pc.is_in(flat, value_set=pyarrow_.array([str(a) for a in allowed])).to_numpy(
        zero_copy_only=False)
    good = np.ones(len(counts), dtype=bool)
    good[parents[~ok_tok]] = False
    return good


def not_blank(series: pd.Series) -> np.ndarray:
    """True where a text value is not empty or whitespace only."""
    text = pc.utf8_trim_whitespace(_to_arrow_text(series.fillna("")))
    return pc.not_equal(text, "").to_numpy(zero_copy_only=False)


def pattern_ok(series: pd.Series, pattern: str) -> np.ndarray:
    r"""True where a text value matches the regular expression ``pattern`` (RE2) in full; missing values are
    matched as "".

    >>> pattern_ok(pd.Series(["12 a", " 3", "x 1", None]), r"\s*[+-]?\d+(\s.*)?").tolist()
    [True, True, False, False]
    """
    text = _to_arrow_text(series.fillna(""))
    return pc.match_substring_regex(text, f"^(?:{pattern})$").to_numpy(zero_copy_only=False)


def row_sums_ok(values: np.ndarray, rule: str) -> np.ndarray:
    """True where a row of ``values`` (rows x classes) sums to 1 by ``rule`` (see
    :data:`~schemas.columns.ROW_SUM_RULES`).

    >>> row_sums_ok(np.array([[0.5, 0.5], [0.5, 0.5000005], [0.9, 0.2]]), "isclose").tolist()
    [True, True, False]
    >>> row_sums_ok(np.array([[0.5, 0.5000005]]), "round6").tolist()
    [False]
    """
    sums = values.sum(axis=1)
    if rule == "isclose":
        return np.isclose(sums, 1.0, atol=1e-6)
    if rule == "round6":
        return np.round(sums, 6) == 1.0
    if rule == "round5":
        return np.round(sums, 5) == 1.0
    raise ValueError(f"unknown row_sum rule {rule!r}; use one of {', '.join(ROW_SUM_RULES)}")


def row_sum_groups(comp: SubmissionSpec) -> dict[str, list[str]]:
    """The columns that must sum to 1 per row, by rule, in the spec's order.

    >>> from schemas.columns import SubmissionFormat, columns_from
    >>> row_sum_groups(SubmissionFormat("toy", ("id",), columns_from([{"name": "id"},
    ...     {"name": "a", "dtype": "float", "row_sum": "round6"}, {"name": "b", "dtype": "float", "row_sum": "round6"}])))
    {'round6': ['a', 'b']}
    """
    groups: dict[str, list[str]] = {}
    for col in comp.submission_columns:
        if col.row_sum:
            groups.setdefault(col.row_sum, []).append(col.name)
    return groups


def row_sum_error(values: np.ndarray, columns: list[str], rule: str) -> ValidationError | None:
    """The error of the rows of ``values`` (the ``columns`` of a group, as floats) that do not sum to 1 by
    ``rule``; rows holding a missing or infinite value are left to the value checks. None when all do.

    >>> row_sum_error(np.array([[0.2, 0.3], [0.5, 0.5]]), ["a", "b"], "isclose").message
    "1 row(s) of probabilities do not sum to 1 (columns 'a'..'b'); divide each row by its sum"
    """
    bad = ~row_sums_ok(values, rule) & np.isfinite(values).all(axis=1)
    if not bad.any():
        return None
    count = int(bad.sum())
    return ValidationError(",".join(columns), "row_sum", count, _examples(values[bad].sum(axis=1)),
                           f"{count} row(s) of probabilities do not sum to 1 (columns {columns[0]!r}..{columns[-1]!r}); "
                           "divide each row by its sum")


def permutation_error(column: str, ids: pyarrow_.Array, values: pd.Series, sample_values: pd.Series) -> ValidationError | None:
    """The error of the rows whose tokens are not a permutation of the tokens of their sample row
    (``sample_values[i]`` is the sample's value of row ``i``'s id; ``ids`` the row ids, shown as examples).

    >>> permutation_error("order", pyarrow_.array(["a", "b", "c"]), pd.Series(["x y", "y x z", "x x"]),
    ...                   pd.Series(["y x", "x y", "x y"])).message
    "order: 2 value(s) are not a permutation of the sample submission's value of the same id (e.g. ids ['b', 'c']); list every token of the sample submission's value exactly once"
    """
    flat, parents, got = _tokens(_to_arrow_text(values.fillna("")))
    flat_s, parents_s, want = _tokens(_to_arrow_text(sample_values.fillna("")))
    bad = got != want
    # rows of equal counts: the sorted (row, token code) pairs of both sides must agree
    codes = pc.dictionary_encode(pyarrow_.chunked_array([flat, flat_s], type=pyarrow_.string())).combine_chunks()
    codes = codes.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    n_codes = int(codes.max()) + 1 if len(codes) else 1
    pairs = []
    for code, row in ((codes[:len(flat)], parents), (codes[len(flat):], parents_s)):
        keep = ~bad[row]
        pairs.append(np.sort(row[keep].astype(np.int64) * n_codes + code[keep]))
    differ = pairs[0] != pairs[1]
    bad[np.unique(pairs[0][differ] // n_codes)] = True
    if not bad.any():
        return None
    count = int(bad.sum())
    ex = _examples(pc.filter(ids, pyarrow_.array(bad)).to_pylist())
    return ValidationError(column, "tokens", count, ex,
                           f"{column}: {count} value(s) are not a permutation of the sample submission's value of "
                           f"the same id (e.g. ids {list(ex)}); list every token of the sample submission's value "
                           "exactly once")


# ---- the contract ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CheckedSubmission:
    """A submission after its contract: the report, the frame with its columns coerced to the spec's dtypes, and
    its ids encoded once (``None`` when the columns check failed), for the grader to pair rows by id."""

    report: ValidationReport
    frame: pd.DataFrame
    ids: SubmissionIds | None


@dataclass(frozen=True)
class _Rule:
    """One named value check of a column: ``fn(series) -> bool mask`` and how to say what is wrong."""

    name: str
    fn: Callable[[pd.Series], Any]
    problem: str


def _rules(col: SubmissionColumn) -> list[_Rule]:
    rules: list[_Rule] = []
    numeric = col.dtype in _NUMERIC
    if numeric:
        rules.append(_Rule("not_inf", lambda s: ~np.isinf(s.to_numpy(dtype=float)), "infinite value(s)"))
    if col.domain == "probability":
        rules.append(_Rule("probability", lambda s: (s >= 0) & (s <= 1), "value(s) outside [0, 1]"))
    elif col.domain == "nonnegative":
        rules.append(_Rule("nonnegative", lambda s: s >= 0, "negative value(s)"))
    elif col.domain == "label" and col.allowed is not None:
        allowed = col.allowed
        if numeric:
            rules.append(_Rule("label", lambda s: s.isin(list(allowed)), f"label(s) not in the allowed set {_show(allowed)}"))
        else:
            rules.append(_Rule("label", lambda s: labels_in(s, allowed) & ~s.str.contains(r"\s", regex=True),
                               f"label(s) not in the allowed set {_show(allowed)}"))
    elif col.domain == "label_list" and col.allowed is not None:
        allowed = col.allowed
        rules.append(_Rule("label_list", lambda s: labels_in(s, allowed),
                           f"list(s) holding labels outside the allowed set {_show(allowed)}"))
    elif col.domain == "rle":
        empty = col.empty
        rules.append(_Rule("rle", lambda s: rle_ok(s, empty),
                           "malformed run-length encoding(s) (need 'start length' pairs of positive integers, "
                           "starts increasing, runs not overlapping)"))
    elif col.domain == "prediction_string" and col.group_size:
        g, numbers, positive, separator = int(col.group_size), col.numbers, col.positive, col.separator
        rules.append(_Rule("prediction_string", lambda s: token_groups_ok(s, g, separator=separator),
                           f"prediction string(s) whose token count is not a multiple of {g}"
                           + ("" if separator is None else f" (tokens separated by exactly {separator!r})")))
        if numbers:
            rules.append(_Rule("prediction_numbers", lambda s: group_numbers_ok(
                s, g, numbers, positive=positive, separator=separator),
                f"prediction string(s) whose tokens {list(numbers)} of each group of {g} are not all finite numbers"
                + (f" (and tokens {list(positive)} above 0)" if positive else "")))
    if col.any_nonnegative:
        rules.append(_Rule("any_nonnegative", lambda s: np.full(len(s), bool((s >= 0).any())),
                           "value(s) in a column where every value is negative (at least one must be >= 0)"))
    if col.min is not None or col.max is not None:
        lo = -np.inf if col.min is None else col.min
        hi = np.inf if col.max is None else col.max
        rules.append(_Rule("range", lambda s: (s >= lo) & (s <= hi), f"value(s) outside [{lo:g}, {hi:g}]"))
    if col.pattern is not None:
        pattern = col.pattern
        rules.append(_Rule("format", lambda s: pattern_ok(s, pattern),
                           f"value(s) not in the format {col.format or repr(pattern)}"))
    if not numeric and not col.nullable and col.domain in ("label", "label_list", "prediction_string"):
        rules.append(_Rule("not_empty", not_blank, "empty value(s)"))
    return rules


def _show(allowed: tuple[Any, ...]) -> str:
    items = [str(a) for a in allowed]
    return "{" + ", ".join(items[:8]) + (f", ... ({len(items)} in all)" if len(items) > 8 else "") + "}"


class SubmissionContract:
    """The checks a competition's submission must pass, from its spec (and the expected ids, given apart)."""

    def __init__(self, comp: SubmissionSpec) -> None:
        self.comp = comp
        self.id_policy = str(comp.id_policy)
        if self.id_policy not in ID_POLICIES:
            raise ValueError(f"{comp.id}: grader_params.id_policy {self.id_policy!r} is not one of {ID_POLICIES}")
        self.columns = {c.name: c for c in comp.submission_columns}
        self.rules = {c.name: _rules(c) for c in comp.submission_columns}
        self.schema = pa.DataFrameSchema(
            {
                name: pa.Column(
                    None,
                    checks=[pa.Check(_as_check(r.fn), name=r.name, element_wise=False) for r in rules],
                    nullable=self.columns[name].nullable,
                    required=True,
                )
                for name, rules in self.rules.items()
            },
            strict=False,
        )

    @property
    def string_columns(self) -> list[str]:
        """Columns read as text: the id columns and every ``str`` column."""
        return [c.name for c in self.comp.submission_columns if c.dtype == "str" or c.name in self.comp.id_columns]

    def check(
        self,
        frame: pd.DataFrame,
        expected_ids: pyarrow_.Array | None,
        *,
        reveal_missing: bool = True,
        tolerated: tuple[str, ...] = (),
        sample: pd.DataFrame | None = None,
    ) -> tuple[ValidationReport, pd.DataFrame]:
        """Validate ``frame``; return the report and the frame with its columns coerced to the spec's dtypes
        (:meth:`check_submission` also returns the hashed ids)."""
        checked = self.check_submission(frame, expected_ids, reveal_missing=reveal_missing, tolerated=tolerated,
                                        sample=sample)
        return checked.report, checked.frame

    def check_submission(
        self,
        frame: pd.DataFrame,
        expected_ids: pyarrow_.Array | None,
        *,
        reveal_missing: bool = True,
        tolerated: tuple[str, ...] = (),
        sample: pd.DataFrame | None = None,
    ) -> CheckedSubmission:
        """Validate ``frame``: the report, the coerced frame and the submission's hashed ids.

        ``expected_ids`` is :func:`id_key` of the sample submission (None skips the id-set check);
        ``reveal_missing=False`` hides examples of missing ids (use it when they come from the answers);
        ``tolerated`` names extra columns the sample submission itself has (MLE-bench writes some, e.g. an
        index column), which are accepted and dropped; ``sample`` is the public sample submission, which
        the columns declaring ``tokens: sample_permutation`` are compared with (None skips that check).
        """
        report = ValidationReport(self.comp.id, n_rows=len(frame))
        if not self._check_columns(frame, report, tolerated):
            return CheckedSubmission(report, frame, None)
        frame = self._coerce(frame[list(self.columns)], report)
        ids = self._check_ids(frame, expected_ids, reveal_missing, report)
        self._check_values(frame, report)
        self._check_rows(frame, report)
        if sample is not None:
            self._check_sample_tokens(frame, sample, report)
        return CheckedSubmission(report, frame, ids)

    def value_errors(self, frame: pd.DataFrame, columns: list[str]) -> list[ValidationError]:
        """The value and row-sum checks of ``columns`` alone (coerced as :meth:`check` does): what a grader
        runs to re-check, with the same rules and messages, what the contract declares."""
        report = ValidationReport(self.comp.id, n_rows=len(frame))
        names = [c for c in columns if c in self.columns and c in frame.columns]
        coerced = self._coerce(frame[names], report, names)
        self._check_values(coerced, report, names)
        self._check_rows(coerced, report)
        return list(report.errors)

    def _check_rows(self, frame: pd.DataFrame, report: ValidationReport) -> None:
        for rule, names in row_sum_groups(self.comp).items():
            if all(n in frame.columns for n in names):
                error = row_sum_error(frame[names].to_numpy(dtype=np.float64, na_value=np.nan), names, rule)
                if error is not None:
                    report.add(error)

    def _check_sample_tokens(self, frame: pd.DataFrame, sample: pd.DataFrame, report: ValidationReport) -> None:
        """Values of ``tokens: sample_permutation`` columns are permutations of the sample's value of their id."""
        names = [c.name for c in self.comp.submission_columns if c.tokens == "sample_permutation" and c.name in sample]
        ids = list(self.comp.id_columns)
        if not names or any(c not in sample.columns for c in ids):
            return
        key = pc.fill_null(id_key(frame, ids), "")
        if pc.count_distinct(key).as_py() != len(key):
            return  # duplicated ids are reported by the id checks
        row = pc.index_in(key, value_set=pc.fill_null(id_key(sample, ids), ""))
        known = row.is_valid().to_numpy(zero_copy_only=False)  # unknown ids are reported by the id checks
        rows = row.drop_null().to_numpy(zero_copy_only=False)
        for name in names:
            error = permutation_error(name, pc.filter(key, pyarrow_.array(known)), frame[name][known].reset_index(drop=True),
                                      sample[name].iloc[rows].reset_index(drop=True))
            if error is not None:
                report.add(error)

    def _check_columns(self, frame: pd.DataFrame, report: ValidationReport, tolerated: tuple[str, ...]) -> bool:
        names = [str(c) for c in frame.columns]
        counts = Counter(names)  # every check below is linear in the number of columns
        dup = sorted(n for n, k in counts.items() if k > 1)
        missing = [c for c in self.columns if c not in counts]
        allowed = set(tolerated)
        extra = [c for c in counts if c not in self.columns and c not in allowed]
        want = list(self.columns)
        if dup:
            report.add(ValidationError(None, "columns_unique", len(dup), _examples(dup),
                                       f"duplicated column(s) {dup}; keep one of each"))
        if missing:
            report.add(ValidationError(None, "columns_missing", len(missing), _examples(missing),
                                       f"missing column(s) {missing}; the submission needs the columns {want}"))
        if extra:
            report.add(ValidationError(None, "columns_extra", len(extra), _examples(extra),
                                       f"unexpected column(s) {extra[:10]}; the submission needs exactly {want}"))
        return not (dup or missing)

    def _coerce(self, frame: pd.DataFrame, report: ValidationReport, names: list[str] | None = None) -> pd.DataFrame:
        out = {}
        for name in self.columns if names is None else names:
            col, s = self.columns[name], frame[name]
            if col.dtype in _NUMERIC:
                s = _coerce_numeric(s, col, report)
            elif col.dtype == "bool":
                s = _coerce_bool(s, col, report)
            elif not pd.api.types.is_string_dtype(s.dtype):
                s = s.astype("str")
            out[name] = s
        return pd.DataFrame(out, index=frame.index)

    def _check_ids(self, frame: pd.DataFrame, expected: pyarrow_.Array | None, reveal_missing: bool,
                   report: ValidationReport) -> SubmissionIds:
        cols = list(self.comp.id_columns)
        nulls = frame[cols].isna().any(axis=1).to_numpy()
        if nulls.any():
            report.add(ValidationError(",".join(cols), "ids_not_null", int(nulls.sum()), (),
                                       f"{int(nulls.sum())} row(s) without an id; every row needs its id"))
        hashed = hash_key(id_key(frame, cols))  # null ids are reported above; here they count as ""
        key = hashed.key
        policy = self.id_policy
        # One hash pass over both id lists: every id gets an integer code, and the rest is integer work.
        if expected is None:
            (key_codes,), n_codes = joint_codes(hashed)
            exp_codes = key_codes[:0]
        elif len(expected) == len(key) and expected.null_count == 0 and pc.all(pc.equal(expected, key)).as_py():
            expected = key  # the sample submission's order (what most agents write): one list to encode
            (key_codes,), n_codes = joint_codes(hashed)
            exp_codes = key_codes
        else:
            expected_hashed = hash_key(expected)
            expected = expected_hashed.key
            (exp_codes, key_codes), n_codes = joint_codes(expected_hashed, hashed)
        key_counts = np.bincount(key_codes, minlength=n_codes)
        # ids that repeat by design in the sample submission (e.g. hms eeg_id) cannot be asked to be unique
        repeats_by_design = expected is not None and np.bincount(exp_codes, minlength=n_codes).max() > 1
        if (key_counts > 1).any() and policy != "any" and not repeats_by_design:
            # a row is a duplicate unless it is the first row with its code
            first_row = np.full(n_codes, len(key_codes), dtype=np.int64)
            np.minimum.at(first_row, key_codes, np.arange(len(key_codes)))
            dup_mask = first_row[key_codes] != np.arange(len(key_codes))
            dups = pc.filter(key, pyarrow_.array(dup_mask)).to_pylist()
            report.add(ValidationError(",".join(cols), "ids_unique", len(dups), _examples(dups),
                                       f"{len(dups)} duplicated id(s), e.g. {list(_examples(dups))}; submit each id once"))
        if expected is None or policy == "any":
            return SubmissionIds(hashed, expected)
        in_expected = np.zeros(n_codes, dtype=bool)
        in_expected[exp_codes] = True
        if repeats_by_design:  # each id as many times as in the sample (hms pairs the k-th rows of an id)
            off = in_expected & (key_counts > 0) & (key_counts != np.bincount(exp_codes, minlength=n_codes))
            if off.any():
                ex = _examples(pc.filter(key, pyarrow_.array(off[key_codes])).unique().to_pylist())
                report.add(ValidationError(
                    ",".join(cols), "ids_count", int(off.sum()), ex,
                    f"{int(off.sum())} id(s) appear a different number of times than in the sample submission "
                    f"(the submission has {len(key_codes)} rows, the sample submission {len(exp_codes)}), e.g. {list(ex)}; "
                    "submit one row per row of the sample submission"))
        unknown_mask = ~in_expected[key_codes]
        missing_mask = key_counts[exp_codes] == 0
        n_unknown, n_missing = int(unknown_mask.sum()), int(missing_mask.sum())
        if n_unknown and policy != "superset":
            ex = _examples(pc.filter(key, pyarrow_.array(unknown_mask)).to_pylist())
            report.add(ValidationError(",".join(cols), "ids_unknown", n_unknown, ex,
                                       f"{n_unknown} id(s) not in the sample submission, e.g. {list(ex)}; "
                                       "submit only the sample submission's ids"))
        if n_missing and policy != "subset":
            ex = _examples(pc.filter(expected, pyarrow_.array(missing_mask)).to_pylist()) if reveal_missing else ()
            shown = f", e.g. {list(ex)}" if ex else ""
            report.add(ValidationError(",".join(cols), "ids_missing", n_missing, ex,
                                       f"{n_missing} expected id(s) missing{shown}; submit one row per id of the "
                                       "sample submission"))
        if n_missing or repeats_by_design or (key_counts > 1).any() or (n_unknown and policy != "superset"):
            return SubmissionIds(hashed, expected)
        row_of_code = np.empty(n_codes, dtype=np.int64)
        row_of_code[key_codes] = np.arange(len(key_codes))
        return SubmissionIds(hashed, expected, row_of_code[exp_codes])

    def _suspects(self, frame: pd.DataFrame, names: list[str] | None = None) -> list[str]:
        """Columns that may fail a value check. Numeric columns sharing a domain are screened together on one
        2-D array (pandera costs ~5 ms per column, 0.6 s for dog-breed's 120); only the columns that fail the
        screen, and the text columns, go through the pandera schema, which reports the failures."""
        groups: dict[tuple[Any, ...], list[str]] = {}
        suspects = []
        for name in self.columns if names is None else names:
            col = self.columns[name]
            if col.dtype in _NUMERIC and col.domain in (None, "probability", "finite", "nonnegative") \
                    and col.min is None and col.max is None and not col.any_nonnegative:
                groups.setdefault((col.domain, col.nullable), []).append(name)
            else:
                suspects.append(name)
        for (domain, nullable), names in groups.items():
            block = frame[names].to_numpy(dtype=np.float64)
            bad = np.isinf(block)
            if not nullable:
                bad |= np.isnan(block)
            if domain == "probability":
                bad |= (block < 0) | (block > 1)
            elif domain == "nonnegative":
                bad |= block < 0
            failing = bad.any(axis=0)
            suspects += [n for n, f in zip(names, failing) if f]
        return suspects

    def _check_values(self, frame: pd.DataFrame, report: ValidationReport, names: list[str] | None = None) -> None:
        suspects = self._suspects(frame, names)
        if not suspects:
            return
        schema = self.schema if len(suspects) == len(self.columns) else pa.DataFrameSchema(
            {n: self.schema.columns[n] for n in suspects})
        try:
            schema.validate(frame[suspects], lazy=True)
            return
        except pa.errors.SchemaErrors as err:
            cases = err.failure_cases
        for (column, check, number), group in cases.groupby(["column", "check", "check_number"], dropna=False,
                                                            sort=False):
            col = self.columns.get(str(column))
            if check == "not_nullable":
                name, problem = "nullable", "missing value(s) (NaN or empty)"
            elif col is not None and pd.notna(number) and int(number) < len(self.rules[col.name]):
                rule = self.rules[col.name][int(number)]
                name, problem = rule.name, rule.problem
            else:
                name, problem = str(check), f"value(s) failing {check}"
            values = group["failure_case"]
            n = len(values)
            ex = _examples(values.tolist()) if name != "nullable" else ()
            shown = f", e.g. {list(ex)}" if ex else ""
            report.add(ValidationError(str(column), name, n, ex, f"{column}: {n} {problem}{shown}"))


def _as_check(fn: Callable[[pd.Series], Any]) -> Callable[[pd.Series], pd.Series]:
    def check(series: pd.Series) -> pd.Series:
        return pd.Series(np.asarray(fn(series), dtype=bool), index=series.index)
    return check


_NA_TOKENS = pyarrow_.array(["nan", "na", "null", "n/a", "none", ""])


def _coerce_numeric(s: pd.Series, col: SubmissionColumn, report: ValidationReport) -> pd.Series:
    if pd.api.types.is_bool_dtype(s.dtype) or not pd.api.types.is_numeric_dtype(s.dtype):
        text = pc.utf8_trim_whitespace(_to_arrow_text(s))
        numbers = pd.to_numeric(pd.Series(text, dtype="str", index=s.index), errors="coerce")
        is_na_token = pc.fill_null(pc.is_in(pc.utf8_lower(text), value_set=_NA_TOKENS), True)
        bad = numbers.isna().to_numpy() & ~is_na_token.to_numpy(zero_copy_only=False)
        if bad.any():
            ex = _examples(pc.filter(text, pyarrow_.array(bad)).to_pylist())
            report.add(ValidationError(col.name, "dtype", int(bad.sum()), ex,
                                       f"{col.name}: {int(bad.sum())} value(s) are not numbers, e.g. {list(ex)}; "
                                       "write plain numbers"))
        s = numbers.where(~bad)
    if s.dtype != np.float64:
        s = s.astype("float64")
    if col.dtype == "int":
        values = s.to_numpy()
        frac = np.isfinite(values) & (values != np.round(values))
        if frac.any():
            ex = _examples(values[frac])
            report.add(ValidationError(col.name, "integer", int(frac.sum()), ex,
                                       f"{col.name}: {int(frac.sum())} value(s) are not whole numbers, e.g. {list(ex)}"))
    return s


_BOOLS = {"true": True, "false": False, "1": True, "0": False, "1.0": True, "0.0": False}


def _coerce_bool(s: pd.Series, col: SubmissionColumn, report: ValidationReport) -> pd.Series:
    if pd.api.types.is_bool_dtype(s.dtype):
        return s
    text = s.astype("str").str.strip().str.lower()
    mapped = text.map(_bool_of)
    bad = (mapped.isna() & s.notna()).to_numpy()
    if bad.any():
        ex = _examples(s[bad].astype("str").tolist())
        report.add(ValidationError(col.name, "dtype", int(bad.sum()), ex,
                                   f"{col.name}: {int(bad.sum())} value(s) are not True/False, e.g. {list(ex)}"))
    return mapped.astype("object")


def _bool_of(value: Any) -> Any:
    return _BOOLS.get(value) if isinstance(value, str) else None


_CONTRACTS: dict[str, SubmissionContract] = {}


def contract_for(comp: SubmissionSpec) -> SubmissionContract:
    """The (cached) contract of a competition's spec (anything with the :class:`SubmissionSpec` attributes)."""
    cached = _CONTRACTS.get(comp.id)
    if cached is None or cached.comp != comp:
        cached = _CONTRACTS[comp.id] = SubmissionContract(comp)
    return cached


def value_errors(comp: SubmissionSpec, frame: pd.DataFrame, columns: list[str]) -> list[ValidationError]:
    """The contract's value and row-sum errors of ``columns`` of ``frame`` (see
    :meth:`SubmissionContract.value_errors`); graders call it to re-check what the spec declares.

    >>> from schemas.columns import SubmissionFormat, columns_from
    >>> comp = SubmissionFormat("toy", ("id",), columns_from([{"name": "id"},
    ...     {"name": "y", "dtype": "float", "min": 1, "max": 100}]))
    >>> [e.message for e in value_errors(comp, pd.DataFrame({"id": ["a", "b"], "y": [0.5, 7]}), ["y"])]
    ['y: 1 value(s) outside [1, 100], e.g. [0.5]']
    """
    return contract_for(comp).value_errors(frame, columns)


def read_submission(comp: SubmissionSpec, source: str | os.PathLike[str] | pd.DataFrame) -> pd.DataFrame:
    """A submission as a DataFrame: a path is read with the contract's text columns as strings, after its size
    and header width are checked against :data:`MAX_SUBMISSION_BYTES` and :data:`MAX_SUBMISSION_COLUMNS`."""
    if isinstance(source, pd.DataFrame):
        return source
    contract = contract_for(comp)
    check_limits(source, max_bytes=MAX_SUBMISSION_BYTES, max_columns=MAX_SUBMISSION_COLUMNS)
    return read_csv(source, string_columns=contract.string_columns, expected_columns=list(contract.columns))


def validate_frame(
    comp: SubmissionSpec,
    submission: pd.DataFrame,
    expected: pd.DataFrame | None,
    *,
    reveal_missing: bool = True,
) -> tuple[ValidationReport, pd.DataFrame]:
    """Run the contract on a DataFrame; ``expected`` holds the expected id columns (sample submission).

    Returns the report and the submission with its columns coerced to the spec's dtypes.
    """
    checked = validate_submission(comp, submission, expected, reveal_missing=reveal_missing)
    return checked.report, checked.frame


def validate_submission(
    comp: SubmissionSpec,
    submission: pd.DataFrame,
    expected: pd.DataFrame | None,
    *,
    reveal_missing: bool = True,
) -> CheckedSubmission:
    """:func:`validate_frame`, also returning the submission's ids hashed once (for the grader's alignment).

    >>> from schemas.columns import SubmissionFormat, columns_from
    >>> comp = SubmissionFormat("toy", ("id",), columns_from([{"name": "id"}, {"name": "p", "dtype": "float"}]))
    >>> checked = validate_submission(comp, pd.DataFrame({"id": ["b", "a"], "p": [0.5, 1.0]}),
    ...                               pd.DataFrame({"id": ["a", "b"]}))
    >>> checked.report.valid, checked.ids.rows.key.to_pylist(), checked.ids.expected_rows.tolist()
    (True, ['b', 'a'], [1, 0])
    """
    contract = contract_for(comp)
    expected_ids = None
    tolerated: tuple[str, ...] = ()
    if expected is not None:
        absent = [c for c in comp.id_columns if c not in expected.columns]
        if absent:
            raise ValueError(f"{comp.id}: the sample submission lacks the id column(s) {absent}")
        expected_ids = id_key(expected, comp.id_columns)
        if reveal_missing:  # a public sample submission: its own extra columns are part of the format
            tolerated = tuple(str(c) for c in expected.columns)
    sample = expected if reveal_missing else None
    return contract.check_submission(submission, expected_ids, reveal_missing=reveal_missing, tolerated=tolerated,
                                     sample=sample)


def validate(
    competition: str | SubmissionSpec,
    submission: str | os.PathLike[str] | pd.DataFrame,
    sample_submission: str | os.PathLike[str] | pd.DataFrame | None = None,
) -> ValidationReport:
    """Check a submission against a competition's contract, using public inputs only.

    ``competition`` is a competition id (looked up by the registered spec sources, see :mod:`schemas.specs`)
    or a spec object. ``submission`` and ``sample_submission`` are DataFrames or CSV paths; without a sample
    submission the id set is not checked. A file that cannot be read gives an invalid report with check
    ``read:<reason>``.

    >>> from schemas.columns import SubmissionFormat, columns_from
    >>> comp = SubmissionFormat("toy", ("id",), columns_from([{"name": "id"},
    ...     {"name": "p", "dtype": "float", "domain": "probability"}]))
    >>> sample = pd.DataFrame({"id": ["1", "2", "3"], "p": 0.5})
    >>> sub = pd.DataFrame({"id": ["1", "2", "9"], "p": [0.1, 1.2, 0.3]})
    >>> report = validate(comp, sub, sample)
    >>> report.valid, [(e.check, e.count) for e in report.errors]
    (False, [('ids_unknown', 1), ('ids_missing', 1), ('probability', 1)])
    """
    comp = spec_for(competition)
    try:
        frame = read_submission(comp, submission)
    except CSVReadError as err:
        report = ValidationReport(comp.id)
        report.add(ValidationError(None, f"read:{err.check}", 1, (), err.message))
        return report
    expected = None
    if sample_submission is not None:
        expected = read_csv(sample_submission, string_columns=list(comp.id_columns)) \
            if not isinstance(sample_submission, pd.DataFrame) else sample_submission
    report, _ = validate_frame(comp, frame, expected)
    return report


def validate_prepared(
    competition: str | SubmissionSpec,
    sample_submission: str | os.PathLike[str] | pd.DataFrame,
    answers: str | os.PathLike[str] | pd.DataFrame,
) -> ValidationReport:
    """Check prepared data (host side): the sample submission passes its own contract, and the answers hold
    the id columns with exactly the sample submission's ids (a subset of them under ``id_policy: superset``).
    Answers may repeat an id (one row per box or label). Messages count answer ids, never show them.

    >>> from schemas.columns import SubmissionFormat, columns_from
    >>> comp = SubmissionFormat("toy", ("id",), columns_from([{"name": "id"},
    ...     {"name": "p", "dtype": "float", "domain": "probability"}]))
    >>> sample = pd.DataFrame({"id": ["1", "2"], "p": 0.5})
    >>> validate_prepared(comp, sample, pd.DataFrame({"id": ["1", "2"], "y": [0, 1]})).valid
    True
    >>> [e.check for e in validate_prepared(comp, sample, pd.DataFrame({"id": ["1"], "y": [0]})).errors]
    ['answers_ids']
    """
    comp = spec_for(competition)
    ids = list(comp.id_columns)
    if not isinstance(sample_submission, pd.DataFrame):
        sample_submission = read_submission(comp, sample_submission)
    if not isinstance(answers, pd.DataFrame):
        answers = read_csv(answers, string_columns=ids, require_suffix=False)
    report, _ = validate_frame(comp, sample_submission, sample_submission)
    absent = [c for c in ids if c not in answers.columns]
    if absent:
        report.add(ValidationError(None, "answers_columns", len(absent), tuple(absent),
                                   f"the answers lack the id column(s) {absent}"))
        return report
    # answers may hold several rows per id (one per box, per label...): compare the id sets
    answer_ids = id_key(answers.astype({c: "str" for c in ids}), ids)
    sample_ids = id_key(sample_submission, ids)
    unknown = int(pc.sum(pc.invert(pc.is_in(answer_ids, value_set=sample_ids))).as_py() or 0)
    missing = int(pc.sum(pc.invert(pc.is_in(sample_ids, value_set=answer_ids))).as_py() or 0)
    if comp.id_policy in ("superset", "any"):
        missing = 0  # the sample may list ids that are not graded (h-and-m customers without purchases)
    if unknown or missing:
        report.add(ValidationError(",".join(ids), "answers_ids", unknown + missing, (),
                                   f"the answers' ids differ from the sample submission's ({missing} sample id(s) "
                                   f"without an answer, {unknown} answer row(s) with an id not in the sample)"))
    return report
