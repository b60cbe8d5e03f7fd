"""Leaderboard rank and percentile of a score: hand-made boards with ties, both directions, and in reports."""

from __future__ import annotations

import numpy as np
import pytest

import competitions
from competitions.medals import leaderboard_placement
from competitions.reports import GradeReport
from competitions.synthetic import synthetic_case
from tests.schemas import toys

HIGHER = [0.9, 0.8, 0.8, 0.8, 0.5, 0.1]   # 6 teams, best first
LOWER = [0.1, 0.3, 0.3, 0.6, 2.0]          # 5 teams, best first


@pytest.mark.parametrize("score, rank, percentile", [
    (0.95, 1, 100.0),       # beats everyone
    (0.9, 1, 100.0),        # ties the leader: rank 1, ties count as beaten-or-tied
    (0.8, 2, 5 / 6 * 100),  # ties the group at ranks 2-4: best rank of the group, beats/ties 5 of 6
    (0.85, 2, 5 / 6 * 100),
    (0.7, 5, 2 / 6 * 100),
    (0.1, 6, 1 / 6 * 100),  # ties the last team
    (0.0, 7, 0.0),          # below everyone
])
def test_higher_is_better_with_ties(score, rank, percentile):
    p = leaderboard_placement(score, HIGHER, lower_is_better=False)
    assert (p.rank, p.num_teams) == (rank, 6)
    assert p.percentile == pytest.approx(percentile)


@pytest.mark.parametrize("score, rank, percentile", [
    (0.05, 1, 100.0),
    (0.1, 1, 100.0),
    (0.3, 2, 80.0),         # ties ranks 2-3
    (0.5, 4, 40.0),
    (2.0, 5, 20.0),
    (9.0, 6, 0.0),
])
def test_lower_is_better_with_ties(score, rank, percentile):
    p = leaderboard_placement(score, LOWER, lower_is_better=True)
    assert (p.rank, p.percentile, p.num_teams) == (rank, pytest.approx(percentile), 5)


def test_no_score_places_nowhere():
    assert leaderboard_placement(None, HIGHER, False) is None
    assert leaderboard_placement(float("nan"), HIGHER, False) is None


@pytest.fixture
def board(tmp_path, monkeypatch):
    folder = tmp_path / "boards"
    # higher is better; the perfect toy submission scores 1.0 and ties the two leaders
    toys.write_leaderboard(folder, toys.AUC.id, [1.0, 1.0, 0.9, 0.8, 0.7])
    monkeypatch.setenv("MLE_BENCH_LEADERBOARDS", str(folder))
    monkeypatch.setenv("MLE_BENCH_HOME", str(tmp_path / "home"))
    return folder


def test_grade_fills_placement_and_keeps_error_for_errors(board):
    case = synthetic_case(toys.AUC, 40, np.random.default_rng(1))
    report = competitions.grade(toys.AUC, case.perfect_submission, case.answers, case.sample_submission)
    assert report.error is None and report.medals_available is True and report.leaderboard_note is None
    assert report.leaderboard_rank == 1 and report.leaderboard_percentile == 100.0
    d = report.to_dict()
    assert d["leaderboard_rank"] == 1 and d["medals_available"] is True
    back = GradeReport.from_dict(d)
    assert (back.leaderboard_rank, back.leaderboard_percentile, back.medals_available) == (1, 100.0, True)


def test_an_invalid_submission_has_no_placement(board, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("nonsense\n1\n")
    case = synthetic_case(toys.AUC, 40, np.random.default_rng(1))
    report = competitions.grade(toys.AUC, bad, case.answers, case.sample_submission)
    assert not report.valid_submission and report.error
    assert report.medals_available is True and report.leaderboard_rank is None


def test_old_reports_load():
    old = {"competition_id": "x", "score": 0.5, "valid_submission": True, "submission_exists": True,
           "gold_threshold": 0.9, "error": None}
    r = GradeReport.from_dict(old)
    assert r.medals_available is True and r.leaderboard_rank is None and r.error is None
    both = GradeReport.from_dict({"competition_id": "x", "error": "invalid submission: bad; no medals: no board"})
    assert both.error == "invalid submission: bad" and both.leaderboard_note == "no board"
    assert both.medals_available is False
