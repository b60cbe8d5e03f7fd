"""Who owns a container, a process group or a scratch folder, and whether that owner is still alive.

Everything the harness starts carries an owner (this machine's name, its boot, the harness's pid and that
process's start time) and a token (one per run attempt, held in this process while the attempt runs). A thing
is an orphan when its owner is provably gone (same machine and boot, and no process with that pid and start
time), or when its owner is this very process but its token is no longer held (left behind by an attempt
that failed to clean up, e.g. while the engine was down), or when its deadline has passed. The reaper
(:mod:`runner.reaper`) removes orphans; nothing whose owner may be alive is ever touched before its deadline.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

#: Seconds past its deadline after which anything is reaped whoever owns it (the owner may be stuck).
DEADLINE_GRACE = 60.0

_TOKENS: set[str] = set()
_LOCK = threading.Lock()


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "unknown"


def process_start(pid: int) -> int | None:
    """The start time of process ``pid`` in clock ticks since boot, or None when there is no such process.

    >>> process_start(os.getpid()) is not None, process_start(2**22 + 1)
    (True, None)
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'
    return int(stat.rsplit(")", 1)[1].split()[19])


@dataclass(frozen=True)
class Owner:
    """A process that owns things: ``host``, ``boot`` (the kernel's boot id), ``pid`` and its ``start`` time."""

    host: str
    boot: str
    pid: int
    start: int

    @property
    def label(self) -> str:
        """The owner as one string (a container label value, a field of a folder's ``owner.json``)."""
        return f"{self.host}/{self.boot}/{self.pid}/{self.start}"

    @classmethod
    def parse(cls, text: str | None) -> Owner | None:
        """The owner a :attr:`label` names, or None when the text is not one.

        >>> Owner.parse("h/b/12/345")
        Owner(host='h', boot='b', pid=12, start=345)
        >>> Owner.parse("nonsense") is None
        True
        """
        parts = str(text or "").rsplit("/", 3)
        if len(parts) != 4 or not parts[2].isdigit() or not parts[3].isdigit():
            return None
        return cls(parts[0], parts[1], int(parts[2]), int(parts[3]))

    def is_me(self) -> bool:
        """True when this owner is the current process."""
        return self == me()

    def alive(self) -> bool | None:
        """True or False on this machine; None for another machine's owner (it cannot be checked here).

        >>> me().alive(), Owner(socket.gethostname(), _boot_id(), 2**22 + 1, 1).alive()
        (True, False)
        """
        if self.host != socket.gethostname():
            return None
        if self.boot != _boot_id():
            return False  # the machine rebooted since: every process of that boot is gone
        return process_start(self.pid) == self.start


_ME: Owner | None = None


def me() -> Owner:
    """The current process as an :class:`Owner` (recomputed after a fork)."""
    global _ME
    if _ME is None or _ME.pid != os.getpid():
        _ME = Owner(socket.gethostname(), _boot_id(), os.getpid(), process_start(os.getpid()) or 0)
    return _ME


def claim() -> str:
    """A new token, held by this process until :func:`release`.

    >>> token = claim(); held(token)
    True
    >>> release(token); held(token)
    False
    """
    token = uuid.uuid4().hex[:16]
    with _LOCK:
        _TOKENS.add(token)
    return token


def release(token: str | None) -> None:
    """Stop holding ``token``: what carries it becomes an orphan for this process's reaper."""
    with _LOCK:
        _TOKENS.discard(token or "")


def held(token: str | None) -> bool:
    """True while this process holds ``token``."""
    with _LOCK:
        return token in _TOKENS


def orphan_reason(owner_label: str | None, token: str | None, deadline: float | None,
                  now: float | None = None) -> str | None:
    """Why something carrying these marks is an orphan, or None when its owner may still need it.

    >>> orphan_reason(me().label, claim(), None) is None
    True
    >>> orphan_reason(me().label, "released-token", None)
    'its owner (this process) no longer runs it'
    >>> orphan_reason("elsewhere/b/1/2", "t", time.time() - 3600)
    'past its deadline by 3600 s'
    """
    now = time.time() if now is None else now
    if deadline is not None and now > deadline + DEADLINE_GRACE:
        return f"past its deadline by {now - deadline:.0f} s"
    owner = Owner.parse(owner_label)
    if owner is None:
        return None  # not ours to judge (no owner recorded): only its deadline counts
    if owner.is_me():
        return None if held(token) else "its owner (this process) no longer runs it"
    if owner.alive() is False:
        return f"its owner (pid {owner.pid}) is gone"
    return None
