"""Competition specs: one YAML file per competition in ``competitions/specs/``, loaded into typed records.

A spec is data: what the competition is, how a submission must look, which metric grades it with which
parameters, and which MLE-bench v1 quirks its grading reproduces (``known_issues``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from schemas.columns import DOMAINS, DTYPES, ID_POLICIES, ColumnError, SubmissionColumn, parse_column

__all__ = [
    "SPEC_DIR", "SPLITS", "SPLIT_ALIASES", "DTYPES", "DOMAINS", "ID_POLICIES", "SpecError", "SubmissionColumn",
    "KnownIssue", "Competition", "parse_spec", "load_spec", "all_specs",
]

SPEC_DIR = Path(__file__).parent / "specs"

#: libyaml's safe loader when PyYAML was built with it (ten times faster on the catalogue), else PyYAML's
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

SPLITS = ("low", "medium", "high", "dev")
SPLIT_ALIASES = {"lite": "low", "low": "low", "medium": "medium", "high": "high", "dev": "dev"}


class SpecError(ValueError):
    """A spec file is missing, malformed or inconsistent. ``source`` is the file (or the name given to
    :func:`parse_spec`) and ``key`` the key at fault, e.g. ``metric_params.eps`` or
    ``submission_columns[1].domain`` (None when the file as a whole is at fault)."""

    def __init__(self, source: str, message: str, *, key: str | None = None) -> None:
        where = f"{source}: {key}: " if key else f"{source}: "
        super().__init__(where + message)
        self.source = source
        self.key = key


@dataclass(frozen=True)
class KnownIssue:
    """An MLE-bench v1 behaviour this version reproduces, and what Kaggle does instead."""

    summary: str
    kaggle: str
    affects_score: bool = True


@dataclass(frozen=True)
class Competition:
    """A competition as declared by its spec (see ``competitions/specs/<id>.yaml``)."""

    id: str
    name: str
    category: str
    split: str
    awards_medals: bool
    metric: str
    metric_params: dict[str, Any]
    lower_is_better: bool
    id_columns: tuple[str, ...]
    submission_columns: tuple[SubmissionColumn, ...]
    answers: str
    sample_submission: str
    grader: str
    grader_params: dict[str, Any]
    score_rounding: str
    version: str
    description: str
    known_issues: tuple[KnownIssue, ...] = field(default_factory=tuple)
    #: prepared files in which an id repeats by MLE-bench v1's design (of ``REPEATABLE``: e.g. vinbigdata's
    #: answers hold one row per image and finding); everywhere else the prepared contract wants each id once
    repeated_ids: tuple[str, ...] = ()

    @property
    def in_split75(self) -> bool:
        """True for the 75 graded competitions (every split but dev)."""
        return self.split != "dev"

    @property
    def column_names(self) -> tuple[str, ...]:
        """The submission's column names, in the sample submission's order."""
        return tuple(c.name for c in self.submission_columns)

    @property
    def id_policy(self) -> str:
        """How the submission's ids must relate to the expected ids (``grader_params["id_policy"]``, default
        ``exact``; see ``schemas.ID_POLICIES``)."""
        return str(self.grader_params.get("id_policy", "exact"))


_REQUIRED = (
    "id", "name", "category", "split", "awards_medals", "metric", "lower_is_better", "id_columns",
    "submission_columns", "answers", "sample_submission", "grader", "version", "description",
)


#: the prepared files a spec's ``repeated_ids`` may name
REPEATABLE = ("answers", "sample_submission", "public_test")


def parse_spec(data: dict[str, Any], source: str = "<spec>") -> Competition:
    """Build a :class:`Competition` from a spec mapping, checking every field and the columns' vocabulary
    (:class:`SpecError` names ``source`` and the bad key). References to the grader and the metric are
    checked by :func:`load_spec` (see :mod:`competitions.spec_checks`).

    >>> c = parse_spec({"id": "toy", "name": "Toy", "category": "tabular", "split": "lite",
    ...     "awards_medals": False, "metric": "auc", "lower_is_better": False, "id_columns": ["id"],
    ...     "submission_columns": [{"name": "id"}, {"name": "p", "dtype": "float", "domain": "probability"}],
    ...     "answers": "private/answers.csv", "sample_submission": "public/sample_submission.csv",
    ...     "grader": "binary_columns", "version": "1.0.0", "description": "toy"}, source="toy.yaml")
    >>> c.split, c.column_names, c.id_policy
    ('low', ('id', 'p'), 'exact')
    """
    if not isinstance(data, dict):
        raise SpecError(source, f"a spec must be a mapping, got {type(data).__name__}")
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise SpecError(source, f"missing field(s) {', '.join(missing)}", key=missing[0])
    split = SPLIT_ALIASES.get(str(data["split"]))
    if split is None:
        raise SpecError(source, f"{data['split']!r} is not one of {', '.join(SPLITS)}", key="split")
    columns = []
    for i, raw in enumerate(data["submission_columns"] or ()):
        try:
            columns.append(parse_column(raw))
        except ColumnError as err:
            raise SpecError(source, str(err), key=f"submission_columns[{i}].{err.key}") from None
    id_columns = tuple(str(c) for c in data["id_columns"])
    names = [c.name for c in columns]
    for c in id_columns:
        if c not in names:
            raise SpecError(source, f"id column {c!r} is not among the submission columns {names}", key="id_columns")
    issues = tuple(
        KnownIssue(summary=i["summary"], kaggle=i["kaggle"], affects_score=bool(i.get("affects_score", True)))
        for i in data.get("known_issues") or ()
    )
    rounding = data.get("score_rounding", "numpy")
    if rounding not in ("python", "numpy", "int"):
        raise SpecError(source, f"{rounding!r} is not python, numpy or int", key="score_rounding")
    for key in ("answers", "sample_submission"):
        path = str(data[key])
        if not path.startswith(("public/", "private/")) or any(ch.isspace() for ch in path) or ".." in path:
            raise SpecError(source, f"{path!r} is not a file path under public/ or private/", key=key)
    repeated = tuple(str(r) for r in data.get("repeated_ids") or ())
    unknown = [r for r in repeated if r not in REPEATABLE]
    if unknown:
        raise SpecError(source, f"{unknown} are not among {', '.join(REPEATABLE)}", key="repeated_ids")
    grader_params = dict(data.get("grader_params") or {})
    policy = grader_params.get("id_policy", "exact")
    if policy not in ID_POLICIES:
        raise SpecError(source, f"{policy!r} is not one of {', '.join(ID_POLICIES)}", key="grader_params.id_policy")
    return Competition(
        id=str(data["id"]),
        name=str(data["name"]),
        category=str(data["category"]),
        split=split,
        awards_medals=bool(data["awards_medals"]),
        metric=str(data["metric"]),
        metric_params=dict(data.get("metric_params") or {}),
        lower_is_better=bool(data["lower_is_better"]),
        id_columns=id_columns,
        submission_columns=tuple(columns),
        answers=str(data["answers"]),
        sample_submission=str(data["sample_submission"]),
        grader=str(data["grader"]),
        grader_params=grader_params,
        score_rounding=rounding,
        version=str(data["version"]),
        description=str(data["description"]).strip(),
        known_issues=issues,
        repeated_ids=repeated,
    )


def load_spec(path: Path, *, checked: bool = True) -> Competition:
    """Read, parse and check one spec file: its fields, its grader, its metric and the metric's parameters.

    ``checked=False`` skips the references (grader, metric, parameters), which load the graders and the
    metrics: the YAML alone, for listings that must start fast.

    >>> load_spec(SPEC_DIR / "spaceship-titanic.yaml").grader
    'label_column'
    """
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except (OSError, yaml.YAMLError) as err:
        raise SpecError(str(path), f"cannot read spec ({err})") from None
    spec = parse_spec(data, source=str(path))
    if spec.id != path.stem:
        raise SpecError(str(path), f"{spec.id!r} does not match the file name", key="id")
    if checked:
        from competitions.spec_checks import check_references

        check_references(spec, source=str(path))
    return spec


@lru_cache(maxsize=2)
def all_specs(checked: bool = True) -> dict[str, Competition]:
    """Every spec in ``SPEC_DIR``, keyed by competition id; the first bad spec raises :class:`SpecError`.
    ``checked=False``: the YAML only (see :func:`load_spec`)."""
    return {p.stem: load_spec(p, checked=checked) for p in sorted(SPEC_DIR.glob("*.yaml"))}
