"""The medal rule: brackets, inclusive thresholds, strict above-median, direction; every shared leaderboard."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import competitions
from competitions.medals import medal_positions, rank_score, thresholds_from_leaderboard
from tests.competitions.boards import shared_leaderboards

SHARED = shared_leaderboards()
BOARDS = sorted(p.stem for p in SHARED.glob("*.csv"))


def test_the_shared_leaderboards_cover_the_catalogue():
    assert SHARED.is_dir(), f"no shared leaderboards at {SHARED}; set MLE_BENCH_LEADERBOARDS"
    assert set(competitions.ids()) <= set(BOARDS)


def reference_thresholds(path: Path) -> dict:
    """An independent reading of the rule: csv module, plain lists, 0-based indexing, statistics by hand."""
    with path.open() as fh:
        scores = [float(row["score"]) for row in csv.DictReader(fh)]
    n = len(scores)
    if n < 100:
        g, s, b = max(1, n // 10), max(1, n // 5), max(1, (2 * n) // 5)
    elif n < 250:
        g, s, b = 10, max(1, n // 5), max(1, (2 * n) // 5)
    elif n < 1000:
        g, s, b = 10 + (2 * n) // 1000, 50, 100
    else:
        g, s, b = 10 + (2 * n) // 1000, max(1, n // 20), max(1, n // 10)
    ordered = sorted(scores)
    mid = n // 2
    median = ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    return {"gold": scores[g - 1], "silver": scores[s - 1], "bronze": scores[b - 1], "median": median,
            "lower_is_better": scores[0] < scores[-1], "num_teams": n}


@pytest.mark.parametrize("n,expected", [
    (1, (1, 1, 1)), (9, (1, 1, 3)), (10, (1, 2, 4)), (99, (9, 19, 39)),
    (100, (10, 20, 40)), (249, (10, 49, 99)),
    (250, (10, 50, 100)), (499, (10, 50, 100)), (500, (11, 50, 100)), (999, (11, 50, 100)),
    (1000, (12, 50, 100)), (1499, (12, 74, 149)), (4540, (19, 227, 454)),
])
def test_positions_in_each_bracket(n, expected):
    assert medal_positions(n) == expected


def test_no_team_is_an_error():
    with pytest.raises(ValueError):
        medal_positions(0)


@pytest.mark.parametrize("n", [7, 40, 150, 600, 2500])
@pytest.mark.parametrize("lower", [False, True])
def test_synthetic_boards_both_directions(n, lower):
    rng = np.random.default_rng(n)
    scores = np.sort(rng.random(n))
    scores = scores if lower else scores[::-1]
    board = pd.DataFrame({"rank": np.arange(1, n + 1), "score": scores})
    t = thresholds_from_leaderboard(board)
    g, s, b = medal_positions(n)
    assert t["lower_is_better"] is lower
    assert (t["gold"], t["silver"], t["bronze"]) == (scores[g - 1], scores[s - 1], scores[b - 1])
    assert t["median"] == float(np.median(scores))
    # inclusive thresholds, exclusive medals
    assert rank_score(t["gold"], t).gold_medal
    if t["silver"] != t["gold"]:
        m = rank_score(t["silver"], t)
        assert m.silver_medal and not m.gold_medal
    if t["bronze"] != t["silver"]:
        m = rank_score(t["bronze"], t)
        assert m.bronze_medal and not (m.gold_medal or m.silver_medal)
    # strictly past the median is above it; the median itself is not
    assert not rank_score(t["median"], t).above_median
    step = -1e-9 if lower else 1e-9
    assert rank_score(t["median"] + step, t).above_median
    worst = scores[-1] - step
    assert not rank_score(worst, t).any_medal


def test_constant_board_is_higher_is_better():
    t = thresholds_from_leaderboard(pd.DataFrame({"score": [0.5] * 30}))
    assert t["lower_is_better"] is False
    assert rank_score(0.5, t).gold_medal
    assert not rank_score(0.5, t).above_median


def test_none_and_nan_earn_nothing():
    t = thresholds_from_leaderboard(pd.DataFrame({"score": [3.0, 2.0, 1.0]}))
    for score in (None, float("nan")):
        m = rank_score(score, t)
        assert not (m.any_medal or m.above_median)


@pytest.mark.parametrize("cid", BOARDS)
def test_shared_boards_follow_the_rule(cid, monkeypatch):
    monkeypatch.setenv("MLE_BENCH_LEADERBOARDS", str(SHARED))
    got = competitions.medal_thresholds(cid)
    want = reference_thresholds(SHARED / f"{cid}.csv")
    assert got["num_teams"] == want["num_teams"]
    assert got["lower_is_better"] == want["lower_is_better"]
    for key in ("gold", "silver", "bronze"):
        assert got[key] == want[key]
    assert got["median"] == pytest.approx(want["median"], rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("cid", BOARDS)
def test_direction_agrees_with_the_spec(cid, monkeypatch):
    comp = competitions.get(cid)
    monkeypatch.setenv("MLE_BENCH_LEADERBOARDS", str(SHARED))
    assert competitions.medal_thresholds(cid)["lower_is_better"] == comp.lower_is_better
