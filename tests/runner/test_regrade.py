"""Regrading a finished run group: reports rewritten from the submissions, bad files still refused, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from mle_datasets import resolve
from runner.agent_spec import load_agent
from runner.backends import get_backend
from runner.rungroup import RunGroup
from runner.regrade import group_runs, regrade_group
from tests.runner.conftest import TWO_COMPETITIONS


def _finished_group(tmp_path: Path, data, agent=None, seeds: int = 2) -> RunGroup:
    group = RunGroup(agent or load_agent("dummy"), list(TWO_COMPETITIONS), tmp_path / "runs" / "g", get_backend("local"),
                     data, seeds=seeds, retry_delay=0.05)
    group.run()
    group.summarize()
    return group


def test_regrade_rewrites_reports_from_changed_submissions(tmp_path, data, prepared_store):
    group = _finished_group(tmp_path, data)
    before = json.loads((group.group_dir / "grading_report.json").read_text())
    assert before["total_valid_submissions"] == 4
    runs = {(m["competition_id"], m["seed"]): run_dir for run_dir, m in group_runs(group.group_dir)}
    broken = runs[("leaf-classification", 0)] / "submission" / "submission.csv"
    broken.write_text("id,nonsense\n1,2\n")
    linked = runs[("spooky-author-identification", 1)] / "submission" / "submission.csv"
    linked.unlink()
    linked.symlink_to("/etc/passwd")

    versions = []

    def data_at(cid, version):
        versions.append((cid, version))
        return resolve(cid, version, store=prepared_store)

    result = regrade_group(group.group_dir, data=data_at, workers=2)
    assert (result.regraded, result.changed, result.infra_failed) == (4, 2, 0)
    assert sorted(versions) == [(c, "1.0.0") for c in sorted(TWO_COMPETITIONS)], "data looked up once each"
    metas = {(m["competition_id"], m["seed"]): m for _, m in group_runs(group.group_dir)}
    leaf0 = metas[("leaf-classification", 0)]["report"]
    assert leaf0["valid_submission"] is False and "invalid submission" in leaf0["error"]
    spooky1 = metas[("spooky-author-identification", 1)]["report"]
    assert spooky1["valid_submission"] is False and "symbolic link" in spooky1["error"]
    untouched = metas[("leaf-classification", 1)]
    assert untouched["report"]["valid_submission"] is True and untouched["regraded_at"]
    after = json.loads((group.group_dir / "grading_report.json").read_text())
    assert after["total_valid_submissions"] == 2 and after["total_runs"] == 4
    assert result.summary["group"]["valid_submission"]["mean"] == 50.0
    aggregate = json.loads((group.group_dir / "aggregate.json").read_text())
    assert aggregate == result.summary


def test_regrade_equals_the_first_grading(tmp_path, data, prepared_store):
    group = _finished_group(tmp_path, data, seeds=1)
    def reports():
        return {m["run_id"]: {k: v for k, v in m["report"].items() if k != "created_at"}
                for _, m in group_runs(group.group_dir)}

    first = reports()
    result = regrade_group(group.group_dir, data=lambda c, v: resolve(c, v, store=prepared_store), workers=1)
    assert result.changed == 0
    assert reports() == first


def test_infrastructure_failures_are_kept(tmp_path, data, prepared_store):
    group = _finished_group(tmp_path, data, seeds=1)
    run_dir, meta = group_runs(group.group_dir)[0]
    meta.update(status="infra_failed", report={}, infra_errors=["engine died"])
    (run_dir / "metadata.json").write_text(json.dumps(meta))
    result = regrade_group(group.group_dir, data=lambda c, v: resolve(c, v, store=prepared_store))
    assert (result.regraded, result.infra_failed) == (1, 1)
    grading = json.loads((group.group_dir / "grading_report.json").read_text())
    failed = [r for r in grading["competition_reports"] if r["competition_id"] == meta["competition_id"]][0]
    assert "engine died" in failed["error"]


def test_regrade_command(tmp_path, data, prepared_store):
    group = _finished_group(tmp_path, data, seeds=1)
    cli = [sys.executable, "-m", "mlebench.cli"]
    done = subprocess.run(cli + ["regrade", str(group.group_dir), "--store", str(prepared_store.root), "--json"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["group"]["valid_submission"]["mean"] == 100.0
    not_a_group = subprocess.run(cli + ["regrade", str(group.group_dir.parent)], capture_output=True, text=True)
    assert not_a_group.returncode == 2 and "not a run group folder" in not_a_group.stderr
    assert "Traceback" not in not_a_group.stderr


def test_a_chunk_killed_at_its_limit_gives_each_run_its_own_verdict(tmp_path, data, prepared_store):
    from runner.grading import GradingLimits

    group = _finished_group(tmp_path, data, seeds=1)
    limits = GradingLimits(seconds=0.001)  # every child is killed at the time limit, the chunk's and each run's
    result = regrade_group(group.group_dir, data=lambda c, v: resolve(c, v, store=prepared_store), workers=2,
                           limits=limits)
    assert result.regraded == 2
    for _, meta in group_runs(group.group_dir):
        assert meta["report"]["valid_submission"] is False
        assert "grading took longer than 0.001 s" in meta["report"]["error"], meta["report"]["error"]
