"""Batch grading: a JSONL of ``{competition_id, submission_path}`` (MLE-bench's input) into one grading report.

Lines are graded in parallel threads (reading and the metrics release the GIL in pyarrow, numpy and
scikit-learn). One bad line (malformed JSON, unknown id, data not prepared or tampered, unreadable CSV)
becomes an invalid report with its reason; it never stops the others.

The data of each competition comes from ``data(competition_id)``, a callable returning a record with
``answers``, ``sample_submission`` and ``dataset_revision`` (the command line passes
``mle_datasets.resolve``; this package does not know where prepared data lives). It is asked once per
competition, however many lines name it, and a ``ValueError`` or ``OSError`` it raises becomes each such
line's error.
"""

from __future__ import annotations

import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Protocol

from competitions.grading import GradingError, grade
from competitions.atomic import write_json_atomic
from competitions.reports import GradeReport, batch_report, report_filename

__all__ = ["read_jsonl", "grade_line", "grade_jsonl", "grade_batch", "CompetitionFiles", "DataLocator"]


class CompetitionFiles(Protocol):
    """What grading needs of a prepared competition (``mle_datasets.PreparedRef`` is one)."""

    answers: Path
    sample_submission: Path
    dataset_revision: str | None


DataLocator = Callable[[str], CompetitionFiles]


def read_jsonl(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The entries of a submissions JSONL; blank lines and lines starting with ``#`` or ``//`` are skipped.

    A malformed line becomes an entry with ``_error`` (graded as invalid) rather than stopping the batch.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.jsonl"
    >>> _ = p.write_text('# runs\\n{"competition_id": "a", "submission_path": "a.csv"}\\n\\n// x\\n{bad\\n')
    >>> [(e.get("competition_id"), "_error" in e) for e in read_jsonl(p)]
    [('a', False), (None, True)]
    """
    entries = []
    with Path(path).open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            text = line.strip()
            if not text or text.startswith("#") or text.startswith("//"):
                continue
            try:
                entry = json.loads(text)
                if not isinstance(entry, dict):
                    raise ValueError("not a JSON object")
            except ValueError as err:
                entries.append({"_error": f"line {number} is not a JSON object ({err})", "_line": number})
                continue
            entries.append(entry)
    return entries


def _failed(competition_id: str, submission_path: Any, reason: str, kind: str = "host",
            competition_version: str | None = None) -> GradeReport:
    """A line that could not be graded: ``missing`` when it names no submission, else not the agent's fault."""
    path = str(submission_path) if submission_path else None
    return GradeReport.failed(competition_id, reason, kind=kind, submission_path=path,
                              competition_version=competition_version)


def grade_line(entry: dict[str, Any], data: DataLocator, leaderboards: Any = None) -> GradeReport:
    """Grade one JSONL entry with the files ``data(competition_id)`` gives; never raises for a bad entry."""
    from competitions.catalogue import get

    cid = str(entry.get("competition_id") or "")
    sub = entry.get("submission_path")
    if "_error" in entry:
        return _failed(cid or "<unknown>", sub, entry["_error"], kind="missing")
    if not cid:
        return _failed("<unknown>", sub, "the entry has no competition_id", kind="missing")
    try:
        comp = get(cid)
    except KeyError as err:
        return _failed(cid, sub, str(err))
    if not sub:
        return _failed(cid, None, "no submission for this run", kind="missing", competition_version=comp.version)
    try:
        files = data(cid)
    except (ValueError, OSError) as err:
        return _failed(cid, sub, str(err), competition_version=comp.version)
    sample = Path(files.sample_submission) if files.sample_submission else None
    try:
        return grade(comp, sub, files.answers, sample if sample is not None and sample.is_file() else None,
                     leaderboards=leaderboards, dataset_revision=files.dataset_revision)
    except GradingError as err:
        return _failed(cid, sub, str(err), competition_version=comp.version)


def grade_batch(entries: list[dict[str, Any]], data: DataLocator, *, max_workers: int | None = None,
                leaderboards: Any = None) -> list[GradeReport]:
    """Grade entries in parallel; reports come back in input order."""
    workers = max_workers or min(8, (os.cpu_count() or 2))
    locate = _once_per_competition(data)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda e: grade_line(e, locate, leaderboards), entries))


def _once_per_competition(data: DataLocator) -> DataLocator:
    """``data`` called at most once per competition id (its answer, or its error, is shared)."""
    lock = threading.Lock()
    results: dict[str, Any] = {}

    def locate(cid: str) -> CompetitionFiles:
        with lock:
            if cid not in results:
                try:
                    results[cid] = (True, data(cid))
                except (ValueError, OSError) as err:
                    results[cid] = (False, err)
        ok, value = results[cid]
        if not ok:
            raise value
        return value

    return locate


def grade_jsonl(
    jsonl: str | os.PathLike[str],
    output_dir: str | os.PathLike[str],
    data: DataLocator,
    *,
    max_workers: int | None = None,
    leaderboards: Any = None,
) -> tuple[dict[str, Any], Path]:
    """Grade every line of ``jsonl``; write ``<output_dir>/<timestamp>_grading_report.json`` atomically.

    Returns the grading report (MLE-bench's totals plus ``competition_reports``) and the file written.
    """
    reports = grade_batch(read_jsonl(jsonl), data, max_workers=max_workers, leaderboards=leaderboards)
    report = batch_report(reports)
    path = write_json_atomic(report, Path(output_dir) / report_filename(datetime.now(timezone.utc)))
    return report, path
