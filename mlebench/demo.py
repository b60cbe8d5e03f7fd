"""The demo: the whole pipeline on synthetic data, with no Kaggle account and no network.

For each chosen competition (default: the 22 lite ones) it writes a synthetic raw download in Kaggle's
layout, prepares the MLE-bench v1 split into a store of its own (inside the work folder, so synthetic data
never enters the user's store), grades the sample submission, runs the ``dummy`` agent (it copies the sample
submission) and the ``baseline`` agent through the local backend (or the docker backend) on the data
:func:`mle_datasets.resolve` hands over, grades every submission on the host and prints one row per
competition: the metric and its direction, both agents' scores and whether the baseline beats the sample.

Runs start as soon as their competition is prepared, so preparing and running share the machine's cores.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import competitions
import mle_datasets  # its names load on first use: `mle-bench --help` stays fast

if TYPE_CHECKING:
    from mle_datasets import PreparedRef, Store

DEMO_AGENTS = ("dummy", "baseline")
#: Seconds a preparation and a baseline run take before any has been timed (for the first ETA).
FIRST_GUESS = {"prepare": 2.0, "run": 3.0}


class DemoError(RuntimeError):
    """The demo cannot start (no Docker engine, an image that cannot be built); the message says why."""


@dataclass
class Progress:
    """Counts and timings of the demo's two stages, and the line that reports them."""

    n_competitions: int
    n_runs: int
    parallel: int
    log: Callable[[str], None]
    start: float = field(default_factory=time.monotonic)
    prepared: int = 0
    runs_done: int = 0
    prep_seconds: list[float] = field(default_factory=list)
    run_seconds: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def eta(self) -> float:
        prep = sum(self.prep_seconds) / len(self.prep_seconds) if self.prep_seconds else FIRST_GUESS["prepare"]
        run = sum(self.run_seconds) / len(self.run_seconds) if self.run_seconds else FIRST_GUESS["run"]
        prep_left = (self.n_competitions - self.prepared) * prep
        runs_left = (self.n_runs - self.runs_done) * run / 2  # the dummy's runs cost next to nothing
        return max(prep_left + (run if self.prepared < self.n_competitions else 0), runs_left / self.parallel)

    def report(self, what: str) -> None:
        with self.lock:
            elapsed = time.monotonic() - self.start
            self.log(f"[{elapsed:4.0f}s] prepared {self.prepared}/{self.n_competitions}, runs {self.runs_done}/"
                     f"{self.n_runs}, ETA {self.eta():.0f}s | {what}")


class Preparation:
    """Writes, prepares and stores each competition's synthetic raw files in order, in a thread of its own;
    :meth:`data` hands a competition over (the runner's data hook) as soon as it is ready."""

    def __init__(self, ids: list[str], workdir: Path, seed: int, progress: Progress | None = None) -> None:
        self.ids, self.workdir, self.seed, self.progress = ids, workdir, seed, progress
        self.store = mle_datasets.Store(workdir / "store")
        self.failures: dict[str, str] = {}
        self.refs: dict[str, PreparedRef] = {}
        self.sample_scores: dict[str, float | None] = {}
        self.seconds: dict[str, float] = {}
        self._ready = {cid: threading.Event() for cid in ids}
        self._thread = threading.Thread(target=self._work, name="demo-prepare", daemon=True)

    def start(self) -> Preparation:
        self._thread.start()
        return self

    def join(self) -> None:
        self._thread.join()

    def _work(self) -> None:
        for cid in self.ids:
            began = time.monotonic()
            try:
                raw = mle_datasets.make_raw_fixture(cid, self.workdir / "raw" / cid, seed=self.seed)
                with tempfile.TemporaryDirectory(prefix="mle-bench-demo-") as scratch:
                    stored = self.store.add(mle_datasets.prepare(cid, raw, Path(scratch) / cid))
                ref = self.refs[cid] = mle_datasets.resolve(cid, store=self.store)
                self.sample_scores[cid] = competitions.grade(
                    cid, ref.sample_submission, ref.answers, sample_submission=ref.sample_submission).score
                what = f"prepared {cid} v{stored['version']} (revision {stored['revision'][:12]})"
            except Exception as err:  # noqa: BLE001 - reported per competition, the demo goes on
                self.failures[cid] = f"{type(err).__name__}: {err}"
                what = f"could not prepare {cid}: {self.failures[cid]}"
            self.seconds[cid] = time.monotonic() - began
            self._ready[cid].set()
            if self.progress is not None:
                with self.progress.lock:
                    self.progress.prepared += 1
                    self.progress.prep_seconds.append(self.seconds[cid])
                self.progress.report(what)

    def data(self, cid: str) -> PreparedRef:
        """What :func:`mle_datasets.resolve` handed over for ``cid`` (checked once, when it was stored), as
        soon as it is ready; a failed preparation is the runner's "data not available"."""
        self._ready[cid].wait()
        if cid in self.failures:
            raise ValueError(f"the demo could not prepare {cid}: {self.failures[cid]}")
        return self.refs[cid]


def prepare_fixtures(ids: list[str], workdir: Path, seed: int = 0,
                     log: Callable[[str], None] = print) -> tuple[Store, dict[str, str]]:
    """Write, prepare and store each competition's synthetic raw files under ``workdir``; return the store
    and, per competition that failed, its error (one failure never stops the rest)."""
    prep = Preparation(list(ids), workdir, seed)
    prep._work()
    for cid in ids:
        log(f"could not prepare {cid}: {prep.failures[cid]}" if cid in prep.failures else f"prepared {cid}")
    return prep.store, prep.failures


def make_backend(name: str, agents: tuple[str, ...], log: Callable[[str], None] = print):
    """The backend called ``name``, checked and ready for ``agents``: for docker, the engine answers and
    every agent's image is there (built if missing)."""
    from runner.backends import get_backend

    if name == "local":
        return get_backend("local")
    if name != "docker":
        raise DemoError(f"the demo runs on the local or the docker backend, not {name!r}")
    from runner.backends.docker import DockerUnavailable, docker_client

    try:
        client = docker_client()
    except DockerUnavailable as err:
        raise DemoError(f"no Docker engine is reachable, so `--backend docker` cannot run: {err}") from None
    from runner.agent_spec import load_agent
    from runner.agents.image import BASELINE_IMAGE, build_baseline_image
    from runner.images import BUSYBOX_IMAGE, ImageBuildError, build_busybox_image

    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "open-mle-bench" / "images"
    for agent in agents:
        image = load_agent(agent).image
        try:
            if image == BUSYBOX_IMAGE:
                build_busybox_image(client)
            elif image == BASELINE_IMAGE:
                build_baseline_image(client, cache, log=log)
        except ImageBuildError as err:
            raise DemoError(f"cannot build the image {image} of agent {agent!r}: {err}") from None
    return get_backend("docker")


def run_demo(workdir: Path, ids: list[str] | None = None, agents: tuple[str, ...] = DEMO_AGENTS,
             parallel: int = 2, seed: int = 0, backend: str = "local",
             log: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """Prepare, run ``agents`` and grade; one row per competition with the sample submission's score, each
    agent's score, validity and medal, and whether the baseline beats the sample."""
    from runner.agent_spec import load_agent
    from runner.rungroup import RunGroup

    ids = list(ids or competitions.ids("lite"))
    runner_backend = make_backend(backend, agents, log)
    progress = Progress(len(ids), len(ids) * len(agents), max(1, parallel), log)
    prep = Preparation(ids, workdir, seed, progress).start()
    results: dict[str, dict[str, Any]] = {
        c: {"competition": c, "metric": competitions.get(c).metric,
            "lower_is_better": competitions.get(c).lower_is_better, "error": None} for c in ids
    }

    def on_event(name: str):
        def event(kind: str, planned, meta) -> None:
            if kind == "started" or meta is None:
                return
            report = meta.report or {}
            with progress.lock:
                progress.runs_done += 1
                if name == "baseline" and meta.started_at and meta.ended_at:
                    progress.run_seconds.append(_seconds(meta.started_at, meta.ended_at))
            score = report.get("score")
            shown = "invalid" if not report.get("valid_submission") else f"{score:.5g}" if score is not None else "nan"
            progress.report(f"{name} {kind} {planned.competition_id}: {shown}")
        return event

    groups = {name: RunGroup(load_agent(name), ids, workdir / "runs" / name, runner_backend, prep.data,
                             parallel=parallel, validation=False, on_event=on_event(name)) for name in agents}
    collected: dict[str, list[dict[str, Any]]] = {}
    errors: dict[str, BaseException] = {}

    def run_group(name: str) -> None:
        try:
            collected[name] = groups[name].run()
            groups[name].summarize()
        except Exception as err:  # noqa: BLE001 - re-raised in the caller's thread
            errors[name] = err

    # The last agent runs in this thread (Ctrl-C stops its group and the backend's runs); the others in
    # daemon threads, which end with the process.
    threads = [threading.Thread(target=run_group, args=(name,), name=f"demo-{name}", daemon=True)
               for name in agents[:-1]]
    for thread in threads:
        thread.start()
    run_group(agents[-1])
    for thread in threads:
        thread.join()
    prep.join()
    if errors:
        raise next(iter(errors.values()))
    for cid in ids:
        results[cid]["error"] = prep.failures.get(cid)
        results[cid]["sample"] = _number(prep.sample_scores.get(cid))
        results[cid]["prepare_seconds"] = round(prep.seconds.get(cid, 0.0), 2)
    for name, metas in collected.items():
        for meta in metas:
            report = meta.get("report") or {}
            row = results[meta["competition_id"]]
            row[name] = _number(report.get("score"))
            row[f"{name}_valid"] = bool(report.get("valid_submission"))
            row[f"{name}_medal"] = _medal(report)
            row[f"{name}_seconds"] = round(_seconds(meta.get("started_at"), meta.get("ended_at")), 2)
            row["leaderboard"] = row.get("leaderboard") or report.get("gold_threshold") is not None
    for row in results.values():
        row["beats_sample"] = beats(row.get("baseline"), row.get("sample"), row["lower_is_better"]) \
            if row.get("baseline_valid") else False
    return [results[c] for c in ids]


def beats(score: float | None, reference: float | None, lower_is_better: bool) -> bool:
    """Whether ``score`` is strictly better than ``reference``.

    >>> beats(0.9, 0.5, False), beats(0.3, 0.69, True), beats(0.5, 0.5, False), beats(None, 0.5, False)
    (True, True, False, False)
    """
    if score is None or reference is None or math.isnan(score) or math.isnan(reference):
        return False
    return score < reference if lower_is_better else score > reference


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _seconds(start: str | None, end: str | None) -> float:
    import datetime as dt

    try:
        return (dt.datetime.fromisoformat(end) - dt.datetime.fromisoformat(start)).total_seconds()
    except (TypeError, ValueError):
        return 0.0


def _medal(report: dict[str, Any]) -> str:
    for medal in ("gold", "silver", "bronze"):
        if report.get(f"{medal}_medal"):
            return medal
    return "above median" if report.get("above_median") else "-"


def format_rows(rows: list[dict[str, Any]], agents: tuple[str, ...] = DEMO_AGENTS) -> list[dict[str, Any]]:
    """Rows for the demo's table: scores with 5 significant digits, 'invalid' where a submission was,
    the direction of the metric, and whether the baseline beats the sample submission."""
    table = []
    for row in rows:
        out = {"competition": row["competition"], "metric": row["metric"],
               "better": "lower" if row["lower_is_better"] else "higher"}
        for name in agents:
            score = row.get(name)
            if row.get("error"):
                out[name] = "not prepared"
            elif not row.get(f"{name}_valid"):
                out[name] = "invalid"
            else:
                out[name] = "nan" if score is None or math.isnan(score) else f"{score:.5g}"
        out["beats sample"] = "yes" if row.get("beats_sample") else "no"
        out["baseline medal*"] = row.get("baseline_medal", "-")
        table.append(out)
    return table


def summary_lines(rows: list[dict[str, Any]], split: str | None, agents: tuple[str, ...] = DEMO_AGENTS) -> list[str]:
    """The closing lines: how many competitions the baseline beats the sample on, and whether the pipeline
    worked (prepared, valid submissions, the dummy reproducing the sample submission's score)."""
    n = len(rows)
    where = f"{split} competitions" if split else ("competition" if n == 1 else "competitions")
    prepared = sum(not r.get("error") for r in rows)
    valid = sum(bool(r.get(f"{a}_valid")) for r in rows for a in agents)
    lines = []
    if "dummy" in agents:
        same = sum(r.get("dummy") is not None and r.get("sample") is not None
                   and math.isclose(r["dummy"], r["sample"], rel_tol=1e-9, abs_tol=1e-12) for r in rows)
        lines.append(f"pipeline: {prepared}/{n} prepared, {valid}/{n * len(agents)} runs with a valid submission, "
                     f"the dummy scores what the sample submission scores on {same}/{n}")
    if "baseline" in agents:
        lines.append(f"baseline beats the sample submission on {sum(bool(r.get('beats_sample')) for r in rows)}/{n} "
                     f"{where}")
    return lines


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``demo`` on the ``mle-bench`` parser."""
    p = sub.add_parser("demo", help="the whole pipeline on synthetic lite data: prepare, run agents, grade",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-c", "--competitions", default="lite", help="split name or comma list of ids (default: lite)")
    p.add_argument("--workdir", default=None, help="where to write data, runs and reports (default: a new temp dir)")
    p.add_argument("--backend", default="local", choices=("local", "docker"),
                   help="run the agents as local processes (default) or in containers (needs a Docker engine)")
    p.add_argument("--parallel", type=int, default=2, help="runs at a time, per agent")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.set_defaults(func=_cmd_demo)


def _cmd_demo(args: argparse.Namespace) -> int:
    from mlebench.cli_grading import format_table
    from mlebench.cli_run import competition_list

    began = time.monotonic()
    ids = competition_list(args.competitions)
    split = args.competitions if args.competitions in ("lite", "low", "medium", "high", "all", "dev") else None
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="mle-bench-demo-"))
    try:
        rows = run_demo(workdir, ids, parallel=args.parallel, backend=args.backend,
                        log=lambda m: print(m, file=sys.stderr, flush=True))
    except DemoError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(rows, indent=2, default=str))
        return 0 if all(not r["error"] for r in rows) else 1
    medals = any(r.get("leaderboard") for r in rows)
    columns = ["competition", "metric", "better", *DEMO_AGENTS, "beats sample"] + (["baseline medal*"] if medals else [])
    print(format_table(format_rows(rows), columns))
    print()
    for line in summary_lines(rows, "lite" if split in ("lite", "low") else split):
        print(line)
    if medals:
        print("* medals place scores on synthetic data against Kaggle's real leaderboard: not comparable with Kaggle")
    print(f"\n{args.backend} backend, {time.monotonic() - began:.0f}s; data, runs and grading reports: {workdir}")
    return 0 if all(not r["error"] for r in rows) else 1
