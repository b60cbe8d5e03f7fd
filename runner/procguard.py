"""The local backend's guard: the agent's parent process, which ends the agent's process group at the
deadline or as soon as the harness that started it is gone.

``python .../runner/procguard.py DEADLINE OWNER -- COMMAND...`` runs COMMAND in the guard's own process group
(the harness starts the guard as a session leader) and exits with COMMAND's exit status (128 + N for a
signal). It kills the whole group (SIGKILL) when the deadline passes or when OWNER (an
:class:`runner.owner.Owner` label: host/boot/pid/start) no longer runs, so a harness killed with ``kill -9``
leaves no agent running; when COMMAND exits, the rest of its group (grandchildren left behind) is killed too.
It is run as a script and imports nothing but the standard library, so no environment an agent spec sets
(``PYTHONPATH`` included) can stop it, and it starts in a few tens of milliseconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

POLL_SECONDS = 0.2


def owner_alive(label: str) -> bool:
    """False when the owner ``label`` names (``host/boot/pid/start``, see :mod:`runner.owner`) is provably
    gone from this machine; True otherwise (alive, or not checkable here).

    >>> host, boot = os.uname().nodename, open("/proc/sys/kernel/random/boot_id").read().strip()
    >>> started = open(f"/proc/{os.getpid()}/stat").read().rsplit(")", 1)[1].split()[19]
    >>> owner_alive(f"{host}/{boot}/{os.getpid()}/{started}"), owner_alive(f"{host}/{boot}/{2**22 + 1}/1")
    (True, False)
    >>> owner_alive("not an owner"), owner_alive(f"another-host/{boot}x/1/1")
    (True, True)
    """
    parts = label.rsplit("/", 3)
    if len(parts) != 4 or not parts[2].isdigit() or not parts[3].isdigit():
        return True
    try:
        with open("/proc/sys/kernel/random/boot_id") as fh:
            if fh.read().strip() != parts[1]:
                return parts[0] != os.uname().nodename  # rebooted since, if it is this machine
        with open(f"/proc/{parts[2]}/stat") as fh:
            return int(fh.read().rsplit(")", 1)[1].split()[19]) == int(parts[3])
    except OSError:
        return False


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


def guard(deadline_seconds: float, owner: str | None, command: list[str]) -> int:
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
        if time.monotonic() >= end or (owner is not None and not owner_alive(owner)):
            os.killpg(0, signal.SIGKILL)  # the agent, its descendants in the group, and this guard


def main(argv: list[str]) -> int:
    if len(argv) < 4 or argv[2] != "--":
        print("usage: python procguard.py DEADLINE_SECONDS OWNER -- COMMAND...", file=sys.stderr)
        return 2
    return guard(float(argv[0]), argv[1], argv[3:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
