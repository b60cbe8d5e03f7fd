"""Grading one submission: read, contract, grader, round as MLE-bench does, rank against the leaderboard.

The pipeline never raises for a bad submission: every problem becomes an invalid :class:`GradeReport` with a
reason. What stops grading before it starts on the host side (unknown competition, answers missing or
unreadable) raises :class:`GradingError`; what goes wrong while scoring is decided by :func:`fault_of`: the
submission's fault makes an invalid submission, the host's (the answers' content, the spec, the grader) a
report flagged ``host_error``, never counted against the agent and never showing the details to it.
"""

from __future__ import annotations

import json
import logging
import math
import os
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from competitions.catalogue import get
from competitions.faults import HOST, SUBMISSION, InvalidSubmission, fault_of
from competitions.graders import get_grader, order_like_answers
from competitions.leaderboards import LeaderboardError, leaderboard
from competitions.medals import leaderboard_placement, rank_score, thresholds_from_leaderboard
from competitions.reports import GradeReport
from competitions.spec import Competition
from metrics import MetricInputError
from schemas.csvio import CSVReadError, read_csv
from schemas.submission import ID_POLICIES, CheckedSubmission, read_submission, validate_submission

__all__ = ["GradingError", "grade", "round_score", "read_answers", "read_expected_ids", "fault_of", "SUBMISSION", "HOST", "ID_POLICIES"]

log = logging.getLogger(__name__)


class GradingError(ValueError):
    """A host-side problem that stops one grading (unknown competition, missing or unreadable answers)."""


def round_score(score: Any, rounding: str) -> float:
    """Round a raw score to 5 decimals the way MLE-bench does for the grader's return type.

    ``python``: built-in ``round`` on a Python float (correctly rounded); ``numpy``: ``round`` on
    ``np.float64`` (numpy's algorithm: scale, round half to even, unscale); ``int``: ``int(round(x))``.

    >>> round_score(0.123456789, "python"), round_score(2.5, "int"), round_score(1.0000049999, "numpy")
    (0.12346, 2.0, 1.0)
    >>> round_score(0.123455, "python"), round_score(0.123455, "numpy")
    (0.12345, 0.12346)
    """
    if rounding == "python":
        return round(float(score), 5)
    if rounding == "numpy":
        return float(round(np.float64(score), 5))
    if rounding == "int":
        return float(int(round(float(score))))
    raise ValueError(f"unknown score_rounding {rounding!r}; use python, numpy or int")


def _competition(competition: str | Competition) -> Competition:
    if isinstance(competition, Competition):
        return competition
    try:
        return get(competition)
    except KeyError as err:
        raise GradingError(str(err)) from None


def read_answers(comp: Competition, answers: Any) -> Any:
    """The answers as the grader takes them: a DataFrame (id columns as strings) or, for JSONL, a list of dicts."""
    if isinstance(answers, (pd.DataFrame, list)):
        return answers
    path = Path(answers)
    if not path.is_file():
        raise GradingError(f"{comp.id}: answers file not found ({path}); prepare the competition's data first")
    if path.suffix.lower() == ".jsonl":
        try:
            with path.open(encoding="utf-8") as fh:
                return [json.loads(line) for line in fh if line.strip()]
        except (OSError, ValueError) as err:
            raise GradingError(f"{comp.id}: answers file {path} is not valid JSONL ({err})") from None
    try:
        return read_csv(path, string_columns=list(comp.id_columns), require_suffix=False)
    except CSVReadError as err:
        raise GradingError(f"{comp.id}: answers file unreadable: {err.message}") from None


def read_expected_ids(comp: Competition, sample: str | os.PathLike[str]) -> pd.DataFrame:
    """The sample submission as grading reads it (id columns as strings); :class:`GradingError` if unreadable."""
    try:
        return read_csv(sample, string_columns=list(comp.id_columns))
    except CSVReadError as err:
        raise GradingError(f"{comp.id}: sample submission unreadable: {err.message}") from None


def _expected_ids(comp: Competition, sample: Any, answers: Any) -> tuple[pd.DataFrame | None, bool]:
    """The frame whose id columns give the expected id set, and whether missing ids may be shown."""
    if sample is not None:
        return (sample if isinstance(sample, pd.DataFrame) else read_expected_ids(comp, sample)), True
    frame = pd.DataFrame(answers) if isinstance(answers, list) else answers
    if all(c in frame.columns for c in comp.id_columns):
        return frame[list(comp.id_columns)].astype("str"), False
    return None, False


def _check_submission(comp: Competition, submission: Any, sample: Any, answers: Any,
                      failed: Callable[..., GradeReport]) -> CheckedSubmission | GradeReport:
    """The submission read and validated, or the report saying why it is missing or invalid."""
    try:
        frame = read_submission(comp, submission)
    except CSVReadError as err:
        errors = [{"column": None, "check": f"read:{err.check}", "count": 1, "examples": [], "message": err.message}]
        return failed(err.message, kind="invalid", validation_errors=errors)
    expected, reveal = _expected_ids(comp, sample, answers)
    checked = validate_submission(comp, frame, expected, reveal_missing=reveal)
    validation = checked.report
    if not validation.valid:
        return failed("invalid submission: " + validation.summary(), kind="invalid",
                      validation_errors=[e.to_dict() for e in validation.errors])
    return checked


def _score(comp: Competition, checked: CheckedSubmission, answers: Any,
           failed: Callable[..., GradeReport]) -> float | GradeReport:
    """The rounded score, or the report of a submission that could not be scored (whose fault: :func:`fault_of`).
    The submission reaches the grader in the answers' row order when its ids pair one to one with theirs."""
    try:
        frame = order_like_answers(checked.frame, checked.ids, answers, comp)
        raw = get_grader(comp.grader).grade(frame, answers, comp)
    except Exception as err:  # noqa: BLE001 - every grader failure is reported, never raised
        if fault_of(err) == SUBMISSION:
            reason, errors = _invalid(err)
            return failed(reason, kind="invalid", validation_errors=errors)
        log.error("host error grading %s with %s: %s: %s", comp.id, comp.grader, type(err).__name__, err,
                  exc_info=not isinstance(err, MetricInputError))
        return failed(_host_reason(comp, err), kind="host")
    if raw is None:
        return failed("grader error: the grader returned no score", kind="host")
    if comp.score_rounding == "int" and not math.isfinite(float(raw)):
        return failed("grader error: the score is not finite and cannot be rounded to an integer", kind="host")
    return round_score(raw, comp.score_rounding)


def _invalid(err: Exception) -> tuple[str, list[dict[str, Any]]]:
    """The reason and structured errors of a submission-side failure (its messages quote the submission only)."""
    if isinstance(err, InvalidSubmission):
        return f"invalid submission: {err.message}", [{"column": err.column, "check": err.check, "count": err.count,
                                                        "examples": list(err.examples), "message": err.message}]
    message = str(err)
    return f"invalid submission: {message}", [{"column": None, "check": "metric", "count": None, "examples": [],
                                               "message": message}]


def _host_reason(comp: Competition, err: Exception) -> str:
    """Why a submission could not be graded, without the error's text (it may quote answers)."""
    if isinstance(err, MetricInputError):
        argument = err.argument or "an argument"
        if argument == "y_true":
            culprit = "the answers"
        elif argument in comp.metric_params:
            culprit = f"the spec's metric_params.{argument}"
        elif argument == "name":
            culprit = f"the spec's metric {comp.metric!r}"
        else:
            culprit = f"the grader's {argument!r} argument"
        return (f"host error: the metric {comp.metric} rejected {culprit}; the submission is not at fault "
                "(details are in the host log)")
    return (f"grader error: {type(err).__name__} while scoring; the submission could not be graded "
            "(details are in the host log)")


def _rank(comp: Competition, report: GradeReport, leaderboards: Any) -> None:
    """Fill thresholds, medals, ``medals_available``/``leaderboard_note`` and the score's leaderboard placement.

    The placement (``leaderboard_rank``, ``leaderboard_percentile``) is that of a valid, non-NaN score:
    :func:`competitions.medals.leaderboard_placement` (ties rank with the team they tie).
    """
    try:
        board = leaderboard(comp.id, leaderboards)
    except LeaderboardError as err:
        report.is_lower_better = comp.lower_is_better
        report.medals_available, report.leaderboard_note = False, str(err)
        return
    t = thresholds_from_leaderboard(board)
    report.medals_available = True
    report.gold_threshold, report.silver_threshold = t["gold"], t["silver"]
    report.bronze_threshold, report.median_threshold = t["bronze"], t["median"]
    report.is_lower_better = t["lower_is_better"]
    medals = rank_score(report.score, t)
    report.gold_medal, report.silver_medal = medals.gold_medal, medals.silver_medal
    report.bronze_medal, report.above_median = medals.bronze_medal, medals.above_median
    placement = leaderboard_placement(report.score, board["score"].to_numpy(), t["lower_is_better"])
    if report.valid_submission and placement is not None:
        report.leaderboard_rank, report.leaderboard_percentile = placement.rank, placement.percentile


def grade(
    competition: str | Competition,
    submission: str | os.PathLike[str] | pd.DataFrame,
    answers: str | os.PathLike[str] | pd.DataFrame | list[dict[str, Any]],
    sample_submission: str | os.PathLike[str] | pd.DataFrame | None = None,
    *,
    leaderboards: str | os.PathLike[str] | None = None,
    dataset_revision: str | None = None,
) -> GradeReport:
    """Grade a submission as MLE-bench v1 does and return its :class:`GradeReport`.

    ``submission``, ``answers`` and ``sample_submission`` are DataFrames or paths (answers: ``.csv`` or
    ``.jsonl``). The expected id set comes from the sample submission, else from the answers' id columns
    (host-side only). ``leaderboards`` overrides the leaderboard folder. A NaN score is valid and earns no
    medal; a missing leaderboard leaves the score, sets ``medals_available`` False and explains why in
    ``leaderboard_note`` (``error`` is only for submissions that could not be graded).
    """
    comp = _competition(competition)
    path = None if isinstance(submission, pd.DataFrame) else Path(submission)
    exists = path is None or (path.is_file() and path.suffix.lower() == ".csv")
    common = {"submission_path": None if path is None else str(path), "competition_version": comp.version,
              "dataset_revision": dataset_revision}

    def failed(reason: str, *, kind: str = "invalid", validation_errors: Any = ()) -> GradeReport:
        kind = "missing" if kind == "invalid" and not exists else kind
        return GradeReport.failed(comp.id, reason, kind=kind, submission_exists=exists,
                                  validation_errors=validation_errors, **common)

    answers = read_answers(comp, answers)
    outcome: Any = _check_submission(comp, submission, sample_submission, answers, failed)
    if isinstance(outcome, CheckedSubmission):
        outcome = _score(comp, outcome, answers, failed)
    if isinstance(outcome, GradeReport):
        report = outcome
    else:
        report = GradeReport(comp.id, score=outcome, submission_exists=True, valid_submission=True, **common)
    _rank(comp, report, leaderboards)
    return report
