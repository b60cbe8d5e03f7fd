"""MLE-bench's ``mlebench.grade`` for scripts written against it: ``grade_csv`` and ``grade_jsonl``.

Thin wrappers over :func:`competitions.grade` and :func:`competitions.batch.grade_jsonl`; the reports are ours
(:class:`competitions.reports.GradeReport`), whose ``to_dict()`` holds every key of MLE-bench's.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import competitions
from competitions.batch import grade_jsonl as _grade_jsonl
from competitions.reports import GradeReport
from mlebench.registry import Competition, Registry, registry as default_registry

__all__ = ["grade_csv", "grade_jsonl"]


def grade_csv(path_to_submission: str | os.PathLike, competition: Competition) -> GradeReport:
    """Grade one submission CSV against ``competition``'s answers (from :meth:`Registry.get_competition`).

    >>> import tempfile, pathlib
    >>> sub = pathlib.Path(tempfile.mkdtemp()) / "submission.csv"
    >>> report = grade_csv(sub, default_registry.set_data_dir(sub.parent).get_competition("spaceship-titanic"))
    >>> report.valid_submission, report.submission_exists
    (False, False)
    """
    sample = competition.sample_submission if Path(competition.sample_submission).is_file() else None
    try:
        return competitions.grade(competition.id, path_to_submission, competition.answers, sample,
                                  dataset_revision=competition.dataset_revision)
    except competitions.GradingError as err:  # no answers: not the submission's fault
        return GradeReport.failed(competition.id, str(err), kind="host", submission_path=str(path_to_submission))


def grade_jsonl(path_to_submissions: str | os.PathLike, output_dir: str | os.PathLike,
                registry: Registry = default_registry) -> dict[str, Any]:
    """Grade a JSONL of ``{competition_id, submission_path}``; write the grading report into ``output_dir``."""
    report, _ = _grade_jsonl(path_to_submissions, output_dir, registry.resolve)
    return report
