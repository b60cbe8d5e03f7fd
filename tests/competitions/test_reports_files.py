"""One builder of failed reports, one atomic writer, one home rule, one unknown-competition error."""

from __future__ import annotations

import json
import os

import pytest

import competitions
import mle_datasets
from competitions import leaderboards as lb
from competitions.atomic import write_atomic, write_json_atomic
from competitions.paths import home
from competitions.reports import GradeReport


@pytest.mark.parametrize(
    "kind, exists, host",
    [("missing", False, False), ("invalid", True, False), ("host", False, True)],
)
def test_failed_reports_carry_the_flags_of_their_kind(kind, exists, host):
    report = GradeReport.failed("toy", "why", kind=kind, competition_version="1.0.0", dataset_revision="abc")
    assert (report.submission_exists, report.host_error) == (exists, host)
    assert not report.valid_submission and report.score is None and not report.any_medal
    data = report.to_dict()
    assert data["error"] == "why" and data["host_error"] is host and data["dataset_revision"] == "abc"
    assert GradeReport.from_dict(json.loads(json.dumps(data))).to_dict() == data


def test_a_host_failure_knows_whether_the_submission_file_exists(tmp_path):
    sub = tmp_path / "submission.csv"
    assert not GradeReport.failed("toy", "x", kind="host", submission_path=str(sub)).submission_exists
    sub.write_text("id\n")
    assert GradeReport.failed("toy", "x", kind="host", submission_path=str(sub)).submission_exists
    with pytest.raises(ValueError, match="kind 'late'"):
        GradeReport.failed("toy", "x", kind="late")


def test_atomic_writes_of_bytes_text_and_json_leave_no_temporary_file(tmp_path):
    target = tmp_path / "deep" / "f.bin"
    write_atomic(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    write_atomic(target, "text")
    assert target.read_text() == "text"
    write_json_atomic({"a": [1, 2]}, tmp_path / "r.json")
    assert json.loads((tmp_path / "r.json").read_text()) == {"a": [1, 2]}
    with pytest.raises(ValueError):
        write_json_atomic({"score": float("nan")}, tmp_path / "r.json")  # strict JSON: the old file stays
    assert json.loads((tmp_path / "r.json").read_text()) == {"a": [1, 2]}
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["deep", "f.bin", "r.json"]


@pytest.mark.parametrize(
    "env, want",
    [
        ({"MLE_BENCH_HOME": "/h", "XDG_CACHE_HOME": "/x"}, "/h"),
        ({"MLE_BENCH_HOME": "", "XDG_CACHE_HOME": "/x"}, "/x/open-mle-bench"),
        ({}, os.path.expanduser("~/.cache/open-mle-bench")),
    ],
)
def test_one_home_rule_for_the_store_and_the_leaderboards(monkeypatch, env, want):
    for key in ("MLE_BENCH_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert str(home()) == want
    assert lb.store_dir() == home() / "leaderboards"
    assert mle_datasets.store_root() == home()


def test_one_unknown_competition_error():
    with pytest.raises(competitions.UnknownCompetition, match=r"'nope'; `mle-bench list` shows the known ids"):
        competitions.get("nope")
    with pytest.raises(competitions.UnknownCompetition) as info:
        mle_datasets.prepare("nope", "/nonexistent", "/tmp/out-never-written")
    assert isinstance(info.value, mle_datasets.UnknownCompetitionError)
    assert isinstance(info.value, mle_datasets.DataError) and isinstance(info.value, KeyError)
    assert info.value.competition_id == "nope"
    assert issubclass(mle_datasets.UnknownCompetitionError, competitions.UnknownCompetition)
