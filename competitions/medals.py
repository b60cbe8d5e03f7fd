"""Medal thresholds and ranking: Kaggle's progression rule exactly as MLE-bench v1 applies it.

Positions by team count N (1-based; each threshold is the leaderboard score at that position; int() truncates):

========================  ======================  ==================  ==================
teams N                   gold                    silver              bronze
========================  ======================  ==================  ==================
1 <= N < 100              max(1, int(0.1 N))      max(1, int(0.2 N))  max(1, int(0.4 N))
100 <= N < 250            10                      max(1, int(0.2 N))  max(1, int(0.4 N))
250 <= N < 1000           10 + int(0.002 N)       50                  100
N >= 1000                 10 + int(0.002 N)       max(1, int(0.05 N)) max(1, int(0.1 N))
========================  ======================  ==================  ==================

Thresholds are inclusive, medals exclusive (gold, else silver, else bronze); above-median is strict; the
median is pandas' median over every row; the direction is lower-is-better when the first row's score is
below the last row's. :func:`leaderboard_placement` says where a score would have placed among the teams.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Medals", "Placement", "medal_positions", "thresholds_from_leaderboard", "medal_thresholds", "rank_score",
           "leaderboard_placement"]


def medal_positions(num_teams: int) -> tuple[int, int, int]:
    """The 1-based (gold, silver, bronze) leaderboard positions for ``num_teams`` teams.

    >>> medal_positions(50), medal_positions(120), medal_positions(500), medal_positions(3000)
    ((5, 10, 20), (10, 24, 48), (11, 50, 100), (16, 150, 300))
    """
    n = int(num_teams)
    if n <= 0:
        raise ValueError(f"a leaderboard needs at least one team, got {n}")
    if n < 100:
        return max(1, int(0.1 * n)), max(1, int(0.2 * n)), max(1, int(0.4 * n))
    if n < 250:
        return 10, max(1, int(0.2 * n)), max(1, int(0.4 * n))
    if n < 1000:
        return 10 + int(0.002 * n), 50, 100
    return 10 + int(0.002 * n), max(1, int(0.05 * n)), max(1, int(0.1 * n))


def thresholds_from_leaderboard(board: pd.DataFrame) -> dict[str, Any]:
    """Medal thresholds, median and direction of a ``rank, score`` leaderboard (best first).

    Returns ``gold, silver, bronze, median`` (floats), ``lower_is_better`` (bool) and ``num_teams`` (int).

    >>> board = pd.DataFrame({"score": [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0]})
    >>> t = thresholds_from_leaderboard(board)
    >>> t["gold"], t["silver"], t["bronze"], t["median"], t["lower_is_better"], t["num_teams"]
    (0.9, 0.8, 0.6, 0.45, False, 10)
    """
    scores = board["score"]
    n = len(scores)
    gold, silver, bronze = medal_positions(n)
    return {
        "gold": float(scores.iloc[gold - 1]),
        "silver": float(scores.iloc[silver - 1]),
        "bronze": float(scores.iloc[bronze - 1]),
        "median": float(scores.median()),
        "lower_is_better": bool(scores.iloc[0] < scores.iloc[-1]),
        "num_teams": n,
    }


def medal_thresholds(competition_id: str, folder: Any = None) -> dict[str, Any]:
    """:func:`thresholds_from_leaderboard` of a competition's leaderboard (see :mod:`competitions.leaderboards`).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "toy.csv").write_text("rank,score\\n1,0.1\\n2,0.2\\n3,0.3\\n")
    >>> medal_thresholds("toy", folder=d)["lower_is_better"]
    True
    """
    from competitions.leaderboards import leaderboard

    return thresholds_from_leaderboard(leaderboard(competition_id, folder))


@dataclass(frozen=True)
class Medals:
    """The medal flags of one score."""

    gold_medal: bool = False
    silver_medal: bool = False
    bronze_medal: bool = False
    above_median: bool = False

    @property
    def any_medal(self) -> bool:
        """Gold, silver or bronze."""
        return self.gold_medal or self.silver_medal or self.bronze_medal


def rank_score(score: float | None, thresholds: dict[str, Any]) -> Medals:
    """The medals ``score`` earns against ``thresholds`` (inclusive medals, strict above-median).

    None or NaN earns nothing.

    >>> t = {"gold": 0.9, "silver": 0.8, "bronze": 0.6, "median": 0.45, "lower_is_better": False}
    >>> rank_score(0.8, t)
    Medals(gold_medal=False, silver_medal=True, bronze_medal=False, above_median=True)
    >>> rank_score(0.45, t).above_median, rank_score(float("nan"), t).any_medal
    (False, False)
    """
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return Medals()
    if thresholds["lower_is_better"]:
        def reaches(t: float) -> bool:
            return score <= t
        above = score < thresholds["median"]
    else:
        def reaches(t: float) -> bool:
            return score >= t
        above = score > thresholds["median"]
    gold = reaches(thresholds["gold"])
    silver = not gold and reaches(thresholds["silver"])
    bronze = not gold and not silver and reaches(thresholds["bronze"])
    return Medals(gold_medal=bool(gold), silver_medal=bool(silver), bronze_medal=bool(bronze),
                  above_median=bool(above))


@dataclass(frozen=True)
class Placement:
    """Where a score would have placed on a leaderboard of ``num_teams`` teams."""

    rank: int
    percentile: float
    num_teams: int


def leaderboard_placement(score: float | None, scores: Any, lower_is_better: bool) -> Placement | None:
    """The rank and percentile ``score`` would have had among a leaderboard's team ``scores``.

    Ties are broken as Kaggle ranks them: a score equal to some teams' ranks with them, at the best rank of
    the tied group, so ``rank`` is 1 + the number of teams strictly better. ``percentile`` is the share (in
    percent) of teams the score beats or ties. None or NaN places nowhere (None).

    >>> board = [0.9, 0.8, 0.8, 0.5]  # higher is better
    >>> leaderboard_placement(0.8, board, False)
    Placement(rank=2, percentile=75.0, num_teams=4)
    >>> leaderboard_placement(0.95, board, False).rank, leaderboard_placement(0.1, board, False).percentile
    (1, 0.0)
    >>> leaderboard_placement(0.2, [0.1, 0.2, 0.2, 0.7], True)  # lower is better
    Placement(rank=2, percentile=75.0, num_teams=4)
    """
    if score is None or math.isnan(float(score)):
        return None
    board = np.asarray(scores, dtype=np.float64)
    board = board[~np.isnan(board)]
    if board.size == 0:
        return None
    s = float(score)
    better = np.count_nonzero(board < s) if lower_is_better else np.count_nonzero(board > s)
    return Placement(rank=int(better) + 1, percentile=float((board.size - better) / board.size * 100.0),
                     num_teams=int(board.size))
