"""Text lite preparers: insults, jigsaw, spooky, pizza, text normalization (split, quirks, raw failures)."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from mle_datasets.errors import RawDataError
from mle_datasets.fixtures import make_raw_fixture
from mle_datasets.preparers import get_preparer
from mle_datasets.preparers._common import csv_bytes
from tests.data.test_preparers_common import prepared


def zipped_csv(path, member, **kwargs) -> pd.DataFrame:
    with zipfile.ZipFile(path) as zf:
        return pd.read_csv(io.BytesIO(zf.read(member)), **kwargs)


def rewrite_zipped_csv(path, member, table, **kwargs) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(member, csv_bytes(table, **kwargs))


# ------------------------------------------------------------------------ insults
def test_insults_keeps_kaggle_test_and_builds_public_files(tmp_path_factory):
    work = prepared("detecting-insults-in-social-commentary", tmp_path_factory)
    raw, public, private = work / "raw", work / "public", work / "private"
    assert (private / "test.csv").read_bytes() == (raw / "test_with_solutions.csv").read_bytes()
    assert (public / "train.csv").read_bytes() == (raw / "train.csv").read_bytes()
    solutions = pd.read_csv(raw / "test_with_solutions.csv")
    pd.testing.assert_frame_equal(pd.read_csv(public / "test.csv"), solutions[["Date", "Comment"]])
    pd.testing.assert_frame_equal(pd.read_csv(private / "gold_submission.csv"), solutions[["Insult", "Date", "Comment"]])
    sample = pd.read_csv(public / "sample_submission_null.csv")
    assert sample.columns.tolist() == ["Insult", "Date", "Comment"] and (sample["Insult"] == 0).all()
    assert sample["Comment"].str.startswith('"').all()  # Kaggle's quoted, escaped comment text survives


def test_insults_shared_comment_is_a_raw_error(tmp_path):
    raw = make_raw_fixture("detecting-insults-in-social-commentary", tmp_path / "raw")
    train, solutions = pd.read_csv(raw / "train.csv"), pd.read_csv(raw / "test_with_solutions.csv")
    solutions.loc[0, "Comment"] = train.loc[0, "Comment"]
    (raw / "test_with_solutions.csv").write_bytes(csv_bytes(solutions))
    with pytest.raises(RawDataError, match="both train.csv and test_with_solutions.csv"):
        get_preparer("detecting-insults-in-social-commentary").run(raw, tmp_path / "pub", tmp_path / "priv")


# ------------------------------------------------------------------------ jigsaw
def test_jigsaw_uses_kaggle_test_labels(tmp_path_factory):
    work = prepared("jigsaw-toxic-comment-classification-challenge", tmp_path_factory)
    labels = zipped_csv(work / "raw" / "test_labels.csv.zip", "test_labels.csv")
    pd.testing.assert_frame_equal(pd.read_csv(work / "private" / "test.csv"), labels)
    assert (labels.iloc[:, 1:] == -1).all(axis=1).any()  # unscored rows are kept, as in MLE-bench
    sample = pd.read_csv(work / "public" / "sample_submission.csv")
    assert (sample.iloc[:, 1:] == 0.5).all().all()
    train = zipped_csv(work / "raw" / "train.csv.zip", "train.csv")
    pd.testing.assert_frame_equal(pd.read_csv(work / "public" / "train.csv"), train)


def test_jigsaw_id_mismatch_is_a_raw_error(tmp_path):
    raw = make_raw_fixture("jigsaw-toxic-comment-classification-challenge", tmp_path / "raw")
    labels = zipped_csv(raw / "test_labels.csv.zip", "test_labels.csv")
    rewrite_zipped_csv(raw / "test_labels.csv.zip", "test_labels.csv", labels.iloc[1:])
    with pytest.raises(RawDataError, match="test_labels.csv and test.csv do not hold the same ids"):
        get_preparer("jigsaw-toxic-comment-classification-challenge").run(raw, tmp_path / "pub", tmp_path / "priv")


# ------------------------------------------------------------------------ spooky
def test_spooky_split_and_one_hot(tmp_path_factory):
    work = prepared("spooky-author-identification", tmp_path_factory)
    raw = zipped_csv(work / "raw" / "train.zip", "train.csv")
    train, test = train_test_split(raw, test_size=0.1, random_state=0)
    pd.testing.assert_frame_equal(pd.read_csv(work / "public" / "train.csv"), train.reset_index(drop=True))
    pd.testing.assert_frame_equal(pd.read_csv(work / "public" / "test.csv"), test.drop(columns="author").reset_index(drop=True))
    answers = pd.read_csv(work / "private" / "test.csv")
    assert answers.columns.tolist() == ["id", "EAP", "HPL", "MWS"]
    assert answers["id"].tolist() == test["id"].tolist()
    assert (answers[["EAP", "HPL", "MWS"]].idxmax(axis=1).to_numpy() == test["author"].to_numpy()).all()
    assert (answers[["EAP", "HPL", "MWS"]].sum(axis=1) == 1).all()
    sample = pd.read_csv(work / "public" / "sample_submission.csv")
    assert sample.loc[0, ["EAP", "HPL", "MWS"]].tolist() == [0.403493538995863, 0.287808366106543, 0.308698094897594]


def test_spooky_unknown_author_is_a_raw_error(tmp_path):
    raw = make_raw_fixture("spooky-author-identification", tmp_path / "raw")
    table = zipped_csv(raw / "train.zip", "train.csv")
    rewrite_zipped_csv(raw / "train.zip", "train.csv", table.assign(author="XYZ"))
    with pytest.raises(RawDataError, match="author"):
        get_preparer("spooky-author-identification").check_raw(raw)


def test_spooky_renamed_column_is_a_raw_error(tmp_path):
    raw = make_raw_fixture("spooky-author-identification", tmp_path / "raw")
    table = zipped_csv(raw / "train.zip", "train.csv")
    rewrite_zipped_csv(raw / "train.zip", "train.csv", table.rename(columns={"text": "sentence"}))
    with pytest.raises(RawDataError, match="text"):
        get_preparer("spooky-author-identification").check_raw(raw)


# ------------------------------------------------------------------------ pizza
def test_pizza_split_keys_and_answers(tmp_path_factory):
    work = prepared("random-acts-of-pizza", tmp_path_factory)
    train = json.loads((work / "raw" / "train.json").read_text())
    test = json.loads((work / "raw" / "test.json").read_text())
    new_train, new_test = train_test_split(train, test_size=len(test) / (len(train) + len(test)), random_state=0)
    assert json.loads((work / "public" / "train.json").read_text()) == new_train
    public_test = json.loads((work / "public" / "test.json").read_text())
    assert [list(r) for r in public_test] == [list(test[0])] * len(new_test)
    assert [r["request_id"] for r in public_test] == [r["request_id"] for r in new_test]
    answers = pd.read_csv(work / "private" / "test.csv")
    assert answers["requester_received_pizza"].tolist() == [int(r["requester_received_pizza"]) for r in new_test]
    with zipfile.ZipFile(work / "public" / "test.zip") as zf:
        assert zf.namelist() == ["test.json"] and zf.read("test.json") == (work / "public" / "test.json").read_bytes()
    assert (work / "public" / "train.json").read_text().startswith("[\n    {\n")  # json.dump(indent=4)


def test_pizza_missing_key_is_a_raw_error(tmp_path):
    raw = make_raw_fixture("random-acts-of-pizza", tmp_path / "raw")
    records = json.loads((raw / "train.json").read_text())
    del records[3]["request_title"]
    (raw / "train.json").write_text(json.dumps(records))
    with pytest.raises(RawDataError, match="same keys"):
        get_preparer("random-acts-of-pizza").check_raw(raw)


# ------------------------------------------------------------------------ text normalization
@pytest.mark.parametrize("lang, cid", [("en", "text-normalization-challenge-english-language"),
                                       ("ru", "text-normalization-challenge-russian-language")])
def test_text_normalization_splits_whole_sentences(lang, cid, tmp_path_factory):
    work = prepared(cid, tmp_path_factory)
    raw = zipped_csv(work / "raw" / f"{lang}_train.csv.zip", f"{lang}_train.csv")
    sentences = raw["sentence_id"].unique()
    _, test_ids = train_test_split(sentences, test_size=0.1, random_state=0)
    expected = raw[raw["sentence_id"].isin(test_ids)]
    renumber = {old: new for new, old in enumerate(expected["sentence_id"].unique())}
    ids = [f"{renumber[s]}_{t}" for s, t in zip(expected["sentence_id"], expected["token_id"])]
    answers = pd.read_csv(work / "private" / "answers.csv")
    assert answers["id"].tolist() == ids and answers["after"].tolist() == expected["after"].tolist()
    text = (work / "private" / "answers.csv").read_text(encoding="utf-8").splitlines()
    assert text[0] == '"id","after"' and text[1].startswith('"')  # QUOTE_NONNUMERIC
    public_test = zipped_csv(work / "public" / f"{lang}_test_2.csv.zip", f"{lang}_test_2.csv")
    assert public_test.columns.tolist() == ["sentence_id", "token_id", "before"]
    assert public_test["sentence_id"].tolist() == [renumber[s] for s in expected["sentence_id"]]
    train = zipped_csv(work / "public" / f"{lang}_train.csv.zip", f"{lang}_train.csv")
    assert train["sentence_id"].iloc[0] == 0 and np.all(np.diff(train["sentence_id"].unique()) == 1)
    sample = zipped_csv(work / "public" / f"{lang}_sample_submission_2.csv.zip", f"{lang}_sample_submission_2.csv")
    assert sample["after"].tolist() == public_test["before"].tolist()


def test_text_normalization_contract(tmp_path):
    cid = "text-normalization-challenge-english-language"
    raw = make_raw_fixture(cid, tmp_path / "raw")
    table = zipped_csv(raw / "en_train.csv.zip", "en_train.csv")
    rewrite_zipped_csv(raw / "en_train.csv.zip", "en_train.csv", table.rename(columns={"after": "normalized"}),
                       quoting=csv.QUOTE_NONNUMERIC)
    with pytest.raises(RawDataError, match="after"):
        get_preparer(cid).check_raw(raw)
    (raw / "en_test_2.csv.zip").unlink()
    with pytest.raises(RawDataError, match="en_test_2.csv.zip"):
        get_preparer(cid).check_raw(raw)


def test_text_normalization_keeps_mle_bench_na_quirk(tmp_path):
    """pandas' default NA parsing turns a literal ``NA`` token into an empty answer, as in MLE-bench v1."""
    cid = "text-normalization-challenge-english-language"
    raw = make_raw_fixture(cid, tmp_path / "raw")
    table = zipped_csv(raw / "en_train.csv.zip", "en_train.csv")
    table.loc[table["token_id"] == 0, "after"] = "NA"
    rewrite_zipped_csv(raw / "en_train.csv.zip", "en_train.csv", table, quoting=csv.QUOTE_NONNUMERIC)
    get_preparer(cid).check_raw(raw)
    get_preparer(cid).run(raw, tmp_path / "pub", tmp_path / "priv")
    answers = pd.read_csv(tmp_path / "priv" / "answers.csv", keep_default_na=False)
    first = answers["id"].str.endswith("_0")
    assert (answers.loc[first, "after"] == "").all() and (answers.loc[~first, "after"] != "").all()
