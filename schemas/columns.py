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

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Protocol

__all__ = [
    "DTYPES",
    "DOMAINS",
    "ID_POLICIES",
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

_KEYS = ("name", "dtype", "domain", "nullable", "allowed", "group_size", "empty")


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
    allowed = raw.get("allowed")
    return SubmissionColumn(
        name=name,
        dtype=dtype,
        domain=domain,
        nullable=bool(raw.get("nullable", False)),
        allowed=tuple(allowed) if allowed is not None else None,
        group_size=group_size,
        empty=raw.get("empty"),
    )


def columns_from(raws: Iterable[Mapping[str, Any]]) -> tuple[SubmissionColumn, ...]:
    """Parse a spec's list of column mappings (see :func:`parse_column`).

    >>> [c.name for c in columns_from([{"name": "id"}, {"name": "y", "dtype": "int"}])]
    ['id', 'y']
    """
    return tuple(parse_column(raw) for raw in raws)
