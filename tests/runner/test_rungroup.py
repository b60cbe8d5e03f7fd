"""Run groups end to end on the local backend: grading, bad agent outputs, retries and resume."""

from __future__ import annotations

import json
from pathlib import Path

from runner.agent_spec import load_agent, parse_agent_spec
from runner.backends import RunOutcome, RunRequest, get_backend
from runner.backends.local import LocalBackend
from runner.rungroup import RunGroup
from mle_datasets import resolve
from tests.runner.conftest import TWO_COMPETITIONS, store_with


def _group(tmp_path: Path, data, agent, backend=None, **kwargs) -> RunGroup:
    events: list[tuple[str, str, int]] = []
    kwargs.setdefault("retry_delay", 0.05)
    group = RunGroup(
        agent, list(TWO_COMPETITIONS), tmp_path / "runs" / "g1", backend or get_backend("local"),
        data, on_event=lambda e, p, m: events.append((e, p.competition_id, p.seed)),
        **kwargs,
    )
    group.events = events
    return group


def _agent(script: str):
    return parse_agent_spec({"name": "scripted", "command": ["sh", "-c", script], "resources": {"wall_clock": 30}})


def test_dummy_agent_on_two_competitions_is_graded_and_aggregated(tmp_path, data, prepared_store):
    group = _group(tmp_path, data, load_agent("dummy"), seeds=2)
    metas = group.run()
    assert [(m["competition_id"], m["seed"]) for m in metas] == [
        (c, s) for s in range(2) for c in TWO_COMPETITIONS
    ]
    for meta in metas:
        assert meta["status"] == "finished" and meta["exit_code"] == 0
        assert meta["report"]["valid_submission"] is True and meta["report"]["score"] is not None
        revision = prepared_store.revision(meta["competition_id"])
        assert meta["competition_version"] == "1.0.0" and meta["dataset_version"] == "1.0.0"
        assert meta["dataset_revision"] == revision == meta["report"]["dataset_revision"]
        assert meta["report"]["any_medal"] is False
    summary = group.summarize()
    grading = json.loads((group.group_dir / "grading_report.json").read_text())
    assert grading["total_runs"] == 4 and grading["total_valid_submissions"] == 4
    assert summary["group"]["n_seeds"] == 2 and summary["group"]["valid_submission"]["mean"] == 100.0
    assert summary["lite"]["n_competitions"] == 2


def test_bad_agent_outputs_are_invalid_runs_not_crashes(tmp_path, data):
    script = (
        'case "$COMPETITION_ID" in '
        'leaf-classification) printf "id,nonsense\\n1,2\\n" > "$SUBMISSION_DIR/submission.csv";; '
        '*) ln -s /etc/passwd "$SUBMISSION_DIR/submission.csv";; esac; exit 1'
    )
    metas = _group(tmp_path, data, _agent(script)).run()
    leaf, spooky = metas
    assert leaf["exit_code"] == 1 and leaf["status"] == "finished"
    assert leaf["report"]["submission_exists"] and not leaf["report"]["valid_submission"]
    assert leaf["report"]["error"]
    assert spooky["report"]["valid_submission"] is False and "symbolic link" in spooky["report"]["error"]
    assert spooky["submission_path"] is None


def test_agent_that_writes_nothing_has_no_submission(tmp_path, data):
    metas = _group(tmp_path, data, _agent("echo thinking")).run()
    assert all(not m["report"]["submission_exists"] and not m["report"]["valid_submission"] for m in metas)


class FlakyBackend(LocalBackend):
    """Fails with an infrastructure error on each run's first attempt."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def run(self, request: RunRequest) -> RunOutcome:
        if request.run_id not in self.seen:
            self.seen.add(request.run_id)
            return RunOutcome(infra_error="engine hiccup")
        return super().run(request)


def test_infrastructure_failures_are_retried_and_counted_apart(tmp_path, data):
    metas = _group(tmp_path, data, load_agent("dummy"), backend=FlakyBackend()).run()
    assert all(m["infra_attempts"] == 1 and m["infra_errors"] == ["engine hiccup"] for m in metas)
    assert all(m["status"] == "finished" and m["report"]["valid_submission"] for m in metas)


def test_retries_exhausted_is_an_infra_failure_not_an_agent_failure(tmp_path, data):
    class Broken(LocalBackend):
        def run(self, request):
            return RunOutcome(infra_error="disk full")

    metas = _group(tmp_path, data, load_agent("dummy"), backend=Broken(), retries=1).run()
    assert all(m["status"] == "infra_failed" and m["infra_attempts"] == 2 for m in metas)


def test_resume_runs_only_what_did_not_finish(tmp_path, data):
    first = _group(tmp_path, data, load_agent("dummy"), seeds=2)
    first.run()
    # A killed group: one run never wrote its metadata (it was running), one left a half-written folder.
    (first.group_dir / "runs" / TWO_COMPETITIONS[0] / "seed-1" / "metadata.json").unlink()
    (first.group_dir / "runs" / TWO_COMPETITIONS[1] / "seed-1" / "metadata.json").write_text("{trunc")
    second = _group(tmp_path, data, load_agent("dummy"), seeds=2)
    metas = second.run()
    started = sorted((c, s) for e, c, s in second.events if e == "started")
    assert started == [(TWO_COMPETITIONS[0], 1), (TWO_COMPETITIONS[1], 1)]
    assert sum(e == "skipped" for e, _, _ in second.events) == 2
    assert len(metas) == 4 and all(m["status"] == "finished" for m in metas)


def test_unprepared_competition_is_recorded_and_the_rest_run(tmp_path):
    store = store_with(tmp_path / "store", TWO_COMPETITIONS[1:], tmp_path / "work")
    metas = _group(tmp_path, lambda cid: resolve(cid, store=store), load_agent("dummy"), retries=0).run()
    by_id = {m["competition_id"]: m for m in metas}
    assert by_id[TWO_COMPETITIONS[0]]["status"] == "infra_failed"
    assert "mle-bench prepare" in by_id[TWO_COMPETITIONS[0]]["infra_errors"][0]
    assert by_id[TWO_COMPETITIONS[1]]["report"]["valid_submission"] is True


def test_ctrl_c_kills_running_agents_and_resume_completes_the_group(tmp_path, data):
    import os
    import signal
    import threading

    import pytest

    slow = _agent('sleep 20; cp "$DATA_DIR/sample_submission.csv" "$SUBMISSION_DIR/submission.csv"')
    group = _group(tmp_path, data, slow, parallel=2)
    threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGINT)).start()
    with pytest.raises(KeyboardInterrupt):
        group.run()
    assert group.collect() == []  # nothing half-finished counts as finished
    fast = _group(tmp_path, data, load_agent("dummy").with_overrides(name="scripted"))
    metas = fast.run()
    assert len(metas) == 2 and all(m["report"]["valid_submission"] for m in metas)


def test_a_tampered_answers_file_is_an_infra_failure_not_a_grade(tmp_path):
    store = store_with(tmp_path / "store", TWO_COMPETITIONS[1:], tmp_path / "work")
    ref = resolve(TWO_COMPETITIONS[1], store=store)
    ref.answers.chmod(0o644)
    ref.answers.write_text(ref.answers.read_text().replace("1", "0"))
    group = RunGroup(load_agent("dummy"), [TWO_COMPETITIONS[1]], tmp_path / "runs" / "g", get_backend("local"),
                     lambda cid: resolve(cid, store=store), retries=0)
    (meta,) = group.run()
    assert meta["status"] == "infra_failed" and meta["report"] == {}
    assert "sha256 differs" in meta["infra_errors"][0] and "private/test.csv" in meta["infra_errors"][0]
