"""The local backend's guard: the agent's parent process, which ends the agent's process group at the
deadline or as soon as the harness that started it is gone.

``python -m runner.procguard DEADLINE OWNER -- COMMAND...`` runs COMMAND in the guard's own process group
(the harness starts the guard as a session leader) and exits with COMMAND's exit status (128 + N for a
signal). It kills the whole group (SIGKILL) when the deadline passes or when OWNER (an
:class:`runner.owner.Owner` label) no longer runs, so a harness killed with ``kill -9`` leaves no agent
running; when COMMAND exits, the rest of its group (grandchildren left behind) is killed too. Standard
library only, so it starts in a few tens of milliseconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from runner.owner import Owner

POLL_SECONDS = 0.2


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            stat = open(f"/proc/{entry}/stat").read()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry))
    return members


def kill_rest_of_group() -> None:
    """SIGKILL every other live process of this process's group (until none is left)."""
    pgid = os.getpgid(0)
    for _ in range(20):
        members = _group_members(pgid)
        if not members:
            return
        for pid in members:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.01)


def guard(deadline_seconds: float, owner: Owner | None, command: list[str]) -> int:
    """Run ``command`` and return its exit status, ending the group at the deadline or when ``owner`` dies."""
    try:
        child = subprocess.Popen(command, stdin=subprocess.DEVNULL)
    except OSError as err:
        print(f"cannot start {command[0]!r}: {err}", file=sys.stderr, flush=True)
        return 127
    end = time.monotonic() + deadline_seconds
    while True:
        try:
            code = child.wait(timeout=POLL_SECONDS)
            kill_rest_of_group()
            return code if code >= 0 else 128 - code
        except subprocess.TimeoutExpired:
            pass
        if time.monotonic() >= end or (owner is not None and owner.alive() is False):
            os.killpg(0, signal.SIGKILL)  # the agent, its descendants in the group, and this guard


def main(argv: list[str]) -> int:
    if len(argv) < 4 or argv[2] != "--":
        print("usage: python -m runner.procguard DEADLINE_SECONDS OWNER -- COMMAND...", file=sys.stderr)
        return 2
    return guard(float(argv[0]), Owner.parse(argv[1]), argv[3:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
