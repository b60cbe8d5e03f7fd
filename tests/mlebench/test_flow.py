"""One way through, as a new user types it: prepare -> run -> grade-sample -> grade with no directory options.

Every test gets a home of its own (``MLE_BENCH_HOME`` for the store, ``XDG_CACHE_HOME`` for MLE-bench's
default data folder), so "no options" means the package's own defaults, never this machine's real cache.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import mle_datasets
from mlebench.cli import main

CID = "spooky-author-identification"


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("MLE_BENCH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("MLE_BENCH_DATA", raising=False)
    return tmp_path


@pytest.fixture
def prepared(home, capsys):
    """``mle-bench prepare -c spooky --raw FIXTURE``: the competition in the default store."""
    raw = mle_datasets.make_raw_fixture(CID, home / "raw")
    assert main(["prepare", "-c", CID, "--raw", str(raw)]) == 0
    assert "v1.0.0 stored" in capsys.readouterr().out
    return mle_datasets.Store()


def _sample(store) -> Path:
    return mle_datasets.resolve(CID, store=store).sample_submission


def test_prepare_then_run_then_grade_with_no_directory_options(prepared, home, capsys, monkeypatch):
    revision = prepared.revision(CID)
    monkeypatch.chdir(home)
    assert main(["run", "--agent", "dummy", "--backend", "local", "-c", CID, "--group", "g"]) == 0
    meta = json.loads(next((home / "runs" / "g").rglob("metadata.json")).read_text())
    assert meta["status"] == "finished" and meta["dataset_revision"] == revision
    assert meta["dataset_version"] == "1.0.0" and meta["report"]["dataset_revision"] == revision
    assert meta["report"]["valid_submission"] is True
    capsys.readouterr()

    sub = home / "sub.csv"
    shutil.copyfile(_sample(prepared), sub)
    assert main(["grade-sample", str(sub), CID, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["valid_submission"] is True and report["dataset_revision"] == revision
    assert report["competition_version"] == "1.0.0"

    jsonl = home / "subs.jsonl"
    jsonl.write_text(json.dumps({"competition_id": CID, "submission_path": str(sub)}) + "\n")
    assert main(["grade", "--submission", str(jsonl), "--output-dir", str(home / "out")]) == 0
    (path,) = (home / "out").glob("*_grading_report.json")
    assert json.loads(path.read_text())["competition_reports"][0]["dataset_revision"] == revision

    assert main(["validate", str(sub), "-c", CID]) == 0  # the sample comes from the hand-off too


def test_never_prepared_is_a_clear_error_naming_the_fix(home, capsys):
    sub = home / "sub.csv"
    sub.write_text("id,EAP,HPL,MWS\nx,0.3,0.3,0.4\n")
    for argv in (["grade-sample", str(sub), CID], ["run", "--agent", "dummy", "--backend", "local",
                                                  "--competitions", CID], ["validate", str(sub), "-c", CID]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert f"{CID} is not prepared" in err and f"mle-bench prepare -c {CID}" in err and "Traceback" not in err


def test_a_tampered_store_file_is_an_error_not_a_grade(prepared, home, capsys):
    ref = mle_datasets.resolve(CID, store=prepared)
    ref.answers.chmod(0o644)
    answers = pd.read_csv(ref.answers)
    answers.iloc[:, 1:] = 0
    answers.to_csv(ref.answers, index=False)
    sub = home / "sub.csv"
    shutil.copyfile(ref.sample_submission, sub)
    assert main(["grade-sample", str(sub), CID]) == 2
    err = capsys.readouterr().err
    assert "private/test.csv (sha256 differs)" in err and f"Remove {ref.answers.parents[1]}" in err
    shutil.rmtree(ref.answers.parents[1])  # the fix the message names: rebuilt from the store
    assert main(["grade-sample", str(sub), CID, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["valid_submission"] is True


def test_a_changed_repository_is_caught_before_rebuilding(prepared, home, capsys):
    repo = prepared.repo_dir(CID, private=True)
    shard = next((repo / "data").rglob("*.parquet"))
    shard.write_bytes(shard.read_bytes()[:-10])
    sub = home / "sub.csv"
    sub.write_text("id\n")
    assert main(["grade-sample", str(sub), CID]) == 2
    assert "does not match its manifest" in capsys.readouterr().err


def test_an_unknown_version_names_the_stored_ones(prepared, home, capsys):
    sub = home / "sub.csv"
    shutil.copyfile(_sample(prepared), sub)
    assert main(["grade-sample", str(sub), CID, "--version", "9.9.9"]) == 2
    assert "has no version '9.9.9' in the store; stored: 1.0.0" in capsys.readouterr().err
    assert main(["grade-sample", str(sub), CID, "--version", "1.0.0", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["valid_submission"] is True


def test_an_mle_bench_data_folder_works_unversioned_and_must_hold_private(prepared, home, capsys):
    ref = mle_datasets.resolve(CID, store=prepared)
    legacy = home / "cache" / "mle-bench" / "data" / CID / "prepared"
    shutil.copytree(ref.public_dir, legacy / "public")
    shutil.copytree(ref.private_dir, legacy / "private")
    sub = home / "sub.csv"
    shutil.copyfile(ref.sample_submission, sub)
    data_dir = str(legacy.parents[1])
    assert main(["grade-sample", str(sub), CID, "--data-dir", data_dir, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["dataset_revision"] == "unversioned"

    shutil.rmtree(prepared.root)  # no store: MLE-bench's default folder is found with no option at all
    assert main(["grade-sample", str(sub), CID, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["dataset_revision"] == "unversioned"

    shutil.rmtree(legacy / "private")
    assert main(["grade-sample", str(sub), CID, "--data-dir", data_dir]) == 2
    err = capsys.readouterr().err
    assert "is not prepared in" in err and "prepared/private" in err
    assert main(["grade-sample", str(sub), CID, "--data-dir", data_dir, "--version", "1.0.0"]) == 2
    assert "a data folder holds no versions" in capsys.readouterr().err


def test_resolve_hashes_again_only_what_changed(prepared, monkeypatch):
    import mle_datasets.handoff as handoff

    ref = mle_datasets.resolve(CID, store=prepared)
    hashed = []
    real = handoff.sha256_file
    monkeypatch.setattr(handoff, "sha256_file", lambda p: hashed.append(Path(p).name) or real(p))
    assert mle_datasets.resolve(CID, store=prepared) == ref
    assert hashed == []
    ref.sample_submission.chmod(0o644)
    ref.sample_submission.touch()
    mle_datasets.resolve(CID, store=prepared)
    assert hashed == ["sample_submission.csv"]
