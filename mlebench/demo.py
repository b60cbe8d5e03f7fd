"""The demo: the whole pipeline on synthetic data, with no Kaggle account and no network.

For each chosen competition (default: the 22 lite ones) it writes a synthetic raw download in Kaggle's
layout, prepares the MLE-bench v1 split into a store of its own (inside the work folder, so synthetic data
never enters the user's store), runs the ``dummy`` and ``baseline`` agents through the local backend on the
data :func:`mle_datasets.resolve` hands over, grades every submission on the host and returns one row per
competition.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

import competitions
from mle_datasets import Store, make_raw_fixture, prepare, resolve

DEMO_AGENTS = ("dummy", "baseline")


def prepare_fixtures(ids: list[str], workdir: Path, seed: int = 0,
                     log: Callable[[str], None] = print) -> tuple[Store, dict[str, str]]:
    """Write, prepare and store each competition's synthetic raw files under ``workdir``; return the store
    and, per competition that failed, its error (one failure never stops the rest)."""
    store = Store(workdir / "store")
    failures: dict[str, str] = {}
    for cid in ids:
        try:
            raw = make_raw_fixture(cid, workdir / "raw" / cid, seed=seed)
            with tempfile.TemporaryDirectory(prefix="mle-bench-demo-") as scratch:
                stored = store.add(prepare(cid, raw, Path(scratch) / cid))
            log(f"prepared {cid} v{stored['version']} (revision {stored['revision'][:12]})")
        except Exception as err:  # noqa: BLE001 - reported per competition, the demo goes on
            failures[cid] = f"{type(err).__name__}: {err}"
            log(f"could not prepare {cid}: {failures[cid]}")
    return store, failures


def run_demo(workdir: Path, ids: list[str] | None = None, agents: tuple[str, ...] = DEMO_AGENTS,
             parallel: int = 2, seed: int = 0, log: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """Prepare, run ``agents`` and grade; one row per competition with each agent's score and medal."""
    from runner.agent_spec import load_agent
    from runner.backends.local import LocalBackend
    from runner.rungroup import RunGroup

    ids = list(ids or competitions.ids("lite"))
    store, failures = prepare_fixtures(ids, workdir, seed=seed, log=log)
    ready = [c for c in ids if c not in failures]
    results: dict[str, dict[str, Any]] = {
        c: {"competition": c, "metric": competitions.get(c).metric, "error": failures.get(c)} for c in ids
    }
    for name in agents:
        group = RunGroup(
            load_agent(name), ready, workdir / "runs" / name, LocalBackend(),
            lambda cid: resolve(cid, store=store), parallel=parallel, validation=False,
            on_event=lambda event, planned, meta: log(f"{name}: {event} {planned.competition_id}")
            if event != "started" else None,
        )
        for meta in group.run():
            report = meta.get("report") or {}
            score = report.get("score")
            results[meta["competition_id"]][name] = None if score is None else float(score)
            results[meta["competition_id"]][f"{name}_valid"] = bool(report.get("valid_submission"))
            results[meta["competition_id"]][f"{name}_medal"] = _medal(report)
        group.summarize()
    return [results[c] for c in ids]


def _medal(report: dict[str, Any]) -> str:
    for medal in ("gold", "silver", "bronze"):
        if report.get(f"{medal}_medal"):
            return medal
    return "above median" if report.get("above_median") else "-"


def format_rows(rows: list[dict[str, Any]], agents: tuple[str, ...] = DEMO_AGENTS) -> list[dict[str, Any]]:
    """Rows for the demo's table: scores with 5 significant digits, 'invalid' where a submission was."""
    table = []
    for row in rows:
        out = {"competition": row["competition"], "metric": row["metric"]}
        for name in agents:
            score = row.get(name)
            if row.get("error"):
                out[name] = "not prepared"
            elif not row.get(f"{name}_valid"):
                out[name] = "invalid"
            else:
                out[name] = "nan" if score is None or math.isnan(score) else f"{score:.5g}"
        out["baseline medal"] = row.get("baseline_medal", "-")
        table.append(out)
    return table



def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``demo`` on the ``mle-bench`` parser."""
    p = sub.add_parser("demo", help="the whole pipeline on synthetic lite data: prepare, run agents, grade",
                       description=__doc__)
    p.add_argument("--competitions", default="lite", help="split name or comma list of ids (default: lite)")
    p.add_argument("--workdir", default=None, help="where to write data, runs and reports (default: a new temp dir)")
    p.add_argument("--parallel", type=int, default=2, help="runs at a time")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.set_defaults(func=_cmd_demo)


def _cmd_demo(args: argparse.Namespace) -> int:
    from mlebench.cli_grading import format_table
    from mlebench.cli_run import competition_list

    ids = competition_list(args.competitions)
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="mle-bench-demo-"))
    rows = run_demo(workdir, ids, parallel=args.parallel, log=lambda m: print(m, file=sys.stderr, flush=True))
    if args.json:
        print(json.dumps(rows, indent=2, default=str))
        return 0
    print(format_table(format_rows(rows), ["competition", "metric", *DEMO_AGENTS, "baseline medal"]))
    print(f"\ndata, runs and grading reports: {workdir}")
    if not any(row.get("baseline_medal") not in (None, "-") for row in rows):
        print("medals need the Kaggle leaderboards: set MLE_BENCH_LEADERBOARDS or `mle-bench leaderboards download`")
    return 0
