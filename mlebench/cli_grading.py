"""The grading subcommands: list, validate, grade-sample, grade, leaderboards (and ``dev download-leaderboard``);
``report`` is in :mod:`mlebench.cli_report`. Data comes from :func:`mle_datasets.resolve` unless a file is named on the command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from mlebench.cli_output import Progress, bars_enabled

__all__ = ["add_commands", "UsageError", "user_errors", "format_table", "data_options", "resolve_data",
           "grade_exit_code"]


class UsageError(Exception):
    """A mistake in the command line or its inputs (exit code 2)."""


def user_errors() -> tuple[type[BaseException], ...]:
    """The errors that are the user's or the host's to fix: printed as one line, exit code 2.

    >>> ValueError in user_errors(), OSError in user_errors()
    (False, True)
    """
    from competitions.aggregate import AggregationError
    from competitions.catalogue import UnknownCompetition
    from competitions.grading import GradingError
    from competitions.leaderboards import LeaderboardError
    from competitions.spec import SpecError
    from metrics import MetricInputError
    from mle_datasets.errors import DataError
    from runner.agent_spec import AgentSpecError
    from runner.backends.base import InfrastructureError
    from runner.gpus import GpuUnavailable
    from runner.images import ImageBuildError
    from schemas.csvio import CSVReadError

    return (UsageError, UnknownCompetition, GradingError, AggregationError, CSVReadError, DataError, SpecError,
            LeaderboardError, MetricInputError, AgentSpecError, InfrastructureError, GpuUnavailable,
            ImageBuildError, OSError)


def data_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--data-dir``, ``--version`` and ``--store``: where :func:`resolve_data` finds prepared data."""
    parser.add_argument("--data-dir", default=None, metavar="DIR",
                        help="use prepared data in MLE-bench's layout, DIR/<id>/prepared/{public,private}, "
                        "instead of the store (recorded as unversioned)")
    parser.add_argument("--version", default=None, help="the stored dataset version (default: the latest)")
    parser.add_argument("--store", default=None, metavar="DIR",
                        help="the store (default $MLE_BENCH_HOME or ~/.cache/open-mle-bench)")


def resolve_data(competition_id: str, args: argparse.Namespace):
    """The :class:`mle_datasets.PreparedRef` that ``--data-dir``/``--version``/``--store`` (or the defaults) name."""
    from mle_datasets import Store, resolve

    store = Store(args.store) if getattr(args, "store", None) else None
    return resolve(competition_id, getattr(args, "version", None), store=store,
                   data_dir=getattr(args, "data_dir", None))


def format_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """A plain-text table of ``rows`` (dicts) with the given ``columns``.

    >>> print(format_table([{"a": 1, "b": "x"}, {"a": 22, "b": None}], ["a", "b"]))
    a   b
    --  -
    1   x
    22  -
    """
    def cell(v: Any) -> str:
        if v is None:
            return "-"
        if isinstance(v, float):
            return f"{v:.5g}"
        return str(v)

    body = [[cell(r.get(c)) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(b[i]) for b in body]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip(),
             "  ".join("-" * w for w in widths).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(b, widths)).rstrip() for b in body]
    return "\n".join(lines)


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, allow_nan=False))


def _prog(args: argparse.Namespace) -> str:
    """The program name the user typed (``mle-bench`` or ``mlebench``), for messages."""
    return getattr(args, "prog", "mle-bench")


def _existing_file(path: str, what: str) -> Path:
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"{what} {path} not found")
    return p


def _add(sub: Any, name: str, func: Callable[[argparse.Namespace], int], help_: str) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=help_, description=help_)
    parser.set_defaults(func=func)
    return parser


# ---- list --------------------------------------------------------------------------------------------

def cmd_list(args: argparse.Namespace) -> int:
    """List the catalogue from the spec files alone (no grader, metric or pandas is loaded)."""
    import competitions
    from competitions.spec import all_specs

    try:
        ids = competitions.ids(args.split, checked=False)
    except ValueError as err:
        raise UsageError(str(err)) from None
    specs = all_specs(checked=False)
    rows = [{"id": c.id, "split": c.split, "metric": c.metric, "lower_is_better": c.lower_is_better,
             "category": c.category, "version": c.version} for c in (specs[cid] for cid in ids)]
    if args.json:
        _print_json(rows)
    else:
        print(format_table(rows, ["id", "split", "metric", "lower_is_better", "category"]))
        print(f"{len(rows)} competition(s)")
    return 0


# ---- validate ----------------------------------------------------------------------------------------

def cmd_validate(args: argparse.Namespace) -> int:
    import competitions
    import schemas

    comp = competitions.get(args.competition)
    if args.sample_submission:
        sample = _existing_file(args.sample_submission, "sample submission")
    else:
        sample = resolve_data(comp.id, args).sample_submission
    report = schemas.validate(comp, args.submission, sample)
    if args.json:
        _print_json(report.to_dict())
    elif report.valid:
        print(f"{args.submission}: valid submission for {comp.id} ({report.n_rows} rows)")
    else:
        print(f"{args.submission}: INVALID submission for {comp.id}")
        print(format_table([e.to_dict() for e in report.errors], ["column", "check", "count", "message"]))
    return 0 if report.valid else 1


# ---- grade-sample ------------------------------------------------------------------------------------

def _print_report(d: dict[str, Any]) -> None:
    keys = ["competition_id", "score", "valid_submission", "gold_threshold", "silver_threshold",
            "bronze_threshold", "median_threshold", "any_medal", "gold_medal", "silver_medal", "bronze_medal",
            "above_median", "is_lower_better", "competition_version", "dataset_revision", "error"]
    width = max(len(k) for k in keys)
    for k in keys:
        v = d.get(k)
        if k == "score" and d.get("score_is_nan"):
            v = "NaN"
        print(f"{k.ljust(width)}  {'-' if v is None else v}")


def cmd_grade_sample(args: argparse.Namespace) -> int:
    import competitions

    comp = competitions.get(args.competition_id)
    revision = None
    if args.answers:
        answers = _existing_file(args.answers, "--answers file")
        sample = _existing_file(args.sample_submission, "--sample-submission file") if args.sample_submission \
            else None
    else:
        data = resolve_data(comp.id, args)
        answers, revision = data.answers, data.dataset_revision
        sample = Path(args.sample_submission) if args.sample_submission else data.sample_submission
    report = competitions.grade(comp, args.submission, answers, sample, leaderboards=args.leaderboards,
                                dataset_revision=revision)
    if args.json:
        _print_json(report.to_dict())
    else:
        _print_report(report.to_dict())
    if report.host_error:
        hint = (f"check that --answers {args.answers} is the private answers file of {comp.id} (not its sample "
                "submission)" if args.answers else f"re-run `mle-bench prepare -c {comp.id} --force`")
        print(f"{_prog(args)} grade-sample: error: the host could not grade this submission: {report.error}",
              file=sys.stderr)
        print(f"hint: {hint}", file=sys.stderr)
        return 2
    return 0 if report.valid_submission else 1


# ---- grade -------------------------------------------------------------------------------------------

def grade_exit_code(reports: Sequence[dict[str, Any]]) -> int:
    """0 when every report is valid, 2 when the host failed to grade any (answers or spec at fault), else 1.

    >>> grade_exit_code([{"valid_submission": True}, {"valid_submission": False, "host_error": False}])
    1
    >>> grade_exit_code([{"valid_submission": False, "host_error": True}]), grade_exit_code([])
    (2, 0)
    """
    if any(r.get("host_error") for r in reports):
        return 2
    return 0 if all(r.get("valid_submission") for r in reports) else 1


def cmd_grade(args: argparse.Namespace) -> int:
    from competitions.batch import grade_jsonl

    if bool(args.submissions) == bool(args.submission):
        raise UsageError("name the submissions JSONL once: as the argument or with --submission")
    jsonl = _existing_file(args.submissions or args.submission, "submissions file")
    with Progress("grade", unit="submission", enabled=bars_enabled(args)) as bar:
        report, path = grade_jsonl(jsonl, args.output_dir, lambda cid: resolve_data(cid, args),
                                   max_workers=args.workers, leaderboards=args.leaderboards, progress=bar)
    code = grade_exit_code(report["competition_reports"])
    totals = {k: v for k, v in report.items() if k.startswith("total_")}
    if args.json:
        _print_json({"report_path": str(path), **totals})
    else:
        print(format_table(report["competition_reports"],
                           ["competition_id", "score", "valid_submission", "any_medal", "above_median", "error"]))
        print(" ".join(f"{k}={v}" for k, v in totals.items()))
        print(f"grading report written to {path}")
    if code == 2:
        print(f"{_prog(args)} grade: error: the host could not grade {totals.get('total_host_errors')} line(s); "
              "their reports say why (answers unreadable or rejected)", file=sys.stderr)
    return code


# ---- leaderboards download ---------------------------------------------------------------------------

def cmd_leaderboards_download(args: argparse.Namespace) -> int:
    import competitions
    from competitions.leaderboards import LeaderboardError, download

    ids = competitions.ids() if args.all else [competitions.get(args.competition_id).id]
    failures = 0
    with Progress("leaderboards", unit="competition", total=len(ids), enabled=bars_enabled(args)) as bar:
        for cid in ids:
            line, stream = _download_one(cid, args, competitions.leaderboard, download, LeaderboardError)
            failures += stream is sys.stderr
            bar.write(line, file=stream)
            bar.advance()
    return 1 if failures else 0


def _download_one(cid: str, args: argparse.Namespace, present: Callable, download: Callable,
                  error: type[Exception]) -> tuple[str, Any]:
    """The line to print for one competition's leaderboard, and its stream (stderr for a failure)."""
    if not args.force:
        try:
            present(cid, folder=args.dest)
            return f"{cid}: leaderboard already present (--force downloads it again)", sys.stdout
        except error:
            pass
    try:
        path = download(cid, dest=args.dest)
    except error as err:
        return f"{cid}: FAILED: {err}", sys.stderr
    return f"{cid}: saved {path}", sys.stdout


# ---- registration ------------------------------------------------------------------------------------

def add_commands(sub: Any) -> None:
    """Add the grading subcommands to ``sub`` (the ``add_subparsers()`` object of ``mle-bench``)."""
    p = _add(sub, "list", cmd_list, "list the competitions")
    p.add_argument("--split", default=None, help="lite (= low), medium, high, all (the 75) or dev; default every one")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = _add(sub, "validate", cmd_validate, "check a submission against a competition's contract (public inputs only)")
    p.add_argument("submission", help="submission CSV")
    p.add_argument("--competition", "-c", required=True, help="competition id")
    p.add_argument("--sample-submission", default=None,
                   help="the public sample submission CSV (default: the prepared competition's)")
    data_options(p)
    p.add_argument("--json", action="store_true", help="print the ValidationReport as JSON")

    p = _add(sub, "grade-sample", cmd_grade_sample, "grade one submission and print its report")
    p.add_argument("submission", help="submission CSV")
    p.add_argument("competition_id", help="competition id")
    p.add_argument("--answers", default=None,
                   help="a private answers file (.csv or .jsonl); default: the prepared competition's")
    p.add_argument("--sample-submission", default=None, help="public sample submission (gives the expected ids)")
    data_options(p)
    p.add_argument("--leaderboards", default=None, help="folder of <id>.csv leaderboards")
    p.add_argument("--json", action="store_true", help="print the report as JSON")

    p = _add(sub, "grade", cmd_grade, "grade a JSONL of {competition_id, submission_path} into a grading report")
    p.add_argument("submissions", nargs="?", help="JSONL file, one {competition_id, submission_path} per line")
    p.add_argument("--submission", default=None, help="the same JSONL file (MLE-bench's spelling)")
    p.add_argument("--output-dir", required=True, help="folder for <timestamp>_grading_report.json")
    data_options(p)
    p.add_argument("--workers", type=int, default=None, help="parallel graders (default: CPU count, at most 8)")
    p.add_argument("--leaderboards", default=None, help="folder of <id>.csv leaderboards")
    p.add_argument("--json", action="store_true", help="print the totals as JSON")

    p = _add(sub, "leaderboards", lambda a: _usage(p_lb), "manage the Kaggle leaderboards used for medals")
    p_lb = p
    lb_sub = p.add_subparsers(dest="leaderboards_command", metavar="ACTION")
    d = lb_sub.add_parser("download", help="download final leaderboards through the Kaggle API")
    _leaderboard_download_options(d)

    p = _add(sub, "dev", lambda a: _usage(p_dev), "MLE-bench's developer commands (download-leaderboard)")
    p_dev = p
    dev_sub = p.add_subparsers(dest="dev_command", metavar="ACTION")
    _leaderboard_download_options(dev_sub.add_parser(
        "download-leaderboard", help="the same as `leaderboards download`"))


def _leaderboard_download_options(d: argparse.ArgumentParser) -> None:
    group = d.add_mutually_exclusive_group(required=True)
    group.add_argument("-c", "--competition-id", help="one competition id")
    group.add_argument("--all", action="store_true", help="every competition")
    d.add_argument("--dest", default=None, help="folder to save into (default: the store)")
    d.add_argument("--force", action="store_true", help="download again even when a leaderboard is present")
    d.set_defaults(func=cmd_leaderboards_download)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_usage(sys.stderr)
    raise UsageError("choose an action, e.g. `mle-bench leaderboards download -c ID`")
