"""Submission validation for agents, served by the host on a unix socket (containers need no network).

The service checks a submission against the competition's contract built from PUBLIC inputs only (the
sample submission's ids and columns, the spec's value domains): answers are never read, and the reply says
what is wrong but never a score. Protocol: the client sends the file's bytes and shuts down its writing
side; the server answers one JSON object ``{"valid": bool, "errors": [...]}`` and closes.

It is bounded per run, whatever the agent sends: one request at a time (others wait in a short queue), a
request-size limit (the bytes are spooled to a file, never held in memory), a time limit per request
(receiving and checking together), and the check itself in a child process with a memory cap
(:mod:`runner.bounded`). :meth:`ValidationService.stop` ends all of it at once: the listening socket, the
connection being served and the check in flight.

Inside a container the client is ``python /home/validate/validate.py /home/submission/submission.csv``.
"""

from __future__ import annotations

import json
import select
import shutil
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from runner.bounded import BoundedCall, default_memory_limit, warm_up
from runner.diskwatch import human_bytes
from runner.grading import MAX_SUBMISSION_BYTES, limit_message, validate_in_child

#: Largest request the service reads by default; a bigger one gets an error reply without being read further.
MAX_REQUEST_BYTES = MAX_SUBMISSION_BYTES
#: Longest one request may take by default (receiving it and checking it), in seconds.
REQUEST_SECONDS = 120.0
#: Connections waiting while one is served; more are refused by the kernel.
BACKLOG = 4

CLIENT_SCRIPT = Path(__file__).parent / "validate_client.py"
#: MLE-bench agents call ``/home/validate_submission.sh FILE``; this one asks the same socket as validate.py
SHELL_CLIENT = "validate_submission.sh"
_SHELL_CLIENT_TEXT = """#!/bin/sh
# Check a submission's format with the host's validation service (no score): validate_submission.sh [FILE]
here=$(dirname "$0")
client="${VALIDATE_SOCKET:+$(dirname "$VALIDATE_SOCKET")/validate.py}"
[ -f "$client" ] || client="$here/validate.py"
[ -f "$client" ] || client=/home/validate/validate.py
for python in python3 python; do
  if command -v "$python" >/dev/null 2>&1; then exec "$python" "$client" "$@"; fi
done
echo "validate_submission.sh needs python3 in the container" >&2
exit 2
"""


@dataclass
class ServiceStats:
    """What the service did during a run: requests answered, refused for size or time, and their cost."""

    requests: int = 0
    too_large: int = 0
    timed_out: int = 0
    bytes_received: int = 0
    check_cpu_seconds: float = 0.0
    check_peak_rss: int = 0
    limits: dict = field(default_factory=dict)


class ValidationService:
    """A unix-socket server validating submissions for one competition run.

    ``folder`` gets ``validate/`` (the socket and the client scripts: what a container mounts) and the
    spool of the request being served (outside what is mounted).

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "sample.csv").write_text("id,has_cactus\\na.jpg,0.5\\nb.jpg,0.5\\n")
    >>> service = ValidationService("aerial-cactus-identification", folder / "sample.csv", folder / "v")
    >>> service.start()
    >>> request_validation(service.socket_path, b"id,has_cactus\\na.jpg,0.1\\nb.jpg,0.9\\n")
    {'valid': True, 'errors': []}
    >>> reply = request_validation(service.socket_path, b"id,has_cactus\\na.jpg,0.1\\n")
    >>> reply["valid"], reply["errors"][0]["check"]
    (False, 'ids_missing')
    >>> service.stop()
    """

    def __init__(self, competition_id: str, sample_submission: Path, folder: Path, *,
                 max_request_bytes: int = MAX_REQUEST_BYTES, request_seconds: float = REQUEST_SECONDS,
                 memory: int | None = None) -> None:
        self.competition_id = competition_id
        self.sample_submission = Path(sample_submission)
        self.folder = Path(folder)
        self.client_dir = self.folder / "validate"
        self.socket_path = self.client_dir / "socket"
        self.max_request_bytes = max_request_bytes
        self.request_seconds = request_seconds
        self.memory = memory or default_memory_limit()
        self.stats = ServiceStats(limits={"max_request_bytes": max_request_bytes,
                                          "request_seconds": request_seconds, "memory": self.memory})
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._conn: socket.socket | None = None
        self._call: BoundedCall | None = None

    def start(self) -> None:
        """Create the socket (world-writable, so the container's user can connect) and the client scripts."""
        self.client_dir.mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o755)
        self.client_dir.chmod(0o755)
        if self.socket_path.exists():
            self.socket_path.unlink()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(self.socket_path))
        listener.listen(BACKLOG)
        self.socket_path.chmod(0o666)
        shutil.copyfile(CLIENT_SCRIPT, self.client_dir / "validate.py")
        (self.client_dir / "validate.py").chmod(0o755)
        (self.client_dir / SHELL_CLIENT).write_text(_SHELL_CLIENT_TEXT)
        (self.client_dir / SHELL_CLIENT).chmod(0o755)
        self._listener = listener
        warm_up()  # the checks' server process starts now rather than at the first request
        self._thread = threading.Thread(target=self._serve, name="validation-service", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving now: refuse new connections, drop the one being served, kill its check, and remove
        the folder."""
        self._stopping.set()
        with self._lock:
            conn, call = self._conn, self._call
        if call is not None:
            call.cancel()
        if conn is not None:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- serving -----------------------------------------------------------------------------------

    def _serve(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                ready, _, _ = select.select([self._listener], [], [], 0.2)
                if not ready:
                    continue
                conn, _ = self._listener.accept()
            except (OSError, ValueError):
                return  # the listener was closed
            with self._lock:
                self._conn = conn
            try:
                self._handle(conn)
            except OSError:
                pass  # the client went away, or stop() dropped the connection
            finally:
                with self._lock:
                    self._conn = None
                conn.close()

    def _reply(self, conn: socket.socket, reply: dict) -> None:
        conn.settimeout(5)
        conn.sendall(json.dumps(reply).encode() + b"\n")

    def _drain(self, conn: socket.socket, until: float) -> None:
        """Discard what the client still sends (until it stops or ``until``), so that closing the connection
        does not reset it before the client has read the reply."""
        conn.shutdown(socket.SHUT_WR)
        while not self._stopping.is_set() and time.monotonic() < until:
            conn.settimeout(max(0.01, min(1.0, until - time.monotonic())))
            try:
                if not conn.recv(1 << 20):
                    return
            except socket.timeout:
                continue

    def _handle(self, conn: socket.socket) -> None:
        self.stats.requests += 1
        deadline = time.monotonic() + self.request_seconds
        spool = self.folder / "request.csv"
        size = 0
        with spool.open("wb") as fh:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._stopping.is_set():
                    self.stats.timed_out += 1
                    return self._reply(conn, _error("time", f"the request took longer than "
                                                            f"{self.request_seconds:g} s to arrive"))
                conn.settimeout(min(remaining, 1.0))
                try:
                    chunk = conn.recv(1 << 20)
                except socket.timeout:
                    continue
                if not chunk:
                    break
                size += len(chunk)
                self.stats.bytes_received += len(chunk)
                if size > self.max_request_bytes:
                    self.stats.too_large += 1
                    self._reply(conn, _error("size", f"the submission is over the service's limit of "
                                                     f"{human_bytes(self.max_request_bytes)}"))
                    return self._drain(conn, min(deadline, time.monotonic() + 10))
                fh.write(chunk)
        try:
            remaining = deadline - time.monotonic()
            call = BoundedCall(validate_in_child, (self.competition_id, str(spool), str(self.sample_submission),
                                                   self.max_request_bytes),
                               memory=self.memory, seconds=max(remaining, 1.0))
            with self._lock:
                self._call = call
            if self._stopping.is_set():
                return
            result = call.run()
        finally:
            with self._lock:
                self._call = None
            spool.unlink(missing_ok=True)
        self.stats.check_cpu_seconds += result.cpu_seconds
        self.stats.check_peak_rss = max(self.stats.check_peak_rss, result.peak_rss)
        if result.ok:
            return self._reply(conn, result.value)
        if result.status == "time":
            self.stats.timed_out += 1
        message = limit_message(result, self.memory, self.request_seconds, "validation")
        self._reply(conn, _error("service", message))


def _error(check: str, message: str) -> dict:
    return {"valid": False, "errors": [{"check": check, "message": message}]}


def request_validation(socket_path: Path | str, data: bytes, timeout: float = 120.0) -> dict:
    """Send a submission's bytes to a validation socket and return the reply (what the client script does)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(socket_path))
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the service refused the rest (too large): its reply is still there to read
        chunks = []
        for chunk in iter(lambda: sock.recv(65536), b""):
            chunks.append(chunk)
    return json.loads(b"".join(chunks))
