"""What the command line writes besides its results: log lines and progress bars, both on stderr.

``-v``/``-q`` set the log level once (:func:`configure_logging`); the packages log through
``logging.getLogger(__name__)`` and never print. Without ``-v`` a log record is one line: a traceback it
carries is shown only with ``-v``. Long steps draw a tqdm bar (:class:`Progress`) only when
stderr is a terminal and ``-q`` is not given; the library is handed the bar as its ``progress`` callback
(``progress(what, done, total)``) and stays quiet by default.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

__all__ = ["PACKAGES", "configure_logging", "reset_logging", "Progress", "bars_enabled"]

#: the loggers of our packages: ``-v`` raises them to INFO; other libraries stay at WARNING unless ``-vv``
PACKAGES = ("metrics", "schemas", "competitions", "mle_datasets", "runner", "mlebench")


class _StderrHandler(logging.Handler):
    """Writes each record to the current ``sys.stderr``, above any progress bar (through tqdm when loaded)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
            tqdm = sys.modules.get("tqdm")
            if tqdm is not None:
                tqdm.tqdm.write(line, file=sys.stderr)
            else:
                sys.stderr.write(line + "\n")
        except Exception:  # noqa: BLE001 - logging must never break a command
            self.handleError(record)


class _BriefFormatter(logging.Formatter):
    """One line per record: a record's traceback is left out (``-v`` shows it) and said to be there."""

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info = record.exc_text = record.stack_info = None
        try:
            line = super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved
        return line + (" (run with -v for the traceback)" if saved[0] else "")


_handler: _StderrHandler | None = None


def configure_logging(verbose: int = 0, quiet: bool = False) -> int:
    """Route every log record to stderr at the level ``-v`` (INFO), ``-vv`` (DEBUG) or ``-q`` (ERROR) asks for
    (WARNING by default); calling it again replaces the previous set-up. Returns our packages' level.

    >>> import logging
    >>> configure_logging(verbose=1) == logging.INFO, configure_logging(quiet=True) == logging.ERROR
    (True, True)
    >>> configure_logging() == logging.WARNING
    True
    """
    global _handler
    if quiet:
        ours = other = logging.ERROR
    elif verbose >= 2:
        ours = other = logging.DEBUG
    else:
        ours, other = (logging.INFO if verbose else logging.WARNING), logging.WARNING
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
    _handler = _StderrHandler()
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S")
                          if verbose else _BriefFormatter("%(levelname)s: %(message)s"))
    root.addHandler(_handler)
    root.setLevel(other)
    for name in PACKAGES:
        logging.getLogger(name).setLevel(ours)
    return ours


def reset_logging() -> None:
    """Undo :func:`configure_logging` (the command has ended; a script that called it keeps its own set-up).

    >>> import logging
    >>> _ = configure_logging(verbose=1); reset_logging()
    >>> logging.getLogger("competitions").level == logging.NOTSET
    True
    """
    global _handler
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
        _handler = None
    root.setLevel(logging.WARNING)
    for name in PACKAGES:
        logging.getLogger(name).setLevel(logging.NOTSET)


def bars_enabled(args: argparse.Namespace) -> bool:
    """Whether progress bars are drawn: stderr is a terminal and ``-q`` was not given."""
    return not getattr(args, "quiet", False) and sys.stderr.isatty()


class Progress:
    """A tqdm bar on stderr, or nothing when ``enabled`` is false. Call it as a library's ``progress``
    callback (``bar(what, done, total)``), or :meth:`advance` it; :meth:`write` prints a line above it.

    >>> with Progress("grade", unit="submission", total=2, enabled=False) as bar:
    ...     bar("grade", 1, 2); bar.advance(); bar.postfix(failed=0)
    >>> bar.done
    2
    """

    def __init__(self, desc: str, *, unit: str = "it", total: int | None = None, enabled: bool = True) -> None:
        self.done = 0
        self._bar: Any = None
        if enabled:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True)

    def __call__(self, what: str, done: int, total: int | None) -> None:
        self.done = done
        if self._bar is not None:
            if total != self._bar.total:  # a new phase (e.g. storing after preparing): its own count and ETA
                self._bar.reset(total=total)
            self._bar.set_description_str(what, refresh=False)
            self._bar.n = done
            self._bar.refresh()

    def advance(self, n: int = 1) -> None:
        """One more (or ``n`` more) item done."""
        self.done += n
        if self._bar is not None:
            self._bar.update(n)

    def postfix(self, **fields: Any) -> None:
        """Show ``fields`` after the bar (e.g. running=2, failed=0)."""
        if self._bar is not None:
            self._bar.set_postfix(fields, refresh=True)

    def write(self, line: str, file: Any = None) -> None:
        """Print ``line`` (default: to stdout) without breaking the bar."""
        stream = file or sys.stdout
        if self._bar is not None:
            self._bar.write(line, file=stream)
        else:
            print(line, file=stream)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
