"""Temporary folders of run attempts (``mleb-*``), each recording its owner, so leftovers can be reaped.

A run attempt's scratch folder holds what must live outside the run folder: the validation socket (unix
socket paths are limited to 107 bytes, so it lives under a short temporary path) and the service's spool.
``owner.json`` names the owning process and the attempt's token (:mod:`runner.owner`); a folder whose owner
is gone, or whose token this process no longer holds, is removed by :func:`reap_scratch`.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from runner.owner import me, orphan_reason

PREFIX = "mleb-"
OWNER_FILE = "owner.json"


def scratch_root(root: Path | str | None = None) -> Path:
    """Where scratch folders go: ``root``, else ``MLE_BENCH_SCRATCH``, else the system's temporary folder."""
    return Path(root or os.environ.get("MLE_BENCH_SCRATCH") or tempfile.gettempdir())


def make_scratch(token: str, group: str = "", root: Path | str | None = None) -> Path:
    """A new scratch folder owned by this process and ``token``.

    >>> from runner.owner import claim
    >>> folder = make_scratch(claim(), "g")
    >>> folder.name.startswith(PREFIX), json.loads((folder / OWNER_FILE).read_text())["group"]
    (True, 'g')
    >>> shutil.rmtree(folder)
    """
    base = scratch_root(root)
    base.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=PREFIX, dir=base))
    record = {"owner": me().label, "token": token, "group": group, "created": time.time()}
    (folder / OWNER_FILE).write_text(json.dumps(record))
    return folder


def reap_scratch(root: Path | str | None = None) -> list[str]:
    """Remove every scratch folder under ``root`` whose owner is gone; return the removed paths.

    Folders without ``owner.json`` are left alone (their owner cannot be known).

    >>> from runner.owner import claim, release
    >>> root = Path(tempfile.mkdtemp())
    >>> kept, token = make_scratch(claim(), "g", root), claim()
    >>> left = make_scratch(token, "g", root); release(token)  # an attempt that ended without cleaning up
    >>> reap_scratch(root) == [str(left)], kept.is_dir()
    (True, True)
    """
    removed = []
    base = scratch_root(root)
    try:
        candidates = [p for p in base.iterdir() if p.name.startswith(PREFIX)]
    except OSError:
        return removed
    for folder in candidates:
        try:
            if folder.is_symlink() or not folder.is_dir():
                continue
            record = json.loads((folder / OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue
        if not isinstance(record, dict):
            continue
        if orphan_reason(record.get("owner"), record.get("token"), None) is None:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            removed.append(str(folder))
    return removed
