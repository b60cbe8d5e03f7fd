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
from ._common import check_csv, hex_id, read_csv, require_unique, split_frame, write_csv


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
