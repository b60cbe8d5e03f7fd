"""Run groups: an agent on competitions x seeds, with bounded parallelism, GPU allotment, resume and grading.

A run group folder holds ``group.json`` (what was asked), ``harness.log`` (what the harness did: reaping,
infrastructure errors), one folder per run (``runs/<competition>/seed-<k>/`` with ``submission/``,
``logs/`` and ``code/`` (the agent's), ``output.log`` (its stdout and stderr, captured by the harness) and
``metadata.json``), and at the end ``grading_report.json`` (MLE-bench's format) and ``aggregate.json``.
A run is finished when its ``metadata.json`` exists; resuming skips finished runs whose agent, competition,
competition version and seed match, and redoes the rest. ``metadata.json`` is written last and atomically,
so a run interrupted by Ctrl-C or a crash is simply run again.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
import traceback
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import competitions
from competitions.aggregate import GROUP_FILE, aggregate_by_split, default_splits
from competitions.atomic import write_json_atomic
from competitions.reports import GradeReport, batch_report
from mle_datasets import PreparedRef, resolve
from runner import owner as owners
from runner.agent_spec import AgentSpec
from runner.backends import Backend, RunOutcome, RunRequest
from runner.backends.base import now
from runner.bounded import warm_up
from runner.gpus import GpuPool
from runner.grading import GradingLimits, grade_submission
from runner.scratch import make_scratch, reap_scratch
from runner.validation_service import ValidationService

log = logging.getLogger(__name__)

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
    disk_exceeded: bool = False
    disk_detail: str | None = None
    #: a guard beside the harness enforced the deadline (it holds if the harness dies)
    guarded: bool = False
    #: what grading cost on the host (status ok/refused/memory/time/..., peak_rss bytes, cpu and wall seconds)
    grading: dict[str, Any] = field(default_factory=dict)
    #: what the validation service did for this run (requests, refusals, their cost)
    validation: dict[str, Any] = field(default_factory=dict)


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
    that would use it. ``grading`` bounds host-side grading (:class:`runner.grading.GradingLimits`);
    ``validation_limits`` the validation service (``max_request_bytes``, ``request_seconds``, ``memory``).
    An infrastructure failure is retried ``retries`` times, ``retry_delay`` seconds apart (doubling each time,
    at most a minute). ``scratch_dir`` is where the attempts' temporary folders go (default: the system's).

    At start (so also on resume) and at exit the group reaps what dead owners left behind: the backend's
    containers or processes, and scratch folders (:meth:`reap`); ``harness.log`` in the group folder lists it.
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
        retry_delay: float = 2.0,
        validation: bool = True,
        validation_limits: dict[str, Any] | None = None,
        grading: GradingLimits | None = None,
        scratch_dir: Path | None = None,
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
        self.retry_delay = retry_delay
        self.validation = validation
        self.validation_limits = dict(validation_limits or {})
        self.grading = grading or GradingLimits()
        self.scratch_dir = scratch_dir
        self.on_event = on_event or (lambda *_: None)
        self._stop = threading.Event()
        self._log_lock = threading.Lock()
        self._grading_slot = threading.Lock()  # one grading at a time: the host holds one capped child for it

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

    # -- cleanup ----------------------------------------------------------------------------------------

    def log(self, event: str, **fields: Any) -> None:
        """Append one JSON line to the group's ``harness.log`` (what the harness did, for the record)."""
        line = json.dumps({"time": now(), "event": event, **fields}, default=str)
        with self._log_lock:
            self.group_dir.mkdir(parents=True, exist_ok=True)
            with (self.group_dir / "harness.log").open("a") as fh:
                fh.write(line + "\n")

    def reap(self, when: str) -> dict[str, Any]:
        """Remove what dead owners left behind (the backend's containers or processes, scratch folders);
        log and return it. Never raises."""
        try:
            result = self.backend.reap()
        except Exception as err:  # noqa: BLE001 - cleanup must never stop a group
            result = {"removed": [], "errors": [f"{type(err).__name__}: {err}"]}
        result = {"removed": list(result.get("removed", [])), "errors": list(result.get("errors", []))}
        result["removed"] += [f"scratch folder {f}" for f in reap_scratch(self.scratch_dir)]
        if result["removed"] or result["errors"]:
            self.log("reaped", when=when, **result)
        return result

    # -- execution ------------------------------------------------------------------------------------

    def run(self) -> list[dict[str, Any]]:
        """Run every unfinished run, then grade-report and aggregate; return every run's metadata."""
        self.group_dir.mkdir(parents=True, exist_ok=True)
        write_json_atomic({
            "agent": self.agent.name, "agent_spec": str(self.agent.source or ""), "backend": self.backend.name,
            "competitions": self.competition_ids, "seeds": self.seeds, "parallel": self.parallel,
        }, self.group_dir / GROUP_FILE)
        self.backend.check(self.agent)
        warm_up()  # the grading server starts while the first agents run
        self.reap("start")
        shutil.copyfile(INSTRUCTIONS, self.group_dir / "instructions.txt")
        pending_runs = [p for p in self.plan() if not self.is_finished(p)]
        log.info("run group %s: %d run(s) of %s on the %s backend, %d to run, %d at a time", self.group_dir.name,
                 len(self.plan()), self.agent.name, self.backend.name, len(pending_runs), self.parallel)
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
            self.reap("exit")
        metas = self.collect()
        log.info("run group %s stopped: %d of %d run(s) finished", self.group_dir.name,
                 sum(m.get("status") == "finished" for m in metas), len(metas))
        return metas

    def _attempt(self, planned: PlannedRun, comp: Any, data: PreparedRef) -> tuple[RunOutcome, list[str], dict]:
        """One attempt of a run: a fresh run folder, the validation service, the backend. Never raises."""
        if planned.run_dir.exists():
            shutil.rmtree(planned.run_dir)  # a fresh folder for every attempt
        planned.run_dir.mkdir(parents=True)
        token = owners.claim()
        scratch = None
        service = None
        gpu_ids: list[str] = []
        allotted = [] if self.backend.allots_gpus else self.gpu_pool.acquire(self.agent.resources.gpus)
        try:
            if self.validation:
                try:
                    scratch = make_scratch(token, self.group_dir.name, self.scratch_dir)
                    limits = {"memory": self.grading.memory,
                              "max_request_bytes": self.grading.max_submission_bytes, **self.validation_limits}
                    service = ValidationService(comp.id, data.sample_submission, scratch, **limits)
                    service.start()
                except OSError as err:  # the host's disk or temporary folder failed
                    return (RunOutcome(infra_error=f"cannot start the validation service: {err}", ended_at=now()),
                            [], {})
            request = RunRequest(
                run_id=planned.run_id, agent=self.agent, competition_id=comp.id, seed=planned.seed,
                public_dir=data.public_dir.resolve(), run_dir=planned.run_dir,
                instructions=self.group_dir / "instructions.txt", gpu_ids=tuple(allotted),
                validate_socket=service.socket_path if service else None,
                labels={"run_group": self.group_dir.name, "run_id": planned.run_id},
            )
            try:
                outcome = self.backend.run(request)
            except Exception as err:  # noqa: BLE001 - a harness bug or an unforeseen engine error: never a crash
                self.log("harness_error", run_id=planned.run_id, error=repr(err),
                         traceback=traceback.format_exc())
                outcome = RunOutcome(infra_error=f"harness error: {type(err).__name__}: {err}", ended_at=now())
            gpu_ids = outcome.gpu_ids or allotted
        finally:
            if service is not None:
                service.stop()
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)
            owners.release(token)
            self.gpu_pool.release(allotted)
        return outcome, list(gpu_ids), (asdict(service.stats) if service else {})

    def _execute(self, planned: PlannedRun) -> None:
        if self._stop.is_set():
            return
        comp = competitions.get(planned.competition_id)
        self.on_event("started", planned, None)
        infra_errors: list[str] = []
        outcome = RunOutcome()
        gpu_ids: list[str] = []
        service_stats: dict[str, Any] = {}
        try:
            data = self.data(planned.competition_id)
        except (OSError, ValueError) as err:  # not prepared, tampered (mle_datasets' errors are ValueErrors)
            data = None
            infra_errors.append(f"data not available: {err}")
        attempts = 0
        while data is not None and attempts <= self.retries and not self._stop.is_set():
            if attempts:  # the retry policy: wait before trying again, longer each time
                if self._stop.wait(min(60.0, self.retry_delay * 2 ** (attempts - 1))):
                    break
            attempts += 1
            outcome, gpu_ids, service_stats = self._attempt(planned, comp, data)
            if outcome.cancelled:
                return  # cancelled (Ctrl-C): no metadata, so resume runs it again
            if outcome.infra_error is None:
                break
            infra_errors.append(outcome.infra_error)
            self.log("infra_error", run_id=planned.run_id, attempt=attempts, error=outcome.infra_error)
        if self._stop.is_set():
            return  # interrupted: no metadata, so resume runs it again
        finished = data is not None and outcome.infra_error is None and attempts > 0
        submission = planned.run_dir / "submission" / "submission.csv"
        report, grading = self._grade(comp, submission, data) if finished else ({}, {})
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
            report=report, disk_exceeded=outcome.disk_exceeded, disk_detail=outcome.disk_detail,
            guarded=outcome.guarded, grading=grading, validation=service_stats,
        )
        planned.run_dir.mkdir(parents=True, exist_ok=True)
        write_json_atomic(asdict(meta), planned.run_dir / "metadata.json")
        log.info("%s: %s (exit %s, %d infrastructure error(s))", planned.run_id, meta.status, meta.exit_code,
                 len(infra_errors))
        self.on_event(meta.status, planned, meta)

    def _grade(self, comp: Any, submission: Path, data: PreparedRef) -> tuple[dict[str, Any], dict[str, Any]]:
        """Grade on the host within the group's limits (:func:`runner.grading.grade_submission`): a symbolic
        link, FIFO, socket or folder is refused unread, an oversized file before reading, and the reading and
        scoring run in a child with a memory cap and a time limit, one grading at a time."""
        with self._grading_slot:
            return grade_submission(
                comp.id, submission, data.answers, data.sample_submission, competition_version=comp.version,
                dataset_revision=data.dataset_revision, limits=self.grading,
            )

    # -- results --------------------------------------------------------------------------------------

    def collect(self) -> list[dict[str, Any]]:
        """Every finished run's metadata, in plan order."""
        metas = [read_metadata(p.run_dir) for p in self.plan()]
        return [m for m in metas if m is not None]

    def summarize(self) -> dict[str, Any]:
        """Write the group's ``grading_report.json`` and ``aggregate.json`` (:func:`summarize_group`)."""
        return summarize_group(self.group_dir, self.collect(), self.competition_ids)


def summarize_group(group_dir: Path, metas: list[dict[str, Any]], competition_ids: list[str]) -> dict[str, Any]:
    """Write ``grading_report.json`` (MLE-bench's format) and ``aggregate.json`` (by split, over the group's
    competitions, seeds in run order) from the runs' metadata, and return the aggregate."""
    reports = [GradeReport.from_dict(m["report"]) if m.get("report") else _failed_report(m) for m in metas]
    grading = batch_report(reports)
    write_json_atomic(grading, Path(group_dir) / "grading_report.json")
    ran = set(competition_ids)
    splits = {name: [c for c in members if c in ran] for name, members in default_splits().items()}
    splits = {name: members for name, members in splits.items() if members}
    splits["group"] = sorted(ran)
    summary = aggregate_by_split([grading], splits)
    write_json_atomic(summary, Path(group_dir) / "aggregate.json")
    return summary


def _failed_report(meta: dict[str, Any]) -> GradeReport:
    """The report of a run the infrastructure never completed: no submission, no medal."""
    return GradeReport.failed(
        meta["competition_id"], "; ".join(meta.get("infra_errors") or ["the run did not complete"]), kind="host",
        submission_exists=False, competition_version=meta.get("competition_version"),
    )


def read_metadata(run_dir: Path) -> dict[str, Any] | None:
    """A run's ``metadata.json``, or None when the run has not finished."""
    path = Path(run_dir) / "metadata.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None

