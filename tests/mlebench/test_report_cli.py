"""`mle-bench report`: complete, partial and mixed-agent inputs; --markdown, --agent, --experiments; exit codes."""

from __future__ import annotations

import json

import pytest

import competitions
from mlebench.cli import main

LITE = competitions.ids("lite")


def reports(ids, medal_every=2, offset=0, missing=()):
    """A grading report: every ``medal_every``-th competition (shifted by ``offset``) has gold."""
    return {"competition_reports": [
        {"competition_id": cid, "gold_medal": (i + offset) % medal_every == 0, "above_median": True,
         "submission_exists": True, "valid_submission": True}
        for i, cid in enumerate(ids) if cid not in missing]}


def run_group(root, name, agent, grading):
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "group.json").write_text(json.dumps({"agent": agent}))
    path = folder / "grading_report.json"
    path.write_text(json.dumps(grading))
    return str(path)


def rows_of(text, agent):
    return {line.split()[1]: line for line in text.splitlines() if line.startswith(agent + " ")}


def test_complete_split_by_agent_with_pass_at_k(tmp_path, capsys):
    # two seeds of one agent: 11 + 11 gold of 22, on different competitions
    paths = [run_group(tmp_path, "g1", "aide", reports(LITE)),
             run_group(tmp_path, "g2", "aide", reports(LITE, offset=1))]
    assert main(["report", *paths]) == 0
    out = capsys.readouterr().out
    lite = rows_of(out, "aide")["lite"]
    assert "50.0 ± 0.0" in lite and "complete" in lite
    assert "50.0 / 100.0" in lite  # pass@1, pass@2: every competition has gold in one of two seeds
    assert "pass@k" in out
    assert "medium" not in rows_of(out, "aide")  # no run of the medium split: no row

    assert main(["report", *paths, "--json"]) == 0
    [group] = json.loads(capsys.readouterr().out)["groups"]
    assert group["name"] == "aide" and group["splits"]["lite"]["n_seeds"] == 2
    assert group["splits"]["lite"]["pass_at_k"] == {"1": 50.0, "2": 100.0}
    assert group["splits"]["all"]["complete"] is False and group["splits"]["all"]["missing_runs"] == 2 * 53


def test_partial_split_is_incomplete_not_an_error(tmp_path, capsys):
    missing = LITE[:2]
    paths = [run_group(tmp_path, "g1", "aide", reports(LITE, missing=missing)),
             run_group(tmp_path, "g2", "aide", reports(LITE))]
    assert main(["report", *paths]) == 0
    lite = rows_of(capsys.readouterr().out, "aide")["lite"]
    assert "incomplete: 2 of 44 runs missing (left out)" in lite
    assert main(["report", *paths, "--pad-missing", "--json"]) == 0
    padded = json.loads(capsys.readouterr().out)["groups"][0]["splits"]["lite"]
    # seed i is each competition's i-th report (MLE-bench's order): LITE[:2] have only g2's, so seed 1 is
    # whole (11 gold of 22) and seed 2 lacks them (g2's LITE[2:], 10 gold, of 22 when padded)
    assert padded["padded"] is True and padded["gold_medal"]["per_seed"] == pytest.approx([50.0, 1000 / 22])


def test_mixed_agents_are_never_seeds_of_each_other(tmp_path, capsys):
    paths = [run_group(tmp_path, "a", "dummy", reports(LITE, medal_every=len(LITE) + 1, offset=1)),
             run_group(tmp_path, "b", "baseline", reports(LITE))]
    assert main(["report", *paths, "--by", "all"]) == 0
    out = capsys.readouterr().out
    assert set(rows_of(out, "dummy")) == {"all"} and set(rows_of(out, "baseline")) == {"all"}
    assert main(["report", *paths, "--json"]) == 0
    groups = {g["name"]: g for g in json.loads(capsys.readouterr().out)["groups"]}
    assert groups["dummy"]["splits"]["lite"]["n_seeds"] == 1 and groups["dummy"]["splits"]["lite"]["gold_medal"][
        "mean"] == 0.0
    assert groups["baseline"]["splits"]["lite"]["gold_medal"]["mean"] == 50.0
    # --agent says they are seeds of one agent
    assert main(["report", *paths, "--agent", "both", "--json"]) == 0
    [both] = json.loads(capsys.readouterr().out)["groups"]
    assert both["name"] == "both" and both["splits"]["lite"]["n_seeds"] == 2


def test_markdown_is_mle_bench_leaderboard_table(tmp_path, capsys):
    paths = [run_group(tmp_path, "a", "dummy", reports(LITE, missing=LITE[:1])),
             run_group(tmp_path, "b", "baseline", reports(LITE))]
    assert main(["report", *paths, "--markdown"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "| Agent | Low == Lite (%) | Medium (%) | High (%) | All (%) |"
    dummy = next(line for line in lines if line.startswith("| dummy |"))
    cells = [c.strip() for c in dummy.strip("|").split("|")]
    # dummy lacks LITE[0]: gold at the even indices but 0, 10 of 21
    assert cells[1] == f"{1000 / 21:.2f} ± 0.00 (21 of 22 runs)[^partial]" and cells[2] == "-" and cells[3] == "-"
    assert cells[4].endswith("[^partial]")
    assert "| baseline | 50.00 ± 0.00 | - | - |" in "\n".join(lines)
    assert any(line.startswith("[^partial]:") for line in lines)


def test_experiments_csv_and_mle_bench_run_groups(tmp_path, capsys):
    paths = []
    for k, stamp in enumerate(["2024-09-06T18-25-55-UTC", "2024-09-07T22-34-42-UTC"]):
        folder = tmp_path / f"{stamp}_run-group_aide"
        folder.mkdir()
        (folder / f"{stamp}_grading_report.json").write_text(json.dumps(reports(LITE, offset=k)))
        paths.append(str(folder / f"{stamp}_grading_report.json"))
    assert main(["report", *paths, "--json"]) == 0  # two run groups, no agent info: two rows
    assert len(json.loads(capsys.readouterr().out)["groups"]) == 2
    csv = tmp_path / "run_group_experiments.csv"
    csv.write_text("experiment_id,run_group\n" + "".join(f"gpt4o-aide,{p.split('/')[-2]}\n" for p in paths))
    assert main(["report", *paths, "--experiments", str(csv), "--json"]) == 0
    [group] = json.loads(capsys.readouterr().out)["groups"]
    assert group["name"] == "gpt4o-aide" and group["splits"]["lite"]["n_seeds"] == 2


def test_bad_input_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["report", str(bad)]) == 2
    assert "cannot read grading report" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "nope.json")]) == 2
    good = run_group(tmp_path, "g", "aide", reports(LITE))
    assert main(["report", good, "--experiments", str(tmp_path / "nope.csv")]) == 2
