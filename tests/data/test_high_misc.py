"""Seven high and dev competitions with media-heavy downloads: BMS, Lyft 3-D, contrails, iWildCam, NFL contacts,
smartphone GNSS, Vesuvius (end to end, MLE-bench v1's split, learnable fixtures, bad raw data)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

import competitions
import mle_datasets
from mle_datasets.errors import RawDataError
from mle_datasets.fixtures import make_raw_fixture
from mle_datasets.preparers import get_preparer
from mle_datasets.preparers._common import csv_bytes
from tests.data.endtoend import check_end_to_end

_CACHE: dict[str, Path] = {}


def prepared(cid: str, tmp_path_factory) -> Path:
    """Fixture -> check_raw -> run, once per competition per session; returns the work folder."""
    if cid not in _CACHE:
        work = tmp_path_factory.mktemp(cid[:20])
        raw = make_raw_fixture(cid, work / "raw")
        preparer = get_preparer(cid)
        preparer.check_raw(raw)
        preparer.run(raw, work / "public", work / "private")
        _CACHE[cid] = work
    return _CACHE[cid]


def read(path: Path, **kwargs) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, **kwargs)


def files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def fails(cid: str, raw: Path, tmp_path: Path, match: str, contract: bool = True) -> None:
    """The raw contract (or, with ``contract=False``, the preparer) raises a RawDataError matching ``match``."""
    preparer = get_preparer(cid)
    with pytest.raises(RawDataError, match=match):
        preparer.check_raw(raw)
        if not contract:
            preparer.run(raw, tmp_path / "pub", tmp_path / "priv")


def grade(cid: str, work: Path, submission: pd.DataFrame, answers: str, sample: str) -> float:
    path = work.parent / f"{cid[:20]}-submission.csv"
    submission.to_csv(path, index=False)
    report = competitions.grade(cid, path, work / answers, work / sample)
    assert report.valid_submission, report.error
    return report.score


@pytest.fixture
def store(tmp_path):
    return mle_datasets.Store(tmp_path / "store")


# ------------------------------------------------------------------------ bms-molecular-translation
BMS = "bms-molecular-translation"


def test_bms_end_to_end(tmp_path, store):
    check_end_to_end(BMS, tmp_path, store, lambda answers, sample: read(answers, dtype=str))


def test_bms_split_is_v1s_row_split(tmp_path_factory):
    work = prepared(BMS, tmp_path_factory)
    raw = pd.read_csv(work / "raw" / "train_labels.csv", dtype=str)
    train, test = train_test_split(raw, test_size=0.2, random_state=0)
    pd.testing.assert_frame_equal(read(work / "public" / "train_labels.csv", dtype=str), train.reset_index(drop=True))
    pd.testing.assert_frame_equal(read(work / "private" / "test.csv", dtype=str), test.reset_index(drop=True))
    sample = read(work / "public" / "sample_submission.csv", dtype=str)
    assert sample["image_id"].tolist() == test["image_id"].tolist()
    assert (sample["InChI"] == "InChI=1S/H2O/h1H2").all()
    nested = lambda i: f"{i[0]}/{i[1]}/{i[2]}/{i}.png"  # noqa: E731
    assert files(work / "public" / "train") == {nested(i) for i in train["image_id"]}
    assert files(work / "public" / "test") == {nested(i) for i in test["image_id"]}
    for i in test["image_id"]:
        assert (work / "public" / "test" / nested(i)).read_bytes() == (work / "raw" / "train" / nested(i)).read_bytes()
    assert (work / "public" / "extra_approved_InChIs.csv").read_bytes() == (
        work / "raw" / "extra_approved_InChIs.csv").read_bytes()


def test_bms_stroke_count_beats_the_sample(tmp_path_factory):
    from mle_datasets.preparers._media import read_png_gray

    work = prepared(BMS, tmp_path_factory)
    public = work / "public"

    def strokes(folder: str, image_id: str) -> int:
        page = read_png_gray((public / folder / image_id[0] / image_id[1] / image_id[2] / f"{image_id}.png").read_bytes())
        return int(round((page[:, :60] < 128).sum() / 42))

    train = read(public / "train_labels.csv", dtype=str)
    by_strokes = dict(zip([strokes("train", i) for i in train["image_id"]], train["InChI"]))
    sample = read(public / "sample_submission.csv", dtype=str)
    guess = sample.assign(InChI=[by_strokes.get(strokes("test", i), train["InChI"].iloc[0]) for i in sample["image_id"]])
    args = ("private/test.csv", "public/sample_submission.csv")
    assert grade(BMS, work, guess, *args) < grade(BMS, work, sample, *args)


def test_bms_bad_raw(tmp_path):
    raw = make_raw_fixture(BMS, tmp_path / "raw")
    (raw / "extra_approved_InChIs.csv").rename(tmp_path / "extra.csv")
    fails(BMS, raw, tmp_path, "missing extra_approved_InChIs.csv")
    (tmp_path / "extra.csv").rename(raw / "extra_approved_InChIs.csv")

    labels = pd.read_csv(raw / "train_labels.csv", dtype=str)
    (raw / "train_labels.csv").write_bytes(csv_bytes(labels.rename(columns={"InChI": "inchi"})))
    fails(BMS, raw, tmp_path, r"train_labels.csv does not match .*missing column\(s\) 'InChI'")
    (raw / "train_labels.csv").write_bytes(csv_bytes(labels))

    # the images flat in train/ instead of train/a/b/c/
    first = labels["image_id"].iloc[0]
    nested = raw / "train" / first[0] / first[1] / first[2] / f"{first}.png"
    nested.rename(tmp_path / "first.png")
    fails(BMS, raw, tmp_path, rf"train/{first[0]}/{first[1]}/{first[2]}/{first}.png is missing")
    (tmp_path / "first.png").rename(nested)

    last = labels["image_id"].iloc[-1]
    (raw / "train" / last[0] / last[1] / last[2] / f"{last}.png").unlink()
    fails(BMS, raw, tmp_path / "b", rf"train image file .*{last}.png is missing", contract=False)
