"""Medium text competitions: chaii, Google QUEST, Jigsaw Unintended Bias, essay scoring 2, LMSYS arena, tweet
sentiment extraction (end to end, v1's split, quirks, raw failures)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

import mle_datasets
from mle_datasets.errors import RawDataError
from mle_datasets.fixtures import make_raw_fixture
from mle_datasets.preparers import get_preparer
from mle_datasets.preparers._common import csv_bytes
from tests.data.endtoend import check_end_to_end, prepared, read

def v1_split(raw_csv: Path, test_size: float = 0.1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What MLE-bench v1 does: read the raw table and call train_test_split(..., random_state=0)."""
    table = pd.read_csv(raw_csv)
    train, test = train_test_split(table, test_size=test_size, random_state=0)
    return train.reset_index(drop=True), test.reset_index(drop=True)


def rewrite(path: Path, table: pd.DataFrame) -> None:
    path.write_bytes(csv_bytes(table))


def copy_answers(answers_path: Path, sample_path: Path, id_column: str, columns: list[str]) -> pd.DataFrame:
    """The perfect submission of a competition whose answers hold the submission's columns."""
    answers = pd.read_csv(answers_path, dtype={id_column: str}, keep_default_na=False)
    return answers[[id_column, *columns]]


# ------------------------------------------------------------------------ chaii-hindi-and-tamil-question-answering
CHAII = "chaii-hindi-and-tamil-question-answering"


def test_chaii_end_to_end(tmp_path, store):
    check_end_to_end(CHAII, tmp_path, store, lambda a, s: copy_answers(a, s, "id", ["PredictionString"]))


def test_chaii_split_answers_and_sample(tmp_path_factory):
    work = prepared(CHAII, tmp_path_factory)
    train, test = v1_split(work / "raw" / "train.csv")
    pd.testing.assert_frame_equal(pd.read_csv(work / "public" / "train.csv"), train)
    public_test = pd.read_csv(work / "public" / "test.csv")
    assert public_test.columns.tolist() == ["id", "context", "question", "language"]
    pd.testing.assert_frame_equal(public_test, test[["id", "context", "question", "language"]])
    answers = pd.read_csv(work / "private" / "test.csv")
    assert answers.columns.tolist() == ["id", "PredictionString"]
    assert answers["id"].tolist() == test["id"].tolist()
    assert answers["PredictionString"].tolist() == test["answer_text"].tolist()
    sample = pd.read_csv(work / "public" / "sample_submission.csv")
    assert sample["id"].tolist() == test["id"].tolist() and (sample["PredictionString"] == "dummy text").all()
    assert "\n" in public_test.loc[0, "context"]  # multi-line passages survive the CSV round trip


def test_chaii_fixture_answers_are_spans_of_their_context(tmp_path):
    raw = pd.read_csv(make_raw_fixture(CHAII, tmp_path / "raw") / "train.csv")
    starts = [c.find(a) for c, a in zip(raw["context"], raw["answer_text"])]
    assert starts == raw["answer_start"].tolist()
    assert set(raw["language"]) == {"hindi", "tamil"}


def test_chaii_missing_file_and_column_are_raw_errors(tmp_path):
    raw = make_raw_fixture(CHAII, tmp_path / "raw")
    table = pd.read_csv(raw / "train.csv")
    rewrite(raw / "train.csv", table.drop(columns=["answer_text"]))
    with pytest.raises(RawDataError, match="missing column.*'answer_text'"):
        get_preparer(CHAII).check_raw(raw)
    rewrite(raw / "train.csv", table.assign(language="bengali"))
    with pytest.raises(RawDataError, match="language"):
        get_preparer(CHAII).check_raw(raw)
    (raw / "train.csv").unlink()
    with pytest.raises(RawDataError, match="missing train.csv"):
        get_preparer(CHAII).check_raw(raw)


# ------------------------------------------------------------------------ tweet-sentiment-extraction
TWEET = "tweet-sentiment-extraction"


def test_tweet_end_to_end(tmp_path, store):
    check_end_to_end(TWEET, tmp_path, store, lambda a, s: copy_answers(a, s, "textID", ["selected_text"]))


def test_tweet_split_answers_and_sample(tmp_path_factory):
    work = prepared(TWEET, tmp_path_factory)
    train, test = v1_split(work / "raw" / "train.csv")
    pd.testing.assert_frame_equal(pd.read_csv(work / "public" / "train.csv"), train)
    assert train["text"].isna().sum() == 1  # Kaggle's row without text stays in train
    pd.testing.assert_frame_equal(pd.read_csv(work / "private" / "test.csv"), test)
    public_test = read(work / "public" / "test.csv")
    assert public_test.columns.tolist() == ["textID", "text", "sentiment"]
    assert public_test["text"].tolist() == test["text"].tolist()  # leading and double spaces kept
    sample = read(work / "public" / "sample_submission.csv")
    assert sample.columns.tolist() == ["textID", "selected_text"]
    assert sample["textID"].tolist() == test["textID"].tolist() and (sample["selected_text"] == "").all()


def test_tweet_selected_text_is_a_span_carrying_the_sentiment(tmp_path):
    raw = read(make_raw_fixture(TWEET, tmp_path / "raw") / "train.csv")
    assert all(s in t for s, t in zip(raw["selected_text"], raw["text"]))
    polar = raw[raw["sentiment"] != "neutral"]
    assert (polar["selected_text"].str.len() < polar["text"].str.len()).all()


def test_tweet_bad_raw_is_a_raw_error(tmp_path):
    raw = make_raw_fixture(TWEET, tmp_path / "raw")
    table = pd.read_csv(raw / "train.csv")
    rewrite(raw / "train.csv", table.rename(columns={"selected_text": "selected"}))
    with pytest.raises(RawDataError, match="missing column.*'selected_text'"):
        get_preparer(TWEET).check_raw(raw)
    rewrite(raw / "train.csv", table.assign(textID="x"))
    with pytest.raises(RawDataError, match="textID"):
        get_preparer(TWEET).check_raw(raw)
    (raw / "train.csv").unlink()
    with pytest.raises(RawDataError, match="missing train.csv"):
        get_preparer(TWEET).check_raw(raw)


# ------------------------------------------------------------------------ learning-agency-lab-automated-essay-scoring-2
ESSAYS = "learning-agency-lab-automated-essay-scoring-2"


def test_essays_end_to_end(tmp_path, store):
    check_end_to_end(ESSAYS, tmp_path, store, lambda a, s: copy_answers(a, s, "essay_id", ["score"]))


def test_essays_split_answers_and_random_sample(tmp_path_factory):
    work = prepared(ESSAYS, tmp_path_factory)
    train, test = v1_split(work / "raw" / "train.csv")
    pd.testing.assert_frame_equal(pd.read_csv(work / "public" / "train.csv"), train)
    pd.testing.assert_frame_equal(pd.read_csv(work / "private" / "answers.csv"), test)
    pd.testing.assert_frame_equal(pd.read_csv(work / "public" / "test.csv"), test[["essay_id", "full_text"]])
    sample = pd.read_csv(work / "public" / "sample_submission.csv")
    assert sample["essay_id"].tolist() == test["essay_id"].tolist()
    assert sample["score"].tolist() == np.random.RandomState(42).randint(1, 7, size=len(test)).tolist()
    assert test["score"].nunique() >= 3 and set(train["score"]) == set(range(1, 7))


def test_essays_score_is_learnable_from_the_words(tmp_path):
    raw = pd.read_csv(make_raw_fixture(ESSAYS, tmp_path / "raw") / "train.csv")
    length = raw["full_text"].str.split().str.len()
    assert np.corrcoef(length, raw["score"])[0, 1] > 0.8
    assert raw["full_text"].str.contains("\n\n").all()


def test_essays_bad_raw_is_a_raw_error(tmp_path):
    raw = make_raw_fixture(ESSAYS, tmp_path / "raw")
    table = pd.read_csv(raw / "train.csv")
    rewrite(raw / "train.csv", table.drop(columns=["score"]))
    with pytest.raises(RawDataError, match="missing column.*'score'"):
        get_preparer(ESSAYS).check_raw(raw)
    rewrite(raw / "train.csv", table.assign(score=table["score"] + 3))
    with pytest.raises(RawDataError, match="score"):
        get_preparer(ESSAYS).check_raw(raw)
    rewrite(raw / "train.csv", pd.concat([table, table.head(1)]))
    with pytest.raises(RawDataError, match="duplicated"):
        get_preparer(ESSAYS).run(raw, tmp_path / "pub", tmp_path / "priv")
    (raw / "train.csv").unlink()
    with pytest.raises(RawDataError, match="missing train.csv"):
        get_preparer(ESSAYS).check_raw(raw)


# ------------------------------------------------------------------------ lmsys-chatbot-arena
LMSYS = "lmsys-chatbot-arena"
WINNERS = ["winner_model_a", "winner_model_b", "winner_tie"]


def test_lmsys_end_to_end(tmp_path, store):
    check_end_to_end(LMSYS, tmp_path, store, lambda a, s: copy_answers(a, s, "id", WINNERS).astype({c: float for c in WINNERS}))


def test_lmsys_split_answers_and_sample(tmp_path_factory):
    work = prepared(LMSYS, tmp_path_factory)
    train, test = v1_split(work / "raw" / "train.csv")
    pd.testing.assert_frame_equal(pd.read_csv(work / "public" / "train.csv"), train)
    pd.testing.assert_frame_equal(pd.read_csv(work / "private" / "answers.csv"), test)
    pd.testing.assert_frame_equal(pd.read_csv(work / "public" / "test.csv"), test[["id", "prompt", "response_a", "response_b"]])
    sample = pd.read_csv(work / "public" / "sample_submission.csv")
    assert sample["id"].tolist() == test["id"].tolist() and (sample[WINNERS] == 1 / 3).all().all()
    assert "0.3333333333333333" in (work / "public" / "sample_submission.csv").read_text()
    assert test[WINNERS].sum().tolist() == [1, 1, 1]  # every outcome in the test split


def test_lmsys_winner_follows_the_detailed_response(tmp_path):
    raw = pd.read_csv(make_raw_fixture(LMSYS, tmp_path / "raw") / "train.csv")
    strong_a, strong_b = (raw[c].str.match("gpt-4|claude") for c in ("model_a", "model_b"))
    assert raw.loc[strong_a & ~strong_b, "winner_model_a"].eq(1).all() and (strong_a & ~strong_b).any()
    assert raw.loc[strong_b & ~strong_a, "winner_model_b"].eq(1).all() and (strong_b & ~strong_a).any()
    strong_text = pd.concat([raw.loc[strong_a, "response_a"], raw.loc[strong_b, "response_b"]])
    assert strong_text.str.contains("detailed").mean() > 0.8  # the words tell the strong models apart
    assert not pd.concat([raw.loc[~strong_a, "response_a"], raw.loc[~strong_b, "response_b"]]).str.contains("detailed").any()
    assert all(isinstance(json.loads(v), list) for c in ("prompt", "response_a", "response_b") for v in raw[c])


def test_lmsys_bad_raw_is_a_raw_error(tmp_path):
    raw = make_raw_fixture(LMSYS, tmp_path / "raw")
    table = pd.read_csv(raw / "train.csv")
    rewrite(raw / "train.csv", table.drop(columns=["response_b"]))
    with pytest.raises(RawDataError, match="missing column.*'response_b'"):
        get_preparer(LMSYS).check_raw(raw)
    rewrite(raw / "train.csv", table.assign(winner_tie=1))
    with pytest.raises(RawDataError, match="exactly one of winner_model_a"):
        get_preparer(LMSYS).check_raw(raw)
    (raw / "train.csv").unlink()
    with pytest.raises(RawDataError, match="missing train.csv"):
        get_preparer(LMSYS).check_raw(raw)


# ------------------------------------------------------------------------ google-quest-challenge
QUEST = "google-quest-challenge"


def quest_targets() -> list[str]:
    from mle_datasets.preparers.text_qa import QUEST_TARGETS

    return QUEST_TARGETS


def v1_quest_split(raw_csv: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """v1's split: train_test_split, then, when question_type_spelling is constant in test, test row 0 and the
    first training row with a non-zero value trade contents."""
    train, test = train_test_split(pd.read_csv(raw_csv), test_size=0.1, random_state=0)
    train, test = train.copy(), test.copy()
    if test["question_type_spelling"].nunique() == 1:
        label = train.index[train["question_type_spelling"] != 0][0]
        row0 = test.iloc[0].copy()
        test.iloc[0] = train.loc[label]
        train.loc[label] = row0
    return train.reset_index(drop=True), test.reset_index(drop=True)


def test_quest_end_to_end(tmp_path, store):
    check_end_to_end(QUEST, tmp_path, store, lambda a, s: pd.read_csv(a))


def test_quest_split_swaps_a_spelling_row_into_test(tmp_path_factory):
    work = prepared(QUEST, tmp_path_factory)
    targets = quest_targets()
    raw = pd.read_csv(work / "raw" / "train.csv")
    _, plain_test = train_test_split(raw, test_size=0.1, random_state=0)
    assert plain_test["question_type_spelling"].nunique() == 1  # the fixture triggers v1's swap
    train, test = v1_quest_split(work / "raw" / "train.csv")
    assert test.loc[0, "qa_id"] not in plain_test["qa_id"].tolist() and test.loc[0, "question_type_spelling"] > 0
    pd.testing.assert_frame_equal(pd.read_csv(work / "public" / "train.csv"), train)
    answers = pd.read_csv(work / "private" / "test.csv")
    pd.testing.assert_frame_equal(answers, test[["qa_id", *targets]])
    assert (answers[targets].nunique() > 1).all()
    public_test = pd.read_csv(work / "public" / "test.csv")
    assert public_test.shape[1] == 11 and public_test["qa_id"].tolist() == test["qa_id"].tolist()
    sample = pd.read_csv(work / "public" / "sample_submission.csv")
    assert sample.columns.tolist() == ["qa_id", *targets] and sample["qa_id"].tolist() == test["qa_id"].tolist()
    np.testing.assert_array_equal(sample[targets].to_numpy(), np.tile(np.linspace(0, 1, len(test))[:, None], (1, 30)))


def test_quest_targets_follow_the_words(tmp_path):
    raw = pd.read_csv(make_raw_fixture(QUEST, tmp_path / "raw") / "train.csv")
    how = raw["question_title"].str.startswith("How do I")
    assert raw.loc[how, "question_type_instructions"].mean() > raw.loc[~how, "question_type_instructions"].mean() + 0.3
    spell = raw["question_title"].str.contains("spell")
    assert (raw.loc[spell, "question_type_spelling"] > 0).all() and (raw.loc[~spell, "question_type_spelling"] == 0).all()


def test_quest_bad_raw_is_a_raw_error(tmp_path):
    raw = make_raw_fixture(QUEST, tmp_path / "raw")
    table = pd.read_csv(raw / "train.csv")
    preparer = get_preparer(QUEST)
    rewrite(raw / "train.csv", table.drop(columns=["answer_helpful"]))
    with pytest.raises(RawDataError, match="missing column.*'answer_helpful'"):
        preparer.check_raw(raw)
    rewrite(raw / "train.csv", table.assign(answer_helpful=1.5))
    with pytest.raises(RawDataError, match="answer_helpful"):
        preparer.check_raw(raw)
    rewrite(raw / "train.csv", table.assign(answer_helpful=0.5))
    with pytest.raises(RawDataError, match="answer_helpful are constant in the test split"):
        preparer.run(raw, tmp_path / "pub", tmp_path / "priv")
    rewrite(raw / "train.csv", table.assign(question_type_spelling=0.0))
    with pytest.raises(RawDataError, match="no training row has another value"):
        preparer.run(raw, tmp_path / "pub", tmp_path / "priv")
    (raw / "train.csv").unlink()
    with pytest.raises(RawDataError, match="missing train.csv"):
        preparer.check_raw(raw)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_quest_other_seeds_pass_the_prepared_contract(seed, tmp_path):
    raw = make_raw_fixture(QUEST, tmp_path / "raw", seed=seed)
    answers = pd.read_csv(mle_datasets.prepare(QUEST, raw, tmp_path / "prepared").answers)
    assert (answers[quest_targets()].nunique() > 1).all()


# ------------------------------------------------------------------------ jigsaw-unintended-bias-in-toxicity-classification
JIGSAW_BIAS = "jigsaw-unintended-bias-in-toxicity-classification"
SCORED = ["male", "female", "homosexual_gay_or_lesbian", "christian", "jewish", "muslim", "black", "white",
          "psychiatric_or_mental_illness"]


def jigsaw_perfect(answers_path: Path, sample_path: Path) -> pd.DataFrame:
    answers = pd.read_csv(answers_path)
    return pd.DataFrame({"id": answers["id"], "prediction": (answers["toxicity"] >= 0.5).astype(float)})


def test_jigsaw_bias_end_to_end(tmp_path, store):
    check_end_to_end(JIGSAW_BIAS, tmp_path, store, jigsaw_perfect)


def test_jigsaw_bias_keeps_kaggle_files(tmp_path_factory):
    work = prepared(JIGSAW_BIAS, tmp_path_factory)
    raw, public, private = work / "raw", work / "public", work / "private"
    assert sorted(p.name for p in raw.iterdir()) == [
        "all_data.csv", "identity_individual_annotations.csv", "sample_submission.csv", "test.csv",
        "test_private_expanded.csv", "test_public_expanded.csv", "toxicity_individual_annotations.csv", "train.csv"]
    assert (private / "test.csv").read_bytes() == (raw / "test_private_expanded.csv").read_bytes()
    assert (public / "train.csv").read_bytes() == (raw / "train.csv").read_bytes()
    assert sorted(p.name for p in public.iterdir()) == ["sample_submission.csv", "test.csv", "train.csv"]
    expanded = pd.read_csv(raw / "test_private_expanded.csv")
    assert expanded.shape[1] == 45
    pd.testing.assert_frame_equal(pd.read_csv(public / "test.csv"), expanded[["id", "comment_text"]])
    assert (public / "test.csv").read_bytes() == (raw / "test.csv").read_bytes()  # as Kaggle's own test.csv
    sample = pd.read_csv(public / "sample_submission.csv")
    assert sample.columns.tolist() == ["id", "prediction"] and (sample["prediction"] == 0.0).all()
    assert sample["id"].tolist() == expanded["id"].tolist()
    toxic = expanded["toxicity"] >= 0.5
    for name in SCORED:  # every subgroup AUC of the grader is defined
        member = expanded[name] >= 0.5
        assert (member & toxic).any() and (member & ~toxic).any() and (~member & toxic).any(), name


def test_jigsaw_bias_toxicity_follows_the_words(tmp_path):
    raw = pd.read_csv(make_raw_fixture(JIGSAW_BIAS, tmp_path / "raw") / "train.csv")
    insult = raw["comment_text"].str.contains(r"\byou (?:idiot|stupid|pathetic|disgusting|moron)\b", case=False)
    assert ((raw["target"] >= 0.5) == insult).all() and insult.any() and (~insult).any()


def test_jigsaw_bias_bad_raw_is_a_raw_error(tmp_path):
    raw = make_raw_fixture(JIGSAW_BIAS, tmp_path / "raw")
    preparer = get_preparer(JIGSAW_BIAS)
    expanded = pd.read_csv(raw / "test_private_expanded.csv")
    rewrite(raw / "test_private_expanded.csv", expanded.drop(columns=["muslim"]))
    with pytest.raises(RawDataError, match="test_private_expanded.csv .*missing column.*'muslim'"):
        preparer.check_raw(raw)
    rewrite(raw / "test_private_expanded.csv", expanded.assign(extra=1))  # 46 columns: v1 asserts 45
    with pytest.raises(RawDataError, match="unexpected column.*'extra'"):
        preparer.check_raw(raw)
    rewrite(raw / "test_private_expanded.csv", expanded.rename(columns={"toxicity": "target"}))
    with pytest.raises(RawDataError, match="missing column.*'toxicity'"):
        preparer.check_raw(raw)
    rewrite(raw / "test_private_expanded.csv", pd.concat([expanded, expanded.head(2)]))
    with pytest.raises(RawDataError, match="duplicated"):
        preparer.run(raw, tmp_path / "pub", tmp_path / "priv")
    rewrite(raw / "test_private_expanded.csv", expanded)
    train = pd.read_csv(raw / "train.csv")
    rewrite(raw / "train.csv", train.drop(columns=["comment_text"]))
    with pytest.raises(RawDataError, match="train.csv .*missing column.*'comment_text'"):
        preparer.check_raw(raw)
    (raw / "test_private_expanded.csv").unlink()
    with pytest.raises(RawDataError, match="missing test_private_expanded.csv"):
        preparer.check_raw(raw)
