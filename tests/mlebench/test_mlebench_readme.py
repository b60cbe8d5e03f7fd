"""MLE-bench's README usage, replayed command by command through ``mlebench`` (its spellings, its folders).

A user switching from MLE-bench has the Kaggle zips MLE-bench downloaded in its data folder
(``~/.cache/mle-bench/data/<id>/<id>.zip``); ``mlebench prepare`` finds them there, so the replay needs no
Kaggle account. Its scripts' Python calls (``mlebench.registry``, ``mlebench.grade``) are replayed too.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

import competitions
import mle_datasets
from mlebench.cli import mlebench_main

DEV = "spaceship-titanic"
LITE_SUBSET = ["spooky-author-identification", "leaf-classification"]


def _zip_folder(folder: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w") as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())


@pytest.fixture
def mle_bench_user(tmp_path, monkeypatch):
    """A machine where MLE-bench already downloaded the Kaggle zips of a few competitions."""
    monkeypatch.setenv("MLE_BENCH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("MLE_BENCH_DATA", raising=False)
    data = tmp_path / "cache" / "mle-bench" / "data"
    for cid in [DEV, *LITE_SUBSET]:
        raw = mle_datasets.make_raw_fixture(cid, tmp_path / "fixtures" / cid)
        _zip_folder(raw, data / cid / f"{cid}.zip")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_readme_usage_replayed(mle_bench_user, capsys):
    # mlebench prepare -c <competition-id>
    assert mlebench_main(["prepare", "-c", DEV]) == 0
    assert f"{DEV}: v1.0.0 stored" in capsys.readouterr().out
    # mlebench prepare --lite / --all: MLE-bench's spellings parse; a list file prepares what it names
    ids = mle_bench_user / "ids.txt"
    ids.write_text("\n".join(LITE_SUBSET) + "\n")
    assert mlebench_main(["prepare", "-l", str(ids), "--keep-raw", "--skip-verification"]) == 0
    captured = capsys.readouterr()
    assert all(f"{cid}: v1.0.0 stored" in captured.out for cid in LITE_SUBSET)
    assert "note: --keep-raw is accepted" in captured.err and "note: --skip-verification" in captured.err
    assert mlebench_main(["prepare", "--help"]) == 0
    help_text = capsys.readouterr().out
    assert "--lite" in help_text and "-a, --all" in help_text and "--overwrite-checksums" in help_text

    # mlebench grade-sample <PATH_TO_SUBMISSION> spaceship-titanic
    sample = mle_datasets.resolve(DEV).sample_submission
    submission = mle_bench_user / "submission.csv"
    shutil.copyfile(sample, submission)
    assert mlebench_main(["grade-sample", str(submission), DEV]) == 0
    out = capsys.readouterr().out
    assert "valid_submission" in out and "True" in out

    # mlebench grade --submission <JSONL> --output-dir <DIR>
    jsonl = mle_bench_user / "submissions.jsonl"
    jsonl.write_text("\n".join(json.dumps({"competition_id": cid, "submission_path": str(submission)})
                               for cid in [DEV, "spooky-author-identification"]) + "\n")
    # exit code 1: one of the submissions is invalid
    assert mlebench_main(["grade", "--submission", str(jsonl), "--output-dir", str(mle_bench_user / "out")]) == 1
    (path,) = (mle_bench_user / "out").glob("*_grading_report.json")
    reports = json.loads(path.read_text())["competition_reports"]
    assert [r["valid_submission"] for r in reports] == [True, False]  # spooky does not take Titanic's columns
    assert reports[0]["dataset_revision"] == mle_datasets.Store().revision(DEV)

    # mlebench dev download-leaderboard: a present leaderboard is kept unless --force
    assert mlebench_main(["dev", "download-leaderboard", "-c", DEV]) == 0
    assert "already present" in capsys.readouterr().out


def test_python_calls_of_mle_bench_scripts(mle_bench_user, tmp_path):
    from mlebench.grade import grade_csv, grade_jsonl
    from mlebench.registry import registry
    from mlebench.utils import load_answers

    assert mlebench_main(["prepare", "-c", DEV]) == 0
    competition = registry.get_competition(DEV)
    assert competition.public_dir.is_dir() and competition.answers.is_file()
    assert (competition.public_dir / "train.csv").is_file() and competition.leaderboard.name == f"{DEV}.csv"
    assert competition.dataset_revision == mle_datasets.Store().revision(DEV)
    answers = load_answers(competition.answers, DEV)
    assert list(answers.columns)[0] == "PassengerId" and len(answers) == 40
    report = grade_csv(competition.sample_submission, competition)
    assert report.to_dict()["valid_submission"] is True
    assert set(registry.get_lite_competition_ids()) == set(competitions.ids("lite"))
    assert DEV in registry.list_competition_ids()

    jsonl = tmp_path / "s.jsonl"
    jsonl.write_text(json.dumps({"competition_id": DEV, "submission_path": str(competition.sample_submission)}))
    assert grade_jsonl(jsonl, tmp_path / "out")["total_valid_submissions"] == 1

    # set_data_dir: a folder in MLE-bench's layout, used as it is
    legacy = registry.set_data_dir(tmp_path / "legacy")
    unprepared = legacy.get_competition(DEV)
    assert unprepared.public_dir == tmp_path / "legacy" / DEV / "prepared" / "public"
    assert not unprepared.public_dir.exists() and unprepared.dataset_revision == "unversioned"
    assert grade_csv(tmp_path / "nope.csv", unprepared).valid_submission is False
