"""Where the tests find the shared leaderboards: ``$MLE_BENCH_LEADERBOARDS`` when set, else ``shared/leaderboards``
beside the repository (``../shared/leaderboards``, as the design and CI lay it out)."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def shared_leaderboards() -> Path:
    """The folder of shared leaderboards (``<id>.csv``)."""
    env = os.environ.get("MLE_BENCH_LEADERBOARDS")
    return Path(env) if env else REPO.parent / "shared" / "leaderboards"
