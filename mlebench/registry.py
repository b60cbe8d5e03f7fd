"""MLE-bench's ``mlebench.registry`` for scripts written against it: ``registry.get_competition(id)`` and friends.

A thin wrapper: competitions come from :mod:`competitions`, their files from :func:`mle_datasets.resolve` (the
store, or a data folder in MLE-bench's layout after ``set_data_dir``). A competition that is not prepared still
has its paths, in MLE-bench's layout under the registry's data folder, as MLE-bench gives them; they simply do
not exist yet.

>>> competition = registry.get_competition("spaceship-titanic")
>>> competition.name, competition.public_dir.parts[-2:]
('Spaceship Titanic', ('prepared', 'public'))
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import competitions
from mle_datasets import PreparedRef, resolve
from mle_datasets.errors import NotPreparedError
from mle_datasets.handoff import UNVERSIONED, mle_bench_data_dir

__all__ = ["Competition", "Registry", "registry"]


@dataclass(frozen=True)
class Competition:
    """What MLE-bench's ``Competition`` offers a script: ids, text and the paths of its files."""

    id: str
    name: str
    description: str
    competition_type: str
    answers: Path
    gold_submission: Path
    sample_submission: Path
    public_dir: Path
    private_dir: Path
    raw_dir: Path
    leaderboard: Path
    dataset_revision: str


class Registry:
    """MLE-bench's registry: competitions by id, with their files found in ``data_dir`` or the store.

    Parameters
    ----------
    data_dir : path-like, optional
        A folder in MLE-bench's layout (``<dir>/<id>/prepared/{public,private}``). None: the store, then
        MLE-bench's default folder (see :func:`mle_datasets.resolve`).
    """

    def __init__(self, data_dir: str | os.PathLike | None = None) -> None:
        self._data_dir = Path(data_dir).expanduser().resolve() if data_dir is not None else None

    def get_competition(self, competition_id: str) -> Competition:
        """The competition ``competition_id``, its paths those of its prepared data (checked when found)."""
        spec = competitions.get(competition_id)
        try:
            ref: PreparedRef | None = self.resolve(competition_id)
        except NotPreparedError:
            ref = None
        if ref is not None:
            root = ref.public_dir.parent
            revision = ref.dataset_revision
        else:
            root = self.get_data_dir() / competition_id / "prepared"
            revision = UNVERSIONED
        answers = root / spec.answers
        return Competition(
            id=spec.id, name=spec.name, description=spec.description, competition_type=spec.category,
            answers=answers, gold_submission=answers, sample_submission=root / spec.sample_submission,
            public_dir=root / "public", private_dir=root / "private",
            raw_dir=self.get_data_dir() / competition_id / "raw", leaderboard=_leaderboard_path(competition_id),
            dataset_revision=revision,
        )

    def resolve(self, competition_id: str) -> PreparedRef:
        """The checked prepared files of a competition, as :func:`mle_datasets.resolve` finds them here."""
        return resolve(competition_id, data_dir=self._data_dir)

    def get_data_dir(self) -> Path:
        """The data folder named with :meth:`set_data_dir`, else MLE-bench's default one."""
        return self._data_dir if self._data_dir is not None else mle_bench_data_dir()

    def set_data_dir(self, new_data_dir: str | os.PathLike) -> Registry:
        """A new registry reading prepared data from ``new_data_dir`` (MLE-bench's layout)."""
        return Registry(new_data_dir)

    def list_competition_ids(self) -> list[str]:
        """Every competition id (the 75 and the dev ones), sorted."""
        return sorted(competitions.ids())

    def get_lite_competition_ids(self) -> list[str]:
        """The 22 lite (low-complexity) competition ids."""
        return competitions.ids("lite")


def _leaderboard_path(competition_id: str) -> Path:
    from competitions.leaderboards import LeaderboardError, find_leaderboard, store_dir

    try:
        return find_leaderboard(competition_id)
    except LeaderboardError:
        return store_dir() / f"{competition_id}.csv"


registry = Registry()
