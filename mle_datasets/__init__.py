"""Competition data as versioned Hugging Face datasets: raw -> MLE-bench v1 split -> store -> load.

>>> import mle_datasets
>>> callable(mle_datasets.load_dataset), callable(mle_datasets.prepare)
(True, True)
"""

from __future__ import annotations

from typing import Any

from schemas.lazy import lazy_exports

__all__ = [
    "ChecksumError",
    "DataError",
    "FromHub",
    "KaggleAccessError",
    "NotPreparedError",
    "Prepared",
    "PreparedRef",
    "PreparedDataError",
    "RawDataError",
    "Store",
    "StoreError",
    "StoredVersion",
    "UnknownCompetitionError",
    "UnknownVersionError",
    "load_dataset",
    "load_prepared",
    "make_raw_fixture",
    "materialize",
    "prepare",
    "prepare_from_hub",
    "publish",
    "resolve",
    "store_root",
    "tables",
]

# Every module here reads tables (pyarrow, pandas): their names load on first use.
lazy_exports(__name__, {
    "mle_datasets.errors": ["ChecksumError", "DataError", "KaggleAccessError", "NotPreparedError",
                            "PreparedDataError", "RawDataError", "StoreError", "UnknownCompetitionError",
                            "UnknownVersionError"],
    "mle_datasets.handoff": ["PreparedRef", "resolve"],
    "mle_datasets.hub": ["FromHub", "prepare_from_hub"],
    "mle_datasets.load": ["load_dataset", "materialize", "tables"],
    "mle_datasets.prepare": ["Prepared", "load_prepared", "prepare"],
    "mle_datasets.publish": ["publish"],
    "mle_datasets.store": ["Store", "StoredVersion", "store_root"],
})


def make_raw_fixture(competition_id: str, dest_dir: Any, seed: int = 0, size: str = "small") -> Any:
    """Write a small synthetic raw download of ``competition_id`` in Kaggle's layout (see ``mle_datasets.fixtures``).

    Parameters
    ----------
    competition_id : str
        The competition id.
    dest_dir : path-like
        Folder to write.
    seed : int
        Random seed.
    size : str
        ``small`` (tests) or ``v1`` (the smallest raw MLE-bench's own preparer runs on).
    """
    from mle_datasets.fixtures import make_raw_fixture as _make

    return _make(competition_id, dest_dir, seed=seed, size=size)
