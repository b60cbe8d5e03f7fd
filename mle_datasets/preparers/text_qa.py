"""Preparers of the medium text competitions: question answering, span extraction, essay scoring, preferences, QA
ratings and toxicity with identity bias.

Five of them re-split Kaggle's ``train.csv`` with ``train_test_split(test_size=0.1, random_state=0)``; Jigsaw
Unintended Bias keeps Kaggle's labelled private test. Tables are read once with MLE-bench's CSV settings and
written with :func:`write_csv` (the bytes of ``DataFrame.to_csv(index=False)``); large raw files that v1 copies
unchanged are copied by streaming, never loaded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from mle_datasets.errors import RawDataError

from . import register_preparer
from ._common import (
    check_csv,
    copy_files,
    hex_id,
    read_csv,
    require_unique,
    split_frame,
    split_positions,
    write_csv,
)


def _split_train(raw: Path, id_column: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Kaggle's ``train.csv`` read as v1 reads it and split 90/10 as v1 splits it (ids checked unique)."""
    old = read_csv(raw / "train.csv", "train.csv")
    require_unique(old[id_column], "train.csv", id_column)
    return split_frame(old, 0.1)


# ------------------------------------------------------------------------ chaii-hindi-and-tamil-question-answering
CHAII_LANGUAGES = ["hindi", "tamil"]
CHAII_TRAIN = pa.DataFrameSchema(
    {
        "id": pa.Column(str, hex_id(9)),
        "context": pa.Column(str),
        "question": pa.Column(str),
        "answer_text": pa.Column(str),
        "answer_start": pa.Column(int, pa.Check.ge(0)),
        "language": pa.Column(str, pa.Check.isin(CHAII_LANGUAGES)),
    },
    strict=True, ordered=True,
)


def _chaii_contract(raw: Path) -> None:
    check_csv(raw / "train.csv", CHAII_TRAIN, "train.csv")


@register_preparer("chaii-hindi-and-tamil-question-answering", ("train.csv",), _chaii_contract)
def prepare_chaii(raw: Path, public: Path, private: Path) -> None:
    """Rows split by train_test_split(test_size=0.1, random_state=0); answers hold answer_text as PredictionString;
    the sample submission answers "dummy text"."""
    train, test = _split_train(raw, "id")
    answers = pd.DataFrame({"id": test["id"], "PredictionString": test["answer_text"]})
    write_csv(train, public / "train.csv")
    write_csv(test.drop(columns=["answer_start", "answer_text"]), public / "test.csv")
    write_csv(answers.assign(PredictionString="dummy text"), public / "sample_submission.csv")
    write_csv(answers, private / "test.csv")


# ------------------------------------------------------------------------ tweet-sentiment-extraction
TWEET_SENTIMENTS = ["negative", "neutral", "positive"]
TWEET_TRAIN = pa.DataFrameSchema(
    {
        "textID": pa.Column(str, hex_id(10)),
        "text": pa.Column(str, nullable=True),  # Kaggle's train.csv has one row without text
        "selected_text": pa.Column(str, nullable=True),
        "sentiment": pa.Column(str, pa.Check.isin(TWEET_SENTIMENTS)),
    },
    strict=True, ordered=True,
)


def _tweet_contract(raw: Path) -> None:
    check_csv(raw / "train.csv", TWEET_TRAIN, "train.csv")


@register_preparer("tweet-sentiment-extraction", ("train.csv",), _tweet_contract)
def prepare_tweets(raw: Path, public: Path, private: Path) -> None:
    """Rows split by train_test_split(test_size=0.1, random_state=0); answers are the test rows with selected_text;
    the sample submission leaves selected_text empty."""
    train, test = _split_train(raw, "textID")
    write_csv(train, public / "train.csv")
    write_csv(test.drop(columns=["selected_text"]), public / "test.csv")
    write_csv(test[["textID"]].assign(selected_text=""), public / "sample_submission.csv")
    write_csv(test, private / "test.csv")


# ------------------------------------------------------------------------ learning-agency-lab-automated-essay-scoring-2
ESSAY_TRAIN = pa.DataFrameSchema(
    {
        "essay_id": pa.Column(str, hex_id(7)),
        "full_text": pa.Column(str),
        "score": pa.Column(int, pa.Check.isin([1, 2, 3, 4, 5, 6])),
    },
    strict=True, ordered=True,
)


def _essay_contract(raw: Path) -> None:
    check_csv(raw / "train.csv", ESSAY_TRAIN, "train.csv")


@register_preparer("learning-agency-lab-automated-essay-scoring-2", ("train.csv",), _essay_contract)
def prepare_essays(raw: Path, public: Path, private: Path) -> None:
    """Rows split by train_test_split(test_size=0.1, random_state=0); answers are the test rows with their score;
    the sample submission holds random scores 1-6 from numpy RandomState(42)."""
    train, answers = _split_train(raw, "essay_id")
    random_scores = np.random.RandomState(42).randint(1, 7, size=len(answers))
    write_csv(answers, private / "answers.csv")
    write_csv(train, public / "train.csv")
    write_csv(answers.drop(columns=["score"]), public / "test.csv")
    write_csv(answers[["essay_id"]].assign(score=random_scores), public / "sample_submission.csv")


# ------------------------------------------------------------------------ lmsys-chatbot-arena
LMSYS_WINNERS = ["winner_model_a", "winner_model_b", "winner_tie"]
_JSON_LIST = pa.Check.str_matches(r"^\s*\[", error="a JSON list of strings")
LMSYS_TRAIN = pa.DataFrameSchema(
    {
        "id": pa.Column(int, pa.Check.ge(0)),
        "model_a": pa.Column(str),
        "model_b": pa.Column(str),
        "prompt": pa.Column(str, _JSON_LIST),
        "response_a": pa.Column(str, _JSON_LIST),
        "response_b": pa.Column(str, _JSON_LIST),
    }
    | {c: pa.Column(int, pa.Check.isin([0, 1])) for c in LMSYS_WINNERS},
    strict=True, ordered=True,
)


def _lmsys_contract(raw: Path) -> None:
    table = check_csv(raw / "train.csv", LMSYS_TRAIN, "train.csv")
    bad = table["id"][table[LMSYS_WINNERS].sum(axis=1) != 1]
    if len(bad):
        raise RawDataError(
            f"train.csv: {len(bad)} row(s) do not have exactly one of {', '.join(LMSYS_WINNERS)} set to 1 "
            f"(e.g. id {', '.join(map(str, bad.head(3)))}); the file may have changed: download it again"
        )


@register_preparer("lmsys-chatbot-arena", ("train.csv",), _lmsys_contract)
def prepare_lmsys(raw: Path, public: Path, private: Path) -> None:
    """Rows split by train_test_split(test_size=0.1, random_state=0); answers are the whole test rows (one-hot
    winners); the sample submission gives each outcome 1/3."""
    train, answers = _split_train(raw, "id")
    write_csv(answers, private / "answers.csv")
    write_csv(train, public / "train.csv")
    write_csv(answers[["id", "prompt", "response_a", "response_b"]], public / "test.csv")
    write_csv(answers[["id"]].assign(**{c: 1 / 3 for c in LMSYS_WINNERS}), public / "sample_submission.csv")


# ------------------------------------------------------------------------ google-quest-challenge
QUEST_INPUTS = ["qa_id", "question_title", "question_body", "question_user_name", "question_user_page", "answer",
                "answer_user_name", "answer_user_page", "url", "category", "host"]
QUEST_TARGETS = [
    "question_asker_intent_understanding", "question_body_critical", "question_conversational",
    "question_expect_short_answer", "question_fact_seeking", "question_has_commonly_accepted_answer",
    "question_interestingness_others", "question_interestingness_self", "question_multi_intent",
    "question_not_really_a_question", "question_opinion_seeking", "question_type_choice", "question_type_compare",
    "question_type_consequence", "question_type_definition", "question_type_entity", "question_type_instructions",
    "question_type_procedure", "question_type_reason_explanation", "question_type_spelling", "question_well_written",
    "answer_helpful", "answer_level_of_information", "answer_plausible", "answer_relevance", "answer_satisfaction",
    "answer_type_instructions", "answer_type_procedure", "answer_type_reason_explanation", "answer_well_written",
]
QUEST_CATEGORIES = ["CULTURE", "LIFE_ARTS", "SCIENCE", "STACKOVERFLOW", "TECHNOLOGY"]
_FREE_TEXT = {"question_title", "question_body", "question_user_name", "answer", "answer_user_name"}
QUEST_TRAIN = pa.DataFrameSchema(
    {"qa_id": pa.Column(int)}
    | {c: pa.Column(str, nullable=c in _FREE_TEXT) for c in QUEST_INPUTS[1:9]}
    | {"category": pa.Column(str, pa.Check.isin(QUEST_CATEGORIES)), "host": pa.Column(str)}
    | {c: pa.Column(float, pa.Check.in_range(0, 1), coerce=True) for c in QUEST_TARGETS},
    strict=True, ordered=True,
)


def _quest_contract(raw: Path) -> None:
    check_csv(raw / "train.csv", QUEST_TRAIN, "train.csv")


def _quest_positions(spelling: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """v1's split positions, with its fix for a constant ``question_type_spelling`` in the test part: test row 0
    changes places with the first training row (in split order) whose value is not 0."""
    train, test = split_positions(len(spelling), 0.1)
    if pd.Series(spelling[test]).nunique() == 1:
        candidates = np.flatnonzero(spelling[train] != 0)  # NaN != 0, as in v1
        if not len(candidates):
            raise RawDataError(
                "train.csv: question_type_spelling is constant in the test split and no training row has another "
                "value to swap in (MLE-bench v1 fails here too); the raw data is incomplete: download it again"
            )
        j = candidates[0]
        train, test = train.copy(), test.copy()
        train[j], test[0] = test[0], train[j]
    return train, test


@register_preparer("google-quest-challenge", ("train.csv",), _quest_contract)
def prepare_quest(raw: Path, public: Path, private: Path) -> None:
    """Rows split by train_test_split(test_size=0.1, random_state=0); if question_type_spelling is constant in the
    test part, test row 0 swaps places with the first training row where it is not 0; the sample submission rises
    from 0 to 1 down every column."""
    old = read_csv(raw / "train.csv", "train.csv")
    require_unique(old["qa_id"], "train.csv", "qa_id")
    train_pos, test_pos = _quest_positions(old["question_type_spelling"].to_numpy(dtype=float))
    train, test = old.iloc[train_pos], old.iloc[test_pos]
    constant = [c for c in QUEST_TARGETS if test[c].nunique() < 2]
    if constant:
        raise RawDataError(
            f"train.csv: target column(s) {', '.join(constant)} are constant in the test split, where Spearman's "
            "correlation is undefined (MLE-bench v1 asserts against it); the raw data is too small or has changed"
        )
    answers = test[["qa_id", *QUEST_TARGETS]]
    ramp = np.linspace(0, 1, len(answers))
    sample = answers[["qa_id"]].assign(**{c: ramp for c in QUEST_TARGETS})
    write_csv(answers, private / "test.csv")
    write_csv(train, public / "train.csv")
    write_csv(test.drop(columns=QUEST_TARGETS), public / "test.csv")
    write_csv(sample, public / "sample_submission.csv")


# ------------------------------------------------------------------------ jigsaw-unintended-bias-in-toxicity-classification
#: the 24 identity columns, in train.csv's (alphabetical) order
JIGSAW_BIAS_IDENTITIES = [
    "asian", "atheist", "bisexual", "black", "buddhist", "christian", "female", "heterosexual", "hindu",
    "homosexual_gay_or_lesbian", "intellectual_or_learning_disability", "jewish", "latino", "male", "muslim",
    "other_disability", "other_gender", "other_race_or_ethnicity", "other_religion", "other_sexual_orientation",
    "physical_disability", "psychiatric_or_mental_illness", "transgender", "white",
]
JIGSAW_BIAS_SUBTYPES = ["severe_toxicity", "obscene", "identity_attack", "insult", "threat"]
JIGSAW_BIAS_META = ["created_date", "publication_id", "parent_id", "article_id", "rating", "funny", "wow", "sad",
                    "likes", "disagree", "sexual_explicit", "identity_annotator_count", "toxicity_annotator_count"]
#: train.csv's 45 columns in Kaggle's order
JIGSAW_BIAS_TRAIN_COLUMNS = ["id", "target", "comment_text", *JIGSAW_BIAS_SUBTYPES, *JIGSAW_BIAS_IDENTITIES,
                             *JIGSAW_BIAS_META]
_FRACTION = pa.Check.in_range(0, 1)


def _jigsaw_bias_schema(target: str) -> pa.DataFrameSchema:
    """The 45 columns (any order; the test files call the target ``toxicity``), with the types v1 and the grader use."""
    columns = {c: pa.Column(nullable=True) for c in JIGSAW_BIAS_TRAIN_COLUMNS if c != "target"}
    columns |= {
        "id": pa.Column(int),
        "comment_text": pa.Column(str, nullable=True),
        target: pa.Column(float, _FRACTION, coerce=True),
    }
    columns |= {c: pa.Column(float, _FRACTION, nullable=True, coerce=True) for c in JIGSAW_BIAS_IDENTITIES}
    return pa.DataFrameSchema(columns, strict=True)


JIGSAW_BIAS_TRAIN = _jigsaw_bias_schema("target")
JIGSAW_BIAS_TEST = _jigsaw_bias_schema("toxicity")


def _jigsaw_bias_contract(raw: Path) -> None:
    check_csv(raw / "train.csv", JIGSAW_BIAS_TRAIN, "train.csv")
    check_csv(raw / "test_private_expanded.csv", JIGSAW_BIAS_TEST, "test_private_expanded.csv")


@register_preparer(
    "jigsaw-unintended-bias-in-toxicity-classification", ("train.csv", "test_private_expanded.csv"), _jigsaw_bias_contract
)
def prepare_jigsaw_bias(raw: Path, public: Path, private: Path) -> None:
    """No new split: Kaggle's labelled private test (test_private_expanded.csv, copied as the answers) is the test and
    Kaggle's train.csv (copied) the training set; the sample submission predicts 0.0."""
    test = read_csv(raw / "test_private_expanded.csv", "test_private_expanded.csv", usecols=["id", "comment_text"])
    require_unique(test["id"], "test_private_expanded.csv", "id")
    # the two big files are streamed, not loaded
    copy_files([(raw / "test_private_expanded.csv", private / "test.csv"), (raw / "train.csv", public / "train.csv")])
    write_csv(test[["id", "comment_text"]], public / "test.csv")
    write_csv(test[["id"]].assign(prediction=0.0), public / "sample_submission.csv")
