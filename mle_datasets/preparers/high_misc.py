"""Preparers of seven high and dev competitions with media-heavy downloads: BMS molecule drawings, Lyft's 3-D
scenes, contrail satellite bands, iWildCam camera traps, NFL contact videos, smartphone GNSS drives and the
Vesuvius papyrus volumes.

Their raw downloads run to tens or hundreds of gigabytes of media: images, lidar sweeps, ``.npy`` bands, videos,
GNSS logs and TIFF slices are hard-linked (or copied) into ``public/``, never decoded unless MLE-bench v1 reads
their pixels (contrail masks for the answers) or a header (the Vesuvius infrared photo's size); large tables are
streamed with pyarrow and large JSON arrays record by record, so memory stays bounded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from mle_datasets.errors import RawDataError

from . import register_preparer
from ._common import check_csv, link_files, read_csv, require_unique, split_positions, write_csv


def _examples(values, n: int = 3) -> str:
    return ", ".join(map(str, list(values)[:n]))


# ------------------------------------------------------------------------ bms-molecular-translation
BMS_WATER = "InChI=1S/H2O/h1H2"
BMS_SCHEMA = pa.DataFrameSchema(
    {"image_id": pa.Column(str, pa.Check.str_matches(r"^[0-9a-z]{3,}$", error="at least 3 lowercase letters or digits")),
     "InChI": pa.Column(str, pa.Check.str_startswith("InChI="))},
    strict=True, ordered=True,
)
BMS_EXTRA_SCHEMA = pa.DataFrameSchema({"InChI": pa.Column(str)}, strict=True)


def bms_image_paths(ids: pd.Series) -> pd.Series:
    """``a/b/c/<id>.png`` of each image id (its first three characters name the folders)."""
    return ids.str[0] + "/" + ids.str[1] + "/" + ids.str[2] + "/" + ids + ".png"


def _bms_contract(raw: Path) -> None:
    check_csv(raw / "train_labels.csv", BMS_SCHEMA, "train_labels.csv", dtype=str)
    check_csv(raw / "extra_approved_InChIs.csv", BMS_EXTRA_SCHEMA, "extra_approved_InChIs.csv", nrows=100, dtype=str)
    first = read_csv(raw / "train_labels.csv", "train_labels.csv", nrows=1, dtype=str)
    if len(first) and not (raw / "train" / bms_image_paths(first["image_id"]).iloc[0]).is_file():
        raise RawDataError(
            f"train/{bms_image_paths(first['image_id']).iloc[0]} is missing: the images must lie in "
            "train/<a>/<b>/<c>/<image_id>.png (the first three characters of the id); download the full competition data"
        )


@register_preparer("bms-molecular-translation", ("train_labels.csv", "extra_approved_InChIs.csv", "train"),
                   _bms_contract)
def prepare_bms(raw: Path, public: Path, private: Path) -> None:
    """Rows of train_labels.csv split by train_test_split(test_size=0.2, random_state=0); drawings linked into
    public/train/ and public/test/ in the a/b/c/<image_id>.png layout; the sample predicts water (InChI=1S/H2O/h1H2).
    """
    old = read_csv(raw / "train_labels.csv", "train_labels.csv", dtype=str)
    require_unique(old["image_id"], "train_labels.csv", "image_id")
    train, test = split_positions(len(old), 0.2)
    new_train, new_test = old.iloc[train], old.iloc[test]
    write_csv(new_train, public / "train_labels.csv")
    write_csv(new_test, private / "test.csv")
    write_csv(new_test.assign(InChI=BMS_WATER), public / "sample_submission.csv")
    for part, folder in ((new_train, "train"), (new_test, "test")):
        paths = bms_image_paths(part["image_id"]).tolist()
        link_files(((raw / "train" / p, public / folder / p) for p in paths), "train image")
    link_files([(raw / "extra_approved_InChIs.csv", public / "extra_approved_InChIs.csv")])
