"""Competition data as versioned Hugging Face datasets: raw -> MLE-bench v1 split -> store -> load.

>>> import mle_datasets
>>> callable(mle_datasets.load_dataset), callable(mle_datasets.prepare)
(True, True)
"""

from __future__ import annotations

from typing import Any

from mle_datasets.errors import (
    ChecksumError,
    DataError,
    KaggleAccessError,
    NotPreparedError,
    PreparedDataError,
    RawDataError,
    StoreError,
    UnknownCompetitionError,
    UnknownVersionError,
)
from mle_datasets.handoff import PreparedRef, resolve
from mle_datasets.hub import FromHub, prepare_from_hub
from mle_datasets.load import load_dataset, materialize, tables
from mle_datasets.prepare import Prepared, load_prepared, prepare
from mle_datasets.publish import publish
from mle_datasets.store import Store, StoredVersion, store_root

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
