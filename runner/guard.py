"""The in-container deadline: the container's first process, which ends the container at the wall clock
even when the harness is gone.

The harness kills a container at its wall clock, but a harness that dies (``kill -9``, a crash, a lost
machine) kills nothing. So the container's process 1 is this guard, a static busybox shell bind-mounted
read-only from the host (``/.mleb/busybox``), and not the agent: it starts the agent, then waits on a FIFO
with ``read -t`` (a builtin: the timer is the guard itself, not a process the agent could kill). When the
agent ends, its exit status comes through the FIFO and the guard exits with it; at the deadline the guard
exits with 137. Process 1 exiting makes the kernel kill every process left in the container, including
grandchildren that ignore SIGTERM. The agent cannot kill process 1 (signals from inside the container to
its init are dropped); killing the guard's helpers or writing to the FIFO only ends its own run early.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

#: Where the static busybox is mounted inside containers.
GUARD_BUSYBOX = "/.mleb/busybox"
#: Seconds the in-container deadline trails the harness's own kill, so that the harness, when alive,
#: kills first and records the timeout.
GUARD_GRACE = 2.0

GUARD_SCRIPT = r"""b=/.mleb/busybox
d=$1; shift
f=/tmp/.mleb-guard-$$
$b rm -f "$f"
$b mkfifo -m 600 "$f" || { echo "mleb guard: cannot make a FIFO in /tmp" >&2; exit 125; }
exec 3<>"$f"
( exec 3>&-; "$@" </dev/null; echo "$?" > "$f" ) &
if read -t "$d" rc <&3; then
  case "$rc" in ''|*[!0-9]*) exit 125;; esac
  exit "$rc"
fi
exit 137
"""


def static_busybox() -> Path | None:
    """A statically linked busybox on this host (``MLE_BENCH_BUSYBOX``, else Debian's busybox-static), or None.

    >>> path = static_busybox(); path is None or path.is_file()
    True
    """
    candidates = [os.environ.get("MLE_BENCH_BUSYBOX"), "/bin/busybox", "/usr/bin/busybox"]
    for candidate in candidates:
        if not candidate:
            continue
        path = Path(candidate)
        try:
            # only a static binary runs in any image (a dynamic one needs the host's libc)
            if path.is_file() and b"/lib64/ld-linux" not in path.read_bytes()[:4096]:
                return path.resolve()
        except OSError:
            continue
    return None


def guarded_command(command: list[str] | tuple[str, ...], deadline_seconds: float) -> list[str]:
    """The container command that runs ``command`` under the guard with a deadline in seconds.

    >>> guarded_command(["python", "main.py"], 10.2)[:3] + guarded_command(["python", "main.py"], 10.2)[4:]
    ['/.mleb/busybox', 'sh', '-c', 'mleb-guard', '11', 'python', 'main.py']
    """
    return [GUARD_BUSYBOX, "sh", "-c", GUARD_SCRIPT, "mleb-guard", str(max(1, math.ceil(deadline_seconds))),
            *command]
