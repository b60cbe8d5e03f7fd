"""The ``report`` command: grading reports aggregated per agent and split, as a table, JSON, MLE-bench's
README leaderboard (``--markdown``) or one self-contained HTML page (``--html``).

Exit codes: 0 when the report was made, 1 when every row is an error (no agent has a run in any split),
2 on bad input (a grading report or experiments file that cannot be read).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from mlebench.cli_grading import format_table

__all__ = ["add_commands", "cmd_report"]

COLUMNS = ["agent", "split", "competitions", "seeds", "any medal %", "gold %", "above median %", "valid %",
           "pass@k", "status", "error"]


def cmd_report(args: argparse.Namespace) -> int:
    from competitions.aggregate import aggregate_groups, default_splits, load_groups, read_experiments
    from mlebench.report_tables import all_errors, markdown_table, split_rows

    experiments = read_experiments(args.experiments) if args.experiments else None
    groups = load_groups(args.reports, by=args.group_by, experiments=experiments, name=args.agent)
    splits = default_splits()
    if args.by == "all" and not (args.markdown or args.html):
        splits = {"all": splits["all"]}
    summaries = aggregate_groups(groups, splits, num_seeds=args.num_seeds, pad_missing=args.pad_missing)
    rows = split_rows(summaries)
    if args.html:
        from mlebench.report_html import write_html

        path = write_html(args.html, groups, summaries, leaderboards=args.leaderboards)
        print(f"HTML report written to {path}")
    if args.json:
        print(json.dumps({"groups": [s.to_dict() for s in summaries]}, indent=2, allow_nan=False))
    elif args.markdown:
        print(markdown_table(summaries))
    elif not args.html:
        print(format_table(rows, [c for c in COLUMNS if any(r.get(c) is not None for r in rows)]))
        if any(r.get("pass@k") for r in rows):
            print("pass@k: any-medal % for k = 1, 2, ... attempts per competition (unbiased estimate)")
    return 1 if all_errors(rows) else 0


def add_commands(sub: Any) -> None:
    """Add ``report`` to ``sub`` (the ``add_subparsers()`` object of ``mle-bench``)."""
    help_ = "aggregate grading reports per agent and split: mean ± SEM over seeds, pass@k, Markdown or HTML"
    p = sub.add_parser("report", help=help_, description=help_ + (
        ". Each agent (from group.json beside a report, the report's agent field, its run group folder, "
        "else its file name) is one row; different agents are never seeds of each other. A split with "
        "missing runs is shown as incomplete, its missing runs left out of the means."))
    p.set_defaults(func=cmd_report)
    p.add_argument("reports", nargs="+", help="grading report JSON files")
    p.add_argument("--by", choices=["split", "all"], default="split",
                   help="split (default): a row per split (lite, medium, high, all); all: the 75 only")
    p.add_argument("--group-by", choices=["agent", "run-group"], default="agent",
                   help="one row per agent (default) or per run group")
    p.add_argument("--experiments", default=None, metavar="CSV",
                   help="MLE-bench's run_group_experiments.csv (experiment_id,run_group): one row per experiment")
    p.add_argument("--agent", default=None, metavar="NAME",
                   help="take every report given as a run of agent NAME (its seeds), whatever it says")
    p.add_argument("--num-seeds", type=int, default=-1, help="seeds to use (default: every attempt)")
    p.add_argument("--pad-missing", action="store_true",
                   help="MLE-bench's strict mean: count missing runs as failures instead of leaving them out")
    p.add_argument("--leaderboards", default=None, help="folder of <id>.csv leaderboards (for --html)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print JSON")
    out.add_argument("--markdown", action="store_true",
                     help="print MLE-bench's README leaderboard table (any-medal %% ± SEM per split)")
    p.add_argument("--html", default=None, metavar="OUT",
                   help="write one self-contained HTML report (tables, plots against the leaderboards, failures)")
