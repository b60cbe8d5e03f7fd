"""The demo's agents on the lite fixtures: every fixture is learnable (the baseline, trained on its train
split, beats the sample submission on its test split, which is large enough to tell), the demo's pipeline
shows it end to end, and the docker backend runs it or says why it cannot."""

from __future__ import annotations

import io
import json
import math
import wave
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

import competitions
import mle_datasets
from mlebench.demo import DemoError, beats, format_rows, run_demo, summary_lines
from runner.agents.baseline import Budget, labels_from_names, solve
from runner.agents.media import read_audio, read_image, read_jpeg_blocks, read_png

LITE = competitions.ids("lite")


def minimum_test_size(cid: str) -> int:
    """What the demo needs a test split to hold: 50 images, 20 audio clips, else 200 rows."""
    category = competitions.get(cid).category
    return 50 if category.startswith("image") else 20 if category.startswith("audio") else 200


def scored_units(cid: str, answers: pd.DataFrame) -> int:
    """Scored test units: recordings for MLSP (19 answer rows each), jigsaw's scored rows, else answer rows."""
    if cid == "mlsp-2013-birds":
        return len(answers) // 19
    if cid == "jigsaw-toxic-comment-classification-challenge":
        return int((answers.iloc[:, 1:] != -1).all(axis=1).sum())
    return len(answers)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """Each competition's fixture, prepared once per module (and per test worker) when first asked for."""
    cache: dict[str, mle_datasets.Prepared] = {}
    work = tmp_path_factory.mktemp("learnable")

    def get(cid: str):
        if cid not in cache:
            raw = mle_datasets.make_raw_fixture(cid, work / cid / "raw")
            cache[cid] = mle_datasets.prepare(cid, raw, work / cid / "prepared")
        return cache[cid]

    return get


def grade(cid: str, submission: Path, prep) -> float:
    report = competitions.grade(cid, submission, prep.answers, sample_submission=prep.sample_submission)
    assert report.valid_submission, report.error
    return report.score


@pytest.mark.parametrize("cid", LITE)
def test_fixture_is_learnable(cid, prepared, tmp_path):
    """A simple model trained on the fixture's train split beats the sample submission on its test split."""
    prep = prepared(cid)
    answers = pd.read_csv(prep.answers)
    assert scored_units(cid, answers) >= minimum_test_size(cid), "the test split is too small to tell skill from luck"
    with threadpool_limits(1):
        submission = solve(prep.public_dir, seed=0, budget=Budget(300), competition_id=cid)
    submission.to_csv(tmp_path / "submission.csv", index=False)
    model, sample = grade(cid, tmp_path / "submission.csv", prep), grade(cid, prep.sample_submission, prep)
    assert beats(model, sample, competitions.get(cid).lower_is_better), (model, sample)


def test_a_spent_budget_still_gives_a_valid_submission(prepared, tmp_path):
    cid = "dog-breed-identification"
    prep = prepared(cid)
    with threadpool_limits(1):
        submission = solve(prep.public_dir, seed=0, budget=Budget(1e-6), competition_id=cid)
    submission.to_csv(tmp_path / "submission.csv", index=False)
    grade(cid, tmp_path / "submission.csv", prep)  # the prior: valid, whatever it scores


def test_demo_pipeline_baseline_beats_the_sample(tmp_path):
    ids = ["new-york-city-taxi-fare-prediction", "spooky-author-identification", "aerial-cactus-identification",
           "the-icml-2013-whale-challenge-right-whale-redux"]
    lines: list[str] = []
    rows = {r["competition"]: r for r in run_demo(tmp_path, ids, log=lines.append)}
    for cid in ids:
        row = rows[cid]
        assert row["error"] is None and row["dummy_valid"] and row["baseline_valid"], row
        assert math.isclose(row["dummy"], row["sample"]), "the dummy copies the sample submission"
        assert row["beats_sample"] and beats(row["baseline"], row["sample"], row["lower_is_better"]), row
    table = {r["competition"]: r for r in format_rows(list(rows.values()))}
    assert table["new-york-city-taxi-fare-prediction"]["better"] == "lower"
    assert table["aerial-cactus-identification"]["better"] == "higher"
    assert all(r["beats sample"] == "yes" for r in table.values())
    closing = summary_lines(list(rows.values()), None)
    assert closing[-1] == "baseline beats the sample submission on 4/4 competitions"
    assert closing[0].startswith("pipeline: 4/4 prepared, 8/8 runs with a valid submission")
    assert any("prepared 4/4" in line and "ETA" in line for line in lines), lines
    assert any("runs 8/8" in line for line in lines), lines
    grading = json.loads((tmp_path / "runs" / "baseline" / "grading_report.json").read_text())
    assert len(grading["competition_reports"]) == 4


def test_summary_names_what_failed():
    rows = [{"competition": "a", "error": "RawDataError: x", "lower_is_better": False},
            {"competition": "b", "error": None, "sample": 0.5, "dummy": 0.5, "dummy_valid": True,
             "baseline": 0.4, "baseline_valid": True, "beats_sample": False, "lower_is_better": False, "metric": "auc"}]
    lines = summary_lines(rows, "lite")
    assert lines == ["pipeline: 1/2 prepared, 2/4 runs with a valid submission, the dummy scores what the sample "
                     "submission scores on 1/2", "baseline beats the sample submission on 0/2 lite competitions"]


def test_docker_demo_without_an_engine_says_so(tmp_path, monkeypatch, capsys):
    from mlebench.cli import main

    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    with pytest.raises(DemoError, match="no Docker engine is reachable, so `--backend docker` cannot run"):
        run_demo(tmp_path / "work", ["spooky-author-identification"], backend="docker", log=lambda _: None)
    assert main(["demo", "--backend", "docker", "--competitions", "spooky-author-identification",
                 "--workdir", str(tmp_path / "cli")]) == 2
    assert "no Docker engine is reachable" in capsys.readouterr().err
    assert not (tmp_path / "cli" / "store").exists()  # nothing was prepared


def test_docker_demo_runs_the_baseline_in_a_container(docker_client, tmp_path):
    rows = run_demo(tmp_path, ["spooky-author-identification"], backend="docker", log=lambda _: None)
    assert rows[0]["dummy_valid"] and rows[0]["baseline_valid"] and rows[0]["beats_sample"], rows[0]
    meta = json.loads(next((tmp_path / "runs" / "baseline").rglob("metadata.json")).read_text())
    assert meta["backend"] == "docker" and meta["image"] == "open-mle-bench/baseline:latest"


# ------------------------------------------------------------------------------------------- the readers
def test_readers_decode_the_fixture_formats():
    from mle_datasets.fixtures.media import aiff_bytes, bmp_bytes, jpeg_bytes, png_bytes, tiff_bytes, wav_bytes

    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (13, 21, 3), dtype=np.uint8)
    for filters in ((0,), (1,), (2,), (3,), (4,), (0, 1, 2, 3, 4)):
        assert (read_png(png_bytes(pixels, filters=filters)) == pixels).all()
        assert (read_png(png_bytes(pixels[..., 0], filters=filters)) == pixels[..., 0]).all()
    for data in (tiff_bytes(pixels), bmp_bytes(pixels)):
        decoded, full = read_image(data)
        assert full and (decoded == pixels).all()
    blocks, full = read_image(jpeg_bytes(pixels))
    padded = np.pad(pixels.astype(float), ((0, 3), (0, 3), (0, 0)), mode="edge")
    expected = padded.reshape(2, 8, 3, 8, 3).mean(axis=(1, 3))
    assert not full and np.abs(blocks - expected).max() < 1.5  # the writer's colour conversion rounds
    samples = (rng.normal(0, 3000, 500)).astype(np.int16)
    for data, rate in ((wav_bytes(samples, 16000), 16000), (aiff_bytes(samples, 2000), 2000)):
        decoded, got_rate = read_audio(data)
        assert got_rate == rate and np.allclose(decoded * 32768, samples)
    with wave.open(io.BytesIO(wav_bytes(samples, 8000))) as w:  # and the standard library agrees
        assert w.getnframes() == len(read_audio(wav_bytes(samples, 8000))[0])


def test_jpeg_reader_on_a_photograph():
    """A real camera JPEG (chroma subsampling, AC coefficients): its 8x8 block means, at one eighth size."""
    import sklearn.datasets

    path = Path(sklearn.datasets.__file__).parent / "images" / "china.jpg"
    assert path.is_file(), "scikit-learn's wheel ships this photograph"
    blocks = read_jpeg_blocks(path.read_bytes())
    assert blocks.shape == (54, 80, 3)  # 427 x 640 pixels
    sky, ground = blocks[:5].mean(), blocks[-5:].mean()
    assert 0 <= blocks.min() and blocks.max() <= 255 and sky > ground  # a bright sky above dark trees


def test_labels_from_file_names():
    assert labels_from_names(["cat.0.jpg", "dog.3.jpg", "cat.1.jpg"], "").tolist() == [0, 1, 0]
    assert labels_from_names(["20090328_000000_1s0ms_TRAIN0_1.aif", "x_TRAIN1_0.aif"], "").tolist() == [1, 0]
    assert labels_from_names(["a.jpg", "b.jpg"], "") is None
