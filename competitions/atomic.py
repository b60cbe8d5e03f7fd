"""Writing files atomically: to a temporary file beside the target, then one rename, so a reader never sees
half a file and a crash leaves the old one (or none)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["write_atomic", "write_json_atomic"]


def write_atomic(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write ``data`` (bytes, or text written as UTF-8) to ``path`` through a temporary file and a rename;
    create the parent folders. The file gets the permissions a plain ``open`` would give it (0666 less the
    umask), not the temporary file's 0600. Returns the path.

    >>> import tempfile, pathlib
    >>> p = write_atomic(pathlib.Path(tempfile.mkdtemp()) / "sub" / "a.txt", "hello\\n")
    >>> p.read_text(), oct(p.stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    ('hello\\n', True)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            os.fchmod(fh.fileno(), 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    return _UMASK


def _read_umask() -> int:
    mask = os.umask(0)  # the only way to read it; done once at import, before threads write files
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def write_json_atomic(data: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``data`` as strict JSON (no NaN, indented, a final newline) to ``path`` atomically.

    >>> import tempfile, pathlib
    >>> p = write_json_atomic({"score": 0.5}, pathlib.Path(tempfile.mkdtemp()) / "r.json")
    >>> p.read_text()
    '{\\n  "score": 0.5\\n}\\n'
    """
    return write_atomic(path, json.dumps(data, indent=2, allow_nan=False) + "\n")
