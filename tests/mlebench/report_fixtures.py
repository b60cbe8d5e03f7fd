"""Synthetic grading reports in the layout of MLE-bench's published ones, scored against the real leaderboards.

MLE-bench publishes ``runs/<timestamp>_run-group_<agent>/<timestamp>_grading_report.json`` (in git LFS), each
a grading report with MLE-bench's keys only. :func:`write_run_group` makes one: an agent of a given skill
on ``seeds`` x the competitions, each score drawn from the competition's own leaderboard (``skill`` is the
mean share of teams beaten), medals from the real medal rule, a share of runs failed.

``python -m tests.mlebench.report_fixtures --screenshot docs/images/report.png`` makes the README's picture:
two synthetic agents on the 75, their HTML report, and its screenshot composed from the page's figures.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

import competitions
from competitions.grading import _rank
from competitions.reports import REPORT_KEYS, GradeReport, batch_report

TOTAL_KEYS = ("total_runs", "total_runs_with_submissions", "total_valid_submissions", "total_medals",
              "total_gold_medals", "total_silver_medals", "total_bronze_medals", "total_above_median")


def synthetic_report(cid: str, skill: float, fail: float, rng: np.random.Generator) -> GradeReport:
    """One run's report: failed with probability ``fail``, else a score from the leaderboard placed near
    the ``skill`` share of teams beaten."""
    board = competitions.leaderboard(cid)
    draw = rng.random()
    if draw < fail:
        kind = "missing" if draw < fail / 2 else "invalid"
        report = GradeReport.failed(cid, f"synthetic {kind} submission", kind=kind)
    else:
        beaten = float(np.clip(rng.beta(8 * skill + 0.5, 8 * (1 - skill) + 0.5), 0, 1))
        scores = board["score"].to_numpy()
        position = int(round((1 - beaten) * (len(scores) - 1)))
        report = GradeReport(cid, score=float(scores[position]), submission_exists=True, valid_submission=True)
    _rank(competitions.get(cid), report, None)  # thresholds, medals and placement, as grading sets them
    return report


def mle_bench_layout(reports: list[GradeReport]) -> dict:
    """A grading report with MLE-bench's keys only (no fields of ours)."""
    full = batch_report(reports)
    return {**{k: full[k] for k in TOTAL_KEYS},
            "competition_reports": [{k: r[k] for k in REPORT_KEYS} for r in full["competition_reports"]]}


def write_run_group(runs: Path, agent: str, ids: list[str], *, seeds: int = 3, skill: float = 0.5,
                    fail: float = 0.1, seed: int = 0, stamp: str = "2024-09-06T18-25-55-UTC") -> Path:
    """Write ``runs/<stamp>_run-group_<agent>/<stamp>_grading_report.json`` with ``seeds`` x ``ids`` runs."""
    rng = np.random.default_rng(seed)
    reports = [synthetic_report(cid, skill, fail, rng) for _ in range(seeds) for cid in ids]
    folder = runs / f"{stamp}_run-group_{agent}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stamp.replace('UTC', 'GMT')}_grading_report.json"
    path.write_text(json.dumps(mle_bench_layout(reports), indent=1))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screenshot", required=True, help="PNG to write")
    parser.add_argument("--html", default=None, help="also keep the HTML report here")
    args = parser.parse_args()
    from competitions.aggregate import aggregate_groups, load_groups
    from mlebench.report_html import build_page, compose_screenshot

    ids = competitions.ids("all")
    with tempfile.TemporaryDirectory() as tmp:
        runs = Path(tmp) / "runs"
        paths = [write_run_group(runs, "aide", ids, skill=0.85, fail=0.15, seed=1),
                 write_run_group(runs, "baseline", ids, skill=0.6, fail=0.05, seed=2,
                                 stamp="2024-09-07T22-33-09-UTC")]
        groups = load_groups(paths)
        page = build_page(groups, aggregate_groups(groups), title="MLE-bench report (synthetic agents)")
    if args.html:
        Path(args.html).write_text(page.html, encoding="utf-8")
    print(compose_screenshot(page, args.screenshot))


if __name__ == "__main__":
    main()
