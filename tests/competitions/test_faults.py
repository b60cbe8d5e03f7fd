"""Whose fault: a bad submission value is an invalid submission; a typo in a spec's metric parameter or a broken
answers file is a host error, never the agent's invalid submission and never shown to it. Decided by one
function from structured errors, never from an error's message."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pytest

import competitions
import metrics
from competitions.faults import InvalidSubmission, fault_of
from competitions.graders import score_metric
from competitions.grading import fault_of as grading_fault_of
from competitions.synthetic import synthetic_case

COMPETITIONS_DIR = Path(competitions.__file__).parent


def _case(cid: str, n: int = 40):
    comp = competitions.get(cid)
    return comp, synthetic_case(comp, n, np.random.default_rng(0))


def test_grading_exports_the_one_rule():
    assert grading_fault_of is fault_of


@pytest.mark.parametrize(
    "err, submitted, fault",
    [
        (InvalidSubmission("rows do not sum to 1"), ("y_pred",), "submission"),
        (metrics.MetricInputError("m: y_pred holds NaN", argument="y_pred"), ("y_pred",), "submission"),
        (metrics.MetricInputError("m: y_prob holds NaN", argument="y_prob"), ("y_pred",), "submission"),
        (metrics.MetricInputError("m: y_true holds NaN", argument="y_true"), ("y_pred",), "host"),
        (metrics.MetricInputError("m: eps=2 must lie in (0, 0.5)", argument="eps"), ("y_pred",), "host"),
        (metrics.MetricInputError("m: confidence holds NaN", argument="confidence"), ("y_pred",), "host"),
        (metrics.MetricInputError("m: confidence holds NaN", argument="confidence"), ("y_pred", "confidence"),
         "submission"),
        (metrics.MetricInputError("m: mentions y_pred but names nothing"), ("y_pred",), "host"),
        (KeyError("y_pred"), ("y_pred",), "host"),
    ],
)
def test_fault_of_reads_the_argument_not_the_message(err, submitted, fault):
    assert fault_of(err, submitted) == fault


def test_a_bad_submission_value_is_an_invalid_submission(boards):
    comp, case = _case("rsna-breast-cancer-detection")
    # the contract catches it first (any_nonnegative); without that declaration the metric's check decides
    columns = tuple(dataclasses.replace(c, any_nonnegative=False) for c in comp.submission_columns)
    comp = dataclasses.replace(comp, submission_columns=columns)
    sub = case.perfect_submission.assign(cancer=-1.0)  # every prediction negative: pf1's precision is 0/0
    report = competitions.grade(comp, sub, case.answers, case.sample_submission)
    assert not report.valid_submission and not report.host_error and report.submission_exists
    assert report.validation_errors[0]["check"] == "metric" and report.validation_errors[0]["column"] == "cancer"


def test_a_submitted_metric_argument_other_than_y_pred_is_the_submissions_fault():
    comp = competitions.get("osic-pulmonary-fibrosis-progression")  # laplace_log_likelihood, confidence submitted
    y = [2000.0, 2100.0, 2200.0]
    with pytest.raises(InvalidSubmission) as info:
        score_metric(comp, y, y, column="Confidence", submitted=("y_pred", "confidence"), confidence=[70.0])
    assert info.value.column == "Confidence" and info.value.check == "metric"
    with pytest.raises(metrics.MetricInputError) as err:  # not declared as submitted: the grader's (host's) fault
        score_metric(comp, y, y, confidence=[70.0])
    assert err.value.argument == "confidence" and fault_of(err.value) == "host"


def test_a_typo_in_a_metric_parameter_is_a_host_error(boards):
    comp, case = _case("spooky-author-identification")
    typo = dataclasses.replace(comp, metric_params={**comp.metric_params, "epss": 1e-15})
    report = competitions.grade(typo, case.perfect_submission, case.answers, case.sample_submission)
    assert report.host_error and not report.valid_submission and report.score is None
    assert "metric_params.epss" in report.error and "not at fault" in report.error
    bad_value = dataclasses.replace(comp, metric_params={**comp.metric_params, "eps": 2.0})
    report = competitions.grade(bad_value, case.perfect_submission, case.answers, case.sample_submission)
    assert report.host_error and "metric_params.eps" in report.error


def test_a_broken_answers_file_is_a_host_error_that_leaks_nothing(boards, tmp_path):
    comp, case = _case("petfinder-pawpularity-score")
    answers = case.answers.copy()
    answers["Pawpularity"] = answers["Pawpularity"].astype(float)
    answers.loc[3, "Pawpularity"] = np.nan  # an answer cell lost in preparation
    path = tmp_path / "answers.csv"
    answers.to_csv(path, index=False)
    report = competitions.grade(comp, case.perfect_submission, path, case.sample_submission)
    assert report.host_error and not report.valid_submission and report.submission_exists
    assert report.error.startswith("host error: the metric rmse rejected the answers")
    assert "NaN" not in report.error and "row 3" not in json.dumps(report.to_dict())


def test_a_broken_answers_file_in_a_detection_grader_is_a_host_error(boards):
    comp, case = _case("3d-object-detection-for-autonomous-vehicles", 6)
    answers = case.answers.copy()
    answers.loc[0, "PredictionString"] = "1.0 2.0 3.0"  # not a multiple of 9 tokens
    report = competitions.grade(comp, case.perfect_submission, answers, case.sample_submission)
    assert report.host_error and not report.valid_submission
    assert report.error.startswith("grader error: ValueError")


def test_host_errors_are_counted_apart_in_a_batch_report(boards):
    comp, case = _case("spooky-author-identification")
    typo = dataclasses.replace(comp, metric_params={"epss": 1e-15})
    good = competitions.grade(comp, case.perfect_submission, case.answers, case.sample_submission)
    bad = competitions.grade(typo, case.perfect_submission, case.answers, case.sample_submission)
    totals = competitions.batch_report([good, bad])
    assert totals["total_host_errors"] == 1 and totals["total_valid_submissions"] == 1


_READS_MESSAGE = re.compile(r"in str\((err|e|exc|error)\)|str\((err|e|exc|error)\)\.(split|startswith|find)|"
                            r"re\.(search|match)\([^)]*str\((err|e|exc|error)\)")


def test_no_grader_decides_by_reading_an_error_message():
    offenders = []
    for path in sorted(COMPETITIONS_DIR.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if _READS_MESSAGE.search(line):
                offenders.append(f"{path.relative_to(COMPETITIONS_DIR)}:{number}: {line.strip()}")
    assert offenders == []


@pytest.fixture
def boards(tmp_path, monkeypatch):
    from tests.schemas import toys

    folder = tmp_path / "boards"
    for cid in ("rsna-breast-cancer-detection", "spooky-author-identification", "petfinder-pawpularity-score",
                "3d-object-detection-for-autonomous-vehicles"):
        toys.write_leaderboard(folder, cid, list(np.linspace(1.0, 0.0, 20)))
    monkeypatch.setenv("MLE_BENCH_LEADERBOARDS", str(folder))
    monkeypatch.setenv("MLE_BENCH_HOME", str(tmp_path / "home"))
    return folder
