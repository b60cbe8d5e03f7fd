"""Aggregation over seeds and splits, checked against a hand-worked example; pass@k."""

from __future__ import annotations

import json
import math

import pytest
from scipy import stats

from competitions.aggregate import (
    AggregationError,
    aggregate,
    aggregate_by_split,
    aggregate_groups,
    group_by_competition,
    load_groups,
    load_reports,
    read_experiments,
    pass_at_k,
)

SPLITS = {"lite": ["a", "b", "c"], "medium": ["d"], "all": ["a", "b", "c", "d"]}


def rep(cid, *, medal=None, above=False, exists=True, valid=True):
    flags = {f"{m}_medal": m == medal for m in ("gold", "silver", "bronze")}
    return {"competition_id": cid, "any_medal": medal is not None, "above_median": above,
            "submission_exists": exists, "valid_submission": valid and exists, **flags}


def grading(*reports):
    return {"competition_reports": list(reports)}


# Hand-worked example (medal per seed):
#            a      b       c                 d
#   seed 1   gold   -       bronze, >median   silver
#   seed 2   -      silver  (no submission)   -
#   seed 3   gold   bronze  -                 (missing)
SEED1 = grading(rep("d", medal="silver"), rep("a", medal="gold"), rep("c", medal="bronze", above=True), rep("b"))
SEED2 = grading(rep("a"), rep("b", medal="silver"), rep("c", exists=False), rep("d"))
SEED3 = grading(rep("c"), rep("b", medal="bronze"), rep("a", medal="gold"))
REPORTS = [SEED1, SEED2, SEED3]


def test_lite_by_hand():
    out = aggregate(REPORTS, SPLITS["lite"])
    assert out["n_seeds"] == 3 and out["n_competitions"] == 3
    any_medal = out["any_medal"]
    assert any_medal["per_seed"] == pytest.approx([200 / 3, 100 / 3, 200 / 3], rel=1e-12)
    assert any_medal["mean"] == pytest.approx(500 / 9, rel=1e-12)
    # SEM by hand: deviations 100/9, -200/9, 100/9 -> variance (ddof=1) = (3 * 100^2 * 2 / 81) / 2
    sem = math.sqrt((100 ** 2 * 6 / 81) / 2) / math.sqrt(3)
    assert any_medal["sem"] == pytest.approx(sem, rel=1e-12)
    assert any_medal["sem"] == pytest.approx(stats.sem(any_medal["per_seed"], ddof=1), rel=1e-12)
    assert any_medal["ci95"] == pytest.approx([500 / 9 - 1.96 * sem, 500 / 9 + 1.96 * sem], rel=1e-12)
    assert out["gold_medal"]["per_seed"] == pytest.approx([100 / 3, 0, 100 / 3])
    assert out["silver_medal"]["per_seed"] == pytest.approx([0, 100 / 3, 0])
    assert out["bronze_medal"]["per_seed"] == pytest.approx([100 / 3, 0, 100 / 3])
    assert out["above_median"]["per_seed"] == pytest.approx([100 / 3, 0, 0])
    assert out["submission_exists"]["per_seed"] == pytest.approx([100, 200 / 3, 100])
    assert out["valid_submission"]["per_seed"] == pytest.approx([100, 200 / 3, 100])


def test_pass_at_k_by_hand():
    # successes out of 3 attempts: a 2, b 2, c 1
    out = aggregate(REPORTS, SPLITS["lite"])["pass_at_k"]
    assert out["1"] == pytest.approx(100 * 5 / 9, rel=1e-12)
    assert out["2"] == pytest.approx(100 * (1 + 1 + 2 / 3) / 3, rel=1e-12)
    assert out["3"] == pytest.approx(100.0)


def test_pass_at_k_matches_brute_force_over_subsets():
    from itertools import combinations

    outcomes = {"x": [1, 0, 0, 1, 0], "y": [0, 0, 0, 0, 0], "z": [1, 1, 0, 1, 1]}
    for k in range(1, 6):
        brute = sum(
            sum(any(o[i] for i in subset) for subset in combinations(range(5), k)) / math.comb(5, k)
            for o in outcomes.values()
        ) / 3 * 100
        got = pass_at_k([sum(o) for o in outcomes.values()], [5, 5, 5], k)
        assert got == pytest.approx(brute, rel=1e-12)
    with pytest.raises(AggregationError):
        pass_at_k([1], [2], 3)


def test_incomplete_split_is_shown_not_refused_and_padding_is_strict():
    # d has 2 reports: "all" has 3 seeds, one run missing; seed 3's share is over the 3 runs present
    out = aggregate(REPORTS, SPLITS["all"])
    assert out["n_seeds"] == 3 and out["n_runs"] == 11
    assert out["complete"] is False and out["missing_runs"] == 1 and out["missing"] == {"d": 1}
    assert out["any_medal"]["per_seed"] == pytest.approx([75.0, 25.0, 200 / 3])
    assert out["pass_at_k"].keys() == {"1", "2"}  # d has only 2 attempts
    padded = aggregate(REPORTS, SPLITS["all"], pad_missing=True)
    assert padded["n_seeds"] == 3 and padded["padded"] is True
    assert padded["any_medal"]["per_seed"] == pytest.approx([75.0, 25.0, 50.0])
    assert padded["any_medal"]["sem"] == pytest.approx(25 / math.sqrt(3), rel=1e-12)
    assert padded["pass_at_k"].keys() == {"1", "2", "3"}
    # a complete split is MLE-bench's number either way
    assert aggregate(REPORTS, SPLITS["lite"])["complete"] is True
    assert aggregate(REPORTS, SPLITS["lite"], pad_missing=True)["any_medal"] == aggregate(
        REPORTS, SPLITS["lite"])["any_medal"]


def test_one_seed_has_zero_sem():
    out = aggregate([SEED1], SPLITS["lite"])
    assert out["n_seeds"] == 1 and out["any_medal"]["sem"] == 0.0


def test_num_seeds():
    assert aggregate(REPORTS, SPLITS["lite"], num_seeds=2)["any_medal"]["per_seed"] == pytest.approx(
        [200 / 3, 100 / 3])
    with pytest.raises(AggregationError, match="more than 3"):
        aggregate(REPORTS, SPLITS["all"], num_seeds=4)


def test_competition_without_report_is_missing_and_a_split_without_any_is_an_error():
    out = aggregate(REPORTS, ["a", "zz"])
    assert out["missing"] == {"zz": 3} and out["gold_medal"]["per_seed"] == pytest.approx([100.0, 0.0, 100.0])
    padded = aggregate(REPORTS, ["a", "zz"], pad_missing=True)
    assert padded["gold_medal"]["per_seed"] == pytest.approx([50.0, 0.0, 50.0])
    with pytest.raises(AggregationError, match="no runs"):
        aggregate(REPORTS, ["zz"])


def test_reports_outside_the_split_are_ignored_and_order_is_per_file_sorted():
    groups = group_by_competition([grading(rep("b", medal="gold"), rep("a"), rep("a", medal="gold"))])
    assert [r["any_medal"] for r in groups["a"]] == [False, True]
    assert aggregate([SEED1], ["d"])["silver_medal"]["per_seed"] == [100.0]


def test_by_split():
    out = aggregate_by_split(REPORTS, {**SPLITS, "high": ["h1"]})
    assert out["lite"]["n_seeds"] == 3
    assert out["medium"]["any_medal"]["per_seed"] == [100.0, 0.0]
    assert out["medium"]["any_medal"]["sem"] == pytest.approx(50.0)
    assert "no runs" in out["high"]["error"]


def test_load_reports_sorted_by_path(tmp_path):
    (tmp_path / "b_grading_report.json").write_text(json.dumps(SEED2))
    (tmp_path / "a_grading_report.json").write_text(json.dumps(SEED1))
    loaded = load_reports([tmp_path / "b_grading_report.json", tmp_path / "a_grading_report.json"])
    assert loaded == [SEED1, SEED2]
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(AggregationError, match="cannot read"):
        load_reports([tmp_path / "bad.json"])
    (tmp_path / "other.json").write_text("[]")
    with pytest.raises(AggregationError, match="not a grading report"):
        load_reports([tmp_path / "other.json"])


def _write(path, grading, group_agent=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(grading))
    if group_agent:
        (path.parent / "group.json").write_text(json.dumps({"agent": group_agent}))
    return path


def test_groups_by_agent_never_merge_agents(tmp_path):
    # our run groups: two of the dummy (seeds), one of the baseline; group.json names the agent
    paths = [_write(tmp_path / "runs" / "g1" / "grading_report.json", SEED1, "dummy"),
             _write(tmp_path / "runs" / "g2" / "grading_report.json", SEED2, "dummy"),
             _write(tmp_path / "runs" / "g3" / "grading_report.json", SEED3, "baseline")]
    groups = load_groups(paths)
    assert [(g.name, len(g.reports)) for g in groups] == [("dummy", 2), ("baseline", 1)]
    summaries = {s.name: s for s in aggregate_groups(groups, SPLITS)}
    assert summaries["dummy"].splits["lite"]["n_seeds"] == 2
    assert summaries["baseline"].splits["lite"]["any_medal"]["per_seed"] == pytest.approx([200 / 3])
    assert "no runs" in summaries["baseline"].splits["medium"]["error"]
    by_group = load_groups(paths, by="run-group")
    assert [g.name for g in by_group] == ["g1", "g2", "g3"]


def test_groups_of_mle_bench_layout_and_lone_files(tmp_path):
    rg = "2024-09-06T18-25-55-UTC_run-group_aide"
    paths = [_write(tmp_path / "runs" / rg / "2024-09-19T20-07-15-GMT_grading_report.json", SEED1),
             _write(tmp_path / "loose" / "seedA_grading_report.json", SEED2),
             _write(tmp_path / "loose" / "seedB.json", {**SEED3, "agent": "mine"})]
    assert [g.name for g in load_groups(paths)] == ["seedA_grading_report", "mine", rg]  # sorted path order
    csv = tmp_path / "run_group_experiments.csv"
    csv.write_text(f"experiment_id,run_group\nscaffolding-gpt4o-aide,{rg}\n")
    assert load_groups(paths[:1], experiments=read_experiments(csv))[0].name == "scaffolding-gpt4o-aide"
    csv.write_text("no comma here\n")
    with pytest.raises(AggregationError, match="experiment_id,run_group"):
        read_experiments(csv)
