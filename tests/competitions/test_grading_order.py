"""Grading puts the submission in the answers' row order before its grader runs (competitions.grade ->
order_like_answers, reusing the ids the contract encoded). The score must not change: for every competition a
half-perfect submission, shuffled or in the sample's order, grades exactly as its grader scores the validated
frame as the agent wrote it."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import competitions
from competitions.graders import get_grader, order_like_answers
from competitions.grading import round_score
from schemas.submission import validate_submission
from tests.competitions.boards import shared_leaderboards
from tests.schemas import toys


@pytest.fixture(autouse=True)
def shared_boards(monkeypatch, tmp_path):
    monkeypatch.setenv("MLE_BENCH_LEADERBOARDS", str(shared_leaderboards()))
    monkeypatch.setenv("MLE_BENCH_HOME", str(tmp_path / "home"))


def _half_perfect(comp, case) -> pd.DataFrame:
    """The perfect submission with the sample submission's values in about half of its rows (by id)."""
    ids = list(comp.id_columns)
    perfect = case.perfect_submission.reset_index(drop=True)
    sample = case.sample_submission
    if sample.duplicated(ids).any() or not perfect[ids].isin(sample[ids].to_dict("list")).all().all():
        return perfect
    values = [c for c in perfect.columns if c in sample.columns and c not in ids]
    lookup = sample.set_index(ids)[values]
    half = np.random.default_rng(1).random(len(perfect)) < 0.5
    rows = pd.MultiIndex.from_frame(perfect.loc[half, ids]) if len(ids) > 1 else pd.Index(perfect.loc[half, ids[0]])
    mixed = perfect.astype({c: object for c in values})
    mixed.loc[half, values] = lookup.loc[rows].to_numpy()
    return mixed


def _same(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and (a == b or (math.isnan(a) and math.isnan(b))))


@pytest.mark.parametrize("cid", competitions.ids())
def test_reordering_never_changes_a_score(cid):
    comp, case = toys.real_case(cid)
    if not isinstance(case.answers, pd.DataFrame):
        pytest.skip("answers are records (JSONL): nothing is reordered")
    mixed = _half_perfect(comp, case)
    for submission in (mixed, mixed.sample(frac=1.0, random_state=2).reset_index(drop=True)):
        checked = validate_submission(comp, submission, case.sample_submission)
        assert checked.report.valid, checked.report.summary()
        direct = round_score(get_grader(comp.grader).grade(checked.frame, case.answers, comp), comp.score_rounding)
        report = competitions.grade(comp, submission, case.answers, case.sample_submission)
        assert report.valid_submission, report.error
        assert _same(report.score, direct), (report.score, direct)


def test_the_contract_pairing_is_reused_and_superset_rows_are_dropped():
    comp, case = toys.real_case("h-and-m-personalized-fashion-recommendations")
    shuffled = case.perfect_submission.sample(frac=1.0, random_state=3).reset_index(drop=True)
    checked = validate_submission(comp, shuffled, case.sample_submission)
    ordered = order_like_answers(checked.frame, checked.ids, case.answers, comp)
    assert ordered["customer_id"].tolist() == case.answers["customer_id"].astype(str).tolist()
    assert len(ordered) < len(shuffled)  # the sample (and so the submission) lists customers without answers


def test_position_paired_graders_are_never_reordered():
    for cid in competitions.ids():
        comp = competitions.get(cid)
        if comp.id_policy == "any" or get_grader(comp.grader).keeps_submission_order:
            _, case = toys.real_case(cid)
            if not isinstance(case.answers, pd.DataFrame):
                continue
            shuffled = case.perfect_submission.sample(frac=1.0, random_state=4).reset_index(drop=True)
            checked = validate_submission(comp, shuffled, case.sample_submission)
            assert order_like_answers(checked.frame, checked.ids, case.answers, comp) is checked.frame
