"""The ``mle-bench`` grading commands: outputs, exit codes, and no traceback for a user's mistake."""

from __future__ import annotations

import json

import numpy as np
import pytest

import competitions
import competitions.catalogue as catalogue
from competitions.synthetic import synthetic_case
from mlebench.cli import main
from tests.schemas import toys


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """The toy AUC competition reachable by id, its files on disk and its leaderboard."""
    real_get = catalogue.get

    def get(cid):
        return toys.AUC if cid == "toy-auc" else real_get(cid)

    monkeypatch.setattr(catalogue, "get", get)
    monkeypatch.setattr(competitions, "get", get)
    monkeypatch.setenv("MLE_BENCH_LEADERBOARDS", str(toys.toy_leaderboards(tmp_path / "boards")))
    monkeypatch.setenv("MLE_BENCH_HOME", str(tmp_path / "home"))
    case = synthetic_case(toys.AUC, 30, np.random.default_rng(0))
    prepared = tmp_path / "data" / "toy-auc" / "prepared"
    (prepared / "private").mkdir(parents=True)
    (prepared / "public").mkdir(parents=True)
    case.answers.to_csv(prepared / "private" / "answers.csv", index=False)
    case.sample_submission.to_csv(prepared / "public" / "sample_submission.csv", index=False)
    case.perfect_submission.to_csv(tmp_path / "perfect.csv", index=False)
    bad = case.perfect_submission.assign(p=case.perfect_submission["p"] * 3)
    bad.to_csv(tmp_path / "bad.csv", index=False)
    return tmp_path


def test_help_and_missing_command(capsys):
    assert main(["--help"]) == 0
    assert main([]) == 2
    assert "usage" in capsys.readouterr().err


def test_list(capsys):
    assert main(["list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rows] == competitions.ids()
    assert main(["list", "--split", "lite"]) == 0
    assert f"{len(competitions.ids('lite'))} competition(s)" in capsys.readouterr().out
    assert main(["list", "--split", "nonsense"]) == 2
    assert "unknown split" in capsys.readouterr().err


def test_validate(toy, capsys):
    sample = str(toy / "data" / "toy-auc" / "prepared" / "public" / "sample_submission.csv")
    assert main(["validate", str(toy / "perfect.csv"), "--competition", "toy-auc", "--sample-submission", sample]) == 0
    assert "valid submission" in capsys.readouterr().out
    assert main(["validate", str(toy / "bad.csv"), "-c", "toy-auc", "--sample-submission", sample]) == 1
    assert "outside [0, 1]" in capsys.readouterr().out
    assert main(["validate", str(toy / "bad.csv"), "-c", "toy-auc", "--sample-submission", sample, "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False and report["errors"][0]["check"] == "probability"
    assert main(["validate", str(toy / "nope.csv"), "-c", "toy-auc", "--sample-submission", sample, "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["errors"][0]["check"] == "read:missing"


def test_validate_usage_errors(toy, capsys):
    assert main(["validate", str(toy / "perfect.csv"), "-c", "toy-auc", "--sample-submission", "nope.csv"]) == 2
    assert "sample submission nope.csv not found" in capsys.readouterr().err
    assert main(["validate", str(toy / "perfect.csv"), "-c", "no-such", "--sample-submission", "x.csv"]) == 2
    assert "unknown competition" in capsys.readouterr().err
    assert main(["validate", str(toy / "perfect.csv")]) == 2  # --competition is required


def test_grade_sample(toy, capsys):
    answers = str(toy / "data" / "toy-auc" / "prepared" / "private" / "answers.csv")
    assert main(["grade-sample", str(toy / "perfect.csv"), "toy-auc", "--answers", answers, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["score"] == 1.0 and report["gold_medal"] is True
    assert main(["grade-sample", str(toy / "bad.csv"), "toy-auc", "--answers", answers]) == 0
    out = capsys.readouterr().out
    assert "valid_submission" in out and "False" in out
    assert main(["grade-sample", str(toy / "perfect.csv"), "toy-auc", "--answers", "nope.csv"]) == 2
    assert "answers file nope.csv not found" in capsys.readouterr().err


def test_grade_and_report(toy, capsys):
    lines = [{"competition_id": "toy-auc", "submission_path": str(toy / "perfect.csv")},
             {"competition_id": "toy-auc", "submission_path": str(toy / "bad.csv")}]
    jsonl = toy / "subs.jsonl"
    jsonl.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    out_dir = toy / "runs" / "group"
    assert main(["grade", str(jsonl), "--output-dir", str(out_dir), "--data-dir", str(toy / "data")]) == 0
    text = capsys.readouterr().out
    assert "total_valid_submissions=1" in text and "total_gold_medals=1" in text
    [report_path] = list(out_dir.glob("*_grading_report.json"))
    report = json.loads(report_path.read_text())
    assert report["total_runs"] == 2

    # only a toy was graded: no agent has a run in any split, so every row is an error (exit 1)
    assert main(["report", str(report_path), "--json"]) == 1
    agg = json.loads(capsys.readouterr().out)
    assert "no runs" in agg["groups"][0]["splits"]["all"]["error"]
    assert main(["report", str(toy / "missing.json")]) == 2
    assert main(["grade", str(toy / "missing.jsonl"), "--output-dir", str(out_dir)]) == 2


def test_demo_prepares_runs_both_agents_and_grades(capsys, tmp_path):
    ids = ["spooky-author-identification", "leaf-classification"]
    assert main(["demo", "--competitions", ",".join(ids), "--workdir", str(tmp_path), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["competition"] for r in rows] == ids
    assert all(r["dummy_valid"] and r["baseline_valid"] and r["error"] is None for r in rows)
    assert (tmp_path / "runs" / "baseline" / "grading_report.json").is_file()


def test_run_command_runs_an_agent_and_prints_the_report(capsys, tmp_path):
    from mlebench.demo import prepare_fixtures

    store, failures = prepare_fixtures(["spooky-author-identification"], tmp_path, log=lambda _: None)
    assert failures == {}
    argv = ["run", "--agent", "dummy", "--backend", "local", "--competitions", "spooky-author-identification",
            "--seeds", "2", "--store", str(store.root), "--runs-dir", str(tmp_path / "runs"), "--group", "g"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "spooky-author-identification" in out and "finished" in out and "100.0 ± 0.0" in out
    assert main(argv + ["--json"]) == 0  # resumed: nothing reruns, the aggregate is printed
    assert json.loads(capsys.readouterr().out)["group"]["n_seeds"] == 2
    assert main(["run", "--agent", "nope", "--backend", "local"]) == 2
    assert main(["run", "--agent", "dummy", "--competitions", "no-such-competition"]) == 2


def test_the_readme_competition_table_is_current():
    from pathlib import Path

    from mlebench.catalogue_table import BEGIN, END, markdown_table

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert table == markdown_table(), "run `python -m mlebench.catalogue_table README.md`"


def test_version(capsys):
    from importlib.metadata import version

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"mle-bench {version('open-mle-bench')}"
