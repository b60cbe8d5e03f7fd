"""invasive-species-monitoring, ml2021spring-hw2, paddy-disease-classification, plant-seedlings-classification,
predict-volcanic-eruptions-ingv-oe and stanford-covid-vaccine: end to end, MLE-bench v1's split, learnable
fixtures, bad raw data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

import mle_datasets
from mle_datasets.errors import RawDataError
from mle_datasets.preparers import get_preparer
from tests.data.endtoend import check_end_to_end

VOLCANO = "predict-volcanic-eruptions-ingv-oe"


def read(path, **kwargs) -> pd.DataFrame:
    return pd.read_csv(path, **kwargs)


@pytest.fixture
def store(tmp_path):
    return mle_datasets.Store(tmp_path / "store")


# ------------------------------------------------------------------------ predict-volcanic-eruptions-ingv-oe
def test_volcano_end_to_end(tmp_path, store):
    check_end_to_end(VOLCANO, tmp_path, store, lambda answers, sample: read(answers))


def test_volcano_split_is_v1s_and_segments_follow(tmp_path):
    raw = mle_datasets.make_raw_fixture(VOLCANO, tmp_path / "raw")
    old = read(raw / "train.csv")
    train, test = train_test_split(old, test_size=0.1, random_state=0)
    prepared = mle_datasets.prepare(VOLCANO, raw, tmp_path / "prepared")
    pd.testing.assert_frame_equal(read(prepared.answers), test.reset_index(drop=True))
    pd.testing.assert_frame_equal(read(prepared.public_dir / "train.csv"), train.reset_index(drop=True))
    sample = read(prepared.sample_submission)
    assert sample["segment_id"].tolist() == test["segment_id"].tolist() and (sample["time_to_eruption"] == 0).all()
    for part, folder in ((train, "train"), (test, "test")):
        files = sorted(p.name for p in (prepared.public_dir / folder).iterdir())
        assert files == sorted(f"{i}.csv" for i in part["segment_id"])
        first = f"{part['segment_id'].iloc[0]}.csv"
        assert (prepared.public_dir / folder / first).read_bytes() == (raw / "train" / first).read_bytes()


def test_volcano_fixture_is_learnable(tmp_path):
    raw = mle_datasets.make_raw_fixture(VOLCANO, tmp_path / "raw")
    prepared = mle_datasets.prepare(VOLCANO, raw, tmp_path / "prepared")
    train, answers = read(prepared.public_dir / "train.csv"), read(prepared.answers)

    def loudness(folder, ids):
        return np.array([np.nanmean(read(prepared.public_dir / folder / f"{i}.csv").std()) for i in ids])

    slope, intercept = np.polyfit(loudness("train", train["segment_id"]), train["time_to_eruption"], 1)
    guess = slope * loudness("test", answers["segment_id"]) + intercept
    mae = np.abs(guess - answers["time_to_eruption"]).mean()
    assert mae < 0.3 * np.abs(train["time_to_eruption"].mean() - answers["time_to_eruption"]).mean()


def test_volcano_bad_raw(tmp_path):
    raw = mle_datasets.make_raw_fixture(VOLCANO, tmp_path / "raw")
    preparer = get_preparer(VOLCANO)
    table = read(raw / "train.csv")
    table.rename(columns={"time_to_eruption": "time"}).to_csv(raw / "train.csv", index=False)
    with pytest.raises(RawDataError, match="train.csv.*missing column.*'time_to_eruption'"):
        preparer.check_raw(raw)
    table.to_csv(raw / "train.csv", index=False)
    (raw / "train" / f"{table['segment_id'].iloc[4]}.csv").unlink()
    with pytest.raises(RawDataError, match=f"1 segment file.*missing.*{table['segment_id'].iloc[4]}.csv"):
        mle_datasets.prepare(VOLCANO, raw, tmp_path / "prepared")
    (raw / "train.csv").unlink()
    with pytest.raises(RawDataError, match=r"missing train\.csv"):
        preparer.check_raw(raw)
