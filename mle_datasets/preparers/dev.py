"""Preparers of the dev competitions (the ones MLE-bench's users build agents on before a full run)."""

from __future__ import annotations

from pathlib import Path

import pandera.pandas as pa

from . import register_preparer
from ._common import (
    check_csv,
    check_csv_in_zip,
    csv_bytes,
    read_csv,
    read_csv_in_zip,
    require_unique,
    split_frame,
    write_csv,
    write_zip,
)

# ------------------------------------------------------------------------------------------ spaceship-titanic
SPACESHIP_FEATURES = ("HomePlanet", "CryoSleep", "Cabin", "Destination", "Age", "VIP", "RoomService",
                      "FoodCourt", "ShoppingMall", "Spa", "VRDeck", "Name")
SPACESHIP_SCHEMA = pa.DataFrameSchema(
    {"PassengerId": pa.Column(str, pa.Check.str_matches(r"^\d{4}_\d{2}$"))}
    | {c: pa.Column(nullable=True) for c in SPACESHIP_FEATURES}
    | {"Transported": pa.Column(bool)},
    strict=True, ordered=True,
)


def _spaceship_contract(raw: Path) -> None:
    check_csv(raw / "train.csv", SPACESHIP_SCHEMA, "train.csv")


@register_preparer("spaceship-titanic", ("train.csv",), _spaceship_contract)
def prepare_spaceship(raw: Path, public: Path, private: Path) -> None:
    """Rows split by train_test_split(test_size=0.1, random_state=0); sample submission ``Transported`` = False."""
    old = read_csv(raw / "train.csv", "train.csv")
    require_unique(old["PassengerId"], "train.csv", "PassengerId")
    train, test = split_frame(old, 0.1)
    write_csv(train, public / "train.csv")
    write_csv(test, private / "test.csv")
    write_csv(test.drop(columns=["Transported"]), public / "test.csv")
    write_csv(test[["PassengerId"]].assign(Transported=False), public / "sample_submission.csv")


# ------------------------------------------------------------------------------------ playground-series-s3e18
S3E18_FEATURES = (
    "BertzCT", "Chi1", "Chi1n", "Chi1v", "Chi2n", "Chi2v", "Chi3v", "Chi4n", "EState_VSA1", "EState_VSA2",
    "ExactMolWt", "FpDensityMorgan1", "FpDensityMorgan2", "FpDensityMorgan3", "HallKierAlpha", "HeavyAtomMolWt",
    "Kappa3", "MaxAbsEStateIndex", "MinEStateIndex", "NumHeteroatoms", "PEOE_VSA10", "PEOE_VSA14", "PEOE_VSA6",
    "PEOE_VSA7", "PEOE_VSA8", "SMR_VSA10", "SMR_VSA5", "SlogP_VSA3", "VSA_EState9", "fr_COO", "fr_COO2",
)
S3E18_TARGETS = ("EC1", "EC2", "EC3", "EC4", "EC5", "EC6")
S3E18_SCHEMA = pa.DataFrameSchema(
    {"id": pa.Column(int)} | {c: pa.Column(float, coerce=True) for c in S3E18_FEATURES}
    | {c: pa.Column(int, pa.Check.isin([0, 1])) for c in S3E18_TARGETS},
    strict=True, ordered=True,
)


def _s3e18_contract(raw: Path) -> None:
    check_csv(raw / "train.csv", S3E18_SCHEMA, "train.csv")


@register_preparer("playground-series-s3e18", ("train.csv",), _s3e18_contract)
def prepare_s3e18(raw: Path, public: Path, private: Path) -> None:
    """Rows split by train_test_split(test_size=0.1, random_state=0); sample submission ``EC1``, ``EC2`` = 0.5."""
    old = read_csv(raw / "train.csv", "train.csv")
    require_unique(old["id"], "train.csv", "id")
    train, test = split_frame(old, 0.1)
    write_csv(train, public / "train.csv")
    write_csv(test, private / "test.csv")
    write_csv(test.drop(columns=list(S3E18_TARGETS)), public / "test.csv")
    write_csv(test[["id"]].assign(EC1=0.5, EC2=0.5), public / "sample_submission.csv")


# ------------------------------------------------------------------------ movie-review-sentiment-analysis-kernels-only
MOVIE_SCHEMA = pa.DataFrameSchema(
    {"PhraseId": pa.Column(int), "SentenceId": pa.Column(int), "Phrase": pa.Column(str, nullable=True),
     "Sentiment": pa.Column(int, pa.Check.isin(range(5)))},
    strict=True, ordered=True,
)


def _movie_contract(raw: Path) -> None:
    check_csv_in_zip(raw / "train.tsv.zip", "train.tsv", MOVIE_SCHEMA, sep="\t")


@register_preparer("movie-review-sentiment-analysis-kernels-only", ("train.tsv.zip",), _movie_contract)
def prepare_movie_review(raw: Path, public: Path, private: Path) -> None:
    """Phrases split by train_test_split(test_size=0.3, random_state=0); tables re-zipped; sample ``Sentiment`` = 2."""
    old = read_csv_in_zip(raw / "train.tsv.zip", "train.tsv", sep="\t")
    require_unique(old["PhraseId"], "train.tsv", "PhraseId")
    train, answers = split_frame(old, 0.3)
    write_csv(answers, private / "answers.csv")
    write_zip(public / "train.tsv.zip", {"train.tsv": csv_bytes(train, sep="\t")})
    write_zip(public / "test.tsv.zip", {"test.tsv": csv_bytes(answers.drop(columns=["Sentiment"]), sep="\t")})
    write_csv(answers[["PhraseId"]].assign(Sentiment=2), public / "sampleSubmission.csv")
