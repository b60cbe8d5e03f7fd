"""Grading reports: one competition's :class:`GradeReport`, and the grading report of a batch.

``GradeReport.to_dict()`` has exactly MLE-bench's CompetitionReport keys, plus ``error``,
``competition_version``, ``dataset_revision``, ``validation_errors``, ``score_is_nan``, ``host_error``,
``medals_available`` and ``leaderboard_note`` (whether the medal fields could be computed, and why not),
``leaderboard_rank`` and ``leaderboard_percentile`` (where the score would have placed among the
competition's Kaggle teams: :func:`competitions.medals.leaderboard_placement`). ``error`` says only why a
submission could not be graded; it is None for a graded one, even when its leaderboard is missing.
Unlike MLE-bench, which writes the non-standard JSON token ``NaN``, a NaN score is written as ``null`` with
``score_is_nan: true`` so that every report is valid JSON. A submission that could not be graded (missing,
invalid, or a host error: the answers, the spec or the grader at fault) has its report made by
:meth:`GradeReport.failed`; a host error is never valid and is flagged ``host_error``, so it is counted
apart from the agent's failures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Literal


__all__ = ["GradeReport", "REPORT_KEYS", "FAILURE_KINDS", "batch_report", "report_filename"]

#: Why a submission could not be graded: no (CSV) file, an invalid submission, a host error.
FAILURE_KINDS = ("missing", "invalid", "host")

#: MLE-bench's CompetitionReport keys, in its order
REPORT_KEYS = (
    "competition_id", "score", "gold_threshold", "silver_threshold", "bronze_threshold", "median_threshold",
    "any_medal", "gold_medal", "silver_medal", "bronze_medal", "above_median", "submission_exists",
    "valid_submission", "is_lower_better", "created_at", "submission_path",
)


def _num(x: Any) -> float | None:
    """A JSON number: None for None/NaN."""
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


@dataclass
class GradeReport:
    """The result of grading one submission to one competition."""

    competition_id: str
    score: float | None = None
    gold_threshold: float | None = None
    silver_threshold: float | None = None
    bronze_threshold: float | None = None
    median_threshold: float | None = None
    gold_medal: bool = False
    silver_medal: bool = False
    bronze_medal: bool = False
    above_median: bool = False
    submission_exists: bool = False
    valid_submission: bool = False
    is_lower_better: bool | None = None
    created_at: datetime = field(default_factory=datetime.now)
    submission_path: str | None = None
    error: str | None = None
    competition_version: str | None = None
    dataset_revision: str | None = None
    validation_errors: list[dict[str, Any]] = field(default_factory=list)
    host_error: bool = False
    #: True when the leaderboard was read and the medal fields are computed; None when unknown (old reports)
    medals_available: bool | None = None
    #: why the medal fields are missing (no leaderboard, unreadable leaderboard); None when they are computed
    leaderboard_note: str | None = None
    #: 1 + the number of Kaggle teams strictly better than the score (ties rank with the team they tie)
    leaderboard_rank: int | None = None
    #: the share of Kaggle teams (percent) the score beats or ties
    leaderboard_percentile: float | None = None

    @classmethod
    def failed(
        cls,
        competition_id: str,
        reason: str,
        *,
        kind: Literal["missing", "invalid", "host"] = "invalid",
        submission_path: str | None = None,
        submission_exists: bool | None = None,
        competition_version: str | None = None,
        dataset_revision: str | None = None,
        validation_errors: Iterable[dict[str, Any]] = (),
    ) -> GradeReport:
        """The report of a submission that could not be graded: no score, no medal, not valid.

        ``kind``: ``missing`` (no submission file: ``submission_exists`` False), ``invalid`` (the submission
        breaks the contract or the grader's checks: it exists), or ``host`` (the answers, the spec, the grader
        or the harness failed: ``host_error`` True; ``submission_exists`` is whether ``submission_path`` is a
        file, unless given). ``reason`` becomes ``error``.

        >>> r = GradeReport.failed("toy", "no submission.csv", kind="missing")
        >>> r.submission_exists, r.valid_submission, r.host_error, r.error
        (False, False, False, 'no submission.csv')
        >>> GradeReport.failed("toy", "answers unreadable", kind="host", submission_exists=True).host_error
        True
        """
        if kind not in FAILURE_KINDS:
            raise ValueError(f"kind {kind!r} is not one of {FAILURE_KINDS}")
        if submission_exists is None:
            if kind == "host":
                submission_exists = submission_path is not None and Path(submission_path).is_file()
            else:
                submission_exists = kind == "invalid"
        return cls(
            competition_id,
            submission_exists=bool(submission_exists),
            valid_submission=False,
            submission_path=submission_path,
            error=reason,
            competition_version=competition_version,
            dataset_revision=dataset_revision,
            validation_errors=list(validation_errors),
            host_error=kind == "host",
        )

    @property
    def any_medal(self) -> bool:
        """Gold, silver or bronze."""
        return self.gold_medal or self.silver_medal or self.bronze_medal

    @property
    def score_is_nan(self) -> bool:
        """True when the metric returned NaN (a valid submission that earns nothing)."""
        return isinstance(self.score, float) and math.isnan(self.score)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types: MLE-bench's keys first, then ours.

        >>> r = GradeReport("toy", score=float("nan"), submission_exists=True, valid_submission=True,
        ...                 created_at=datetime(2024, 1, 2, 3, 4, 5))
        >>> d = r.to_dict()
        >>> d["score"], d["score_is_nan"], d["any_medal"], d["created_at"]
        (None, True, False, '2024-01-02T03:04:05')
        """
        return {
            "competition_id": self.competition_id,
            "score": _num(self.score),
            "gold_threshold": _num(self.gold_threshold),
            "silver_threshold": _num(self.silver_threshold),
            "bronze_threshold": _num(self.bronze_threshold),
            "median_threshold": _num(self.median_threshold),
            "any_medal": self.any_medal,
            "gold_medal": self.gold_medal,
            "silver_medal": self.silver_medal,
            "bronze_medal": self.bronze_medal,
            "above_median": self.above_median,
            "submission_exists": self.submission_exists,
            "valid_submission": self.valid_submission,
            "is_lower_better": self.is_lower_better,
            "created_at": self.created_at.isoformat(),
            "submission_path": self.submission_path,
            "error": self.error,
            "competition_version": self.competition_version,
            "dataset_revision": self.dataset_revision,
            "validation_errors": list(self.validation_errors),
            "score_is_nan": self.score_is_nan,
            "host_error": self.host_error,
            "medals_available": self.medals_available,
            "leaderboard_note": self.leaderboard_note,
            "leaderboard_rank": self.leaderboard_rank,
            "leaderboard_percentile": _num(self.leaderboard_percentile),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GradeReport:
        """Rebuild a report from :meth:`to_dict` output or an MLE-bench CompetitionReport dict.

        A report written before ``medals_available`` existed gets it from its thresholds, and the
        leaderboard note it kept in ``error`` moves to ``leaderboard_note``.

        >>> GradeReport.from_dict({"competition_id": "toy", "score": None, "score_is_nan": True,
        ...                        "gold_medal": True}).any_medal
        True
        >>> old = GradeReport.from_dict({"competition_id": "toy", "score": 0.5, "valid_submission": True,
        ...                              "error": "no medals: no leaderboard for toy"})
        >>> old.error, old.medals_available, old.leaderboard_note
        (None, False, 'no leaderboard for toy')
        """
        names = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in names}
        created = kwargs.get("created_at")
        if isinstance(created, str):
            try:
                kwargs["created_at"] = datetime.fromisoformat(created)
            except ValueError:
                kwargs.pop("created_at")
        elif created is None:
            kwargs.pop("created_at", None)
        if data.get("score_is_nan"):
            kwargs["score"] = float("nan")
        for key in ("gold_medal", "silver_medal", "bronze_medal", "above_median", "submission_exists",
                    "valid_submission", "host_error"):
            kwargs[key] = bool(kwargs.get(key) or False)
        kwargs["validation_errors"] = list(kwargs.get("validation_errors") or [])
        if "medals_available" not in data:
            kwargs.update(_split_old_error(kwargs.get("error"), kwargs.get("gold_threshold")))
        return cls(**kwargs)


#: how reports written before ``leaderboard_note`` existed began the note they appended to ``error``
_OLD_NOTE = "no medals: "


def _split_old_error(error: str | None, gold_threshold: Any) -> dict[str, Any]:
    """``error``, ``medals_available`` and ``leaderboard_note`` of a report from before those fields."""
    parts = [p for p in (error or "").split("; ") if p]
    notes = [p[len(_OLD_NOTE):] for p in parts if p.startswith(_OLD_NOTE)]
    rest = "; ".join(p for p in parts if not p.startswith(_OLD_NOTE)) or None
    return {"error": rest, "medals_available": gold_threshold is not None,
            "leaderboard_note": "; ".join(notes) or None}


def batch_report(reports: Iterable[GradeReport]) -> dict[str, Any]:
    """The grading report of a batch: MLE-bench's totals and every competition report, in input order.

    >>> batch_report([GradeReport("a", submission_exists=True, valid_submission=True, gold_medal=True),
    ...               GradeReport("b")])["total_gold_medals"]
    1
    """
    reports = list(reports)
    return {
        "total_runs": len(reports),
        "total_runs_with_submissions": sum(r.submission_exists for r in reports),
        "total_valid_submissions": sum(r.valid_submission for r in reports),
        "total_medals": sum(r.any_medal for r in reports),
        "total_gold_medals": sum(r.gold_medal for r in reports),
        "total_silver_medals": sum(r.silver_medal for r in reports),
        "total_bronze_medals": sum(r.bronze_medal for r in reports),
        "total_above_median": sum(r.above_median for r in reports),
        "total_host_errors": sum(r.host_error for r in reports),
        "competition_reports": [r.to_dict() for r in reports],
    }


def report_filename(now: datetime | None = None) -> str:
    """MLE-bench's report name, ``YYYY-MM-DDTHH-MM-SS-GMT_grading_report.json`` (UTC).

    >>> report_filename(datetime(2024, 5, 6, 7, 8, 9))
    '2024-05-06T07-08-09-GMT_grading_report.json'
    """
    from datetime import timezone

    now = now or datetime.now(timezone.utc)
    return f"{now.strftime('%Y-%m-%dT%H-%M-%S')}-GMT_grading_report.json"
