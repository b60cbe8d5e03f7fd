"""The ``mle-bench`` command line: ``main(argv=None) -> int``.

Exit codes: 0 when the command did its work (a graded submission may still be invalid), 1 when the work
failed (e.g. a download, or ``validate`` found the submission invalid), 2 on a usage error (bad arguments,
unknown competition, missing input file). A user's mistake never prints a traceback.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from mle_datasets import cli_data, cli_grading, demo
from mle_datasets.cli_grading import UsageError
from runner import cli as runner_cli

__all__ = ["main", "build_parser", "UsageError"]

def build_parser() -> argparse.ArgumentParser:
    """The ``mle-bench`` parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="mle-bench",
        description="An open MLE-bench: competitions, datasets, grading and reports.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    cli_grading.add_commands(sub)
    cli_data.add_commands(sub)
    demo.add_commands(sub)
    runner_cli.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``mle-bench`` with ``argv`` (default: ``sys.argv[1:]``); return the exit code.

    >>> main(["list", "--split", "nonsense"])
    2
    """
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:  # argparse reports usage errors (and --help) by exiting
        return int(exc.code or 0)
    try:
        return int(args.func(args) or 0)
    except cli_grading.USER_ERRORS as err:
        print(f"mle-bench {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
