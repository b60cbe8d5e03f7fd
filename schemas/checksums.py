"""File checksums: one streaming sha256, used by the prepared contract, raw acquisition and leaderboards."""

from __future__ import annotations

import hashlib
import os

__all__ = ["sha256_file", "CHUNK_BYTES"]

#: bytes read at a time: memory stays flat whatever the file's size
CHUNK_BYTES = 1 << 20


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Return the hex sha256 of a file, read in chunks of :data:`CHUNK_BYTES` (files of any size).

    Parameters
    ----------
    path : path-like
        The file to hash.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> _ = p.write_bytes(b"abc")
    >>> sha256_file(p)[:16]
    'ba7816bf8f01cfea'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()
