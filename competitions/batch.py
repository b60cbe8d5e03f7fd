"""Batch grading: a JSONL of ``{competition_id, submission_path}`` (MLE-bench's input) into one grading report.

Lines are graded in a bounded pool of processes, grouped by competition so that each competition's answers
and sample submission are read once per chunk of submissions, not once per line. One bad line (malformed JSON, unknown id, data not prepared or tampered, unreadable CSV)
becomes an invalid report with its reason; it never stops the others.

The data of each competition comes from ``data(competition_id)``, a callable returning a record with
``answers``, ``sample_submission`` and ``dataset_revision`` (the command line passes
``mle_datasets.resolve``; this package does not know where prepared data lives). It is asked once per
competition, however many lines name it, and a ``ValueError`` or ``OSError`` it raises becomes each such
line's error.

``progress``, when given, is called as ``progress("grade", done, total)`` as submissions are graded (in this
process, as each chunk comes back): the command line hands it a progress bar.
"""

from __future__ import annotations

import json
import logging
import math
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Protocol

import pandas as pd

from competitions.grading import GradingError, grade, read_answers, read_expected_ids
from competitions.atomic import write_json_atomic
from competitions.reports import GradeReport, batch_report, report_filename

__all__ = ["read_jsonl", "grade_line", "grade_jsonl", "grade_batch", "grade_chunk", "plan_chunks", "Chunk",
           "ChunkFiles", "CompetitionFiles", "DataLocator"]


class CompetitionFiles(Protocol):
    """What grading needs of a prepared competition (``mle_datasets.PreparedRef`` is one)."""

    answers: Path
    sample_submission: Path
    dataset_revision: str | None


DataLocator = Callable[[str], CompetitionFiles]
#: ``progress(what, done, total)``: told as the steps of a long task end
Progress = Callable[[str, int, int], None]

log = logging.getLogger(__name__)


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


def _entry_problem(entry: dict[str, Any]) -> tuple[Any, GradeReport | None]:
    """The entry's competition, or the report of an entry that names no gradable competition or submission."""
    from competitions.catalogue import get

    cid = str(entry.get("competition_id") or "")
    sub = entry.get("submission_path")
    if "_error" in entry:
        return None, _failed(cid or "<unknown>", sub, entry["_error"], kind="missing")
    if not cid:
        return None, _failed("<unknown>", sub, "the entry has no competition_id", kind="missing")
    try:
        comp = get(cid)
    except KeyError as err:
        return None, _failed(cid, sub, str(err))
    if not sub:
        return comp, _failed(cid, None, "no submission for this run", kind="missing", competition_version=comp.version)
    return comp, None


def grade_line(entry: dict[str, Any], data: DataLocator, leaderboards: Any = None) -> GradeReport:
    """Grade one JSONL entry with the files ``data(competition_id)`` gives; never raises for a bad entry."""
    comp, problem = _entry_problem(entry)
    if problem is not None:
        return problem
    try:
        files = data(comp.id)
    except (ValueError, OSError) as err:
        return _failed(comp.id, entry["submission_path"], str(err), competition_version=comp.version)
    return grade_chunk(Chunk(comp, _files_of(files), ((0, str(entry["submission_path"])),)), leaderboards)[0][1]


@dataclass(frozen=True)
class ChunkFiles:
    """The prepared files one chunk is graded against (plain paths, so a chunk can cross to a process)."""

    answers: str
    sample_submission: str | None
    dataset_revision: str | None


@dataclass(frozen=True)
class Chunk:
    """Submissions of one competition graded together: the answers and sample are read once for all."""

    competition: Any
    files: ChunkFiles
    submissions: tuple[tuple[int, str], ...]  # (position in the batch, submission path)


def _files_of(files: CompetitionFiles) -> ChunkFiles:
    sample = Path(files.sample_submission) if files.sample_submission else None
    return ChunkFiles(str(files.answers), str(sample) if sample is not None and sample.is_file() else None,
                      files.dataset_revision)


def grade_chunk(chunk: Chunk, leaderboards: Any = None) -> list[tuple[int, GradeReport]]:
    """Grade a chunk's submissions, reading its answers and sample submission once; never raises.

    Each grading gets its own copy of the answers, so a grader that changes its input cannot change the next
    one's. A host-side problem with the answers or the sample (missing, unreadable) fails every submission of
    the chunk with the same reason.
    """
    comp = chunk.competition
    try:
        answers = read_answers(comp, chunk.files.answers)
        sample = None
        if chunk.files.sample_submission is not None:
            sample = read_expected_ids(comp, chunk.files.sample_submission)
    except GradingError as err:
        return [(i, _failed(comp.id, sub, str(err), competition_version=comp.version))
                for i, sub in chunk.submissions]
    graded = []
    for index, submission in chunk.submissions:
        own = answers.copy() if isinstance(answers, pd.DataFrame) else [dict(row) for row in answers]
        try:
            report = grade(comp, submission, own, sample, leaderboards=leaderboards,
                           dataset_revision=chunk.files.dataset_revision)
        except GradingError as err:
            report = _failed(comp.id, submission, str(err), competition_version=comp.version)
        graded.append((index, report))
    return graded


def plan_chunks(entries: list[dict[str, Any]], data: DataLocator, workers: int
                ) -> tuple[dict[int, GradeReport], list[Chunk]]:
    """Split a batch into the reports known without grading (bad entries, data not available) and chunks.

    ``data`` is called once per competition. A competition's submissions form one chunk, or several when there
    are fewer competitions than ``workers``, so that one competition with many submissions still fills the pool.
    Chunks come largest first (bytes of submissions).
    """
    done: dict[int, GradeReport] = {}
    by_competition: dict[str, list[tuple[int, str]]] = {}
    comps: dict[str, Any] = {}
    for index, entry in enumerate(entries):
        comp, problem = _entry_problem(entry)
        if problem is not None:
            done[index] = problem
            continue
        comps[comp.id] = comp
        by_competition.setdefault(comp.id, []).append((index, str(entry["submission_path"])))
    per_competition = max(1, workers // max(1, len(by_competition)))
    chunks = []
    for cid, submissions in by_competition.items():
        comp = comps[cid]
        try:
            files = _files_of(data(cid))
        except (ValueError, OSError) as err:
            done.update((i, _failed(cid, sub, str(err), competition_version=comp.version)) for i, sub in submissions)
            continue
        size = math.ceil(len(submissions) / per_competition)
        chunks += [Chunk(comp, files, tuple(submissions[k:k + size])) for k in range(0, len(submissions), size)]
    # the largest first (by bytes to read, the cost a worker can know in advance), so that a slow competition
    # does not start last and leave the other workers idle
    chunks.sort(key=lambda c: -sum(_size(path) for _, path in c.submissions))
    return done, chunks


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def grade_batch(entries: list[dict[str, Any]], data: DataLocator, *, max_workers: int | None = None,
                leaderboards: Any = None, progress: Progress | None = None) -> list[GradeReport]:
    """Grade entries in a bounded pool of processes; reports come back in input order.

    ``max_workers`` processes (default: the CPU count, at most 8) each grade whole chunks
    (:func:`plan_chunks`), so a competition's answers, sample and leaderboard are read once per chunk rather
    than once per submission. With one worker or a single chunk everything is graded in this process.
    """
    workers = max(1, max_workers or min(8, os.cpu_count() or 2))
    done, chunks = plan_chunks(entries, data, workers)
    log.info("grading %d submission(s) in %d chunk(s), %d worker(s)", len(entries), len(chunks), workers)

    def tell(graded: list[tuple[int, GradeReport]]) -> list[tuple[int, GradeReport]]:
        done.update(graded)
        if progress is not None:
            progress("grade", len(done), len(entries))
        return graded

    if not chunks:
        tell([])  # every line was settled while planning (bad entries, data not available)
    if workers == 1 or len(chunks) <= 1:
        for chunk in chunks:
            tell(grade_chunk(chunk, leaderboards))
    else:
        # fork: graders and competitions registered at run time (plugins, a user's script) reach the workers
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        context = multiprocessing.get_context(method)
        with ProcessPoolExecutor(max_workers=min(workers, len(chunks)), mp_context=context) as pool:
            for graded in pool.map(grade_chunk, chunks, [leaderboards] * len(chunks)):
                tell(graded)
    reports = [done[i] for i in range(len(entries))]
    log.info("graded %d submission(s): %d valid, %d host error(s)", len(reports),
             sum(r.valid_submission for r in reports), sum(r.host_error for r in reports))
    return reports


def grade_jsonl(
    jsonl: str | os.PathLike[str],
    output_dir: str | os.PathLike[str],
    data: DataLocator,
    *,
    max_workers: int | None = None,
    leaderboards: Any = None,
    progress: Progress | None = None,
) -> tuple[dict[str, Any], Path]:
    """Grade every line of ``jsonl``; write ``<output_dir>/<timestamp>_grading_report.json`` atomically.

    Returns the grading report (MLE-bench's totals plus ``competition_reports``) and the file written.
    """
    reports = grade_batch(read_jsonl(jsonl), data, max_workers=max_workers, leaderboards=leaderboards,
                          progress=progress)
    report = batch_report(reports)
    path = write_json_atomic(report, Path(output_dir) / report_filename(datetime.now(timezone.utc)))
    log.info("grading report written to %s", path)
    return report, path
