"""Preparers of the lite tabular competitions: two tabular playgrounds, NYC taxi fares, nomad2018."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_lib

from mle_datasets.errors import RawDataError

from . import register_preparer
from ._common import (
    BUCKET_ROWS,
    check_csv,
    check_csv_in_zip,
    open_zip,
    preformat_floats,
    read_csv,
    read_csv_in_zip,
    read_member,
    require_unique,
    split_csv_streamed,
    split_frame,
    write_csv,
)

# ------------------------------------------------------------------------ tabular-playground-series-dec-2021
TPS_DEC_FEATURES = (
    ["Elevation", "Aspect", "Slope", "Horizontal_Distance_To_Hydrology", "Vertical_Distance_To_Hydrology",
     "Horizontal_Distance_To_Roadways", "Hillshade_9am", "Hillshade_Noon", "Hillshade_3pm",
     "Horizontal_Distance_To_Fire_Points"]
    + [f"Wilderness_Area{i}" for i in range(1, 5)]
    + [f"Soil_Type{i}" for i in range(1, 41)]
)
TPS_DEC_SCHEMA = pa.DataFrameSchema(
    {"Id": pa.Column(int)}
    | {c: pa.Column(int) for c in TPS_DEC_FEATURES}
    | {"Cover_Type": pa.Column(int, pa.Check.isin(range(1, 8)))},
    strict=True, ordered=True,
)


def _tps_dec_contract(raw: Path) -> None:
    check_csv(raw / "train.csv", TPS_DEC_SCHEMA, "train.csv")


@register_preparer("tabular-playground-series-dec-2021", ("train.csv",), _tps_dec_contract)
def prepare_tps_dec(raw: Path, public: Path, private: Path) -> None:
    """Rows split by train_test_split(test_size=0.1, random_state=0); sample submission ``Cover_Type`` = 2."""
    old = read_csv(raw / "train.csv", "train.csv")
    require_unique(old["Id"], "train.csv", "Id")
    train, test = split_frame(old, 0.1)
    write_csv(train, public / "train.csv")
    write_csv(test, private / "test.csv")
    write_csv(test.drop(columns=["Cover_Type"]), public / "test.csv")
    write_csv(pd.DataFrame({"Id": test["Id"].to_numpy(), "Cover_Type": 2}), public / "sample_submission.csv")


# ------------------------------------------------------------------------ tabular-playground-series-may-2022
TPS_MAY_TYPES = (
    [(f"f_{i:02d}", float) for i in range(0, 7)]
    + [(f"f_{i:02d}", int) for i in range(7, 19)]
    + [(f"f_{i:02d}", float) for i in range(19, 27)]
    + [("f_27", str), ("f_28", float), ("f_29", int), ("f_30", int)]
)
TPS_MAY_SCHEMA = pa.DataFrameSchema(
    {"id": pa.Column(int)}
    | {c: pa.Column(t, pa.Check.str_matches(r"^[A-Z]{10}$") if t is str else None) for c, t in TPS_MAY_TYPES}
    | {"target": pa.Column(int, pa.Check.isin([0, 1]))},
    strict=True, ordered=True,
)


def _tps_may_contract(raw: Path) -> None:
    check_csv(raw / "train.csv", TPS_MAY_SCHEMA, "train.csv")


@register_preparer("tabular-playground-series-may-2022", ("train.csv",), _tps_may_contract)
def prepare_tps_may(raw: Path, public: Path, private: Path) -> None:
    """Rows split by train_test_split(test_size=100_000, random_state=0); ids renumbered 0.. in split order (train
    first, then test)."""
    old = read_csv(raw / "train.csv", "train.csv")
    train, test = split_frame(old, 100_000)
    train = train.assign(id=np.arange(len(train)))
    test = preformat_floats(test.assign(id=np.arange(len(train), len(train) + len(test))))  # written twice
    gold = test[["id", "target"]]
    write_csv(train, public / "train.csv")
    write_csv(test, private / "test.csv")
    write_csv(test.drop(columns=["target"]), public / "test.csv")
    write_csv(gold, private / "gold_submission.csv")
    write_csv(gold.assign(target=0.5), public / "sample_submission.csv")


# ------------------------------------------------------------------------ new-york-city-taxi-fare-prediction
TAXI_SCHEMA = pa.DataFrameSchema(
    {
        "key": pa.Column(str, pa.Check.str_matches(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+$")),
        "fare_amount": pa.Column(float, coerce=True),
        "pickup_datetime": pa.Column(str, pa.Check.str_matches(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$")),
        "pickup_longitude": pa.Column(float, coerce=True, nullable=True),
        "pickup_latitude": pa.Column(float, coerce=True, nullable=True),
        "dropoff_longitude": pa.Column(float, coerce=True, nullable=True),
        "dropoff_latitude": pa.Column(float, coerce=True, nullable=True),
        "passenger_count": pa.Column(int),
    },
    strict=True, ordered=True,
)


def _taxi_contract(raw: Path) -> None:
    check_csv(raw / "train.csv", TAXI_SCHEMA, "train.csv")


#: The raw train.csv's columns and the types pandas reads them as (an integer column with an empty field anywhere
#: is read as float, as pandas does).
TAXI_TYPES = {"key": pa_lib.string(), "fare_amount": pa_lib.float64(), "pickup_datetime": pa_lib.string(),
              "pickup_longitude": pa_lib.float64(), "pickup_latitude": pa_lib.float64(),
              "dropoff_longitude": pa_lib.float64(), "dropoff_latitude": pa_lib.float64(),
              "passenger_count": pa_lib.int64()}
#: Checked on every row while streaming (the raw contract reads the first rows only): text pandas would also
#: read as text, so the bytes written are the ones pandas writes.
TAXI_PATTERNS = {c: TAXI_SCHEMA.columns[c].checks[0].statistics["pattern"] for c in ("key", "pickup_datetime")}


@register_preparer(
    "new-york-city-taxi-fare-prediction", ("train.csv", "GCP-Coupons-Instructions.rtf"), _taxi_contract
)
def prepare_taxi(raw: Path, public: Path, private: Path, *, block_bytes: int | None = None,
                 bucket_rows: int = BUCKET_ROWS) -> None:
    """Rows split by train_test_split(test_size=9914, random_state=0); the new train is written as
    ``public/labels.csv``.

    Streamed (Kaggle's train.csv has 55 million rows): the bytes are those of v1's pandas read + split + write,
    with memory bounded by ``block_bytes`` of CSV read at a time and ``bucket_rows`` rows put in order at a time.
    """
    test = split_csv_streamed(raw / "train.csv", "train.csv", TAXI_TYPES, 9914, public / "labels.csv", unique="key",
                              patterns=TAXI_PATTERNS, block_bytes=block_bytes, bucket_rows=bucket_rows).to_pandas()
    write_csv(test.drop(columns=["fare_amount"]), public / "test.csv")
    write_csv(test[["key"]].assign(fare_amount=11.35), public / "sample_submission.csv")
    write_csv(test, private / "test.csv")
    shutil.copyfile(raw / "GCP-Coupons-Instructions.rtf", public / "GCP-Coupons-Instructions.rtf")


# ------------------------------------------------------------------------ nomad2018-predict-transparent-conductors
NOMAD_TARGETS = ["formation_energy_ev_natom", "bandgap_energy_ev"]
NOMAD_SCHEMA = pa.DataFrameSchema(
    {
        "id": pa.Column(int),
        "spacegroup": pa.Column(int),
        "number_of_total_atoms": pa.Column(float, coerce=True),
        "percent_atom_al": pa.Column(float, coerce=True),
        "percent_atom_ga": pa.Column(float, coerce=True),
        "percent_atom_in": pa.Column(float, coerce=True),
        "lattice_vector_1_ang": pa.Column(float, coerce=True),
        "lattice_vector_2_ang": pa.Column(float, coerce=True),
        "lattice_vector_3_ang": pa.Column(float, coerce=True),
        "lattice_angle_alpha_degree": pa.Column(float, coerce=True),
        "lattice_angle_beta_degree": pa.Column(float, coerce=True),
        "lattice_angle_gamma_degree": pa.Column(float, coerce=True),
        "formation_energy_ev_natom": pa.Column(float, pa.Check.gt(-1), coerce=True),
        "bandgap_energy_ev": pa.Column(float, pa.Check.gt(-1), coerce=True),
    },
    strict=True, ordered=True,
)
#: ``train/<int id>/<name>.xyz``: what MLE-bench's one-level glob of the unpacked train.zip finds.
_XYZ = re.compile(r"^train/(\d+)/[^/]+\.xyz$")


def _geometry_members(names: list[str]) -> pd.Series:
    """Zip member of each id's geometry (the last in sorted order, as copying them in order would leave)."""
    found = pd.Series(sorted(names), dtype=str)
    ids = found.str.extract(_XYZ, expand=False)
    keep = ids.notna()
    return pd.Series(found[keep].to_numpy(), index=ids[keep].astype(int).to_numpy()).groupby(level=0).last()


def _nomad_contract(raw: Path) -> None:
    check_csv_in_zip(raw / "train.csv.zip", "train.csv", NOMAD_SCHEMA)
    for name in ("test.zip", "test.csv.zip"):
        with open_zip(raw / name):
            pass
    with open_zip(raw / "train.zip") as zf:
        if _geometry_members(zf.namelist()).empty:
            raise RawDataError(
                "train.zip holds no train/<id>/geometry.xyz entries; download the full competition data again"
            )


@register_preparer(
    "nomad2018-predict-transparent-conductors",
    ("train.csv.zip", "train.zip", "test.csv.zip", "test.zip"),
    _nomad_contract,
)
def prepare_nomad(raw: Path, public: Path, private: Path) -> None:
    """Rows split by train_test_split(test_size=0.1, random_state=0); ids renumbered 1..n in split order, separately in
    train and test, geometry folders too."""
    old = read_csv_in_zip(raw / "train.csv.zip", "train.csv")
    require_unique(old["id"], "train.csv", "id")
    train, test = split_frame(old, 0.1)
    old_train_ids, old_test_ids = train["id"].to_numpy(), test["id"].to_numpy()
    train = train.assign(id=np.arange(1, len(train) + 1))
    test = test.assign(id=np.arange(1, len(test) + 1))
    write_csv(train, public / "train.csv")
    write_csv(test, private / "test.csv")
    write_csv(test.drop(columns=NOMAD_TARGETS), public / "test.csv")
    with open_zip(raw / "train.zip") as zf:
        members = _geometry_members(zf.namelist())
        for folder, old_ids in (("train", old_train_ids), ("test", old_test_ids)):
            missing = np.setdiff1d(old_ids, members.index.to_numpy())
            if len(missing):
                raise RawDataError(
                    f"train.zip lacks train/<id>/geometry.xyz for {len(missing)} id(s) of train.csv "
                    f"(e.g. {', '.join(map(str, missing[:3]))}); download the full competition data again"
                )
            for new_id, member in enumerate(members.loc[old_ids], start=1):
                dest = public / folder / str(new_id) / "geometry.xyz"
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(read_member(zf, member))
    sample = pd.DataFrame({"id": test["id"], "formation_energy_ev_natom": 0.1779, "bandgap_energy_ev": 1.8892})
    write_csv(sample, public / "sample_submission.csv")
