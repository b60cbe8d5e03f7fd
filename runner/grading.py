"""Grading a run's submission on the host, bounded: refused unread when it is not a plain file or too large,
otherwise graded in a child process with a memory cap and a time limit (:mod:`runner.bounded`).

What an agent wrote is untrusted. A symbolic link could point anywhere on the host, a FIFO blocks whoever
opens it, a directory or socket is no file at all, and a huge or many-column file could take the host's
memory or hours of CPU: each is an invalid submission with a reason, never a crash or a hang of the
harness. The same bounded child checks submissions for the validation service.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.bounded import BoundedCall, BoundedResult, default_memory_limit
from runner.diskwatch import human_bytes

#: Largest submission graded by default (checked before reading; configurable per run group).
MAX_SUBMISSION_BYTES = 1024**3
#: Longest a grading may take by default, in seconds.
GRADING_SECONDS = 1800.0


@dataclass(frozen=True)
class GradingLimits:
    """Bounds of host-side work on one submission: its size, and the child's memory and time."""

    max_submission_bytes: int = MAX_SUBMISSION_BYTES
    memory: int = field(default_factory=default_memory_limit)
    seconds: float = GRADING_SECONDS


def refusal(path: Path, max_bytes: int = MAX_SUBMISSION_BYTES) -> str | None:
    """Why ``path`` is refused without being opened, or None when it may be read (or does not exist).

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> (folder / "s.csv").symlink_to("/etc/passwd")
    >>> refusal(folder / "s.csv")
    'submission.csv is a symbolic link; an agent must write a regular file'
    >>> os.mkfifo(folder / "f.csv"); refusal(folder / "f.csv")
    'submission.csv is a FIFO, not a regular file'
    >>> _ = (folder / "big.csv").write_bytes(b"x" * 2048); refusal(folder / "big.csv", max_bytes=1024)
    'submission.csv is 2.0 KiB, over the submission size limit of 1.0 KiB'
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as err:
        return f"submission.csv cannot be inspected ({err.strerror})"
    if stat.S_ISLNK(info.st_mode):
        return "submission.csv is a symbolic link; an agent must write a regular file"
    if not stat.S_ISREG(info.st_mode):
        kind = {stat.S_IFDIR: "a directory", stat.S_IFIFO: "a FIFO", stat.S_IFSOCK: "a socket",
                stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device"}.get(
                    stat.S_IFMT(info.st_mode), "not a file")
        return f"submission.csv is {kind}, not a regular file"
    if info.st_size > max_bytes:
        return (f"submission.csv is {human_bytes(info.st_size)}, over the submission size limit of "
                f"{human_bytes(max_bytes)}")
    return None


def _apply_limits(max_bytes: int) -> None:
    import schemas.submission

    if hasattr(schemas.submission, "MAX_SUBMISSION_BYTES"):
        schemas.submission.MAX_SUBMISSION_BYTES = max_bytes


def grade_in_child(competition_id: str, submission: str, answers: str, sample_submission: str | None,
                   dataset_revision: str | None, max_bytes: int) -> dict[str, Any]:
    """What the bounded child runs: :func:`competitions.grade`, a host-side failure as a host-error report."""
    import competitions
    from competitions.grading import GradingError
    from competitions.reports import GradeReport

    _apply_limits(max_bytes)
    try:
        report = competitions.grade(competition_id, submission, answers, sample_submission=sample_submission,
                                    dataset_revision=dataset_revision)
    except GradingError as err:
        comp = competitions.get(competition_id)
        report = GradeReport.failed(competition_id, f"grading failed on the host: {err}", kind="host",
                                    submission_path=submission, competition_version=comp.version,
                                    dataset_revision=dataset_revision)
    return report.to_dict()


def validate_in_child(competition_id: str, submission: str, sample_submission: str, max_bytes: int) -> dict:
    """What the validation service's bounded child runs: the public contract, ``{"valid", "errors"}``."""
    import schemas

    _apply_limits(max_bytes)
    report = schemas.validate(competition_id, submission, sample_submission)
    return {"valid": report.valid, "errors": report.to_dict()["errors"]}


def limit_message(result: BoundedResult, limits_memory: int, seconds: float, what: str) -> str:
    """The reason a bounded call gave no result, in words an agent's author can act on.

    >>> limit_message(BoundedResult("memory"), 2 * 1024**3, 60, "grading")
    "grading needed more than 2.0 GiB of memory (the host's limit); the submission is too large to be checked"
    """
    if result.status == "memory":
        return (f"{what} needed more than {human_bytes(limits_memory)} of memory (the host's limit); "
                "the submission is too large to be checked")
    if result.status == "time":
        return f"{what} took longer than {seconds:g} s (the host's limit)"
    if result.status == "cancelled":
        return f"{what} was cancelled"
    return f"{what} failed on the host: {result.message}"


def grade_submission(competition_id: str, submission: Path, answers: Path, sample_submission: Path | None,
                     *, competition_version: str, dataset_revision: str | None,
                     limits: GradingLimits | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Grade ``submission`` within ``limits``; return the report (a :class:`GradeReport` dict) and what the
    grading cost (``status``, ``peak_rss``, ``cpu_seconds``, ``wall_seconds``; ``refused`` when not read).

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> (folder / "submission.csv").symlink_to("/etc/shadow")
    >>> report, cost = grade_submission("spooky-author-identification", folder / "submission.csv",
    ...                                 folder / "answers.csv", None, competition_version="1.0.0",
    ...                                 dataset_revision=None)
    >>> report["valid_submission"], report["error"], cost
    (False, 'submission.csv is a symbolic link; an agent must write a regular file', {'status': 'refused'})
    """
    from competitions.reports import GradeReport

    limits = limits or GradingLimits()
    reason = refusal(submission, limits.max_submission_bytes)
    if reason is not None:
        report = GradeReport.failed(competition_id, reason, kind="invalid", submission_path=str(submission),
                                    competition_version=competition_version, dataset_revision=dataset_revision)
        return report.to_dict(), {"status": "refused"}
    call = BoundedCall(
        grade_in_child,
        (competition_id, str(submission), str(answers), str(sample_submission) if sample_submission else None,
         dataset_revision, limits.max_submission_bytes),
        memory=limits.memory, seconds=limits.seconds,
    )
    result = call.run()
    cost = {"status": result.status, "peak_rss": result.peak_rss, "cpu_seconds": round(result.cpu_seconds, 3),
            "wall_seconds": round(result.wall_seconds, 3)}
    if result.ok:
        return result.value, cost
    agent_fault = result.status in ("memory", "time")
    report = GradeReport.failed(
        competition_id, limit_message(result, limits.memory, limits.seconds, "grading"),
        kind="invalid" if agent_fault else "host", submission_path=str(submission),
        submission_exists=os.path.isfile(submission), competition_version=competition_version,
        dataset_revision=dataset_revision,
    )
    return report.to_dict(), cost
