"""Submission validation for agents, served by the host on a unix socket (containers need no network).

The service checks a submission against the competition's contract built from PUBLIC inputs only (the
sample submission's ids and columns, the spec's value domains): answers are never read, and the reply says
what is wrong but never a score. Protocol: the client sends the file's bytes and shuts down its writing
side; the server answers one JSON object ``{"valid": bool, "errors": [...]}`` and closes.

Inside a container the client is ``python /home/validate/validate.py /home/submission/submission.csv``.
"""

from __future__ import annotations

import json
import shutil
import socket
import socketserver
import tempfile
import threading
from pathlib import Path

#: Largest submission the service reads; a bigger one gets an error reply.
MAX_SUBMISSION_BYTES = 4 * 1024**3

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


class ValidationService:
    """A unix-socket server validating submissions for one competition run.

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

    def __init__(self, competition_id: str, sample_submission: Path, folder: Path) -> None:
        self.competition_id = competition_id
        self.sample_submission = Path(sample_submission)
        self.folder = Path(folder)
        self.socket_path = self.folder / "socket"
        self._server: socketserver.UnixStreamServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Create the socket (world-writable, so the container's user can connect) and the client script."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o755)
        if self.socket_path.exists():
            self.socket_path.unlink()
        service = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                reply = service.validate_stream(self.rfile)
                self.wfile.write(json.dumps(reply).encode() + b"\n")

        self._server = socketserver.ThreadingUnixStreamServer(str(self.socket_path), Handler)
        self._server.daemon_threads = True
        self.socket_path.chmod(0o666)
        shutil.copyfile(CLIENT_SCRIPT, self.folder / "validate.py")
        (self.folder / "validate.py").chmod(0o755)
        (self.folder / SHELL_CLIENT).write_text(_SHELL_CLIENT_TEXT)
        (self.folder / SHELL_CLIENT).chmod(0o755)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and remove the socket's folder."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        shutil.rmtree(self.folder, ignore_errors=True)

    def validate_stream(self, stream) -> dict:
        """Read a submission from ``stream`` into a temporary file and validate it."""
        import schemas

        with tempfile.NamedTemporaryFile(suffix=".csv", dir=self.folder) as tmp:
            size = 0
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                size += len(chunk)
                if size > MAX_SUBMISSION_BYTES:
                    return {"valid": False, "errors": [{"check": "size", "message": "submission too large"}]}
                tmp.write(chunk)
            tmp.flush()
            try:
                report = schemas.validate(self.competition_id, tmp.name, self.sample_submission)
            except Exception as err:  # noqa: BLE001 - the agent gets a reply, never a dropped connection
                return {"valid": False, "errors": [{"check": "service", "message": f"cannot validate: {err}"}]}
        return {"valid": report.valid, "errors": report.to_dict()["errors"]}


def request_validation(socket_path: Path | str, data: bytes, timeout: float = 120.0) -> dict:
    """Send a submission's bytes to a validation socket and return the reply (what the client script does)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(socket_path))
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        for chunk in iter(lambda: sock.recv(65536), b""):
            chunks.append(chunk)
    return json.loads(b"".join(chunks))
