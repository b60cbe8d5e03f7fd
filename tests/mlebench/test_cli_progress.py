"""Progress: the library reports its long steps to a callback it is handed; the CLI draws them as tqdm bars
on stderr, and only on a terminal."""

from __future__ import annotations

import json

import pytest

import mle_datasets
from competitions.batch import grade_batch
from mlebench.cli import main
from mlebench.cli_output import Progress

CID = "spooky-author-identification"


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """The competition prepared and stored with progress callbacks recording every call."""
    root = tmp_path_factory.mktemp("progress")
    raw = mle_datasets.make_raw_fixture(CID, root / "raw")
    prepare_calls, store_calls = [], []
    prepared = mle_datasets.prepare(CID, raw, root / "prepared", progress=lambda *c: prepare_calls.append(c))
    store = mle_datasets.Store(root / "store")
    store.add(prepared, progress=lambda *c: store_calls.append(c))
    return root, store, prepare_calls, store_calls


def test_prepare_reports_each_step(stored):
    _, _, calls, _ = stored
    from mle_datasets.prepare import PREPARE_STEPS

    assert [c[1] for c in calls] == list(range(1, len(PREPARE_STEPS) + 1))
    assert all(total == len(PREPARE_STEPS) for _, _, total in calls)
    assert calls[-1][0] == f"{CID}: check the prepared contract"


def test_storing_reports_each_file_written(stored):
    _, _, _, calls = stored
    for kind in ("public", "answers"):
        mine = [c for c in calls if f": {kind} " in c[0]]
        assert mine, kind
        assert [done for _, done, _ in mine] == list(range(1, len(mine) + 1))
        assert mine[-1][1] == mine[-1][2]  # the last call says everything is written
    assert any("tables to parquet" in what for what, _, _ in calls)


def test_batch_grading_reports_each_line(stored):
    root, store, _, _ = stored
    ref = mle_datasets.resolve(CID, store=store)
    entries = [{"competition_id": CID, "submission_path": str(ref.sample_submission)}] * 3
    calls = []
    reports = grade_batch(entries, lambda cid: mle_datasets.resolve(cid, store=store), max_workers=2,
                          progress=lambda *c: calls.append(c))
    assert all(r.valid_submission for r in reports)
    done = [d for _, d, _ in calls]  # told as each chunk of submissions comes back
    assert done == sorted(done) and done[-1] == 3 and {t for _, _, t in calls} == {3}


def test_a_bar_is_drawn_on_stderr_only_when_enabled(capsys):
    with Progress("grade", unit="submission", total=2) as bar:
        bar("grade", 1, 2)
        bar.advance()
        bar.write("a line above the bar")
    captured = capsys.readouterr()
    assert "2/2" in captured.err and "a line above the bar" in captured.out
    with Progress("grade", total=2, enabled=False) as bar:
        bar.advance(2)
        bar.write("plain")
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == "plain\n" and bar.done == 2


def test_the_commands_draw_no_bar_when_stderr_is_not_a_terminal(stored, capsys, tmp_path):
    root, store, _, _ = stored
    ref = mle_datasets.resolve(CID, store=store)
    jsonl = tmp_path / "subs.jsonl"
    jsonl.write_text(json.dumps({"competition_id": CID, "submission_path": str(ref.sample_submission)}) + "\n")
    assert main(["grade", str(jsonl), "--output-dir", str(tmp_path / "out"), "--store", str(store.root)]) == 0
    assert "%|" not in capsys.readouterr().err  # capsys's stderr is no terminal: no "grade: 100%|###|" bar


def test_materialize_into_a_full_folder_says_force(stored, capsys, tmp_path):
    _, store, _, _ = stored
    dest = tmp_path / "public"
    assert main(["materialize", "-c", CID, str(dest), "--store", str(store.root)]) == 0
    capsys.readouterr()
    assert main(["materialize", "-c", CID, str(dest), "--store", str(store.root)]) == 2
    err = capsys.readouterr().err
    assert "pass --force" in err and "overwrite=True" not in err and "Traceback" not in err
    assert main(["materialize", "-c", CID, str(dest), "--store", str(store.root), "--force"]) == 0
