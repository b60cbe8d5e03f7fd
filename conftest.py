"""Shared test setup: point the package at the shared leaderboards when the caller has not."""

import os
from pathlib import Path

_SHARED_LEADERBOARDS = Path(__file__).resolve().parents[1] / "shared" / "leaderboards"
if "MLE_BENCH_LEADERBOARDS" not in os.environ and _SHARED_LEADERBOARDS.is_dir():
    os.environ["MLE_BENCH_LEADERBOARDS"] = str(_SHARED_LEADERBOARDS)
