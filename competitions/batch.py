"""Batch grading: a JSONL of ``{competition_id, submission_path}`` (MLE-bench's input) into one grading report.

Lines are graded in parallel threads (reading and the metrics release the GIL in pyarrow, numpy and
scikit-learn). One bad line (malformed JSON, unknown id, missing answers, unreadable CSV) becomes an invalid
report with its reason; it never stops the others. Answers are found in MLE-bench's layout,
``<data-dir>/<id>/prepared/<spec.answers>`` (``spec.answers`` is relative to ``prepared/``, e.g.
``private/answers.csv``), and the public sample submission beside it gives the expected ids when present.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from competitions.grading import GradingError, grade
from competitions.leaderboards import mle_bench_home
from competitions.reports import GradeReport, batch_report, report_filename, write_json_atomic

__all__ = ["read_jsonl", "default_data_dir", "grade_line", "grade_jsonl", "grade_batch"]


def default_data_dir() -> Path:
    """Where prepared competitions live: ``$MLE_BENCH_DATA``, else ``<home>/data``."""
    env = os.environ.get("MLE_BENCH_DATA")
    return Path(env).expanduser() if env else mle_bench_home() / "data"


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


def _failed(competition_id: str, submission_path: Any, reason: str) -> GradeReport:
    path = str(submission_path) if submission_path else None
    exists = bool(path) and Path(path).is_file() and Path(path).suffix.lower() == ".csv"
    return GradeReport(competition_id, submission_exists=exists, submission_path=path, error=reason)


def grade_line(entry: dict[str, Any], data_dir: str | os.PathLike[str] | None = None,
               leaderboards: Any = None) -> GradeReport:
    """Grade one JSONL entry; never raises for a bad entry."""
    from competitions.catalogue import get

    cid = str(entry.get("competition_id") or "")
    sub = entry.get("submission_path")
    if "_error" in entry:
        return _failed(cid or "<unknown>", sub, entry["_error"])
    if not cid:
        return _failed("<unknown>", sub, "the entry has no competition_id")
    try:
        comp = get(cid)
    except KeyError as err:
        return _failed(cid, sub, str(err))
    if not sub:
        report = _failed(cid, None, "no submission for this run")
        report.competition_version = comp.version
        return report
    prepared = Path(data_dir or default_data_dir()) / cid / "prepared"
    sample = prepared / comp.sample_submission
    try:
        return grade(comp, sub, prepared / comp.answers, sample if sample.is_file() else None,
                     leaderboards=leaderboards)
    except GradingError as err:
        report = _failed(cid, sub, str(err))
        report.competition_version = comp.version
        return report


def grade_batch(entries: list[dict[str, Any]], data_dir: Any = None, *, max_workers: int | None = None,
                leaderboards: Any = None) -> list[GradeReport]:
    """Grade entries in parallel; reports come back in input order."""
    workers = max_workers or min(8, (os.cpu_count() or 2))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda e: grade_line(e, data_dir, leaderboards), entries))


def grade_jsonl(
    jsonl: str | os.PathLike[str],
    output_dir: str | os.PathLike[str],
    data_dir: str | os.PathLike[str] | None = None,
    *,
    max_workers: int | None = None,
    leaderboards: Any = None,
) -> tuple[dict[str, Any], Path]:
    """Grade every line of ``jsonl``; write ``<output_dir>/<timestamp>_grading_report.json`` atomically.

    Returns the grading report (MLE-bench's totals plus ``competition_reports``) and the file written.
    """
    reports = grade_batch(read_jsonl(jsonl), data_dir, max_workers=max_workers, leaderboards=leaderboards)
    report = batch_report(reports)
    path = write_json_atomic(report, Path(output_dir) / report_filename(datetime.now(timezone.utc)))
    return report, path
