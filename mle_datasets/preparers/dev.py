"""Preparers of the dev competitions (the ones MLE-bench's users build agents on before a full run)."""

from __future__ import annotations

from pathlib import Path

import pandera.pandas as pa

from . import register_preparer
from ._common import check_csv, read_csv, require_unique, split_frame, write_csv

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
