"""Dev competitions: end to end, MLE-bench v1's split, learnable fixtures, bad raw data."""

from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

import mle_datasets
from mle_datasets.errors import RawDataError
from mle_datasets.preparers import get_preparer
from tests.data.endtoend import check_end_to_end

PERFECT = {
    "spaceship-titanic": ["PassengerId", "Transported"],
    "playground-series-s3e18": ["id", "EC1", "EC2"],
    "movie-review-sentiment-analysis-kernels-only": ["PhraseId", "Sentiment"],
}
RAW_TABLE = {  # the raw table v1 splits, how to read it, its id column, its test fraction
    "spaceship-titanic": ("train.csv", {}, "PassengerId", 0.1),
    "playground-series-s3e18": ("train.csv", {}, "id", 0.1),
    "movie-review-sentiment-analysis-kernels-only": ("train.tsv.zip", {"sep": "\t"}, "PhraseId", 0.3),
}


@pytest.mark.parametrize("cid", sorted(PERFECT))
def test_end_to_end(cid, tmp_path):
    check_end_to_end(cid, tmp_path, mle_datasets.Store(tmp_path / "store"),
                     lambda answers, sample: pd.read_csv(answers)[PERFECT[cid]])


@pytest.mark.parametrize("cid", sorted(PERFECT))
def test_split_is_v1s_row_split(cid, tmp_path):
    raw = mle_datasets.make_raw_fixture(cid, tmp_path / "raw")
    name, read, id_column, fraction = RAW_TABLE[cid]
    old = pd.read_csv(raw / name, **read)
    _, expected = train_test_split(old, test_size=fraction, random_state=0)
    prepared = mle_datasets.prepare(cid, raw, tmp_path / "prepared")
    answers = pd.read_csv(prepared.answers)
    assert answers[id_column].tolist() == expected[id_column].tolist()
    assert pd.read_csv(prepared.sample_submission)[id_column].tolist() == expected[id_column].tolist()


def test_fixtures_carry_a_learnable_signal(tmp_path):
    raw = mle_datasets.make_raw_fixture("spaceship-titanic", tmp_path / "raw")
    prepared = mle_datasets.prepare("spaceship-titanic", raw, tmp_path / "prepared")
    train, answers = pd.read_csv(prepared.public_dir / "train.csv"), pd.read_csv(prepared.answers)
    rule = train.groupby(train["CryoSleep"].fillna(False))["Transported"].mean() > 0.5
    guess = answers["CryoSleep"].fillna(False).map(rule)
    assert (guess == answers["Transported"]).mean() > 0.75  # the sample (all False) gets about half

    raw = mle_datasets.make_raw_fixture("playground-series-s3e18", tmp_path / "raw2")
    prepared = mle_datasets.prepare("playground-series-s3e18", raw, tmp_path / "prepared2")
    train, answers = pd.read_csv(prepared.public_dir / "train.csv"), pd.read_csv(prepared.answers)
    model = LogisticRegression(max_iter=1000).fit(np.log1p(train[["BertzCT"]]), train["EC1"])
    assert model.score(np.log1p(answers[["BertzCT"]]), answers["EC1"]) > 0.75


@pytest.mark.parametrize("cid", sorted(PERFECT))
def test_a_missing_raw_file_is_named(cid, tmp_path):
    raw = mle_datasets.make_raw_fixture(cid, tmp_path / "raw")
    (raw / RAW_TABLE[cid][0]).unlink()
    with pytest.raises(RawDataError, match=RAW_TABLE[cid][0].replace(".", r"\.")):
        get_preparer(cid).check_raw(raw)


def test_a_missing_column_is_named(tmp_path):
    raw = mle_datasets.make_raw_fixture("spaceship-titanic", tmp_path / "raw")
    pd.read_csv(raw / "train.csv").drop(columns=["Transported"]).to_csv(raw / "train.csv", index=False)
    with pytest.raises(RawDataError, match="Transported"):
        get_preparer("spaceship-titanic").check_raw(raw)

    raw = mle_datasets.make_raw_fixture("playground-series-s3e18", tmp_path / "raw2")
    pd.read_csv(raw / "train.csv").drop(columns=["EC6"]).to_csv(raw / "train.csv", index=False)
    with pytest.raises(RawDataError, match="EC6"):
        get_preparer("playground-series-s3e18").check_raw(raw)


def test_a_zip_without_its_table_is_named(tmp_path):
    raw = mle_datasets.make_raw_fixture("movie-review-sentiment-analysis-kernels-only", tmp_path / "raw")
    with zipfile.ZipFile(raw / "train.tsv.zip", "w") as zf:
        zf.writestr("other.tsv", "a\tb\n")
    with pytest.raises(RawDataError, match="no entry 'train.tsv'"):
        get_preparer("movie-review-sentiment-analysis-kernels-only").check_raw(raw)


def test_duplicate_ids_are_refused(tmp_path):
    raw = mle_datasets.make_raw_fixture("spaceship-titanic", tmp_path / "raw")
    train = pd.read_csv(raw / "train.csv")
    train.loc[1, "PassengerId"] = train.loc[0, "PassengerId"]
    train.to_csv(raw / "train.csv", index=False)
    with pytest.raises(RawDataError, match="PassengerId"):
        mle_datasets.prepare("spaceship-titanic", raw, tmp_path / "prepared")
