"""Disk limits that work on any engine: a watcher that measures the run's writable folders and stops the run.

Docker's ``storage_opt`` size applies only to a container's root filesystem (read-only here) and only on
some storage drivers, and bind mounts have no quota at all. So the harness measures what the agent wrote
(allocated blocks, so sparse files count for what they really take, and every entry counts as at least one
block) and calls ``stop`` with a reason as soon as a folder group is over its budget. Inside containers a
file-size rlimit of the same size bounds any single file between two measurements.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

#: Most entries (files, folders, links) the agent may create in its writable folders.
MAX_ENTRIES = 1_000_000


def human_bytes(n: float) -> str:
    """``1536`` -> ``'1.5 KiB'``.

    >>> human_bytes(512), human_bytes(3 * 1024**3)
    ('512 B', '3.0 GiB')
    """
    for unit, size in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n:.0f} B"


def usage(paths: Iterable[Path]) -> tuple[int, int]:
    """(bytes allocated, entries) under ``paths``, never following symbolic links.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "f").write_bytes(b"x" * 10000)
    >>> used, entries = usage([folder]); used >= 10000, entries
    (True, 1)
    """
    total = entries = 0
    stack = [Path(p) for p in paths]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                for entry in it:
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    entries += 1
                    total += max(getattr(info, "st_blocks", 0) * 512, 512)
                    if stat.S_ISDIR(info.st_mode):
                        stack.append(Path(entry.path))
        except OSError:
            continue
    return total, entries


@dataclass(frozen=True)
class Budget:
    """At most ``limit`` bytes in ``paths`` together; ``label`` names them in the reason."""

    label: str
    paths: tuple[Path, ...]
    limit: int


def over_budget(budgets: Iterable[Budget], max_entries: int = MAX_ENTRIES) -> str | None:
    """The reason the first budget over its limit is exceeded, or None.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "f").write_bytes(b"x" * 100_000)
    >>> over_budget([Budget("code/", (folder,), 1024)])
    'code/ holds 100.0 KiB, over its limit of 1.0 KiB'
    """
    for budget in budgets:
        used, entries = usage(budget.paths)
        if used > budget.limit:
            return f"{budget.label} holds {human_bytes(used)}, over its limit of {human_bytes(budget.limit)}"
        if entries > max_entries:
            return f"{budget.label} holds {entries} entries, over the limit of {max_entries}"
    return None


class DiskWatch:
    """Measures ``budgets`` every ``interval`` seconds (longer when measuring is slow) in a thread and calls
    ``stop(reason)`` once, when one is exceeded. Use as a context manager around the run. What an agent can
    write past its budget is what it writes in one interval plus the time the kill takes (about 80-300 MB at
    disk speed, measured); the file-size rlimit bounds any single file to the budget.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> reasons = []
    >>> with DiskWatch([Budget("x/", (folder,), 1000)], reasons.append, interval=0.05) as watch:
    ...     _ = (folder / "big").write_bytes(b"0" * 100_000)
    ...     time.sleep(0.3)
    >>> watch.exceeded, reasons[0].startswith("x/ holds")
    (True, True)
    """

    def __init__(self, budgets: Iterable[Budget], stop: Callable[[str], None], interval: float = 0.05,
                 max_entries: int = MAX_ENTRIES) -> None:
        self.budgets = list(budgets)
        self.stop = stop
        self.interval = interval
        self.max_entries = max_entries
        self.reason: str | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="disk-watch", daemon=True)

    @property
    def exceeded(self) -> bool:
        return self.reason is not None

    def _loop(self) -> None:
        while not self._done.is_set():
            started = time.monotonic()
            reason = over_budget(self.budgets, self.max_entries)
            if reason is not None:
                self.reason = reason
                self.stop(reason)
                return
            spent = time.monotonic() - started
            # a huge tree is measured less often: measuring takes at most about 5% of a core
            self._done.wait(max(self.interval, 20 * spent))

    def check_now(self) -> None:
        """Measure once more (at the end of a run: a burst between two measurements still counts)."""
        if self.reason is None:
            self.reason = over_budget(self.budgets, self.max_entries)

    def __enter__(self) -> DiskWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join(timeout=5)
