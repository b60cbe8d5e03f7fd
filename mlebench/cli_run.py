"""The ``mle-bench run`` subcommand: an agent on competitions x seeds, then validation, grading and a report."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import threading
from pathlib import Path
from typing import Any

from mlebench.cli_grading import UsageError, data_options, format_table, resolve_data
from mlebench.cli_output import Progress, bars_enabled

__all__ = ["add_commands", "competition_list", "run_exit_code", "RunProgress"]


def competition_list(value: str) -> list[str]:
    """Competition ids from a split name (lite, medium, high, all, dev), a comma list, or a file of ids.

    >>> competition_list("spaceship-titanic,aerial-cactus-identification")
    ['spaceship-titanic', 'aerial-cactus-identification']
    >>> len(competition_list("lite"))
    22
    """
    import competitions

    if value in ("lite", "low", "medium", "high", "all", "dev"):
        return competitions.ids(value)
    path = Path(value)
    if path.is_file():
        ids = [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
    else:
        ids = [v.strip() for v in value.split(",") if v.strip()]
    for cid in ids:
        competitions.get(cid)  # unknown ids fail here, before anything runs
    return ids


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``run`` and ``regrade`` on the ``mle-bench`` parser."""
    p = sub.add_parser("run", help="run an agent on competitions x seeds, then grade", description=__doc__)
    p.add_argument("--agent", required=True, help="a packaged agent (dummy, baseline) or an agent spec YAML")
    p.add_argument("-c", "--competitions", "--competition-id", dest="competitions",
                   help="a competition id, a split name, a comma list or a file of ids (default: the agent spec's)")
    p.add_argument("--seeds", type=int, help="runs per competition (default: the agent spec's)")
    p.add_argument("--backend", default="docker", choices=("docker", "local", "ray"))
    p.add_argument("--inner-backend", default="local", choices=("docker", "local"),
                   help="what each Ray task runs (ray backend only)")
    p.add_argument("--ray-address", help="join this Ray cluster instead of starting a local one")
    p.add_argument("--parallel", type=int, default=1, help="runs at a time")
    p.add_argument("--gpus", help="GPU ids to allot, e.g. 0,1 (default: discovered with nvidia-smi)")
    p.add_argument("--gpu-mode", choices=("nvidia", "cdi", "devices"), help="how containers get GPUs")
    data_options(p)
    p.add_argument("--runs-dir", default="runs", help="where run groups are written")
    p.add_argument("--group", help="run group name; an existing group is resumed")
    p.add_argument("--retries", type=int, default=2, help="retries for infrastructure failures only")
    p.add_argument("--no-validation", action="store_true", help="do not serve the validation socket")
    p.add_argument("--max-submission-size", default="1g",
                   help="largest submission graded (and validated), checked before reading, e.g. 500m or 2g")
    p.add_argument("--json", action="store_true", help="print the aggregate as JSON")
    p.set_defaults(func=_run)

    p = sub.add_parser("regrade", help="grade a finished run group again (after a grader, data or leaderboard change)",
                       description=_regrade.__doc__)
    p.add_argument("group", help="the run group folder (runs/<group>)")
    data_options(p)
    p.add_argument("--workers", type=int, default=None, help="gradings at a time (default: the CPU count, at most 8)")
    p.add_argument("--leaderboards", default=None, metavar="DIR", help="leaderboard folder (default: as for grade)")
    p.add_argument("--max-submission-size", default="1g", help="largest submission graded, e.g. 500m or 2g")
    p.add_argument("--json", action="store_true", help="print the new aggregate as JSON")
    p.set_defaults(func=_regrade)


def _regrade(args: argparse.Namespace) -> int:
    """Grade every finished run of a run group again, in parallel bounded processes, and rewrite each run's
    report, the group's grading_report.json and aggregate.json. Each run is graded against the data version
    it ran on unless --version names another."""
    import os

    from runner.agent_spec import AgentSpecError, parse_bytes
    from runner.grading import GradingLimits
    from competitions.aggregate import GROUP_FILE
    from runner.regrade import regrade_group

    group = Path(args.group)
    if not (group / GROUP_FILE).is_file() and not any(group.glob("runs/*/seed-*/metadata.json")):
        raise UsageError(f"{group} is not a run group folder (it has neither group.json nor finished runs)")
    try:
        limits = GradingLimits(max_submission_bytes=parse_bytes(args.max_submission_size))
    except AgentSpecError as err:
        raise UsageError(str(err)) from None

    def data(cid: str, version: str | None):
        if args.version is None and version is not None and args.data_dir is None:
            return resolve_data(cid, argparse.Namespace(**{**vars(args), "version": version}))
        return resolve_data(cid, args)

    workers = args.workers or min(8, os.cpu_count() or 2)
    result = regrade_group(group, data=data, workers=workers, limits=limits, leaderboards=args.leaderboards)
    if args.json:
        print(json.dumps(result.summary, indent=2))
        return 0
    print(f"regraded {result.regraded} run(s) ({result.changed} changed score or validity); "
          f"{result.infra_failed} infrastructure failure(s) kept")
    print(_split_table(result.summary))
    return 0


def _run(args: argparse.Namespace) -> int:
    from mle_datasets.errors import DataError
    from runner.agent_spec import AgentSpecError, load_agent, parse_bytes
    from runner.grading import GradingLimits
    from runner.backends import get_backend
    from runner.gpus import discover_gpus
    from runner.rungroup import RunGroup

    try:
        agent = load_agent(args.agent)
        max_submission = parse_bytes(args.max_submission_size)
    except AgentSpecError as err:
        raise UsageError(str(err)) from None
    comps = competition_list(args.competitions) if args.competitions else (
        competition_list(agent.competitions) if isinstance(agent.competitions, str) else list(agent.competitions)
    )
    problems = []
    for cid in comps:  # every competition's data is found and checked before anything runs
        try:
            resolve_data(cid, args)
        except DataError as err:
            problems.append(str(err))
    if problems:
        raise UsageError("\n".join(problems))
    group_name = args.group or f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%dT%H-%M-%S}_run-group_{agent.name}"
    options: dict[str, Any] = {}
    if args.backend == "docker" and args.gpu_mode:
        options["gpu_mode"] = args.gpu_mode
    if args.backend == "ray":
        options = {"address": args.ray_address, "inner": args.inner_backend}
    backend = get_backend(args.backend, **options)

    seeds = args.seeds or agent.seeds
    with RunProgress(len(comps) * seeds, enabled=bars_enabled(args),
                     quiet=getattr(args, "quiet", False)) as progress:
        group = RunGroup(
            agent, comps, Path(args.runs_dir) / group_name, backend, lambda cid: resolve_data(cid, args),
            seeds=args.seeds, parallel=args.parallel, gpus=discover_gpus(args.gpus), retries=args.retries,
            validation=not args.no_validation, on_event=progress,
            grading=GradingLimits(max_submission_bytes=max_submission),
        )
        metas = group.run()  # an InfrastructureError (no Docker engine...) is a host error: exit code 2
    summary = group.summarize()
    code = run_exit_code(metas, len(comps) * seeds)
    if args.json:
        print(json.dumps(summary, indent=2))
        return code
    rows = [
        {"competition": m["competition_id"], "seed": m["seed"], "status": m["status"], "exit": m["exit_code"],
         "valid": (m.get("report") or {}).get("valid_submission"), "score": (m.get("report") or {}).get("score"),
         "medal": _medal(m.get("report") or {})}
        for m in metas
    ]
    print(format_table(rows, ["competition", "seed", "status", "exit", "valid", "score", "medal"]))
    print()
    print(_split_table(summary))
    print(f"\nrun group: {group.group_dir}")
    return code


def run_exit_code(metas: list[dict[str, Any]], planned: int) -> int:
    """0 when every planned run finished with a valid submission, else 1.

    >>> ok = {"status": "finished", "report": {"valid_submission": True}}
    >>> run_exit_code([ok, ok], 2), run_exit_code([ok], 2), run_exit_code([ok, {"status": "infra_failed"}], 2)
    (0, 1, 1)
    """
    valid = [m for m in metas if m.get("status") == "finished" and (m.get("report") or {}).get("valid_submission")]
    return 0 if len(valid) == planned else 1


class RunProgress(Progress):
    """A run group's ``on_event``: a bar of runs done (postfix running and failed; tqdm adds the ETA) and one
    line per event on stderr (none with ``-q``; no "started" lines under a bar, which counts the running).
    Events come from the group's threads."""

    def __init__(self, total: int, *, enabled: bool, quiet: bool = False) -> None:
        super().__init__("run", unit="run", total=total, enabled=enabled)
        self.quiet = quiet
        self.running = self.failed = 0
        self._lock = threading.Lock()

    def __call__(self, event: str, planned: Any, meta: Any) -> None:  # type: ignore[override]
        with self._lock:
            if event == "started":
                self.running += 1
            elif event != "skipped":
                self.running -= 1
                self.failed += event != "finished"
            if event != "started":
                self.advance()
            self.postfix(running=self.running, failed=self.failed)
            if not self.quiet and (event != "started" or self._bar is None):
                self.write(f"[{event:>12}] {planned.competition_id} seed {planned.seed}{_detail(meta)}",
                           file=sys.stderr)


def _detail(meta: Any) -> str:
    if meta is None:
        return ""
    report = meta.get("report") if isinstance(meta, dict) else meta.report
    return f" exit={meta.exit_code} timed_out={meta.timed_out} score={(report or {}).get('score')}"


def _split_table(summary: dict[str, Any]) -> str:
    rows = [
        {"split": name, "seeds": agg.get("n_seeds"), "any_medal %": _pm(agg, "any_medal"),
         "valid %": _pm(agg, "valid_submission"), "above_median %": _pm(agg, "above_median")}
        for name, agg in summary.items()
    ]
    return format_table(rows, ["split", "seeds", "any_medal %", "valid %", "above_median %"])


def _medal(report: dict[str, Any]) -> str:
    for medal in ("gold", "silver", "bronze"):
        if report.get(f"{medal}_medal"):
            return medal
    return "-"


def _pm(agg: dict[str, Any], flag: str) -> str:
    from mlebench.report_tables import pm

    return agg["error"] if "error" in agg else pm(agg, flag)
