"""Run groups: an agent on competitions x seeds, with bounded parallelism, GPU allotment, resume and grading.

A run group folder holds ``group.json`` (what was asked), one folder per run
(``runs/<competition>/seed-<k>/`` with ``submission/``, ``logs/``, ``code/``, ``metadata.json`` and
``report.json``), and at the end ``grading_report.json`` (MLE-bench's format) and ``aggregate.json``.
A run is finished when its ``metadata.json`` exists; resuming skips finished runs whose agent, competition,
competition version and seed match, and redoes the rest. ``metadata.json`` is written last and atomically,
so a run interrupted by Ctrl-C or a crash is simply run again.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import competitions
from competitions.aggregate import aggregate_by_split, default_splits
from competitions.reports import GradeReport, batch_report, write_json_atomic
from mle_datasets import PreparedRef, resolve
from runner.agent_spec import AgentSpec
from runner.backends import Backend, RunOutcome, RunRequest
from runner.gpus import GpuPool
from runner.validation_service import ValidationService

INSTRUCTIONS = Path(__file__).parent / "instructions.txt"


@dataclass
class RunMetadata:
    """What ``metadata.json`` records for each finished run."""

    run_id: str
    agent: str
    competition_id: str
    competition_version: str
    seed: int
    backend: str
    image: str | None
    image_id: str | None
    dataset_revision: str | None
    dataset_version: str | None
    resources: dict[str, Any]
    network: str
    gpu_ids: list[str]
    started_at: str
    ended_at: str
    exit_code: int | None
    timed_out: bool
    oom_killed: bool
    log_truncated: bool
    infra_attempts: int
    infra_errors: list[str]
    status: str  # "finished" (the agent ran; its result may still be invalid) or "infra_failed"
    submission_path: str | None
    report: dict[str, Any] = field(default_factory=dict)


@dataclass
class PlannedRun:
    competition_id: str
    seed: int
    run_dir: Path

    @property
    def run_id(self) -> str:
        return f"{self.competition_id}_seed{self.seed}"


class RunGroup:
    """An agent on ``competition_ids`` x ``seeds`` runs, executed by ``backend``.

    ``data`` maps a competition id to its checked prepared files (default :func:`mle_datasets.resolve`: the
    store's latest version); it is called once per run, so a file changed mid-group is caught before the run
    that would use it.
    """

    def __init__(
        self,
        agent: AgentSpec,
        competition_ids: list[str],
        group_dir: Path,
        backend: Backend,
        data: Callable[[str], PreparedRef] = resolve,
        *,
        seeds: int | None = None,
        parallel: int = 1,
        gpus: list[str] | None = None,
        retries: int = 2,
        validation: bool = True,
        on_event: Callable[[str, PlannedRun, RunMetadata | None], None] | None = None,
    ) -> None:
        self.agent = agent
        self.competition_ids = list(competition_ids)
        self.group_dir = Path(group_dir).resolve()  # agents run in other working folders
        self.backend = backend
        self.data = data
        self.seeds = seeds or agent.seeds
        self.parallel = max(1, parallel)
        self.gpu_pool = GpuPool(list(gpus or []))
        self.retries = retries
        self.validation = validation
        self.on_event = on_event or (lambda *_: None)
        self._stop = threading.Event()

    # -- planning and resume --------------------------------------------------------------------------

    def plan(self) -> list[PlannedRun]:
        """Every run of the group, seed-major (seed 0 of every competition first)."""
        return [
            PlannedRun(cid, seed, self.group_dir / "runs" / cid / f"seed-{seed}")
            for seed in range(self.seeds)
            for cid in self.competition_ids
        ]

    def is_finished(self, planned: PlannedRun) -> bool:
        """True when the run has finished metadata for this agent, competition version and seed."""
        meta = read_metadata(planned.run_dir)
        if meta is None or meta.get("status") != "finished":
            return False
        version = competitions.get(planned.competition_id).version
        return (meta.get("agent"), meta.get("competition_version"), meta.get("seed")) == (
            self.agent.name, version, planned.seed
        )

    # -- execution ------------------------------------------------------------------------------------

    def run(self) -> list[dict[str, Any]]:
        """Run every unfinished run, then grade-report and aggregate; return every run's metadata."""
        self.group_dir.mkdir(parents=True, exist_ok=True)
        write_json_atomic({
            "agent": self.agent.name, "agent_spec": str(self.agent.source or ""), "backend": self.backend.name,
            "competitions": self.competition_ids, "seeds": self.seeds, "parallel": self.parallel,
        }, self.group_dir / "group.json")
        self.backend.check(self.agent)
        shutil.copyfile(INSTRUCTIONS, self.group_dir / "instructions.txt")
        pending_runs = [p for p in self.plan() if not self.is_finished(p)]
        for planned in self.plan():
            if planned not in pending_runs:
                self.on_event("skipped", planned, None)
        pool = ThreadPoolExecutor(max_workers=self.parallel)
        try:
            pending = {pool.submit(self._execute, p) for p in pending_runs}
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    future.result()
        except KeyboardInterrupt:
            self._stop.set()
            pool.shutdown(wait=False, cancel_futures=True)
            self.backend.cancel_all()
            raise
        finally:
            pool.shutdown(wait=True)
        return self.collect()

    def _execute(self, planned: PlannedRun) -> None:
        if self._stop.is_set():
            return
        comp = competitions.get(planned.competition_id)
        self.on_event("started", planned, None)
        infra_errors: list[str] = []
        outcome = RunOutcome()
        gpu_ids: list[str] = []
        try:
            data = self.data(planned.competition_id)
        except (OSError, ValueError) as err:  # not prepared, tampered (mle_datasets' errors are ValueErrors)
            data = None
            infra_errors.append(f"data not available: {err}")
        attempts = 0
        while data is not None and attempts <= self.retries and not self._stop.is_set():
            attempts += 1
            if planned.run_dir.exists():
                shutil.rmtree(planned.run_dir)  # a fresh folder for every attempt
            planned.run_dir.mkdir(parents=True)
            service = None
            allotted = [] if self.backend.allots_gpus else self.gpu_pool.acquire(self.agent.resources.gpus)
            try:
                if self.validation:
                    # A short path of its own: unix socket paths are limited to 107 bytes.
                    service = ValidationService(comp.id, data.sample_submission, Path(tempfile.mkdtemp(prefix="mleb-")))
                    service.start()
                request = RunRequest(
                    run_id=planned.run_id, agent=self.agent, competition_id=comp.id, seed=planned.seed,
                    public_dir=data.public_dir.resolve(), run_dir=planned.run_dir,
                    instructions=self.group_dir / "instructions.txt", gpu_ids=tuple(allotted),
                    validate_socket=service.socket_path if service else None,
                    labels={"run_group": self.group_dir.name, "run_id": planned.run_id},
                )
                outcome = self.backend.run(request)
                gpu_ids = outcome.gpu_ids or allotted
            finally:
                if service is not None:
                    service.stop()
                self.gpu_pool.release(allotted)
            if outcome.infra_error is None:
                break
            infra_errors.append(outcome.infra_error)
        if self._stop.is_set():
            return  # interrupted: no metadata, so resume runs it again
        finished = data is not None and outcome.infra_error is None and attempts > 0
        submission = planned.run_dir / "submission" / "submission.csv"
        report = self._grade(comp.id, submission, data) if finished else {}
        meta = RunMetadata(
            run_id=planned.run_id, agent=self.agent.name, competition_id=comp.id,
            competition_version=comp.version, seed=planned.seed, backend=self.backend.name,
            image=self.agent.image, image_id=outcome.image_id,
            dataset_revision=data.dataset_revision if data else None,
            dataset_version=data.version if data else None,
            resources=asdict(self.agent.resources), network=self.agent.network, gpu_ids=list(gpu_ids),
            started_at=outcome.started_at, ended_at=outcome.ended_at, exit_code=outcome.exit_code,
            timed_out=outcome.timed_out, oom_killed=outcome.oom_killed, log_truncated=outcome.log_truncated,
            infra_attempts=len(infra_errors), infra_errors=infra_errors,
            status="finished" if finished else "infra_failed",
            submission_path=str(submission) if submission.is_file() and not submission.is_symlink() else None,
            report=report,
        )
        planned.run_dir.mkdir(parents=True, exist_ok=True)
        write_json_atomic(asdict(meta), planned.run_dir / "metadata.json")
        self.on_event(meta.status, planned, meta)

    def _grade(self, competition_id: str, submission: Path, data: PreparedRef) -> dict[str, Any]:
        """Grade on the host. A symlinked submission is refused unread: it could point anywhere on the host."""
        if submission.is_symlink():
            report = GradeReport(
                competition_id, submission_path=str(submission), submission_exists=True,
                competition_version=competitions.get(competition_id).version,
                dataset_revision=data.dataset_revision,
                error="submission.csv is a symbolic link; an agent must write a regular file",
            )
            return report.to_dict()
        report = competitions.grade(
            competition_id, submission, data.answers, sample_submission=data.sample_submission,
            dataset_revision=data.dataset_revision,
        )
        return report.to_dict()

    # -- results --------------------------------------------------------------------------------------

    def collect(self) -> list[dict[str, Any]]:
        """Every finished run's metadata, in plan order."""
        metas = [read_metadata(p.run_dir) for p in self.plan()]
        return [m for m in metas if m is not None]

    def summarize(self) -> dict[str, Any]:
        """Write ``grading_report.json`` (MLE-bench's format) and ``aggregate.json`` (by split, over the
        group's competitions, seeds in run order) and return the aggregate."""
        metas = self.collect()
        reports = [GradeReport.from_dict(m["report"]) if m.get("report") else _failed_report(m) for m in metas]
        grading = batch_report(reports)
        write_json_atomic(grading, self.group_dir / "grading_report.json")
        ran = set(self.competition_ids)
        splits = {name: [c for c in members if c in ran] for name, members in default_splits().items()}
        splits = {name: members for name, members in splits.items() if members}
        splits["group"] = sorted(ran)
        summary = aggregate_by_split([grading], splits)
        write_json_atomic(summary, self.group_dir / "aggregate.json")
        return summary


def _failed_report(meta: dict[str, Any]) -> GradeReport:
    """The report of a run the infrastructure never completed: no submission, no medal."""
    return GradeReport(
        meta["competition_id"], competition_version=meta.get("competition_version"),
        error="; ".join(meta.get("infra_errors") or ["the run did not complete"]),
    )


def read_metadata(run_dir: Path) -> dict[str, Any] | None:
    """A run's ``metadata.json``, or None when the run has not finished."""
    path = Path(run_dir) / "metadata.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None

