"""The command line: ``mle-bench`` and ``mlebench`` (the same commands; MLE-bench's own spellings work in both).

Exit codes: 0 when the command did its work (a graded submission may still be invalid), 1 when the work
failed (e.g. a download, or ``validate`` found the submission invalid), 2 on a usage or host error (bad
arguments, unknown competition, data not prepared, a tampered store, missing input file). A user's mistake
never prints a traceback.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from mlebench import cli_data, cli_grading, cli_report, cli_run, demo
from mlebench.cli_grading import UsageError, user_errors

__all__ = ["main", "mlebench_main", "build_parser", "UsageError"]


def build_parser(prog: str = "mle-bench") -> argparse.ArgumentParser:
    """The parser with every subcommand, named ``prog`` in its messages."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="An open MLE-bench: competitions, datasets, agents in containers, grading and reports.",
    )
    from mle_datasets.prepare import tool_version

    parser.add_argument("--version", action="version", version=f"{prog} {tool_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    cli_grading.add_commands(sub)
    cli_report.add_commands(sub)
    cli_data.add_commands(sub)
    demo.add_commands(sub)
    cli_run.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None, prog: str = "mle-bench") -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code.

    >>> main(["list", "--split", "nonsense"])
    2
    """
    parser = build_parser(prog)
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:  # argparse reports usage errors (and --help) by exiting
        return int(exc.code or 0)
    try:
        return int(args.func(args) or 0)
    except user_errors() as err:
        print(f"{prog} {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def mlebench_main(argv: Sequence[str] | None = None) -> int:
    """The ``mlebench`` console script: :func:`main` under MLE-bench's program name."""
    return main(argv, prog="mlebench")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
