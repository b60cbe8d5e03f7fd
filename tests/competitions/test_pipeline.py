"""The grading pipeline on toy competitions: read, contract, grader, rounding, medals, reports, batches."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import competitions
from competitions.batch import grade_jsonl, read_jsonl
from competitions.grading import GradingError, round_score
from competitions.reports import REPORT_KEYS, GradeReport
from competitions.synthetic import synthetic_case
from tests.schemas import toys


@pytest.fixture
def boards(tmp_path, monkeypatch):
    folder = toys.toy_leaderboards(tmp_path / "boards")
    monkeypatch.setenv("MLE_BENCH_LEADERBOARDS", str(folder))
    monkeypatch.setenv("MLE_BENCH_HOME", str(tmp_path / "home"))
    return folder


@pytest.fixture
def case():
    return synthetic_case(toys.AUC, 40, np.random.default_rng(0))


def test_perfect_submission_gets_gold(boards, case):
    report = competitions.grade(toys.AUC, case.perfect_submission, case.answers, case.sample_submission)
    assert report.valid_submission and report.submission_exists
    assert report.score == 1.0
    assert report.gold_medal and report.any_medal and report.above_median
    assert not (report.silver_medal or report.bronze_medal)
    assert report.gold_threshold == np.linspace(1.0, 0.5, 20)[1]  # 20 teams: gold is position 2
    assert report.is_lower_better is False
    assert report.error is None
    assert report.competition_version == "1.0.0"


def test_sample_submission_is_valid_without_medal(boards, case):
    report = competitions.grade(toys.AUC, case.sample_submission, case.answers, case.sample_submission)
    assert report.valid_submission
    assert report.score == 0.5
    assert not report.any_medal and not report.above_median


def test_rows_are_aligned_by_id_not_position(boards, case):
    shuffled = case.perfect_submission.sample(frac=1, random_state=1)
    assert competitions.grade(toys.AUC, shuffled, case.answers).score == 1.0


def test_score_is_rounded_before_ranking(boards, monkeypatch):
    # gold threshold 0.95; the raw score 0.9499996 misses it but its 5-decimal rounding reaches it
    toys.write_leaderboard(boards, "toy-nan", [0.95] * 5 + [0.9] * 15)
    import tests.schemas.toys as t

    monkeypatch.setattr(t.ToyNaN, "grade", lambda self, s, a, c: np.float64(0.9499996))
    c = synthetic_case(toys.NAN, 10, np.random.default_rng(0))
    report = competitions.grade(toys.NAN, c.perfect_submission, c.answers, c.sample_submission)
    assert report.score == 0.95 and report.gold_medal


def test_rounding_modes():
    assert round_score(0.123455, "python") == 0.12345
    assert round_score(0.123455, "numpy") == 0.12346
    assert round_score(1234.5, "int") == 1234.0
    assert round_score(1235.5, "int") == 1236.0
    assert np.isnan(round_score(float("nan"), "numpy"))
    with pytest.raises(ValueError):
        round_score(1.0, "banker")


def test_missing_file_is_not_a_submission(boards, case, tmp_path):
    report = competitions.grade(toys.AUC, tmp_path / "absent.csv", case.answers)
    assert not report.submission_exists and not report.valid_submission
    assert report.score is None
    assert "not found" in report.error
    assert report.gold_threshold == np.linspace(1.0, 0.5, 20)[1]  # thresholds are still reported


def test_wrong_suffix_is_not_a_submission(boards, case, tmp_path):
    path = tmp_path / "sub.txt"
    case.perfect_submission.to_csv(path, index=False)
    report = competitions.grade(toys.AUC, path, case.answers)
    assert not report.submission_exists and not report.valid_submission
    assert "suffix" in report.error


BAD_FILES = {
    "empty": (b"", "empty"),
    "header_only": (b"id,p\n", "no rows"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    "non_utf8": ("id,p\n00001,0.5\n00002,caf\xe9\n".encode("latin-1"), "UTF-8"),
    "delimiter": (b"id;p\n00001;0.5\n", "semicolon"),
    "dup_columns": (b"id,p,p\n00001,0.5,0.5\n", "duplicated column"),
    "ragged": (b"id,p\n00001,0.5,1\n", "malformed"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_files_are_invalid_with_a_reason(boards, case, tmp_path, name):
    data, reason = BAD_FILES[name]
    path = tmp_path / "sub.csv"
    path.write_bytes(data)
    report = competitions.grade(toys.AUC, path, case.answers, case.sample_submission)
    assert report.submission_exists
    assert not report.valid_submission and report.score is None
    assert reason in report.error
    assert not report.any_medal


def test_bom_is_accepted(boards, case, tmp_path):
    path = tmp_path / "sub.csv"
    path.write_bytes(b"\xef\xbb\xbf" + case.perfect_submission.to_csv(index=False).encode())
    assert competitions.grade(toys.AUC, path, case.answers, case.sample_submission).score == 1.0


def _mutations(case):
    sub = case.perfect_submission
    yield "missing column", sub[["id"]], "missing column"
    yield "extra column", sub.assign(q=1), "unexpected column"
    yield "duplicated ids", pd.concat([sub, sub.iloc[:2]]), "duplicated id"
    yield "unknown ids", sub.assign(id=sub["id"].str.replace("00001", "99999")), "not in the sample"
    yield "missing ids", sub.iloc[3:], "missing"
    yield "nan", sub.assign(p=sub["p"].where(sub.index != 1)), "missing value"
    yield "inf", sub.assign(p=sub["p"].replace(1.0, np.inf)), "infinite"
    yield "text", sub.assign(p=sub["p"].astype(str).replace("1.0", "yes")), "not numbers"
    yield "out of range", sub.assign(p=sub["p"] * 2), "outside [0, 1]"


@pytest.mark.parametrize("index", range(9))
def test_each_bad_submission_names_its_problem(boards, case, index):
    name, sub, reason = list(_mutations(case))[index]
    report = competitions.grade(toys.AUC, sub, case.answers, case.sample_submission)
    assert not report.valid_submission, name
    assert reason in report.error, (name, report.error)
    assert report.validation_errors
    json.dumps(report.to_dict(), allow_nan=False)


def test_without_sample_the_answers_give_the_ids_but_are_never_shown(boards, case):
    sub = case.perfect_submission.iloc[5:]
    report = competitions.grade(toys.AUC, sub, case.answers)
    assert "5 expected id(s) missing" in report.error
    for hidden in case.answers["id"].iloc[:5]:
        assert hidden not in report.error
        assert hidden not in json.dumps(report.to_dict())


def test_grader_exceptions_are_invalid_and_leak_nothing(boards, case):
    report = competitions.grade(toys.CRASH, case.perfect_submission, case.answers, case.sample_submission)
    assert not report.valid_submission and report.score is None
    assert report.error.startswith("grader error: KeyError")
    assert "secret" not in report.error and "secret" not in json.dumps(report.to_dict())


def test_invalid_submission_from_the_grader(boards, case):
    report = competitions.grade(toys.INVALID, case.perfect_submission, case.answers, case.sample_submission)
    assert not report.valid_submission
    assert "rows must sum to 1" in report.error
    assert report.validation_errors[0]["check"] == "row_sum"


def test_nan_score_is_valid_without_medal(boards, case):
    report = competitions.grade(toys.NAN, case.perfect_submission, case.answers, case.sample_submission)
    assert report.valid_submission and report.score_is_nan
    assert not report.any_medal and not report.above_median
    d = report.to_dict()
    assert d["score"] is None and d["score_is_nan"] is True
    json.dumps(d, allow_nan=False)


def test_missing_leaderboard_keeps_the_score(case, tmp_path, monkeypatch):
    monkeypatch.setenv("MLE_BENCH_LEADERBOARDS", str(tmp_path / "empty"))
    monkeypatch.setenv("MLE_BENCH_HOME", str(tmp_path / "home"))
    report = competitions.grade(toys.AUC, case.perfect_submission, case.answers, case.sample_submission)
    assert report.valid_submission and report.score == 1.0
    assert report.gold_threshold is None and not report.any_medal
    assert report.error is None and report.medals_available is False
    note = report.leaderboard_note
    assert "toy-auc.csv" in note and "mle-bench leaderboards download -c toy-auc" in note
    assert report.leaderboard_rank is None and report.leaderboard_percentile is None


def test_lower_is_better_board(boards, case):
    toys.write_leaderboard(boards, "toy-auc", list(np.linspace(0.0, 1.0, 20)))
    report = competitions.grade(toys.AUC, case.perfect_submission, case.answers, case.sample_submission)
    assert report.is_lower_better is True
    assert not report.any_medal  # AUC 1.0 is the worst on a board read as lower-is-better


def test_report_dict_has_mle_bench_keys(boards, case, tmp_path):
    path = tmp_path / "sub.csv"
    case.perfect_submission.to_csv(path, index=False)
    d = competitions.grade(toys.AUC, path, case.answers, case.sample_submission, dataset_revision="abc123").to_dict()
    assert list(d)[: len(REPORT_KEYS)] == list(REPORT_KEYS)
    assert {"error", "competition_version", "dataset_revision"} <= set(d)
    assert d["submission_path"] == str(path) and d["dataset_revision"] == "abc123"
    assert GradeReport.from_dict(json.loads(json.dumps(d))).to_dict() == d


def test_paths_for_answers_and_sample(boards, case, tmp_path):
    case.answers.to_csv(tmp_path / "answers.csv", index=False)
    case.sample_submission.to_csv(tmp_path / "sample.csv", index=False)
    case.perfect_submission.to_csv(tmp_path / "sub.csv", index=False)
    report = competitions.grade(toys.AUC, tmp_path / "sub.csv", tmp_path / "answers.csv", tmp_path / "sample.csv")
    assert report.score == 1.0  # ids such as "00007" survive the round trip


def test_host_side_problems_raise(case, tmp_path):
    with pytest.raises(GradingError, match="answers file not found"):
        competitions.grade(toys.AUC, case.perfect_submission, tmp_path / "nope.csv")
    with pytest.raises(GradingError, match="unknown competition"):
        competitions.grade("no-such-competition", case.perfect_submission, case.answers)


def test_rle_and_prediction_strings_through_the_pipeline(boards):
    for comp in (toys.RLE, toys.PREDSTR, toys.LABELS):
        c = synthetic_case(comp, 20, np.random.default_rng(1))
        assert competitions.grade(comp, c.perfect_submission, c.answers, c.sample_submission).score == 1.0
        col = comp.submission_columns[-1].name
        bad = c.perfect_submission.copy()
        bad.loc[0, col] = "1 2 3" if comp is not toys.LABELS else "unicorn"
        report = competitions.grade(comp, bad, c.answers, c.sample_submission)
        assert not report.valid_submission, comp.id


# ---- batches -----------------------------------------------------------------------------------------

def _prepare(data_dir, comp, case):
    """Write the case's answers and sample; return a locator as ``grade_jsonl`` takes (one per competition)."""
    root = data_dir / comp.id / "prepared"
    (root / "private").mkdir(parents=True)
    (root / "public").mkdir(parents=True)
    case.answers.to_csv(root / comp.answers, index=False)
    case.sample_submission.to_csv(root / comp.sample_submission, index=False)
    files = SimpleNamespace(answers=root / comp.answers, sample_submission=root / comp.sample_submission,
                            dataset_revision="rev-1")
    asked = []

    def locate(cid):
        asked.append(cid)
        if cid != comp.id:
            raise ValueError(f"{cid} is not prepared")
        return files

    locate.asked = asked
    return locate


def test_batch_with_bad_lines_grades_the_rest(boards, case, tmp_path, monkeypatch):
    import competitions.catalogue as catalogue

    real_get = catalogue.get
    monkeypatch.setattr(catalogue, "get", lambda cid: toys.AUC if cid == "toy-auc" else real_get(cid))
    data = _prepare(tmp_path / "data", toys.AUC, case)
    good = tmp_path / "good.csv"
    case.perfect_submission.to_csv(good, index=False)
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"\x00\x01\x02")
    lines = [
        "# a comment", "", "// another",
        json.dumps({"competition_id": "toy-auc", "submission_path": str(good)}),
        json.dumps({"competition_id": "no-such-competition", "submission_path": str(good)}),
        json.dumps({"competition_id": "toy-auc", "submission_path": str(tmp_path / "missing.csv")}),
        json.dumps({"competition_id": "toy-auc", "submission_path": str(junk)}),
        json.dumps({"competition_id": "toy-auc", "submission_path": None}),
        "{not json",
        json.dumps({"competition_id": "toy-auc", "submission_path": str(good)}),
    ]
    jsonl = tmp_path / "subs.jsonl"
    jsonl.write_text("\n".join(lines) + "\n")
    assert len(read_jsonl(jsonl)) == 7
    out = tmp_path / "out" / "nested"
    report, path = grade_jsonl(jsonl, out, data, max_workers=3)
    assert path.parent == out and path.name.endswith("_grading_report.json")
    assert json.loads(path.read_text()) == report
    reps = report["competition_reports"]
    assert [r["valid_submission"] for r in reps] == [True, False, False, False, False, False, True]
    assert report["total_runs"] == 7
    assert report["total_valid_submissions"] == 2
    assert report["total_gold_medals"] == 2 == report["total_medals"]
    assert report["total_runs_with_submissions"] == 4
    assert "unknown competition" in reps[1]["error"]
    assert "binary" in reps[3]["error"]
    assert "not a JSON object" in reps[5]["error"]
    assert data.asked == ["toy-auc"], "the data of a competition is looked up once per batch"
    assert reps[0]["dataset_revision"] == "rev-1"


def test_batch_without_prepared_data(boards, case, tmp_path, monkeypatch):
    import competitions.catalogue as catalogue

    monkeypatch.setattr(catalogue, "get", lambda cid: toys.AUC)
    good = tmp_path / "good.csv"
    case.perfect_submission.to_csv(good, index=False)
    jsonl = tmp_path / "subs.jsonl"
    jsonl.write_text(json.dumps({"competition_id": "toy-auc", "submission_path": str(good)}) + "\n")
    def not_prepared(cid):
        raise ValueError(f"{cid} is not prepared: run `mle-bench prepare -c {cid}`")

    report, _ = grade_jsonl(jsonl, tmp_path / "out", not_prepared)
    assert report["competition_reports"][0]["error"] == "toy-auc is not prepared: run `mle-bench prepare -c toy-auc`"
    assert report["competition_reports"][0]["valid_submission"] is False
