"""The local backend: the agent as a subprocess in a fresh working folder. Not a sandbox.

For machines without Docker and for development. The time limit kills the whole process group; GPUs are
handed over as ``CUDA_VISIBLE_DEVICES``. The agent runs as the harness's user with its network: use the
docker backend for untrusted agents.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

from runner.backends.base import Backend, LogWriter, RunOutcome, RunRequest, now
from runner.validation_service import SHELL_CLIENT


class LocalBackend(Backend):
    """Run the agent's command as a process group with the run's folders in its environment."""

    name = "local"

    def __init__(self) -> None:
        self._active: set[subprocess.Popen] = set()
        self._lock = threading.Lock()

    def cancel_all(self) -> None:
        with self._lock:
            for proc in self._active:
                _kill_group(proc)

    def run(self, request: RunRequest) -> RunOutcome:
        request.make_dirs()
        workdir = request.run_dir / "workdir"
        workdir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable if token == "python" else token for token in request.agent.command]
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
        outcome = RunOutcome(started_at=now())
        log = LogWriter(request.logs_dir / "agent.log")
        try:
            proc = subprocess.Popen(
                command, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        except OSError as err:  # the agent's command does not exist or cannot run: the agent's failure
            log.write(f"cannot start {command[0]!r}: {err}\n".encode())
            log.close()
            outcome.exit_code = 127
            outcome.ended_at = now()
            return outcome
        with self._lock:
            self._active.add(proc)
        pump = threading.Thread(target=_pump, args=(proc, log), daemon=True)
        pump.start()
        try:
            outcome.exit_code = proc.wait(timeout=request.agent.resources.wall_clock)
        except subprocess.TimeoutExpired:
            outcome.timed_out = True
            _kill_group(proc)
            outcome.exit_code = proc.wait()
        finally:
            if proc.poll() is None:  # interrupted (Ctrl-C): never leave the agent running
                _kill_group(proc)
                proc.wait()
            with self._lock:
                self._active.discard(proc)
            pump.join(timeout=5)
            log.close()
            outcome.ended_at = now()
            outcome.log_truncated = log.truncated
        return outcome


def _pump(proc: subprocess.Popen, log: LogWriter) -> None:
    assert proc.stdout is not None
    for chunk in iter(lambda: proc.stdout.read1(65536), b""):
        log.write(chunk)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
