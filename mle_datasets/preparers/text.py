"""Preparers of the lite text competitions: insults, jigsaw, spooky authors, pizza requests, text normalization."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from mle_datasets.errors import RawDataError

from . import register_preparer
from ._common import (
    QUOTE_NONNUMERIC,
    binary,
    check_csv,
    check_csv_in_zip,
    csv_bytes,
    hex_id,
    one_hot,
    open_zip,
    read_csv,
    read_csv_in_zip,
    require_in,
    require_unique,
    split_frame,
    split_positions,
    write_csv,
    write_zip,
)

# ------------------------------------------------------------------------ detecting-insults-in-social-commentary
INSULTS_TRAIN = pa.DataFrameSchema(
    {
        "Insult": pa.Column(int, binary()),
        "Date": pa.Column(str, pa.Check.str_matches(r"^\d{14}Z$"), nullable=True),
        "Comment": pa.Column(str),
    },
    strict=True, ordered=True,
)
INSULTS_TEST = INSULTS_TRAIN.add_columns({"Usage": pa.Column(str, pa.Check.isin(["PublicTest", "PrivateTest"]))})


def _insults_contract(raw: Path) -> None:
    check_csv(raw / "train.csv", INSULTS_TRAIN, "train.csv", nrows=None)
    check_csv(raw / "test_with_solutions.csv", INSULTS_TEST, "test_with_solutions.csv", nrows=None)


@register_preparer(
    "detecting-insults-in-social-commentary", ("train.csv", "test_with_solutions.csv"), _insults_contract
)
def prepare_insults(raw: Path, public: Path, private: Path) -> None:
    """No new split: Kaggle's labelled test is the test; ``Comment`` is the key."""
    train = read_csv(raw / "train.csv", "train.csv")
    solutions = read_csv(raw / "test_with_solutions.csv", "test_with_solutions.csv")
    shared = np.intersect1d(train["Comment"].dropna().to_numpy(str), solutions["Comment"].dropna().to_numpy(str))
    if len(shared):
        raise RawDataError(
            f"{len(shared)} Comment(s) appear in both train.csv and test_with_solutions.csv; the key must "
            "separate train and test: download the raw data again"
        )
    (public / "train.csv").write_bytes((raw / "train.csv").read_bytes())
    (private / "test.csv").write_bytes((raw / "test_with_solutions.csv").read_bytes())
    gold = solutions[["Insult", "Date", "Comment"]]
    write_csv(gold, private / "gold_submission.csv")
    write_csv(gold.drop(columns=["Insult"]), public / "test.csv")
    write_csv(gold.assign(Insult=0), public / "sample_submission_null.csv")


# ------------------------------------------------------------------------ jigsaw-toxic-comment-classification-challenge
JIGSAW_LABELS = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]
JIGSAW_FILES = ("train.csv.zip", "test.csv.zip", "test_labels.csv.zip", "sample_submission.csv.zip")
JIGSAW_SCHEMAS = {
    "train.csv": pa.DataFrameSchema(
        {"id": pa.Column(str, hex_id(16)), "comment_text": pa.Column(str, nullable=True)}
        | {c: pa.Column(int, binary()) for c in JIGSAW_LABELS},
        strict=True, ordered=True,
    ),
    "test.csv": pa.DataFrameSchema(
        {"id": pa.Column(str, hex_id(16)), "comment_text": pa.Column(str, nullable=True)}, strict=True, ordered=True
    ),
    "test_labels.csv": pa.DataFrameSchema(
        {"id": pa.Column(str, hex_id(16))} | {c: pa.Column(int, pa.Check.isin([-1, 0, 1])) for c in JIGSAW_LABELS},
        strict=True, ordered=True,
    ),
    "sample_submission.csv": pa.DataFrameSchema(
        {"id": pa.Column(str, hex_id(16))} | {c: pa.Column(float, coerce=True) for c in JIGSAW_LABELS},
        strict=True, ordered=True,
    ),
}


def _jigsaw_contract(raw: Path) -> None:
    for member, schema in JIGSAW_SCHEMAS.items():
        check_csv_in_zip(raw / f"{member}.zip", member, schema)


@register_preparer("jigsaw-toxic-comment-classification-challenge", JIGSAW_FILES, _jigsaw_contract)
def prepare_jigsaw(raw: Path, public: Path, private: Path) -> None:
    """No new split: Kaggle's test and its released labels (``-1`` rows unscored) are the test."""
    train, test, answers, sample = (read_csv_in_zip(raw / f"{m}.zip", m) for m in JIGSAW_SCHEMAS)
    test_ids = np.sort(test["id"].to_numpy(str))
    for name, frame in (("test_labels.csv", answers), ("sample_submission.csv", sample)):
        if len(frame) != len(test) or not np.array_equal(np.sort(frame["id"].to_numpy(str)), test_ids):
            raise RawDataError(
                f"{name} and test.csv do not hold the same ids; the raw data is incomplete: download it again"
            )
    if np.isin(train["id"].to_numpy(str), test_ids).any():
        raise RawDataError("train.csv and test.csv share ids; the raw data has changed: download it again")
    write_csv(train, public / "train.csv")
    write_csv(test, public / "test.csv")
    write_csv(sample.assign(**{c: 0.5 for c in JIGSAW_LABELS}), public / "sample_submission.csv")
    write_csv(answers, private / "test.csv")


# ------------------------------------------------------------------------ spooky-author-identification
SPOOKY_AUTHORS = ["EAP", "HPL", "MWS"]
SPOOKY_PRIOR = {"EAP": 0.403493538995863, "HPL": 0.287808366106543, "MWS": 0.308698094897594}
SPOOKY_SCHEMA = pa.DataFrameSchema(
    {
        "id": pa.Column(str, pa.Check.str_matches(r"^id\d{5}$")),
        "text": pa.Column(str),
        "author": pa.Column(str, pa.Check.isin(SPOOKY_AUTHORS)),
    },
    strict=True, ordered=True,
)


def _spooky_contract(raw: Path) -> None:
    check_csv_in_zip(raw / "train.zip", "train.csv", SPOOKY_SCHEMA)


@register_preparer("spooky-author-identification", ("train.zip",), _spooky_contract)
def prepare_spooky(raw: Path, public: Path, private: Path) -> None:
    """Rows split by train_test_split(test_size=0.1, random_state=0); answers one-hot over EAP, HPL, MWS; sample
    submission holds Kaggle's class priors."""
    old = read_csv_in_zip(raw / "train.zip", "train.csv")
    require_unique(old["id"], "train.csv", "id")
    require_in(old["author"], SPOOKY_AUTHORS, "train.csv", "author")
    train, test = split_frame(old, 0.1)
    answers = one_hot(test["id"], test["author"], "id", SPOOKY_AUTHORS)
    write_csv(train, public / "train.csv")
    write_csv(test.drop(columns=["author"]), public / "test.csv")
    write_csv(answers.assign(**SPOOKY_PRIOR), public / "sample_submission.csv")
    write_csv(answers, private / "test.csv")


# ------------------------------------------------------------------------ random-acts-of-pizza
def _load_json_records(path: Path) -> list[dict]:
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise RawDataError(f"{path.name} is not readable JSON ({err}); download it again") from None
    if not isinstance(records, list) or not records or not all(isinstance(r, dict) for r in records):
        raise RawDataError(f"{path.name} must be a non-empty JSON array of objects; download it again")
    key_sets = {frozenset(r) for r in records}
    if len(key_sets) != 1:
        raise RawDataError(
            f"{path.name}: records do not all have the same keys ({len(key_sets)} different key sets); "
            "the file is damaged or has changed: download it again"
        )
    return records


def _pizza_contract(raw: Path) -> None:
    train = _load_json_records(raw / "train.json")
    test = _load_json_records(raw / "test.json")
    train_keys, test_keys = set(train[0]), set(test[0])
    needed = {"request_id", "requester_received_pizza"}
    missing = sorted((needed | test_keys) - train_keys)
    if missing:
        raise RawDataError(
            f"train.json records lack key(s) {missing} (needed: the test keys plus the target); download it again"
        )
    if "requester_received_pizza" in test_keys:
        raise RawDataError("test.json carries the target requester_received_pizza; this is not Kaggle's test file")


@register_preparer("random-acts-of-pizza", ("train.json", "test.json"), _pizza_contract)
def prepare_pizza(raw: Path, public: Path, private: Path) -> None:
    """Records split with test share len(test)/(len(train)+len(test)); public test keeps Kaggle's test keys."""
    train_all = _load_json_records(raw / "train.json")
    test_all = _load_json_records(raw / "test.json")
    test_fields, n_test = list(test_all[0]), len(test_all)
    train_pos, test_pos = split_positions(len(train_all), n_test / (len(train_all) + n_test))
    new_train = [train_all[i] for i in train_pos]
    new_test = [train_all[i] for i in test_pos]
    public_test = [{k: r[k] for k in test_fields} for r in new_test]
    train_json = json.dumps(new_train, indent=4).encode("utf-8")
    test_json = json.dumps(public_test, indent=4).encode("utf-8")
    (public / "train.json").write_bytes(train_json)
    (public / "test.json").write_bytes(test_json)
    write_zip(public / "train.zip", {"train.json": train_json})
    write_zip(public / "test.zip", {"test.json": test_json})
    frame = pd.DataFrame.from_records(new_test, columns=["request_id", "requester_received_pizza"])
    answers = frame.assign(requester_received_pizza=frame["requester_received_pizza"].astype(int))
    write_csv(answers, private / "test.csv")
    write_csv(answers.assign(requester_received_pizza=0), public / "sampleSubmission.csv")


# ------------------------------------------------------------------------ text-normalization-challenge-*
TEXT_NORM_SCHEMA = pa.DataFrameSchema(
    {
        "sentence_id": pa.Column(int),
        "token_id": pa.Column(int, pa.Check.ge(0)),
        "class": pa.Column(str),
        "before": pa.Column(str, nullable=True),
        "after": pa.Column(str, nullable=True),
    },
    strict=True, ordered=True,
)


def _text_norm(lang: str) -> None:
    """Register the text-normalization preparer of language prefix ``lang`` (``en`` or ``ru``)."""
    train_zip, test_zip = f"{lang}_train.csv.zip", f"{lang}_test_2.csv.zip"
    sample_zip = f"{lang}_sample_submission_2.csv.zip"
    language = {"en": "english", "ru": "russian"}[lang]

    def contract(raw: Path) -> None:
        check_csv_in_zip(raw / train_zip, f"{lang}_train.csv", TEXT_NORM_SCHEMA)
        for name in (test_zip, sample_zip):  # MLE-bench unpacks them: they must be readable zips
            with open_zip(raw / name) as zf:
                if zf.testzip() is not None:
                    raise RawDataError(f"{name} is corrupt; download it again")

    @register_preparer(f"text-normalization-challenge-{language}-language", (train_zip, test_zip, sample_zip), contract)
    def prepare(raw: Path, public: Path, private: Path) -> None:
        """Unique sentence ids split by train_test_split(test_size=0.1, random_state=0); sentence ids renumbered 0.. by
        first appearance within train and test."""
        old = read_csv_in_zip(raw / train_zip, f"{lang}_train.csv")
        sentences = old["sentence_id"].unique()
        train_pos, test_pos = split_positions(len(sentences), 0.1)
        in_test = old["sentence_id"].isin(sentences[test_pos])
        train, answers = old[~in_test], old[in_test]
        train = train.assign(sentence_id=pd.factorize(train["sentence_id"])[0])
        answers = answers.assign(sentence_id=pd.factorize(answers["sentence_id"])[0])
        test = answers.drop(columns=["after", "class"])
        token_ids = answers["sentence_id"].astype(str) + "_" + answers["token_id"].astype(str)
        answers_out = pd.DataFrame({"id": token_ids, "after": answers["after"]})
        sample = pd.DataFrame({"id": token_ids, "after": test["before"]})
        quoted = {"quotechar": '"', "quoting": QUOTE_NONNUMERIC}
        write_csv(answers_out, private / "answers.csv", **quoted)
        write_csv(sample, private / "sample_submission.csv", **quoted)
        stored = zipfile.ZIP_STORED  # MLE-bench writes these zips uncompressed
        write_zip(public / train_zip, {f"{lang}_train.csv": csv_bytes(train, **quoted)}, compression=stored)
        write_zip(public / test_zip, {f"{lang}_test_2.csv": csv_bytes(test, **quoted)}, compression=stored)
        write_zip(public / sample_zip, {f"{lang}_sample_submission_2.csv": csv_bytes(sample, **quoted)}, compression=stored)


_text_norm("en")
_text_norm("ru")
