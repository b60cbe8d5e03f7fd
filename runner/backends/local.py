"""The local backend: the agent as a subprocess in a fresh working folder. Not a sandbox.

For machines without Docker and for development. The agent runs under a small guard process
(:mod:`runner.procguard`) that ends its process group at the deadline and as soon as the harness is gone;
the harness itself kills the whole group at the time limit, stops the run when the agent writes more than
its disk budget (:mod:`runner.diskwatch`), and captures stdout/stderr in ``output.log``. GPUs are handed over
as ``CUDA_VISIBLE_DEVICES``. The agent runs as the harness's user with its network and no memory or pids
limit, and could write anywhere that user can (its captured log included): use the docker backend for
untrusted agents.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from runner import owner as owners
from runner.backends.base import MAX_LOG_BYTES, Backend, LogWriter, RunOutcome, RunRequest, now
from runner.diskwatch import DiskWatch
from runner.guard import GUARD_GRACE
from runner.validation_service import SHELL_CLIENT

#: The guard, run as a script (it imports only the standard library: an agent's environment cannot break it)
PROCGUARD = Path(__file__).resolve().parents[1] / "procguard.py"


class LocalBackend(Backend):
    """Run the agent's command as a process group with the run's folders in its environment."""

    name = "local"
    enforces = frozenset({"outputs", "exit_code", "captured_logs", "log_cap", "wall_clock", "cancel", "cleanup",
                          "orphan_guard", "disk"})

    def __init__(self, log_limit: int | None = None, harness_kill_delay: float = 0.0) -> None:
        self.log_limit = MAX_LOG_BYTES if log_limit is None else log_limit
        #: seconds past the wall clock at which the harness itself kills (see DockerBackend)
        self.harness_kill_delay = harness_kill_delay
        self._active: set[subprocess.Popen] = set()
        self._cancelled: set[int] = set()
        self._lock = threading.Lock()

    def cancel_all(self) -> None:
        with self._lock:
            for proc in self._active:
                self._cancelled.add(proc.pid)
                _kill_group(proc)

    def run(self, request: RunRequest) -> RunOutcome:
        request.make_dirs()
        workdir = request.run_dir / "workdir"
        workdir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable if token == "python" else token for token in request.agent.command]
        wall_clock = request.agent.resources.wall_clock
        guarded = [sys.executable, str(PROCGUARD), str(wall_clock + GUARD_GRACE), owners.me().label, "--", *command]
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(workdir),
            "LANG": "C.UTF-8",
            "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
            **request.agent.env,
            "DATA_DIR": str(request.public_dir),
            "SUBMISSION_DIR": str(request.submission_dir),
            "LOGS_DIR": str(request.logs_dir),
            "CODE_DIR": str(request.code_dir),
            "INSTRUCTIONS": str(request.instructions),
            "COMPETITION_ID": request.competition_id,
            "SEED": str(request.seed),
            "CUDA_VISIBLE_DEVICES": ",".join(request.gpu_ids),
        }
        if request.validate_socket is not None:
            env["VALIDATE_SOCKET"] = str(request.validate_socket)
            env["VALIDATE_SUBMISSION"] = str(request.validate_socket.parent / SHELL_CLIENT)
        outcome = RunOutcome(started_at=now(), guarded=True)
        log = LogWriter(request.output_log, self.log_limit)
        try:
            proc = subprocess.Popen(
                guarded, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        except OSError as err:  # the harness's own Python cannot start: the host's failure
            log.close()
            outcome.infra_error = f"cannot start the agent's guard process: {err}"
            outcome.ended_at = now()
            return outcome
        with self._lock:
            self._active.add(proc)
        pump = threading.Thread(target=_pump, args=(proc, log), daemon=True)
        pump.start()
        started = time.monotonic()
        try:
            with DiskWatch(request.disk_budgets(), lambda _reason: _kill_group(proc)) as watch:
                try:
                    outcome.exit_code = proc.wait(timeout=wall_clock + self.harness_kill_delay)
                except subprocess.TimeoutExpired:
                    outcome.timed_out = True
                    _kill_group(proc)
                    outcome.exit_code = proc.wait()
            # killed at the deadline by the guard rather than by the harness: a timeout too
            outcome.timed_out |= (outcome.exit_code == -9 and time.monotonic() - started >= wall_clock
                                  and not watch.exceeded)
            watch.check_now()
            outcome.disk_exceeded, outcome.disk_detail = watch.exceeded, watch.reason
        finally:
            if proc.poll() is None:  # interrupted (Ctrl-C): never leave the agent running
                _kill_group(proc)
                proc.wait()
            _kill_group(proc)  # whatever the agent left in its group
            with self._lock:
                self._active.discard(proc)
                outcome.cancelled = proc.pid in self._cancelled
                self._cancelled.discard(proc.pid)
            pump.join(timeout=5)
            log.close()
            outcome.ended_at = now()
            outcome.log_truncated = log.truncated
        if outcome.exit_code is not None and outcome.exit_code < 0:
            outcome.exit_code = 128 - outcome.exit_code  # killed by a signal: the shell's convention
        return outcome


def _pump(proc: subprocess.Popen, log: LogWriter) -> None:
    assert proc.stdout is not None
    for chunk in iter(lambda: proc.stdout.read1(65536), b""):
        log.write(chunk)  # past the cap it is read and dropped, so the agent never blocks on a full pipe


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
