"""MLE-bench v1 preparers: raw Kaggle download -> ``public/`` (what an agent sees) and ``private/`` (answers).

Each competition has one :class:`Preparer`: the files it needs (``raw_files``), its raw contract
(``check_raw``: expected files and formats, Pandera for tables) and ``run``, which writes the same split,
answers and sample submission as MLE-bench v1's ``prepare.py`` (same raw -> same ids in each split) without
modifying the raw folder. ``description.md`` is not written here.

>>> "spooky-author-identification" in preparer_ids()
True
>>> get_preparer("spooky-author-identification").raw_files
('train.zip',)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mle_datasets.errors import RawDataError, UnknownCompetitionError

from ._common import require_files

#: Version of the preparers' output format (same raw -> same bytes within a version).
PREPARER_VERSION = "1.0"

__all__ = ["Preparer", "register_preparer", "get_preparer", "preparer_ids", "UnknownCompetitionError"]


@dataclass(frozen=True)
class Preparer:
    """How one competition's raw download becomes its MLE-bench v1 public/private split.

    Attributes
    ----------
    id : str
        The competition id.
    raw_files : tuple of str
        Files (or glob patterns) the raw folder must hold, relative to it.
    contract : callable
        ``contract(raw_dir)`` checks formats beyond presence (columns, dtypes, archive entries).
    prepare : callable
        ``prepare(raw_dir, public_dir, private_dir)`` writes the split.
    split_rule : str
        One line saying how MLE-bench v1 splits this competition (the prepare function's summary line).
    version : str
        Preparer version, recorded in provenance; bumped whenever the output bytes could change.
    """

    id: str
    raw_files: tuple[str, ...]
    contract: Callable[[Path], None]
    prepare: Callable[[Path, Path, Path], None]
    split_rule: str = ""
    version: str = PREPARER_VERSION

    def check_raw(self, raw_dir: Path | str) -> None:
        """Check the raw folder holds the expected files in the expected formats; :class:`RawDataError` if not."""
        raw_dir = Path(raw_dir)
        if not raw_dir.is_dir():
            raise RawDataError(f"raw folder {raw_dir} does not exist; download the competition data first")
        require_files(raw_dir, self.raw_files)
        self.contract(raw_dir)

    def run(self, raw_dir: Path | str, public_dir: Path | str, private_dir: Path | str) -> None:
        """Write ``public_dir`` and ``private_dir`` from ``raw_dir`` (which is only read).

        Call :meth:`check_raw` first; ``run`` still raises :class:`RawDataError` on problems only the whole
        data shows (duplicate ids, unknown labels, missing media files).
        """
        public_dir, private_dir = Path(public_dir), Path(private_dir)
        public_dir.mkdir(parents=True, exist_ok=True)
        private_dir.mkdir(parents=True, exist_ok=True)
        self.prepare(Path(raw_dir), public_dir, private_dir)


_REGISTRY: dict[str, Preparer] = {}


def register_preparer(
    id: str, raw_files: tuple[str, ...], contract: Callable[[Path], None]
) -> Callable[[Callable[[Path, Path, Path], None]], Callable[[Path, Path, Path], None]]:
    """Decorator registering a ``prepare(raw, public, private)`` function as competition ``id``'s preparer."""

    def wrap(func: Callable[[Path, Path, Path], None]) -> Callable[[Path, Path, Path], None]:
        if id in _REGISTRY:
            raise ValueError(f"a preparer for {id!r} is already registered")
        summary = " ".join((func.__doc__ or "").strip().split("\n\n")[0].split())
        _REGISTRY[id] = Preparer(id=id, raw_files=tuple(raw_files), contract=contract, prepare=func, split_rule=summary)
        return func

    return wrap


def get_preparer(competition_id: str) -> Preparer:
    """The :class:`Preparer` of ``competition_id``; :class:`UnknownCompetitionError` if there is none."""
    _load()
    try:
        return _REGISTRY[competition_id]
    except KeyError:
        raise UnknownCompetitionError.for_id(competition_id, "no preparer for competition") from None


def preparer_ids() -> list[str]:
    """Ids of every competition with a preparer, sorted."""
    _load()
    return sorted(_REGISTRY)


def _load() -> None:
    """Import every public module of this package once (each registers its competitions when imported)."""
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
