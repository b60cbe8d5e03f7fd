"""Preparers of six dev and high competitions whose raw data are media folders, arrays or JSON Lines.

invasive-species-monitoring, ml2021spring-hw2, paddy-disease-classification, plant-seedlings-classification
(dev) and predict-volcanic-eruptions-ingv-oe, stanford-covid-vaccine (high). Media files are hard-linked from the
raw folder (copied across file systems) and never decoded; the arrays of ml2021spring-hw2 are memory-mapped and
gathered in blocks of rows.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from . import register_preparer
from ._common import (
    check_csv,
    link_files,
    read_csv,
    require_named_files,
    require_unique,
    split_frame,
    write_csv,
)

# ------------------------------------------------------------------------ predict-volcanic-eruptions-ingv-oe
VOLCANO_SCHEMA = pa.DataFrameSchema(
    {"segment_id": pa.Column(int), "time_to_eruption": pa.Column(int)}, strict=True, ordered=True,
)


def _volcano_contract(raw: Path) -> None:
    check_csv(raw / "train.csv", VOLCANO_SCHEMA, "train.csv")


@register_preparer("predict-volcanic-eruptions-ingv-oe", ("train.csv", "train"), _volcano_contract)
def prepare_volcano(raw: Path, public: Path, private: Path) -> None:
    """Segments split by train_test_split(test_size=0.1, random_state=0); each segment's CSV moves to
    public/train/ or public/test/; sample submission ``time_to_eruption`` = 0."""
    old = read_csv(raw / "train.csv", "train.csv")
    require_unique(old["segment_id"], "train.csv", "segment_id")
    names = old["segment_id"].astype(str) + ".csv"
    require_named_files(raw / "train", names, "segment")
    train, test = split_frame(old, 0.1)
    write_csv(test, private / "test.csv")
    write_csv(train, public / "train.csv")
    write_csv(test.assign(time_to_eruption=0), public / "sample_submission.csv")
    for part, folder in ((train, "train"), (test, "test")):
        (public / folder).mkdir(parents=True, exist_ok=True)
        files = part["segment_id"].astype(str) + ".csv"
        link_files(((raw / "train" / f, public / folder / f) for f in files), "segment")
