"""What every backend receives and returns: a :class:`RunRequest` in, a :class:`RunOutcome` out.

An agent sees the same layout whatever the backend, through environment variables:
``DATA_DIR`` (the competition's public files, read-only), ``SUBMISSION_DIR`` (write ``submission.csv`` here),
``LOGS_DIR``, ``CODE_DIR``, ``INSTRUCTIONS`` (a file), ``COMPETITION_ID``, ``SEED`` and, when the host serves
it, ``VALIDATE_SOCKET``. In a container they are ``/home/data``, ``/home/submission``, ``/home/logs``,
``/home/code``, ``/home/instructions.txt`` and ``/home/validate/socket``.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from runner.agent_spec import AgentSpec
from runner.diskwatch import Budget

#: Longest captured output (stdout and stderr) kept per run; the rest is dropped with a note.
MAX_LOG_BYTES = 50 * 1024**2
#: Most the agent may write to its own log folder (``LOGS_DIR``); past it the run is stopped.
MAX_AGENT_LOGS_BYTES = 50 * 1024**2

#: What a backend can enforce or record; the conformance suite (:mod:`runner.conformance`) checks each one a
#: backend claims, and ``docs/runner.md`` tabulates them.
CAPABILITIES = (
    "outputs", "exit_code", "captured_logs", "log_cap", "wall_clock", "cancel", "cleanup", "orphan_guard",
    "disk", "memory", "pids", "network", "log_forgery",
)


class InfrastructureError(RuntimeError):
    """The harness, not the agent, failed (engine down, image missing, disk full): the run may be retried."""


@dataclass(frozen=True)
class RunRequest:
    """One agent run on one competition and seed."""

    run_id: str
    agent: AgentSpec
    competition_id: str
    seed: int
    public_dir: Path
    run_dir: Path
    instructions: Path
    gpu_ids: tuple[str, ...] = ()
    validate_socket: Path | None = None
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def submission_dir(self) -> Path:
        return self.run_dir / "submission"

    @property
    def logs_dir(self) -> Path:
        return self.run_dir / "logs"

    @property
    def code_dir(self) -> Path:
        return self.run_dir / "code"

    @property
    def output_log(self) -> Path:
        """The agent's stdout and stderr as the harness captured them (outside every folder the agent gets)."""
        return self.run_dir / "output.log"

    def disk_budgets(self, agent_logs_limit: int = MAX_AGENT_LOGS_BYTES) -> list[Budget]:
        """What the disk watcher enforces: the writable folders together within ``resources.disk``, and the
        agent's own log folder within its cap."""
        writable = (self.submission_dir, self.code_dir, self.logs_dir)
        return [
            Budget("logs/ (the agent's own log folder)", (self.logs_dir,),
                   min(agent_logs_limit, self.agent.resources.disk)),
            Budget("the writable folders (submission/, code/, logs/)", writable, self.agent.resources.disk),
        ]

    def make_dirs(self) -> None:
        """Create the run's output folders, writable by the agent's (non-root) user."""
        for folder in (self.submission_dir, self.logs_dir, self.code_dir):
            folder.mkdir(parents=True, exist_ok=True)
            folder.chmod(0o777)


@dataclass
class RunOutcome:
    """How a run ended. ``infra_error`` set means the harness failed, not the agent."""

    exit_code: int | None = None
    timed_out: bool = False
    oom_killed: bool = False
    started_at: str = ""
    ended_at: str = ""
    infra_error: str | None = None
    image_id: str | None = None
    log_truncated: bool = False
    #: GPUs the run held when the backend allotted them itself (ray); else the run group's allotment
    gpu_ids: list[str] = field(default_factory=list)
    #: the run was stopped for writing more than its disk budget; ``disk_detail`` says which and how much
    disk_exceeded: bool = False
    disk_detail: str | None = None
    #: the run was killed by :meth:`Backend.cancel_all` (Ctrl-C): it is not finished
    cancelled: bool = False
    #: a guard beside the harness (in the container, or the agent's parent process) enforced the deadline and
    #: would have ended the run had the harness died
    guarded: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def now() -> str:
    """The current UTC time, ISO 8601."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class Backend(ABC):
    """Runs one :class:`RunRequest` to completion (or to its wall-clock limit) and reports the outcome."""

    name: str = ""
    #: True when the backend's scheduler gives runs their GPUs (ray); the run group allots them otherwise
    allots_gpus: bool = False
    #: The :data:`CAPABILITIES` this backend enforces or records (the conformance suite checks each)
    enforces: frozenset[str] = frozenset()

    @abstractmethod
    def run(self, request: RunRequest) -> RunOutcome:
        """Run the agent; never raise for an agent's failure (exit code, timeout, OOM go in the outcome)."""

    def check(self, agent: AgentSpec) -> None:
        """Raise a clear error before any run starts when this backend cannot run ``agent`` at all."""

    def cancel_all(self) -> None:
        """Kill every run this backend has going (used on Ctrl-C); their runs stay unfinished."""

    def reap(self) -> dict[str, Any]:
        """Remove what runs of dead owners left behind (containers, processes); return what was done and the
        errors met (never raises: the engine may be down)."""
        return {"removed": [], "errors": []}


class LogWriter:
    """Appends an agent's output to a file, keeping at most ``limit`` bytes."""

    def __init__(self, path: Path, limit: int | None = None) -> None:
        self.path = path
        self.limit = MAX_LOG_BYTES if limit is None else limit
        self.written = 0
        self.truncated = False
        self._fh = path.open("ab")

    def write(self, chunk: bytes) -> None:
        room = self.limit - self.written
        if room <= 0:
            if not self.truncated:
                self._fh.write(b"\n[log truncated by the harness: limit reached]\n")
                self.truncated = True
            return
        self._fh.write(chunk[:room])
        self.written += min(len(chunk), room)
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()
