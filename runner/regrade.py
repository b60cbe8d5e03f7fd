"""Grading a finished run group again: every run's submission against its competition's data, in parallel.

Regrading is what a researcher does after a grader fix, a new leaderboard or a new data version. The run
group's folder is the input (``group.json`` and ``runs/<competition>/seed-<k>/metadata.json``); each finished
run's ``submission/submission.csv`` is graded again and its ``metadata.json`` report replaced, then
``grading_report.json`` and ``aggregate.json`` are written anew (:func:`runner.rungroup.summarize_group`).

The submissions are an agent's files, so the host-side rules of :mod:`runner.grading` hold: a symbolic link,
FIFO or oversized file is refused unread, and grading runs in bounded children (memory cap, time limit).
Runs are graded in chunks of one competition (:func:`competitions.batch.plan_chunks`), ``workers`` chunks at
a time, so each competition's answers and sample are read once per chunk. A chunk whose child is killed at a
limit is graded again one submission at a time, so only the culprit is marked.
"""

from __future__ import annotations

import json
import logging
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from competitions.aggregate import GROUP_FILE
from competitions.atomic import write_json_atomic
from competitions.batch import Chunk, grade_chunk, plan_chunks
from competitions.reports import GradeReport
from mle_datasets import PreparedRef, resolve
from runner.backends.base import now
from runner.bounded import call_bounded
from runner.grading import GradingLimits, _apply_limits, grade_submission, refusal
from runner.rungroup import read_metadata, summarize_group

__all__ = ["RegradeResult", "regrade_group", "group_runs"]

log = logging.getLogger(__name__)


@dataclass
class RegradeResult:
    """What a regrade did: how many runs were graded again, how many kept their infrastructure failure, and
    how many changed score or validity; ``summary`` is the new aggregate."""

    regraded: int
    infra_failed: int
    changed: int
    summary: dict[str, Any]


def group_runs(group_dir: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every finished run of a group: its folder and its ``metadata.json``, sorted by competition and seed.

    >>> import tempfile
    >>> group_runs(Path(tempfile.mkdtemp()))
    []
    """
    runs = []
    for meta_path in sorted(Path(group_dir).glob("runs/*/seed-*/metadata.json")):
        meta = read_metadata(meta_path.parent)
        if meta is not None:
            runs.append((meta_path.parent, meta))
    return runs


def _chunk_in_child(chunk: Chunk, leaderboards: Any, max_bytes: int) -> list[tuple[int, dict[str, Any]]]:
    """What a bounded child runs: one chunk graded (its answers read once), reports as dicts."""
    _apply_limits(max_bytes)
    return [(i, report.to_dict()) for i, report in grade_chunk(chunk, leaderboards)]


def _grade_chunk_bounded(chunk: Chunk, leaderboards: Any, limits: GradingLimits) -> dict[int, dict[str, Any]]:
    result = call_bounded(_chunk_in_child, chunk, leaderboards, limits.max_submission_bytes,
                          memory=limits.memory, seconds=limits.seconds * len(chunk.submissions))
    if result.ok:
        return dict(result.value)
    log.warning("regrading %d submission(s) of %s one by one: the chunk's child ended with %s (%s)",
                len(chunk.submissions), chunk.competition.id, result.status, result.message)
    alone = {}
    for index, submission in chunk.submissions:
        report, _ = grade_submission(
            chunk.competition.id, Path(submission), Path(chunk.files.answers),
            Path(chunk.files.sample_submission) if chunk.files.sample_submission else None,
            competition_version=chunk.competition.version, dataset_revision=chunk.files.dataset_revision,
            limits=limits)
        alone[index] = report
    return alone


def regrade_group(
    group_dir: str | Path,
    *,
    data: Callable[..., PreparedRef] = resolve,
    workers: int = 2,
    limits: GradingLimits | None = None,
    leaderboards: Any = None,
    progress: Callable[[int], None] | None = None,
) -> RegradeResult:
    """Grade every finished run of the group in ``group_dir`` again and rewrite its reports.

    ``data(competition_id, version)`` gives the prepared files (default :func:`mle_datasets.resolve`): each
    run is graded against the data version it ran on (``dataset_version`` in its metadata), else the latest.
    A run the infrastructure never completed keeps its failure. ``progress(n)`` is called as chunks finish.

    >>> import tempfile
    >>> regrade_group(tempfile.mkdtemp()).regraded
    0
    """
    group_dir = Path(group_dir)
    limits = limits or GradingLimits()
    runs = group_runs(group_dir)
    reports: dict[int, dict[str, Any]] = {}
    gradable: list[tuple[int, dict[str, Any]]] = []  # (run index, JSONL-style entry)
    versions: dict[str, str | None] = {}
    for index, (run_dir, meta) in enumerate(runs):
        if meta.get("status") != "finished":
            continue  # the infrastructure never completed it: it keeps its failure
        cid, submission = meta["competition_id"], run_dir / "submission" / "submission.csv"
        reason = refusal(submission, limits.max_submission_bytes)
        if reason is not None:
            reports[index] = GradeReport.failed(
                cid, reason, kind="invalid", submission_path=str(submission),
                competition_version=meta.get("competition_version"),
                dataset_revision=meta.get("dataset_revision")).to_dict()
            continue
        gradable.append((index, {"competition_id": cid, "submission_path": str(submission)}))
        version = meta.get("dataset_version")
        if versions.setdefault(cid, version) != version:
            log.warning("runs of %s used several data versions; regrading all against %s", cid, versions[cid])

    def locate(cid: str) -> PreparedRef:
        version = versions.get(cid)
        return data(cid, None if version in (None, "unversioned") else version)

    done, chunks = plan_chunks([e for _, e in gradable], locate, workers)
    for local, report in done.items():
        reports[gradable[local][0]] = report.to_dict()
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for graded in pool.map(lambda c: _grade_chunk_bounded(c, leaderboards, limits), chunks):
            for local, report in graded.items():
                reports[gradable[local][0]] = report
            if progress is not None:
                progress(len(graded))
    changed = 0
    for index, report in reports.items():
        run_dir, meta = runs[index]
        changed += not _same_result(meta.get("report") or {}, report)
        meta["report"] = report
        meta["regraded_at"] = now()
        write_json_atomic(meta, run_dir / "metadata.json")
    summary = summarize_group(group_dir, [m for _, m in runs], _group_competitions(group_dir, runs))
    return RegradeResult(regraded=len(reports), infra_failed=len(runs) - len(reports), changed=changed,
                         summary=summary)


def _same_result(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """The same validity and score (a NaN score equals a NaN score)."""
    a, b = old.get("score"), new.get("score")
    same_score = a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))
    return same_score and old.get("valid_submission") == new.get("valid_submission")


def _group_competitions(group_dir: Path, runs: list[tuple[Path, dict[str, Any]]]) -> list[str]:
    try:
        return list(json.loads((group_dir / GROUP_FILE).read_text())["competitions"])
    except (OSError, ValueError, KeyError, TypeError):
        return sorted({meta["competition_id"] for _, meta in runs})
