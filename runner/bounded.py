"""Host-side work on agent-made files in a child process with a memory cap and a time limit.

Grading and validation read files an agent wrote, so their cost is the agent's to choose: a huge or
pathological submission must not take the harness's memory or hang it. :func:`call_bounded` runs a function
in a child forked from a clean server process (``multiprocessing``'s forkserver, with the grading modules
imported once), measures the child's resident memory every few milliseconds, and kills it when it passes
``memory`` bytes or ``seconds``; a child whose parent dies exits by itself. The result says what happened
(``ok``, ``memory``, ``time``, ``crashed``, ``cancelled``) and the child's peak memory and CPU time.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import signal
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

#: Modules the server process imports once, so each child starts in milliseconds with them loaded.
PRELOAD = ["competitions", "schemas", "pandas", "pyarrow", "runner.grading", "runner.preload"]
POLL_SECONDS = 0.01

_CONTEXT: Any = None
_CONTEXT_LOCK = threading.Lock()


def default_memory_limit() -> int:
    """Half the machine's memory, at most 16 GiB (grading a 1 GB submission took 8 GiB in the benchmark).

    >>> 0 < default_memory_limit() <= 16 * 1024**3
    True
    """
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        total = 16 * 1024**3
    return int(min(16 * 1024**3, total // 2))


def _context() -> Any:
    global _CONTEXT
    with _CONTEXT_LOCK:
        if _CONTEXT is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(PRELOAD)
            _CONTEXT = ctx
        return _CONTEXT


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _cpu(pid: int) -> float:
    """CPU seconds (user + system) process ``pid`` has used so far, 0 when it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def _watch_parent(alive: Any) -> None:
    try:
        alive.recv()
    except (EOFError, OSError):
        pass
    os._exit(70)  # the parent is gone (or closed the pipe): nobody wants the result


def _child(conn: Any, alive: Any, fn: Callable[..., Any], args: tuple, env: dict[str, str], cwd: str,
           seconds: float) -> None:
    os.environ.clear()
    os.environ.update(env)
    try:
        os.chdir(cwd)
    except OSError:
        pass
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.alarm(int(seconds) + 5)  # a backstop if the parent's watch is late
    threading.Thread(target=_watch_parent, args=(alive,), daemon=True).start()
    try:
        message = ("ok", fn(*args))
    except BaseException as err:  # noqa: BLE001 - everything goes back to the parent as text
        message = ("error", f"{type(err).__name__}: {err}")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cost = (usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime)
    try:
        try:
            conn.send((*message, *cost))
        except (TypeError, AttributeError, ValueError) as err:  # the value cannot be pickled
            conn.send(("error", f"the result cannot be sent back: {err}", *cost))
    finally:
        conn.close()


@dataclass
class BoundedResult:
    """How a bounded call ended: ``status`` is ``ok`` (``value`` holds the return value), ``error`` (the
    function raised; ``message`` says what), ``memory`` or ``time`` (killed at a limit), ``crashed`` or
    ``cancelled``. ``peak_rss`` is in bytes, ``cpu_seconds`` and ``wall_seconds`` in seconds."""

    status: str
    value: Any = None
    message: str = ""
    peak_rss: int = 0
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class BoundedCall:
    """One call of ``fn(*args)`` in a bounded child; :meth:`run` blocks, :meth:`cancel` (any thread) kills.

    >>> import time
    >>> call = BoundedCall(time.sleep, (60,), seconds=120)
    >>> threading.Timer(0.2, call.cancel).start()
    >>> call.run().status
    'cancelled'
    """

    def __init__(self, fn: Callable[..., Any], args: tuple = (), *, memory: int | None = None,
                 seconds: float = 600.0) -> None:
        self.fn = fn
        self.args = args
        self.memory = memory or default_memory_limit()
        self.seconds = seconds
        self._cancelled = threading.Event()
        self._process: Any = None

    def cancel(self) -> None:
        self._cancelled.set()
        process = self._process
        if process is not None and process.is_alive():
            process.kill()

    def run(self) -> BoundedResult:
        ctx = _context()
        receiver, sender = ctx.Pipe(duplex=False)
        alive_reader, alive_writer = ctx.Pipe(duplex=False)
        process = ctx.Process(
            target=_child, args=(sender, alive_reader, self.fn, self.args, dict(os.environ), os.getcwd(),
                                 self.seconds),
            daemon=True,
        )
        if self._cancelled.is_set():
            return BoundedResult("cancelled", message="cancelled before it started")
        process.start()  # the first call of a process also waits here for the server to import its modules
        started = time.monotonic()
        self._process = process
        sender.close()
        alive_reader.close()
        peak = 0
        cpu_so_far = 0.0
        result: BoundedResult | None = None
        try:
            while result is None:
                if receiver.poll(POLL_SECONDS):
                    try:
                        status, value, child_peak, cpu = receiver.recv()
                    except (EOFError, OSError):  # the child is gone: killed by cancel(), or it crashed
                        result = (BoundedResult("cancelled", message="cancelled") if self._cancelled.is_set()
                                  else BoundedResult("crashed", message=_exit_text(process)))
                        break
                    peak = max(peak, child_peak)
                    result = (BoundedResult("ok", value=value, cpu_seconds=cpu) if status == "ok"
                              else BoundedResult("error", message=value, cpu_seconds=cpu))
                    break
                rss = _rss(process.pid)
                peak = max(peak, rss)
                cpu_so_far = _cpu(process.pid) or cpu_so_far
                if self._cancelled.is_set():
                    result = BoundedResult("cancelled", message="cancelled")
                elif rss > self.memory:
                    result = BoundedResult("memory", message=f"used more than {self.memory} bytes of memory")
                elif time.monotonic() - started > self.seconds:
                    result = BoundedResult("time", message=f"took longer than {self.seconds:g} s")
                elif not process.is_alive() and not receiver.poll(0):
                    result = BoundedResult("crashed", message=_exit_text(process))
        finally:
            if process.is_alive():
                process.kill()
            process.join(timeout=10)
            receiver.close()
            alive_writer.close()
            self._process = None
        result.peak_rss = peak
        result.cpu_seconds = result.cpu_seconds or cpu_so_far  # a killed child's CPU, as last measured
        result.wall_seconds = time.monotonic() - started
        return result


def _exit_text(process: Any) -> str:
    process.join(timeout=1)
    code = process.exitcode
    if code is not None and code < 0:
        return f"the child process was killed by signal {-code}"
    return f"the child process exited with status {code} without a result"


def warm_up() -> None:
    """Start the server process in the background, so that the first bounded call does not wait for the
    grading modules to be imported."""
    def start() -> None:
        try:
            call_bounded(os.getpid, seconds=120)
        except Exception:  # noqa: BLE001 - the first real call will report what is wrong
            pass

    threading.Thread(target=start, name="bounded-warm-up", daemon=True).start()


def call_bounded(fn: Callable[..., Any], *args: Any, memory: int | None = None,
                 seconds: float = 600.0) -> BoundedResult:
    """``fn(*args)`` in a bounded child (``fn`` must be importable by name, its arguments picklable).

    >>> import math
    >>> result = call_bounded(math.factorial, 20, seconds=60)
    >>> result.status, result.value
    ('ok', 2432902008176640000)
    >>> call_bounded(math.factorial, -1, seconds=60).status
    'error'
    """
    return BoundedCall(fn, args, memory=memory, seconds=seconds).run()
