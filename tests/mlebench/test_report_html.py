"""The HTML report from grading reports in MLE-bench's published layout (3 seeds x 75, real leaderboards):
self-contained, its images decode, the numbers on it are the aggregates and the leaderboard placements."""

from __future__ import annotations

import base64
import io
import json
import re

import matplotlib.image as mpimg
import numpy as np
import pytest
from PIL import Image

import competitions
from competitions.aggregate import aggregate_groups, load_groups
from competitions.leaderboards import LeaderboardError
from competitions.medals import leaderboard_placement
from mlebench.cli import main
from mlebench.report_html import build_page, compose_screenshot
from tests.mlebench.report_fixtures import write_run_group

ALL = competitions.ids("all")
LITE = competitions.ids("lite")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    aide = write_run_group(runs, "aide", ALL, seeds=3, skill=0.8, fail=0.1, seed=1)
    base = write_run_group(runs, "baseline", LITE, seeds=1, skill=0.4, fail=0.2, seed=2,
                           stamp="2024-09-07T22-33-09-UTC")
    return [aide, base]


@pytest.fixture(scope="module")
def page(inputs):
    groups = load_groups(inputs)
    return build_page(groups, aggregate_groups(groups))


def images(html):
    return re.findall(r'<img alt="[^"]*" src="data:image/png;base64,([A-Za-z0-9+/=]+)">', html)


def test_page_is_self_contained_and_its_images_decode(page):
    html = page.html
    assert "<script" not in html and "<link" not in html and "url(" not in html
    assert not re.search(r'(src|href)="(?!data:)', html)
    boards = 0
    for cid in ALL:
        try:
            competitions.leaderboard(cid)
            boards += 1
        except LeaderboardError:
            pass
    found = images(html)
    assert len(found) == 1 + boards == len(page.figures)  # the percentile chart and one plot per board
    for data in found:
        png = base64.b64decode(data, validate=True)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        pixels = mpimg.imread(io.BytesIO(png))
        assert pixels.ndim == 3 and pixels.shape[0] > 50 and pixels.shape[1] > 200
        assert float(np.std(pixels)) > 0.01  # something was drawn


def test_table_rows_are_the_aggregates(page, inputs):
    html = page.html
    groups = load_groups(inputs)
    assert [g.name for g in groups] == ["2024-09-06T18-25-55-UTC_run-group_aide",
                                        "2024-09-07T22-33-09-UTC_run-group_baseline"]
    aide = aggregate_groups(groups)[0].splits
    row = next(r for r in page.rows if r["agent"] == groups[0].name and r["split"] == "all")
    assert row["seeds"] == 3 and row["status"] == "complete"
    assert row["any medal %"] == f"{aide['all']['any_medal']['mean']:.1f} ± {aide['all']['any_medal']['sem']:.1f}"
    assert row["any medal %"] in html and row["valid %"] in html
    base_all = next(r for r in page.rows if r["agent"] == groups[1].name and r["split"] == "all")
    assert base_all["status"] == f"incomplete: {len(ALL) - len(LITE)} of {len(ALL)} runs missing (left out)"
    assert not any(r["agent"] == groups[1].name and r["split"] == "medium" for r in page.rows)


def test_failures_are_listed_with_reasons(page, inputs):
    invalid = sum(not r["valid_submission"] for p in inputs
                  for r in json.loads(p.read_text())["competition_reports"])
    assert invalid > 0
    assert f"<h2>Failures ({invalid})</h2>" in page.html
    kinds = [a.failure for runs in page.attempts.values() for a in runs if a.failure]
    assert len(kinds) == invalid and set(kinds) <= {"missing", "invalid"}
    assert "not a valid submission" in page.html  # MLE-bench's reports give no reason


def test_placements_are_computed_for_reports_without_them(page):
    checked = 0
    for cid, runs in page.attempts.items():
        board = competitions.leaderboard(cid)
        lower = competitions.medal_thresholds(cid)["lower_is_better"]
        for a in runs:
            if a.valid:
                want = leaderboard_placement(a.score, board["score"].to_numpy(), lower)
                assert (a.rank, a.percentile) == (want.rank, pytest.approx(want.percentile))
                checked += 1
            else:
                assert a.percentile is None
    assert checked > 100
    assert len(page.attempts) == len(ALL)
    assert {a.seed for a in page.attempts[LITE[0]] if a.agent.endswith("aide")} == {1, 2, 3}


def test_screenshot_is_composed_from_the_page(page, tmp_path):
    out = compose_screenshot(page, tmp_path / "shot.png")
    with Image.open(out) as im:
        assert im.format == "PNG" and im.width >= 400 and im.height > im.width / 2


def test_cli_writes_the_html(tmp_path, capsys):
    runs = tmp_path / "runs"
    path = write_run_group(runs, "aide", LITE[:3], seeds=2, skill=0.7, fail=0.0, seed=3)
    out = tmp_path / "report.html"
    assert main(["report", str(path), "--html", str(out)]) == 0
    assert str(out) in capsys.readouterr().out
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and len(images(html)) == 4
    assert "None: every run made a valid submission." in html


def test_competition_without_leaderboard_is_listed_without_plot(tmp_path):
    boards = tmp_path / "boards"
    boards.mkdir()
    (boards / "toy.csv").write_text("rank,score\n1,0.5\n2,0.5\n3,0.4\n")  # the score ties the two leaders
    runs = [{"competition_id": cid, "score": 0.5, "valid_submission": True, "submission_exists": True}
            for cid in ("toy", "no-board")]
    (tmp_path / "r.json").write_text(json.dumps({"agent": "x", "competition_reports": runs}))
    groups = load_groups([tmp_path / "r.json"])
    page = build_page(groups, aggregate_groups(groups), leaderboards=boards)
    assert sorted(page.figures) == ["competition:toy", "percentile"]
    [toy], [other] = page.attempts["toy"], page.attempts["no-board"]
    assert (toy.rank, toy.percentile) == (1, 100.0) and (other.rank, other.percentile) == (None, None)
    assert "No leaderboard found" in page.html
    assert page.rows == [{"agent": "x", "split": "lite,medium,high,all", "status": "error",
                          "error": "no runs of any competition of lite, medium, high, all"}]
