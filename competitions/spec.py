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

SPEC_DIR = Path(__file__).parent / "specs"

SPLITS = ("low", "medium", "high", "dev")
SPLIT_ALIASES = {"lite": "low", "low": "low", "medium": "medium", "high": "high", "dev": "dev"}

#: Column value types a submission column may declare.
DTYPES = ("str", "int", "float", "bool")

#: Value domains a submission column may declare (checked by ``schemas`` from public inputs only):
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


class SpecError(ValueError):
    """A spec file is missing, malformed or inconsistent."""


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
    answers_format: str
    grader: str
    grader_params: dict[str, Any]
    score_rounding: str
    version: str
    description: str
    known_issues: tuple[KnownIssue, ...] = field(default_factory=tuple)

    @property
    def in_split75(self) -> bool:
        """True for the 75 graded competitions (every split but dev)."""
        return self.split != "dev"

    @property
    def column_names(self) -> tuple[str, ...]:
        """The submission's column names, in the sample submission's order."""
        return tuple(c.name for c in self.submission_columns)


_REQUIRED = (
    "id", "name", "category", "split", "awards_medals", "metric", "lower_is_better", "id_columns",
    "submission_columns", "answers", "sample_submission", "answers_format", "grader", "version", "description",
)


def parse_spec(data: dict[str, Any], source: str = "<spec>") -> Competition:
    """Build a :class:`Competition` from a spec mapping, checking every field."""
    if not isinstance(data, dict):
        raise SpecError(f"{source}: a spec must be a mapping, got {type(data).__name__}")
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise SpecError(f"{source}: missing field(s) {', '.join(missing)}")
    split = SPLIT_ALIASES.get(str(data["split"]))
    if split is None:
        raise SpecError(f"{source}: split {data['split']!r} is not one of {', '.join(SPLITS)}")
    columns = []
    for raw in data["submission_columns"]:
        col = SubmissionColumn(
            name=str(raw["name"]),
            dtype=raw.get("dtype", "str"),
            domain=raw.get("domain"),
            nullable=bool(raw.get("nullable", False)),
            allowed=tuple(raw["allowed"]) if raw.get("allowed") is not None else None,
            group_size=raw.get("group_size"),
            empty=raw.get("empty"),
        )
        if col.dtype not in DTYPES:
            raise SpecError(f"{source}: column {col.name!r} has dtype {col.dtype!r}, not one of {DTYPES}")
        if col.domain is not None and col.domain not in DOMAINS:
            raise SpecError(f"{source}: column {col.name!r} has domain {col.domain!r}, not one of {DOMAINS}")
        columns.append(col)
    id_columns = tuple(str(c) for c in data["id_columns"])
    names = [c.name for c in columns]
    for c in id_columns:
        if c not in names:
            raise SpecError(f"{source}: id column {c!r} is not among the submission columns {names}")
    issues = tuple(
        KnownIssue(summary=i["summary"], kaggle=i["kaggle"], affects_score=bool(i.get("affects_score", True)))
        for i in data.get("known_issues") or ()
    )
    rounding = data.get("score_rounding", "numpy")
    if rounding not in ("python", "numpy", "int"):
        raise SpecError(f"{source}: score_rounding {rounding!r} is not python, numpy or int")
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
        answers_format=str(data["answers_format"]),
        grader=str(data["grader"]),
        grader_params=dict(data.get("grader_params") or {}),
        score_rounding=rounding,
        version=str(data["version"]),
        description=str(data["description"]).strip(),
        known_issues=issues,
    )


def load_spec(path: Path) -> Competition:
    """Read and parse one spec file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise SpecError(f"{path}: cannot read spec ({err})") from None
    spec = parse_spec(data, source=str(path))
    if spec.id != path.stem:
        raise SpecError(f"{path}: id {spec.id!r} does not match the file name")
    return spec


@lru_cache(maxsize=1)
def all_specs() -> dict[str, Competition]:
    """Every spec in ``SPEC_DIR``, keyed by competition id."""
    return {p.stem: load_spec(p) for p in sorted(SPEC_DIR.glob("*.yaml"))}
