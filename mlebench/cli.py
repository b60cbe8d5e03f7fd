"""The command line: ``mle-bench`` and ``mlebench`` (the same commands; MLE-bench's own spellings work in both).

Exit codes (each command's ``--help`` says its own): 0 when every submission is valid and every run or
competition succeeded; 1 when a submission is invalid or a run, competition or download failed (``grade``,
``grade-sample``, ``validate``, ``run``, ``prepare``, ``report``); 2 on a usage or host error (bad arguments,
unknown competition, data not prepared, a tampered store, unreadable answers, no Docker engine). A user's
mistake prints one ``error:`` line and a hint, never a traceback; an unexpected error (a bug) prints its
traceback only with ``-v``.

Start-up stays fast: command modules import pandas, pandera, datasets and docker inside the commands that
need them, so ``mle-bench --help`` and ``mle-bench list`` load none of them.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from typing import Any, Sequence

from mlebench import cli_data, cli_grading, cli_report, cli_run, demo
from mlebench.cli_grading import UsageError, user_errors
from mlebench.cli_output import configure_logging, reset_logging

__all__ = ["main", "mlebench_main", "build_parser", "UsageError", "EXIT_CODES", "cli_words"]

_HOST = "bad arguments, unknown competition, data not prepared, a tampered store"


def _codes(ok: str, host: str, bad: str | None = None) -> str:
    return f"exit codes: 0 {ok}; " + (f"1 {bad}; " if bad else "") + f"2 a usage or host error ({host})."


#: each command's exit codes, shown at the end of its ``--help``
EXIT_CODES = {
    "list": _codes("listed", "unknown split"),
    "validate": _codes("the submission is valid", _HOST, bad="it is invalid or unreadable"),
    "grade-sample": _codes("the submission is valid and graded", _HOST + ", answers unreadable or rejected by "
                           "the metric (e.g. --answers naming the sample submission)",
                           bad="it is invalid or unreadable"),
    "grade": _codes("every submission is valid", _HOST + ", or a line the host could not grade: its answers "
                    "unreadable or rejected", bad="some submission is invalid or missing"),
    "report": _codes("aggregated", "bad arguments, a missing or unreadable report",
                     bad="every row is an error, or the reports are invalid"),
    "prepare": _codes("every competition prepared and stored", _HOST + ", an unreadable id list",
                      bad="some competition failed"),
    "materialize": _codes("written", _HOST + ", dest not empty without --force"),
    "publish": _codes("published", _HOST + ", the Hub refused the upload"),
    "leaderboards": _codes("every leaderboard present or downloaded", "bad arguments, unknown competition",
                           bad="some download failed"),
    "regrade": _codes("regraded", _HOST + ", not a run group folder"),
    "run": _codes("every run finished with a valid submission", _HOST + ", a bad agent spec, no Docker engine",
                  bad="some run failed or its submission is invalid"),
    "demo": _codes("every competition went through", "bad arguments, no Docker engine for --backend docker",
                   bad="some competition failed"),
}
EXIT_CODES["dev"] = EXIT_CODES["leaderboards"]

#: library spellings (Python keywords) and the command line's words for them
_CLI_WORDS = {
    "pass overwrite=True (--force)": "pass --force",
    "overwrite=True": "--force",
    "use pad_missing=True": "use --pad-missing",
    "pad_missing=True": "--pad-missing",
}

#: hints for errors whose own message does not say what to do
_HINTS = {
    "GpuUnavailable": "pass --gpus with the ids nvidia-smi lists, or lower the agent spec's resources.gpus",
    "CSVReadError": "check the file is a CSV the competition's sample submission describes",
}


def cli_words(message: str) -> str:
    """A library message in the command line's words (``--force``, not ``overwrite=True``).

    >>> cli_words("out already holds files; choose an empty folder or pass overwrite=True (--force)")
    'out already holds files; choose an empty folder or pass --force'
    """
    for python, cli in _CLI_WORDS.items():
        message = message.replace(python, cli)
    return message


class _Version(argparse.Action):
    """``--version``: reads the installed version only when asked (it needs the data package)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        from mle_datasets.prepare import tool_version

        print(f"{parser.prog} {tool_version()}")
        parser.exit()


def build_parser(prog: str = "mle-bench") -> argparse.ArgumentParser:
    """The parser with every subcommand, named ``prog`` in its messages; each command's help ends with its
    exit codes."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="An open MLE-bench: competitions, datasets, agents in containers, grading and reports.",
        epilog="exit codes: 0 all valid / all runs succeeded; 1 some submission invalid or some run failed; "
               "2 a usage or host error. `COMMAND --help` says each command's.",
    )
    parser.add_argument("--version", action=_Version)
    _verbosity_options(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    cli_grading.add_commands(sub)
    cli_report.add_commands(sub)
    cli_data.add_commands(sub)
    demo.add_commands(sub)
    cli_run.add_commands(sub)
    for name, command in sub.choices.items():
        command.epilog = command.epilog or EXIT_CODES.get(name)
    for command in _subcommands(parser):
        _verbosity_options(command, top=False)
    return parser


def _verbosity_options(parser: argparse.ArgumentParser, top: bool) -> None:
    """``-v``/``-q``: on the program (defaults 0 and off), and on each command too, where they are left out of
    the result unless given so that ``mle-bench -v grade ...`` and ``mle-bench grade ... -v`` both work."""
    verbose, quiet = (0, False) if top else (argparse.SUPPRESS, argparse.SUPPRESS)
    parser.add_argument("-v", "--verbose", action="count", default=verbose,
                        help="log what happens (INFO) and print the traceback of an unexpected error; -vv for DEBUG")
    parser.add_argument("-q", "--quiet", action="store_true", default=quiet,
                        help="only errors: no warnings, no progress bars")


def _subcommands(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Every command and sub-command parser below ``parser`` (``leaderboards download`` included), once each."""
    found: dict[int, argparse.ArgumentParser] = {}
    for action in parser._actions:  # argparse has no public accessor for its subparsers
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                if id(child) not in found:
                    found[id(child)] = child
                    found.update((id(p), p) for p in _subcommands(child))
    return list(found.values())


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
    args.prog = prog
    configure_logging(args.verbose, args.quiet)
    where = f"{prog} {args.command}"
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - every error ends as one line; only a bug's traceback, with -v
        if isinstance(err, UsageError) or isinstance(err, user_errors()):  # UsageError first: no imports
            print(f"{where}: error: {cli_words(_message(err))}", file=sys.stderr)
            hint = _HINTS.get(type(err).__name__)
            if hint:
                print(f"hint: {hint}", file=sys.stderr)
            elif isinstance(err, UsageError):
                print(f"hint: `{where} --help` lists the options", file=sys.stderr)
            return 2
        if args.verbose:
            traceback.print_exc(file=sys.stderr)
        print(f"{where}: error: unexpected {type(err).__name__}: {err}", file=sys.stderr)
        if not args.verbose:
            print("hint: run with -v for the traceback, and report it as a bug", file=sys.stderr)
        return 2
    finally:
        reset_logging()


def _message(err: BaseException) -> str:
    """The error's text: OSError's own (``[Errno 2] No such file ...: 'x'``), else ``str(err)``."""
    if isinstance(err, OSError) and err.strerror:
        return f"{err.strerror}: {err.filename}" if err.filename else err.strerror
    return str(err) or type(err).__name__


def mlebench_main(argv: Sequence[str] | None = None) -> int:
    """The ``mlebench`` console script: :func:`main` under MLE-bench's program name."""
    return main(argv, prog="mlebench")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
