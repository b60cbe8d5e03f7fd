"""Final Kaggle leaderboards (``rank,score``, best first): where they are found and how they are fetched.

The package ships no copies. :func:`leaderboard` reads a competition's board from, in order, the folder named
by the ``MLE_BENCH_LEADERBOARDS`` environment variable (or the ``folder`` argument), then the store
(``<home>/leaderboards``, :func:`competitions.paths.home`), which :func:`download` fills through the Kaggle
API and where each file's sha256 is kept in ``<id>.sha256``. A folder may hold the boards in either layout:
ours, ``<id>.csv``, or MLE-bench's, ``<id>/leaderboard.csv``.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import threading
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from competitions.atomic import write_atomic
from competitions.paths import home
from schemas.checksums import sha256_file

__all__ = [
    "LeaderboardError",
    "LeaderboardNotFound",
    "leaderboard",
    "find_leaderboard",
    "search_folders",
    "store_dir",
    "board_paths",
    "download",
    "leaderboard_from_kaggle_csv",
    "save_leaderboard",
]

ENV_FOLDER = "MLE_BENCH_LEADERBOARDS"
#: MLE-bench's layout: one folder per competition holding this file
MLE_BENCH_FILE = "leaderboard.csv"


class LeaderboardError(ValueError):
    """A leaderboard file is unreadable, malformed, tampered with, or cannot be downloaded."""


class LeaderboardNotFound(LeaderboardError, FileNotFoundError):
    """No ``<id>.csv`` in any of the leaderboard folders; the message says where we looked and how to fix it."""


def store_dir() -> Path:
    """The store's leaderboard folder, ``<home>/leaderboards``."""
    return home() / "leaderboards"


def search_folders(folder: str | os.PathLike[str] | None = None) -> list[Path]:
    """The folders searched for ``<id>.csv``, in order: ``folder`` or ``$MLE_BENCH_LEADERBOARDS``, then the store.

    >>> [p.name for p in search_folders("/tmp/boards")][0]
    'boards'
    """
    first = folder if folder is not None else os.environ.get(ENV_FOLDER)
    folders = [Path(first).expanduser()] if first else []
    return folders + [store_dir()]


def board_paths(folder: str | os.PathLike[str], competition_id: str) -> tuple[Path, Path]:
    """Where a folder may hold a competition's board: ``<id>.csv``, then MLE-bench's ``<id>/leaderboard.csv``.

    >>> [p.as_posix() for p in board_paths("/b", "toy")]
    ['/b/toy.csv', '/b/toy/leaderboard.csv']
    """
    folder = Path(folder)
    return folder / f"{competition_id}.csv", folder / competition_id / MLE_BENCH_FILE


def find_leaderboard(competition_id: str, folder: str | os.PathLike[str] | None = None) -> Path:
    """The path of the competition's board in the first search folder that has it (either layout).

    Raises :class:`LeaderboardNotFound` naming the folders searched, the two layouts looked for and the
    command that fetches the file.
    """
    folders = search_folders(folder)
    for d in folders:
        for path in board_paths(d, competition_id):
            if path.is_file():
                return path
    looked = ", ".join(str(d) for d in folders)
    raise LeaderboardNotFound(
        f"no leaderboard for {competition_id} (looked for {competition_id}.csv and "
        f"{competition_id}/{MLE_BENCH_FILE} in {looked}); get it with "
        f"`mle-bench leaderboards download -c {competition_id}` (Kaggle credentials needed) "
        f"or point {ENV_FOLDER} at a folder of <id>.csv files or of MLE-bench's <id>/{MLE_BENCH_FILE}"
    )


def leaderboard(competition_id: str, folder: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The final leaderboard of a competition: a DataFrame with ``rank`` (1-based) and ``score``, best first.

    Files in the store are checked against their recorded sha256.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "toy.csv").write_text("rank,score\\n1,0.9\\n2,0.8\\n3,0.5\\n")
    >>> leaderboard("toy", folder=d)["score"].tolist()
    [0.9, 0.8, 0.5]
    >>> (d / "mlb").mkdir(); _ = (d / "mlb" / "leaderboard.csv").write_text("score\\n0.5\\n0.4\\n")
    >>> leaderboard("mlb", folder=d)["rank"].tolist()  # MLE-bench's <id>/leaderboard.csv layout
    [1, 2]
    """
    path = find_leaderboard(competition_id, folder)
    try:
        info = path.stat()
    except OSError as err:
        raise LeaderboardError(f"leaderboard {path} cannot be read: {err}") from None
    key = (str(path), info.st_size, info.st_mtime_ns, info.st_ino)
    with _CACHE_LOCK:
        frame = _CACHE.get(key)
    if frame is None:
        if path.parent == store_dir():
            _check_sha256(path)
        frame = read_leaderboard_file(path)
        with _CACHE_LOCK:
            _CACHE[key] = frame
    return frame.copy()


# Read boards by (path, size, mtime, inode): a batch reads each competition's board once, a changed file again.
_CACHE: dict[tuple[str, int, int, int], pd.DataFrame] = {}
_CACHE_LOCK = threading.Lock()


def read_leaderboard_file(path: Path) -> pd.DataFrame:
    """Read a ``rank,score`` (or ``score`` only) CSV into ``rank, score`` with float scores, file order kept."""
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError, UnicodeDecodeError) as err:
        raise LeaderboardError(f"leaderboard {path} cannot be read: {err}") from None
    if "score" not in frame.columns:
        raise LeaderboardError(f"leaderboard {path} has no 'score' column (columns: {list(frame.columns)})")
    if len(frame) == 0:
        raise LeaderboardError(f"leaderboard {path} has no rows")
    score = pd.to_numeric(frame["score"], errors="coerce").astype("float64")
    bad = int(score.isna().sum() - frame["score"].isna().sum())
    if bad:
        raise LeaderboardError(f"leaderboard {path} has {bad} non-numeric score(s)")
    return pd.DataFrame({"rank": np.arange(1, len(frame) + 1, dtype=np.int64), "score": score.to_numpy()})


def _check_sha256(path: Path) -> None:
    recorded = path.with_suffix(".sha256")
    if not recorded.is_file():
        return
    want = recorded.read_text().split()[0] if recorded.read_text().strip() else ""
    if want != sha256_file(path):
        raise LeaderboardError(
            f"leaderboard {path} does not match its recorded sha256 ({recorded}); "
            f"download it again with `mle-bench leaderboards download -c {path.stem}`"
        )


def save_leaderboard(competition_id: str, scores: Any, dest: str | os.PathLike[str] | None = None) -> Path:
    """Write scores (best first) as ``<dest>/<id>.csv`` (``rank,score``) and its sha256, atomically.

    ``dest`` defaults to the store. Returns the CSV path.

    >>> import tempfile
    >>> p = save_leaderboard("toy", [0.9, 0.8], dest=tempfile.mkdtemp())
    >>> p.read_text().splitlines()
    ['rank,score', '1,0.9', '2,0.8']
    """
    values = pd.to_numeric(pd.Series(list(scores)), errors="coerce")
    if len(values) == 0 or values.isna().any():
        raise LeaderboardError(f"{competition_id}: the leaderboard has no rows or non-numeric scores")
    folder = Path(dest) if dest is not None else store_dir()
    lines = ["rank,score"] + [f"{i},{s!r}" for i, s in enumerate(values.astype(float).tolist(), start=1)]
    data = ("\n".join(lines) + "\n").encode()
    path = folder / f"{competition_id}.csv"
    write_atomic(path, data)
    write_atomic(path.with_suffix(".sha256"), f"{hashlib.sha256(data).hexdigest()}  {path.name}\n")
    return path


def leaderboard_from_kaggle_csv(data: bytes) -> list[float]:
    """Scores, in file order, from Kaggle's leaderboard CSV (zipped or not; a ``Score`` column).

    >>> leaderboard_from_kaggle_csv(b"TeamId,TeamName,SubmissionDate,Score\\n7,a,2020-01-01,0.91\\n9,b,2020-01-02,0.5\\n")
    [0.91, 0.5]
    """
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = [n for n in zf.namelist() if n.lower().endswith(".csv")]
            if not names:
                raise LeaderboardError("the Kaggle leaderboard archive holds no CSV file")
            data = zf.read(names[0])
    frame = pd.read_csv(io.BytesIO(data))
    column = next((c for c in frame.columns if str(c).lower() == "score"), None)
    if column is None:
        raise LeaderboardError(f"the Kaggle leaderboard has no Score column (columns: {list(frame.columns)})")
    return pd.to_numeric(frame[column], errors="raise").astype(float).tolist()


def _kaggle_api() -> Any:
    """An authenticated Kaggle client (the ``kaggle`` package, imported only when a download is asked for)."""
    try:
        from kaggle.api.kaggle_api_extended import KaggleApi
    except ImportError:
        raise LeaderboardError(
            "downloading leaderboards needs the Kaggle client: pip install 'open-mle-bench[kaggle]'"
        ) from None
    api = KaggleApi()
    try:
        api.authenticate()
    except (OSError, ValueError, SystemExit) as err:
        raise LeaderboardError(
            f"Kaggle credentials not found ({err}); put kaggle.json in ~/.kaggle/ or set "
            "KAGGLE_USERNAME and KAGGLE_KEY"
        ) from None
    return api


def download(competition_id: str, dest: str | os.PathLike[str] | None = None, api: Any = None) -> Path:
    """Fetch a competition's final leaderboard from Kaggle into the store (or ``dest``); return the CSV path.

    Uses ``KaggleApi.competition_leaderboard_download`` (the whole board as a zipped CSV) and keeps only the
    scores, in Kaggle's order.
    """
    api = api if api is not None else _kaggle_api()
    with tempfile.TemporaryDirectory() as tmp:
        try:
            api.competition_leaderboard_download(competition_id, path=tmp, quiet=True)
        except Exception as err:  # the client raises its own HTTP/API errors
            raise LeaderboardError(f"{competition_id}: Kaggle leaderboard download failed: {err}") from None
        files = sorted(Path(tmp).iterdir())
        if not files:
            raise LeaderboardError(f"{competition_id}: Kaggle returned no leaderboard file")
        scores = leaderboard_from_kaggle_csv(files[0].read_bytes())
    return save_leaderboard(competition_id, scores, dest)
