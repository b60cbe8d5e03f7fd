"""The submission-column vocabulary: value types, value domains, id policies, and the column record.

A competition spec (``competitions``) declares its submission columns in these words; this package checks
submissions against them from public inputs only. What schemas needs of a spec is :class:`SubmissionSpec`
(a protocol: any object with those attributes will do, ``competitions.Competition`` among them), and
:class:`SubmissionFormat` is schemas' own record of it.

>>> fmt = SubmissionFormat("toy", ("id",), columns_from([{"name": "id"},
...     {"name": "p", "dtype": "float", "domain": "probability"}]))
>>> fmt.column_names, fmt.id_policy
(('id', 'p'), 'exact')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Protocol


__all__ = [
    "DTYPES",
    "DOMAINS",
    "ID_POLICIES",
    "ROW_SUM_RULES",
    "TOKEN_RULES",
    "ColumnError",
    "SubmissionColumn",
    "SubmissionSpec",
    "SubmissionFormat",
    "parse_column",
    "columns_from",
]

#: Column value types a submission column may declare.
DTYPES = ("str", "int", "float", "bool")

#: Value domains a submission column may declare (checked from public inputs only):
#: - probability: a float in [0, 1]
#: - finite: any finite float
#: - nonnegative: a finite float >= 0
#: - label: one of ``allowed`` (a list in the spec), or any value when ``allowed`` is absent
#: - label_list: space-separated labels, each one of ``allowed`` when given; empty allowed when ``nullable``
#: - rle: run-length pairs "start length ..." of positive integers, starts increasing, runs not overlapping;
#:   ``empty`` says how an empty mask is written ("" or "-")
#: - prediction_string: space-separated tokens in groups of ``group_size`` (e.g. 9 for 3-D boxes)
#: - text: any string
DOMAINS = ("probability", "finite", "nonnegative", "label", "label_list", "rle", "prediction_string", "text")

#: How the submission's ids must relate to the expected ids (a spec's ``grader_params["id_policy"]``).
#: exact (default): the same set, each id once; superset: extra ids allowed (h-and-m); subset: missing ids
#: allowed (osic); any: no id check (graders that pair rows by position check what they need themselves).
ID_POLICIES = ("exact", "superset", "subset", "any")

#: How a row of class probabilities must sum to 1 (a column's ``row_sum``; the columns that name the same rule
#: form one group, summed per row): isclose: ``np.isclose(sum, 1, atol=1e-6)``; round6: ``round(sum, 6) == 1``;
#: round5: ``round(sum, 5) == 1`` (MLE-bench's rule differs by competition).
ROW_SUM_RULES = ("isclose", "round6", "round5")

#: How a column's whitespace-separated tokens relate to the sample submission's (a column's ``tokens``):
#: sample_permutation: each value is a permutation of the sample submission's value of the same id (AI4Code
#: orders every cell of its notebook, each once).
TOKEN_RULES = ("sample_permutation",)

_KEYS = ("name", "dtype", "domain", "nullable", "allowed", "group_size", "empty", "min", "max", "row_sum",
         "pattern", "format", "tokens", "numbers", "positive", "separator", "any_nonnegative")


class ColumnError(ValueError):
    """A submission column declared with words outside the vocabulary; ``key`` names the bad key."""

    def __init__(self, message: str, *, key: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class SubmissionColumn:
    """One column of a competition's submission file."""

    name: str
    dtype: str = "str"
    domain: str | None = None
    nullable: bool = False
    allowed: tuple[Any, ...] | None = None
    group_size: int | None = None
    empty: str | None = None
    #: inclusive bounds of a numeric column's values (petfinder 1..100, latitudes -90..90)
    min: float | None = None
    max: float | None = None
    #: one of :data:`ROW_SUM_RULES`: the column belongs to the group of columns whose rows must sum to 1
    row_sum: str | None = None
    #: a regular expression (RE2, as pyarrow matches) every non-missing value must match in full
    pattern: str | None = None
    #: how ``pattern`` reads to a person, said in the error message
    format: str | None = None
    #: one of :data:`TOKEN_RULES`
    tokens: str | None = None
    #: prediction strings: the positions in each group of ``group_size`` tokens that must be finite numbers
    numbers: tuple[int, ...] = ()
    #: prediction strings: the positions (among ``numbers``) that must be numbers > 0 (box sizes)
    positive: tuple[int, ...] = ()
    #: prediction strings: the token separator when it is one exact string (" ": MLE-bench's ``split(" ")``,
    #: where a double space makes an empty token); None splits on any whitespace
    separator: str | None = None
    #: at least one value must be >= 0 (pf1's precision is 0/0 when every prediction is negative)
    any_nonnegative: bool = False


class SubmissionSpec(Protocol):
    """What schemas needs of a competition spec to check its submissions."""

    @property
    def id(self) -> str: ...

    @property
    def id_columns(self) -> tuple[str, ...]: ...

    @property
    def submission_columns(self) -> tuple[SubmissionColumn, ...]: ...

    @property
    def id_policy(self) -> str: ...


@dataclass(frozen=True)
class SubmissionFormat:
    """Schemas' own record of a submission format: enough to validate submissions without a catalogue.

    >>> SubmissionFormat("toy", ("id",), (SubmissionColumn("id"), SubmissionColumn("y", "float"))).column_names
    ('id', 'y')
    """

    id: str
    id_columns: tuple[str, ...]
    submission_columns: tuple[SubmissionColumn, ...]
    id_policy: str = "exact"

    @property
    def column_names(self) -> tuple[str, ...]:
        """The submission's column names, in order."""
        return tuple(c.name for c in self.submission_columns)


def parse_column(raw: Mapping[str, Any]) -> SubmissionColumn:
    """A :class:`SubmissionColumn` from a spec's mapping; :class:`ColumnError` names the bad key.

    >>> parse_column({"name": "p", "dtype": "float", "domain": "probability"}).domain
    'probability'
    >>> parse_column({"name": "p", "domain": "probabilty"})
    Traceback (most recent call last):
    ...
    schemas.columns.ColumnError: column 'p' has domain 'probabilty', not one of probability, finite, nonnegative, label, label_list, rle, prediction_string, text
    """
    if not isinstance(raw, Mapping) or "name" not in raw:
        raise ColumnError(f"a submission column must be a mapping with a name, got {raw!r}", key="name")
    name = str(raw["name"])
    unknown = [k for k in raw if k not in _KEYS]
    if unknown:
        raise ColumnError(f"column {name!r} has unknown key(s) {unknown}; known: {', '.join(_KEYS)}",
                          key=str(unknown[0]))
    dtype, domain = raw.get("dtype", "str"), raw.get("domain")
    if dtype not in DTYPES:
        raise ColumnError(f"column {name!r} has dtype {dtype!r}, not one of {', '.join(DTYPES)}", key="dtype")
    if domain is not None and domain not in DOMAINS:
        raise ColumnError(f"column {name!r} has domain {domain!r}, not one of {', '.join(DOMAINS)}", key="domain")
    group_size = raw.get("group_size")
    if group_size is not None and (isinstance(group_size, bool) or not isinstance(group_size, int) or group_size < 1):
        raise ColumnError(f"column {name!r} has group_size {group_size!r}; it must be a positive integer",
                          key="group_size")
    bounds = {k: raw.get(k) for k in ("min", "max")}
    for key, value in bounds.items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ColumnError(f"column {name!r} has {key} {value!r}; it must be a number", key=key)
        if value is not None and dtype not in ("int", "float"):
            raise ColumnError(f"column {name!r} has a {key} but dtype {dtype!r}; bounds need int or float", key=key)
    if None not in bounds.values() and bounds["min"] > bounds["max"]:
        raise ColumnError(f"column {name!r} has min {bounds['min']} above max {bounds['max']}", key="min")
    row_sum = raw.get("row_sum")
    if row_sum is not None and (row_sum not in ROW_SUM_RULES or dtype != "float"):
        raise ColumnError(f"column {name!r} has row_sum {row_sum!r}; use one of {', '.join(ROW_SUM_RULES)} on a "
                          "float column", key="row_sum")
    pattern = raw.get("pattern")
    if pattern is not None:
        _check_pattern(name, pattern, dtype)
    tokens = raw.get("tokens")
    if tokens is not None and tokens not in TOKEN_RULES:
        raise ColumnError(f"column {name!r} has tokens {tokens!r}, not one of {', '.join(TOKEN_RULES)}", key="tokens")
    numbers, positive = (_positions(name, raw, key) for key in ("numbers", "positive"))
    if (numbers or positive) and not group_size:
        raise ColumnError(f"column {name!r} has numbers or positive but no group_size", key="numbers")
    if any(i >= group_size for i in numbers) or any(i not in numbers for i in positive):
        raise ColumnError(f"column {name!r}: numbers must lie in a group of {group_size} tokens and positive "
                          "among numbers", key="numbers" if any(i >= group_size for i in numbers) else "positive")
    separator = raw.get("separator")
    if separator is not None and (not isinstance(separator, str) or not separator):
        raise ColumnError(f"column {name!r} has separator {separator!r}; it must be a non-empty string",
                          key="separator")
    allowed = raw.get("allowed")
    return SubmissionColumn(
        name=name,
        dtype=dtype,
        domain=domain,
        nullable=bool(raw.get("nullable", False)),
        allowed=tuple(allowed) if allowed is not None else None,
        group_size=group_size,
        empty=raw.get("empty"),
        min=None if bounds["min"] is None else float(bounds["min"]),
        max=None if bounds["max"] is None else float(bounds["max"]),
        row_sum=row_sum,
        pattern=pattern,
        format=None if raw.get("format") is None else str(raw["format"]),
        tokens=tokens,
        numbers=numbers,
        positive=positive,
        separator=separator,
        any_nonnegative=bool(raw.get("any_nonnegative", False)),
    )


def _positions(name: str, raw: Mapping[str, Any], key: str) -> tuple[int, ...]:
    """A list of token positions (non-negative integers) of a column mapping."""
    value = raw.get(key) or ()
    if not isinstance(value, (list, tuple)) or not all(
            isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in value):
        raise ColumnError(f"column {name!r} has {key} {value!r}; it must be a list of token positions", key=key)
    return tuple(value)


def _check_pattern(name: str, pattern: Any, dtype: str) -> None:
    """A ``pattern`` must be a regular expression on a text column. Its syntax is checked here with Python's
    ``re`` (cheap: listing the catalogue imports no pyarrow); :func:`re2_error` checks it as pyarrow compiles
    it, which the catalogue's full load does."""
    if not isinstance(pattern, str) or dtype != "str":
        raise ColumnError(f"column {name!r} has pattern {pattern!r}; a pattern is a regex on a str column",
                          key="pattern")
    try:
        re.compile(pattern)
    except re.error as err:
        raise ColumnError(f"column {name!r} has pattern {pattern!r}, which does not compile: {err}",
                          key="pattern") from None


def re2_error(pattern: str) -> str | None:
    """Why pyarrow (RE2) cannot compile ``pattern``, or None when it can.

    >>> re2_error("[0-9]+"), re2_error("(?=x)") is not None
    (None, True)
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        pc.match_substring_regex(pa.array([""]), pattern)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as err:
        return str(err)
    return None


def columns_from(raws: Iterable[Mapping[str, Any]]) -> tuple[SubmissionColumn, ...]:
    """Parse a spec's list of column mappings (see :func:`parse_column`).

    >>> [c.name for c in columns_from([{"name": "id"}, {"name": "y", "dtype": "int"}])]
    ['id', 'y']
    """
    return tuple(parse_column(raw) for raw in raws)
