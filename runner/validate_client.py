#!/usr/bin/env python3
"""Check a submission with the host's validation service: ``validate.py [SUBMISSION]``.

Prints whether the file is valid and, if not, what is wrong. It never shows a score. Standard library only,
so it runs in any container with Python. Exit status: 0 valid, 1 invalid, 2 the service cannot be reached.
"""

import json
import os
import socket
import sys


def main() -> int:
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.environ.get("SUBMISSION_DIR", "/home/submission"), "submission.csv"
    )
    socket_path = os.environ.get("VALIDATE_SOCKET", "/home/validate/socket")
    try:
        fh = open(path, "rb")
    except OSError as err:
        print(f"cannot read {path}: {err}")
        return 1
    try:
        with fh, socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(300)
            sock.connect(socket_path)
            try:
                for chunk in iter(lambda: fh.read(1 << 20), b""):  # streamed: the file may be large
                    sock.sendall(chunk)
                sock.shutdown(socket.SHUT_WR)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the service stopped reading (e.g. the file is over its size limit): read why
            reply = json.loads(b"".join(iter(lambda: sock.recv(65536), b"")))
    except (OSError, ValueError) as err:
        print(f"the validation service at {socket_path} cannot be reached: {err}")
        return 2
    if reply["valid"]:
        print("Submission is valid.")
        return 0
    print("Submission is invalid:")
    for error in reply["errors"]:
        print(f"- {error.get('message', error)}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
