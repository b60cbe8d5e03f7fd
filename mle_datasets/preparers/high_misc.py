"""Preparers of seven high and dev competitions with media-heavy downloads: BMS molecule drawings, Lyft's 3-D
scenes, contrail satellite bands, iWildCam camera traps, NFL contact videos, smartphone GNSS drives and the
Vesuvius papyrus volumes.

Their raw downloads run to tens or hundreds of gigabytes of media: images, lidar sweeps, ``.npy`` bands, videos,
GNSS logs and TIFF slices are hard-linked (or copied) into ``public/``, never decoded unless MLE-bench v1 reads
their pixels (contrail masks for the answers) or a header (the Vesuvius infrared photo's size); large tables are
streamed with pyarrow and large JSON arrays record by record, so memory stays bounded.
"""

from __future__ import annotations

import json
import random
import struct
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_lib
import pyarrow.compute as pc

from mle_datasets.errors import RawDataError

from . import register_preparer
from .signals import CsvSink, iter_arrow_csv
from ._common import (
    check_csv,
    link_files,
    link_tree,
    open_zip,
    read_csv,
    read_member,
    require_named_files,
    require_unique,
    split_positions,
    write_csv,
    write_zip,
)


def _examples(values, n: int = 3) -> str:
    return ", ".join(map(str, list(values)[:n]))


class _ZipMembers(Mapping):
    """``{name: member}`` of an open zip whose bytes are read only when asked, one entry at a time (for
    :func:`write_zip`, which reads each value once)."""

    def __init__(self, zf: zipfile.ZipFile, names: Iterable[str]) -> None:
        self.zf, self.names = zf, list(dict.fromkeys(names))

    def __getitem__(self, name: str) -> bytes:
        return read_member(self.zf, name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)


# ------------------------------------------------------------------------ bms-molecular-translation
BMS_WATER = "InChI=1S/H2O/h1H2"
BMS_SCHEMA = pa.DataFrameSchema(
    {"image_id": pa.Column(str, pa.Check.str_matches(r"^[0-9a-z]{3,}$",
                                                     error="at least 3 lowercase letters or digits")),
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
            "train/<a>/<b>/<c>/<image_id>.png (the first three characters of the id); download the full competition "
            "data"
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


# ------------------------------------------------------------------------ iwildcam-2019-fgvc6
IWILDCAM_SCHEMA = pa.DataFrameSchema(
    {
        "category_id": pa.Column(int, pa.Check.in_range(0, 22)),
        "date_captured": pa.Column(str),
        "file_name": pa.Column(str, pa.Check.str_endswith(".jpg")),
        "frame_num": pa.Column(int),
        "id": pa.Column(str),
        "location": pa.Column(int),
        "rights_holder": pa.Column(str, nullable=True),
        "seq_id": pa.Column(str),
        "seq_num_frames": pa.Column(int),
        "width": pa.Column(int),
        "height": pa.Column(int),
    },
    strict=True, ordered=True,
)


def _root_jpgs(zf: zipfile.ZipFile) -> set[str]:
    """Entries ``<name>.jpg`` at the root of a zip (what MLE-bench's ``glob("train_images/*.jpg")`` counts once
    the zip is unpacked into train_images/)."""
    return {n for n in zf.namelist() if "/" not in n and n.endswith(".jpg")}


def _iwildcam_contract(raw: Path) -> None:
    check_csv(raw / "train.csv", IWILDCAM_SCHEMA, "train.csv")
    with open_zip(raw / "train_images.zip") as zf:
        if not _root_jpgs(zf):
            raise RawDataError(
                "train_images.zip holds no <id>.jpg at its root (MLE-bench unzips it into train_images/ and counts "
                "train_images/*.jpg); download it again"
            )


@register_preparer("iwildcam-2019-fgvc6", ("train.csv", "train_images.zip"), _iwildcam_contract)
def prepare_iwildcam(raw: Path, public: Path, private: Path) -> None:
    """Camera locations (in order of first appearance) split by train_test_split(test_size=0.1, random_state=8);
    every image of a test location is a test image; JPEGs re-zipped flat into public train_images.zip and
    test_images.zip; the sample (Category 0) is written with its pandas index.
    """
    old = read_csv(raw / "train.csv", "train.csv")
    locations = old["location"].unique()
    _, test_pos = split_positions(len(locations), 0.1, seed=8)
    in_test = old["location"].isin(locations[test_pos]).to_numpy()
    new_train, answers = old[~in_test], old[in_test]
    new_test = answers.drop(columns=["category_id"])
    gold = answers[["id", "category_id"]].rename(columns={"id": "Id", "category_id": "Category"})
    with open_zip(raw / "train_images.zip") as zf:
        present = _root_jpgs(zf)
        if len(present) != old["id"].nunique():
            raise RawDataError(
                f"train_images.zip holds {len(present)} <id>.jpg image(s) at its root but train.csv has "
                f"{old['id'].nunique()} distinct ids (MLE-bench asserts they are equal); download the full data again"
            )
        members = old["id"] + ".jpg"
        missing = members[~members.isin(present)]
        if len(missing):
            raise RawDataError(f"train_images.zip lacks {len(missing)} image(s) listed in train.csv (e.g. "
                               f"{_examples(missing)}); download the full competition data again")
        for part, name in ((new_train, "train_images.zip"), (new_test, "test_images.zip")):
            write_zip(public / name, _ZipMembers(zf, part["id"] + ".jpg"))
    write_csv(answers, private / "test.csv")
    write_csv(gold, private / "answers.csv")
    write_csv(new_train, public / "train.csv")
    write_csv(new_test, public / "test.csv")
    sample = new_test[["id"]].rename(columns={"id": "Id"}).assign(Category=0)
    (public / "sample_submission.csv").write_bytes(sample.to_csv(lineterminator="\n").encode("utf-8"))


# ------------------------------------------------------------------------ vesuvius-challenge-ink-detection
VESUVIUS_LABEL_FILES = ("inklabels.png", "inklabels_rle.csv", "ir.png")
VESUVIUS_SUFFIXES = (".png", ".csv", ".tif")
VESUVIUS_RLE_SCHEMA = pa.DataFrameSchema(
    {"Id": pa.Column(nullable=True), "Predicted": pa.Column(str, nullable=True)}, strict=True, ordered=True
)
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """``(width, height)`` of a PNG read from its IHDR header (the pixels are not decoded)."""
    with open(path, "rb") as fh:
        head = fh.read(24)
    if len(head) < 24 or head[:8] != _PNG_SIGNATURE or head[12:16] != b"IHDR":
        raise RawDataError(f"{path.name} in {path.parent} is not a PNG image; download the competition data again")
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def _vesuvius_contract(raw: Path) -> None:
    fragment = raw / "train" / "3"
    rle = check_csv(fragment / "inklabels_rle.csv", VESUVIUS_RLE_SCHEMA, "train/3/inklabels_rle.csv")
    if len(rle) != 1:
        raise RawDataError(f"train/3/inklabels_rle.csv has {len(rle)} rows; MLE-bench expects exactly one (the "
                           "fragment's ink labels): download the competition data again")
    png_size(fragment / "ir.png")
    odd = [p.relative_to(fragment).as_posix() for p in sorted(fragment.rglob("*"))
           if p.is_file() and p.suffix not in VESUVIUS_SUFFIXES]
    if odd:
        raise RawDataError(
            f"train/3 holds {len(odd)} file(s) that are not .png, .csv or .tif (e.g. {_examples(odd)}); MLE-bench "
            "refuses them (it asserts every file of the test fragment has one of these suffixes): remove them"
        )


@register_preparer(
    "vesuvius-challenge-ink-detection",
    ("train/1", "train/2", "train/3/inklabels_rle.csv", "train/3/ir.png"),
    _vesuvius_contract,
)
def prepare_vesuvius(raw: Path, public: Path, private: Path) -> None:
    """Fixed split: fragments 1 and 2 stay train, fragment 3 becomes test fragment 'a' (its surface volume and
    mask public, its ink labels private with ir.png's width and height); the sample predicts '1 1 5 1'.
    """
    fragment = raw / "train" / "3"
    for name in ("1", "2"):
        link_tree(raw / "train" / name, public / "train" / name, "train fragment")
    rle = read_csv(fragment / "inklabels_rle.csv", "train/3/inklabels_rle.csv")
    width, height = png_size(fragment / "ir.png")
    answers = rle.assign(width=width, height=height, Id="a")
    write_csv(answers, private / "inklabels_rle.csv")
    write_csv(answers.drop(columns=["width", "height"]), private / "gold_submission.csv")
    pairs = []
    for path in sorted(fragment.rglob("*")):
        if path.is_file() and path.name not in VESUVIUS_LABEL_FILES:
            pairs.append((path, public / "test" / "a" / path.relative_to(fragment)))
    link_files(pairs, "test fragment")
    write_csv(pd.DataFrame({"Id": ["a"], "Predicted": ["1 1 5 1"]}), public / "sample_submission.csv")


# ------------------------------------------------------------------------ smartphone-decimeter-2022
GNSS_SAMPLE_LATITUDE = 37.904611315634504
GNSS_SAMPLE_LONGITUDE = -86.48107806249548
GNSS_TRUTH_COLUMNS = ["UnixTimeMillis", "LatitudeDegrees", "LongitudeDegrees"]
GNSS_TRUTH_SCHEMA = pa.DataFrameSchema(
    {"UnixTimeMillis": pa.Column(int), "LatitudeDegrees": pa.Column(float), "LongitudeDegrees": pa.Column(float)},
    strict=False,
)


def drive_date(drive: str) -> str | None:
    """``YYYY-MM-DD`` of a drive id ``Y-M-D-<rest>`` as MLE-bench reads it (month and day zero-padded); None when
    the first three ``-`` parts are not all digits.

    >>> drive_date("2021-7-19-US-MTV-1"), drive_date("US-MTV-1")
    ('2021-07-19', None)
    """
    parts = drive.split("-")
    if len(parts) < 3 or not all(p.isdigit() for p in parts[:3]):
        return None
    return f"{parts[0]}-{parts[1].zfill(2)}-{parts[2].zfill(2)}"


def _gnss_drives(raw: Path) -> list[str]:
    drives = sorted(p.name for p in (raw / "train").iterdir() if p.is_dir())
    bad = [d for d in drives if drive_date(d) is None]
    if bad:
        raise RawDataError(
            f"train/ holds {len(bad)} folder(s) not named like a drive 'YYYY-MM-DD-<area>-<n>' "
            f"(e.g. {_examples(bad)}); "
            "MLE-bench splits the drives by the date in their names: download the competition data again"
        )
    return drives


def _truth_files(drive_dir: Path) -> list[Path]:
    """Every ground_truth.csv under a drive folder, in MLE-bench's (path-part) order."""
    return sorted(drive_dir.rglob("ground_truth.csv"), key=lambda p: p.relative_to(drive_dir).parts)


def _gnss_contract(raw: Path) -> None:
    drives = _gnss_drives(raw)
    if not drives:
        raise RawDataError("train/ holds no drive folder; download the full competition data")
    for drive in drives:
        phones = [p for p in (raw / "train" / drive).iterdir() if p.is_dir()]
        dashed = [p.name for p in phones if "-" in p.name]
        if dashed:
            raise RawDataError(f"train/{drive} has phone folder(s) with '-' in the name ({_examples(dashed)}); the "
                               "trip id '<drive>-<phone>' must split at its last '-': download the data again")
        if not any((p / "ground_truth.csv").is_file() for p in phones):
            raise RawDataError(f"train/{drive} has no <phone>/ground_truth.csv; every drive needs its reference "
                               "positions: download the full competition data")
    first = _truth_files(raw / "train" / drives[0])[0]
    check_csv(first, GNSS_TRUTH_SCHEMA, first.relative_to(raw).as_posix())


@register_preparer("smartphone-decimeter-2022", ("train", "metadata"), _gnss_contract)
def prepare_gnss(raw: Path, public: Path, private: Path) -> None:
    """Distinct drive dates (sorted) split by train_test_split(test_size=0.1, random_state=0); drives follow
    their date; test drives copied without ground_truth.csv, whose rows (every phone, trip id '<drive>-<phone>')
    are the answers; the sample puts every fix at one constant point.
    """
    drives = _gnss_drives(raw)
    dates = sorted({drive_date(d) for d in drives})
    train_pos, test_pos = split_positions(len(dates), 0.1)
    test_dates = {dates[i] for i in test_pos}
    test_drives = [d for d in drives if drive_date(d) in test_dates]
    train_drives = [d for d in drives if drive_date(d) not in test_dates]
    for drive in train_drives:
        link_tree(raw / "train" / drive, public / "train" / drive, "train drive")
    frames = []
    for drive in test_drives:
        src = raw / "train" / drive
        for path in _truth_files(src):
            if path.parent.parent != src:
                raise RawDataError(
                    f"{path.relative_to(raw).as_posix()} is not at train/<drive>/<phone>/ground_truth.csv; MLE-bench "
                    "takes the drive from the file's grandparent folder: move it or download the data again"
                )
            name = path.relative_to(raw).as_posix()
            truth = check_csv(path, GNSS_TRUTH_SCHEMA, name, nrows=None)
            frames.append(truth[GNSS_TRUTH_COLUMNS].assign(tripId=f"{drive}-{path.parent.name}")[
                ["tripId", *GNSS_TRUTH_COLUMNS]])
        dst = public / "test" / drive
        dst.mkdir(parents=True, exist_ok=True)
        pairs = []
        for path in sorted(src.rglob("*")):
            if path.is_dir():
                (dst / path.relative_to(src)).mkdir(parents=True, exist_ok=True)
            elif path.name != "ground_truth.csv":
                pairs.append((path, dst / path.relative_to(src)))
        link_files(pairs, "test drive")
    with_truth = {f["tripId"].iloc[0].rsplit("-", 1)[0] for f in frames if len(f)}
    missing = [d for d in test_drives if d not in with_truth]
    if missing:
        raise RawDataError(f"{len(missing)} test drive(s) have no ground_truth.csv rows (e.g. {_examples(missing)}); "
                           "every drive needs its reference positions: download the full competition data")
    answers = pd.concat(frames, ignore_index=True)
    write_csv(answers, private / "test.csv")
    sample = answers.assign(LatitudeDegrees=GNSS_SAMPLE_LATITUDE, LongitudeDegrees=GNSS_SAMPLE_LONGITUDE)
    write_csv(sample, public / "sample_submission.csv")
    link_tree(raw / "metadata", public / "metadata", "metadata")


# ------------------------------------------------------------------------ google-research-identify-contrails-...
CONTRAILS = "google-research-identify-contrails-reduce-global-warming"
CONTRAIL_BANDS = tuple(f"band_{b:02d}.npy" for b in range(8, 17))
CONTRAIL_MASKS = ("human_individual_masks.npy", "human_pixel_masks.npy")
#: The two made-up masks MLE-bench v1's sample draws from (``random.seed(0)``, one ``random.choice`` per row).
CONTRAIL_SAMPLE_CHOICES = ("1 3 10 5", "-")


def _read_json_list(path: Path, name: str) -> list:
    if not path.is_file():
        raise RawDataError(f"{name} is missing from {path.parent}; download the full competition data")
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise RawDataError(f"{name} is not valid JSON ({err}); the file may be truncated: download it again") from None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise RawDataError(f"{name} is not a JSON list of records; download it again")
    return records


def _contrail_ids(records: list, name: str) -> list[str]:
    """The ``record_id`` of each metadata record; each must be a string of digits (MLE-bench joins it to a path)."""
    ids = [r.get("record_id") for r in records]
    bad = [i for i in ids if not (isinstance(i, str) and i.isdigit())]
    if bad:
        raise RawDataError(
            f"{name}: {len(bad)} record(s) whose record_id is not a JSON string of digits "
            f"(e.g. {_examples(map(repr, bad))}); "
            "MLE-bench needs the string form: download the file again"
        )
    require_unique(pd.Series(ids, dtype=object), name, "record_id")
    return ids


def rle_column_major(mask: np.ndarray) -> str:
    """1-indexed ``start length`` runs of the pixels equal to 1, numbered down the columns (MLE-bench's
    ``rle_encode(mask)``: ``mask.T.flatten()``); ``-`` for an empty mask.

    >>> rle_column_major(np.array([[1, 0], [1, 1]]))
    '1 2 4 1'
    """
    flat = np.concatenate([[False], mask.ravel(order="F") == 1, [False]])
    edges = np.flatnonzero(flat[1:] != flat[:-1])
    starts, ends = edges[::2], edges[1::2]
    if not len(starts):
        return "-"
    return " ".join(np.column_stack([starts + 1, ends - starts]).ravel().astype(str))


def _npy_shape(path: Path, name: str) -> tuple[int, ...]:
    """Shape of a ``.npy`` array from its header (the data stays on disk)."""
    if not path.is_file():
        raise RawDataError(f"{name} is missing; download the full competition data again")
    try:
        return tuple(np.load(path, mmap_mode="r").shape)
    except (ValueError, OSError, EOFError) as err:
        raise RawDataError(f"{name} is not a readable .npy array ({err}); download it again") from None


def _contrails_contract(raw: Path) -> None:
    train = _contrail_ids(_read_json_list(raw / "train_metadata.json", "train_metadata.json"), "train_metadata.json")
    _contrail_ids(_read_json_list(raw / "validation_metadata.json", "validation_metadata.json"),
                  "validation_metadata.json")
    if train:
        folder = raw / "train" / train[0]
        missing = [f for f in CONTRAIL_BANDS + CONTRAIL_MASKS if not (folder / f).is_file()]
        if missing:
            raise RawDataError(f"train/{train[0]}/ lacks {', '.join(missing)}; every train record needs its nine "
                               "bands and both masks: download the full competition data")
        shape = _npy_shape(folder / "band_08.npy", f"train/{train[0]}/band_08.npy")
        if len(shape) != 3:
            raise RawDataError(f"train/{train[0]}/band_08.npy has shape {shape}; expected (height, width, frames)")


@register_preparer(CONTRAILS, ("train_metadata.json", "validation_metadata.json", "train"), _contrails_contract)
def prepare_contrails(raw: Path, public: Path, private: Path) -> None:
    """Train records split by train_test_split(test_size=len(validation_metadata), random_state=0); test answers are
    the column-major RLE of human_pixel_masks.npy with band_08's height and width; validation copied as it is; the
    sample draws '1 3 10 5' or '-' with random.seed(0).
    """
    train_meta = _read_json_list(raw / "train_metadata.json", "train_metadata.json")
    ids = _contrail_ids(train_meta, "train_metadata.json")
    n_validation = len(_read_json_list(raw / "validation_metadata.json", "validation_metadata.json"))
    train_pos, test_pos = split_positions(len(train_meta), n_validation)
    rows = []
    for i in test_pos:
        folder = raw / "train" / ids[i]
        shape = _npy_shape(folder / "band_08.npy", f"train/{ids[i]}/band_08.npy")
        if len(shape) != 3:
            raise RawDataError(f"train/{ids[i]}/band_08.npy has shape {shape}; expected (height, width, frames)")
        _npy_shape(folder / "human_pixel_masks.npy", f"train/{ids[i]}/human_pixel_masks.npy")
        rows.append((ids[i], rle_column_major(np.load(folder / "human_pixel_masks.npy")), shape[0], shape[1]))
    answers = pd.DataFrame(rows, columns=["record_id", "encoded_pixels", "height", "width"])
    pairs = [(raw / "train" / ids[i] / f, public / "train" / ids[i] / f)
             for i in train_pos for f in CONTRAIL_BANDS + CONTRAIL_MASKS]
    pairs += [(raw / "train" / ids[i] / f, public / "test" / ids[i] / f) for i in test_pos for f in CONTRAIL_BANDS]
    link_files(pairs, "train record")
    (public / "test").mkdir(exist_ok=True)
    if (raw / "validation").is_dir():
        link_tree(raw / "validation", public / "validation", "validation")
    else:
        (public / "validation").mkdir()
    link_files([(raw / "validation_metadata.json", public / "validation_metadata.json")])
    (public / "train_metadata.json").write_text(json.dumps([train_meta[i] for i in train_pos]), encoding="utf-8")
    write_csv(answers, private / "answers.csv")
    draw = random.Random(0)
    sample = answers.assign(encoded_pixels=[draw.choice(CONTRAIL_SAMPLE_CHOICES) for _ in range(len(answers))])
    write_csv(sample, public / "sample_submission.csv")


# ------------------------------------------------------------------------ nfl-player-contact-detection
_S, _I, _F = pa_lib.string(), pa_lib.int64(), pa_lib.float64()
#: Each train CSV of the NFL download that prepare reads: its columns (in Kaggle's order) and their types.
NFL_TABLES: dict[str, dict[str, pa_lib.DataType]] = {
    "train_labels.csv": {"contact_id": _S, "game_play": _S, "datetime": _S, "step": _I, "nfl_player_id_1": _I,
                         "nfl_player_id_2": _S, "contact": _I},
    "train_baseline_helmets.csv": {"game_play": _S, "game_key": _I, "play_id": _I, "view": _S, "video": _S,
                                   "frame": _I, "nfl_player_id": _I, "player_label": _S, "left": _I, "width": _I,
                                   "top": _I, "height": _I},
    "train_player_tracking.csv": {"game_play": _S, "game_key": _I, "play_id": _I, "nfl_player_id": _I,
                                  "datetime": _S, "step": _I, "team": _S, "position": _S, "jersey_number": _I,
                                  "x_position": _F, "y_position": _F, "speed": _F, "distance": _F, "direction": _F,
                                  "orientation": _F, "acceleration": _F, "sa": _F},
    "train_video_metadata.csv": {"game_play": _S, "game_key": _I, "play_id": _I, "view": _S, "start_time": _S,
                                 "end_time": _S, "snap_time": _S},
}
NFL_VIEWS = ("All29", "Endzone", "Sideline")


def _nfl_schema(name: str) -> pa.DataFrameSchema:
    columns = {}
    for column, typ in NFL_TABLES[name].items():
        checks = []
        if column == "game_play":
            checks.append(pa.Check.str_matches(r"^\d+_\d{6}$", error="<game_key>_<play_id as 6 digits>"))
        elif column == "contact":
            checks.append(pa.Check.isin([0, 1]))
        if column == "nfl_player_id_2":  # a player id or G (the ground): pandas reads the column as text
            columns[column] = pa.Column(None, checks)
        elif typ == _I and name == "train_labels.csv":
            columns[column] = pa.Column(int, checks)
        elif typ == _S:
            columns[column] = pa.Column(str, checks)
        else:  # numbers of the auxiliary tables, gaps allowed (MLE-bench only filters their rows)
            columns[column] = pa.Column(float, checks, coerce=True, nullable=True)
    return pa.DataFrameSchema(columns, strict=True, ordered=True)


def _nfl_contract(raw: Path) -> None:
    for name in NFL_TABLES:
        check_csv(raw / name, _nfl_schema(name), name)


def _nfl_types(path: Path, name: str) -> dict[str, pa_lib.DataType]:
    """The column types pandas gives the whole table: an integer column with an empty cell or a decimal point
    anywhere is read as floats (and written back as ``12.0``), so such columns are parsed as float64 (a first
    pass reads the integer columns only, as text)."""
    types = dict(NFL_TABLES[name])
    ints = [c for c, t in types.items() if t == _I]
    whole = dict.fromkeys(ints, True)
    for batch in iter_arrow_csv(path, name, dict.fromkeys(ints, _S), only=True):
        for column in ints:
            if whole[column] and len(batch):
                whole[column] = pc.all(pc.match_substring_regex(batch.column(column), r"^[+-]?\d+$")).as_py()
    types.update({c: _F for c, ok in whole.items() if not ok})
    return types


def _nfl_split_table(raw: Path, name: str, outputs: list[tuple[Path, pa_lib.Array]]) -> None:
    """Stream ``raw/name`` into each ``(path, game plays)`` output, keeping the rows of those plays in file order."""
    types = _nfl_types(raw / name, name)
    sinks = [(CsvSink(path, list(types)), plays) for path, plays in outputs]
    try:
        for batch in iter_arrow_csv(raw / name, name, types):
            for sink, plays in sinks:
                sink.write(batch.filter(pc.is_in(batch.column("game_play"), value_set=plays)))
    finally:
        for sink, _ in sinks:
            sink.close()


@register_preparer("nfl-player-contact-detection", (*NFL_TABLES, "train"), _nfl_contract)
def prepare_nfl(raw: Path, public: Path, private: Path) -> None:
    """Game plays of train_labels.csv (in order of first appearance) split by train_test_split(test_size=0.1,
    random_state=0); labels, helmets, tracking and video metadata follow their play; each play's three videos
    (All29, Endzone, Sideline) hard-linked; the sample predicts no contact.
    """
    labels = "train_labels.csv"
    seen = [pc.unique(b.column("game_play")) for b in iter_arrow_csv(raw / labels, labels, {"game_play": _S},
                                                                      only=True)]
    plays = list(dict.fromkeys(v for chunk in seen for v in chunk.to_pylist()))
    train_pos, test_pos = split_positions(len(plays), 0.1)
    train_plays = pa_lib.array([plays[i] for i in train_pos], _S)
    test_plays = pa_lib.array([plays[i] for i in test_pos], _S)
    videos = [f"{gp}_{view}.mp4" for view in NFL_VIEWS for gp in plays]
    require_named_files(raw / "train", videos, "train/<game_play>_<view>.mp4 video")

    _nfl_split_table(raw, labels, [(public / "train_labels.csv", train_plays), (private / "test.csv", test_plays)])
    with CsvSink(public / "sample_submission.csv", ["contact_id", "contact"]) as sink:
        for batch in iter_arrow_csv(private / "test.csv", "test.csv", {"contact_id": _S}, only=True):
            sink.write(pd.DataFrame({"contact_id": batch.column("contact_id").to_numpy(zero_copy_only=False),
                                     "contact": 0}))
    for table in ("baseline_helmets", "player_tracking", "video_metadata"):
        _nfl_split_table(raw, f"train_{table}.csv", [(public / f"train_{table}.csv", train_plays),
                                                     (public / f"test_{table}.csv", test_plays)])
    for part, chosen in (("train", train_plays), ("test", test_plays)):
        names = [f"{gp}_{view}.mp4" for view in NFL_VIEWS for gp in chosen.to_pylist()]
        (public / part).mkdir(parents=True, exist_ok=True)
        link_files(((raw / "train" / n, public / part / n) for n in names), "train video")


# ------------------------------------------------------------------------ 3d-object-detection-for-autonomous-vehicles
LYFT = "3d-object-detection-for-autonomous-vehicles"
LYFT_TABLES = ("attribute", "calibrated_sensor", "category", "ego_pose", "instance", "log", "map", "sample",
               "sample_annotation", "sample_data", "scene", "sensor", "visibility")
#: Tables copied unchanged to both train_data/ and test_data/.
LYFT_SHARED = ("attribute", "category", "sensor", "visibility")
LYFT_MAP = "train_maps/map_raster_palo_alto.png"
#: Characters of a JSON table read at a time when it is streamed record by record.
JSON_BLOCK = 1 << 20


def iter_json_array(path: Path, name: str) -> Iterator[dict]:
    """The records of a file holding one JSON list of objects, decoded one at a time (memory stays at a block of
    text and one record, whatever the file's size); a :class:`RawDataError` when it is not such a list."""
    decoder = json.JSONDecoder()

    def bad(why: str) -> RawDataError:
        return RawDataError(f"{name} is not a JSON list of records ({why}); the file may be truncated: download it "
                            "again")

    if not path.is_file():
        raise RawDataError(f"{name} is missing from {path.parent}; download the full competition data")
    with open(path, encoding="utf-8") as fh:
        buf, pos, eof = "", 0, False

        def fill() -> bool:
            nonlocal buf, pos, eof
            if eof:
                return False
            chunk = fh.read(JSON_BLOCK)
            eof = not chunk
            buf, pos = buf[pos:] + chunk, 0
            return bool(chunk)

        def skip() -> str:
            nonlocal pos
            while True:
                while pos < len(buf) and buf[pos] in " \t\r\n":
                    pos += 1
                if pos < len(buf) or not fill():
                    return buf[pos] if pos < len(buf) else ""

        if skip() != "[":
            raise bad("it does not start with '['")
        pos += 1
        if skip() == "]":
            return
        while True:
            skip()
            while True:
                try:
                    record, end = decoder.raw_decode(buf, pos)
                    decoded = True
                except ValueError:
                    decoded = False
                if decoded and (end < len(buf) or eof):
                    break
                if not fill():  # the end of the file: a record decoded up to it is whole
                    if decoded:
                        break
                    raise bad("a record is cut short")
            if not isinstance(record, dict):
                raise bad(f"an entry is a {type(record).__name__}, not an object")
            pos = end
            yield record
            sep = skip()
            pos += 1
            if sep == "]":
                return
            if sep != ",":
                raise bad(f"unexpected {sep!r} between records" if sep else "it ends before ']'")


class JsonArraySink:
    """Writes a JSON list record by record, with the bytes ``json.dump(records, f)`` gives for the whole list."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.rows = 0
        self._fh = open(path, "w", encoding="utf-8")
        self._fh.write("[")

    def write(self, record: object, text: str | None = None) -> None:
        """Append ``record`` (or its already encoded ``text``)."""
        self._fh.write((", " if self.rows else "") + (json.dumps(record) if text is None else text))
        self.rows += 1

    def close(self) -> None:
        self._fh.write("]")
        self._fh.close()

    def __enter__(self) -> JsonArraySink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _json_field(record: dict, key: str, name: str) -> str:
    try:
        return record[key]
    except KeyError:
        raise RawDataError(f"{name} has a record without {key!r} (e.g. {_examples(record)}); the table does not "
                           "follow the nuScenes schema: download the competition data again") from None


def _route(records: Iterable[dict], name: str, key: str, sides: list[tuple[JsonArraySink | None, set]],
           what: str) -> Iterator[tuple[int, dict]]:
    """Send each record to the first side whose set holds ``record[key]`` (writing it to that side's sink, if
    any) and yield ``(side, record)``; a record of neither side is a :class:`RawDataError` (MLE-bench's check)."""
    for record in records:
        value = _json_field(record, key, name)
        for side, (sink, members) in enumerate(sides):
            if value in members:
                if sink is not None:
                    sink.write(record)
                yield side, record
                break
        else:
            raise RawDataError(
                f"{name}: a record's {key} {value!r} is not a {what} of the data (MLE-bench's split must place every "
                "record on one side); the tables do not agree: download the competition data again"
            )


def add_confidence(boxes: pd.Series, name: str) -> pd.Series:
    """Each prediction string ``x y z w l h yaw class ...`` with ``1.0`` put before every 8-token box (MLE-bench's
    private answers); a :class:`RawDataError` when a string is missing or not a multiple of 8 tokens.

    >>> add_confidence(pd.Series(["1 2 3 4 5 6 7 car 8 9 10 11 12 13 14 bus"]), "train.csv").tolist()
    ['1.0 1 2 3 4 5 6 7 car 1.0 8 9 10 11 12 13 14 bus']
    """
    text = pa_lib.array(boxes.to_numpy(dtype=object, na_value=None), pa_lib.large_string())
    if text.null_count:
        raise RawDataError(f"{name}: {text.null_count} test sample(s) have an empty PredictionString; MLE-bench needs "
                           "boxes for every test sample: download the competition data again")
    tokens = pc.split_pattern(text, " ")
    counts = pc.list_value_length(tokens).to_numpy()
    if (counts % 8).any():
        bad = boxes.iloc[np.flatnonzero(counts % 8)[:1]].tolist()
        raise RawDataError(f"{name}: {int((counts % 8 != 0).sum())} PredictionString(s) are not groups of 8 tokens "
                           f"(e.g. {bad[0][:80]!r}); download the competition data again")
    flat = pc.list_flatten(tokens).to_numpy(zero_copy_only=False)
    out = np.empty(len(flat) // 8 * 9, dtype=object)
    out[::9] = "1.0"
    out[np.arange(len(out)) % 9 != 0] = flat
    offsets = np.concatenate([[0], np.cumsum(counts // 8 * 9)])
    lists = pa_lib.LargeListArray.from_arrays(pa_lib.array(offsets, pa_lib.int64()),
                                              pa_lib.array(out, pa_lib.large_string()))
    joined = pc.binary_join(lists, pa_lib.scalar(" ", pa_lib.large_string()))
    return pd.Series(joined.to_numpy(zero_copy_only=False), index=boxes.index)


def _lyft_contract(raw: Path) -> None:
    check_csv(raw / "train.csv", pa.DataFrameSchema(
        {"Id": pa.Column(str, pa.Check.str_matches(r"^[0-9a-f]+$", error="lowercase hex tokens")),
         "PredictionString": pa.Column(str, nullable=True)}, strict=True, ordered=True), "train.csv", dtype=str)
    for table in ("log", "map", "scene"):
        records = list(iter_json_array(raw / "train_data" / f"{table}.json", f"train_data/{table}.json"))
        key = {"log": "token", "map": "log_tokens", "scene": "log_token"}[table]
        if records:
            _json_field(records[0], key, f"train_data/{table}.json")
        if table == "map" and len(records) != 1:
            raise RawDataError(f"train_data/map.json holds {len(records)} maps; MLE-bench expects exactly one (the "
                               "Palo Alto raster): download the competition data again")


@register_preparer(
    LYFT,
    ("train.csv", *(f"train_data/{t}.json" for t in LYFT_TABLES), "train_images", "train_lidar", LYFT_MAP),
    _lyft_contract,
)
def prepare_lyft(raw: Path, public: Path, private: Path) -> None:
    """Logs of train_data/log.json split by train_test_split(test_size=0.2, random_state=0); samples follow their
    scene's log, and every table, image and lidar sweep its sample; test boxes get a confidence of 1.0 in the
    answers; the sample submission is empty; both map.json files list the test logs (v1's shallow copy).
    """
    data = raw / "train_data"
    logs = list(iter_json_array(data / "log.json", "train_data/log.json"))
    log_ids = [_json_field(r, "token", "train_data/log.json") for r in logs]
    require_unique(pd.Series(log_ids, dtype=object), "train_data/log.json", "token")
    train_pos, test_pos = split_positions(len(log_ids), 0.2)
    train_logs, test_logs = [log_ids[i] for i in train_pos], [log_ids[i] for i in test_pos]
    train_set, test_set = set(train_logs), set(test_logs)
    out = {side: public / f"{side}_data" for side in ("train", "test")}
    for side, chosen in (("train", train_set), ("test", test_set)):
        with JsonArraySink(out[side] / "log.json") as sink:
            for record in logs:
                if record["token"] in chosen:
                    sink.write(record)

    samples: tuple[set, set] = (set(), set())
    with JsonArraySink(out["train"] / "sample.json") as tr, JsonArraySink(out["test"] / "sample.json") as te:
        for side, record in _route(iter_json_array(data / "sample.json", "train_data/sample.json"),
                                   "train_data/sample.json", "scene_token", [(tr, train_set), (te, test_set)], "log"):
            samples[side].add(_json_field(record, "token", "train_data/sample.json"))

    table = read_csv(raw / "train.csv", "train.csv", dtype=str)
    require_unique(table["Id"], "train.csv", "Id")
    in_train, in_test = table["Id"].isin(samples[0]), table["Id"].isin(samples[1])
    unknown = table.loc[~(in_train | in_test), "Id"]
    if len(unknown) or in_train.sum() != len(samples[0]) or in_test.sum() != len(samples[1]):
        raise RawDataError(
            f"train.csv and train_data/sample.json disagree: {len(unknown)} row(s) name no sample (e.g. "
            f"{_examples(unknown)}) and {len(samples[0]) + len(samples[1]) - int((in_train | in_test).sum())} "
            "sample(s) have no row; MLE-bench needs one row per sample: download the competition data again"
        )
    new_train, new_test = table[in_train], table[in_test]
    write_csv(new_train, public / "train.csv")
    answers = new_test.assign(PredictionString=add_confidence(new_test["PredictionString"], "train.csv"))
    write_csv(answers, private / "test.csv")
    write_csv(new_test[["Id"]].assign(PredictionString=""), public / "sample_submission.csv")

    calibrations: tuple[dict, dict] = ({}, {})
    poses: tuple[list, list] = ([], [])
    media: list[tuple[int, str, str]] = []
    filenames = set()
    name = "train_data/sample_data.json"
    with JsonArraySink(out["train"] / "sample_data.json") as tr, JsonArraySink(out["test"] / "sample_data.json") as te:
        for side, record in _route(iter_json_array(data / "sample_data.json", name), name, "sample_token",
                                   [(tr, samples[0]), (te, samples[1])], "sample"):
            calibrations[side].setdefault(_json_field(record, "calibrated_sensor_token", name), None)
            poses[side].append(_json_field(record, "ego_pose_token", name))
            filename, kind = _json_field(record, "filename", name), _json_field(record, "fileformat", name)
            folder = {"jpeg": "images", "bin": "lidar"}.get(kind)
            base = Path(filename).name
            if folder is None or not base.endswith(kind):
                raise RawDataError(f"{name}: file {filename!r} of format {kind!r}; MLE-bench copies only .jpeg images "
                                   "and .bin lidar sweeps: download the competition data again")
            media.append((side, folder, base))
            filenames.add(filename)
    distinct = set(media)
    if len(distinct) != len(filenames):
        raise RawDataError(f"{name} names {len(filenames)} distinct files but they give {len(distinct)} distinct "
                           "public files (the folder part of a name is dropped): MLE-bench's count check fails on "
                           "this data")

    name = "train_data/calibrated_sensor.json"
    sensors = {_json_field(r, "token", name): r for r in iter_json_array(data / "calibrated_sensor.json", name)}
    _write_referenced(sensors, [list(c) for c in calibrations], out, "calibrated_sensor.json", name)
    name = "train_data/ego_pose.json"
    pose_text, n_poses = {}, 0
    for record in iter_json_array(data / "ego_pose.json", name):
        pose_text[_json_field(record, "token", name)] = json.dumps(record)
        n_poses += 1
    _write_referenced(pose_text, list(poses), out, "ego_pose.json", name, n_poses, encoded=True)

    maps = list(iter_json_array(data / "map.json", "train_data/map.json"))
    if len(maps) != 1:
        raise RawDataError(f"train_data/map.json holds {len(maps)} maps; MLE-bench expects exactly one")
    shared = {**maps[0], "log_tokens": test_logs}  # v1 edits one shallow copy twice: the test logs win
    for side in ("train", "test"):
        with JsonArraySink(out[side] / "map.json") as sink:
            sink.write(shared)

    name = "train_data/scene.json"
    with JsonArraySink(out["train"] / "scene.json") as tr, JsonArraySink(out["test"] / "scene.json") as te:
        for _ in _route(iter_json_array(data / "scene.json", name), name, "log_token",
                        [(tr, train_set), (te, test_set)], "log"):
            pass

    instances: tuple[set, set] = (set(), set())
    name = "train_data/sample_annotation.json"
    with JsonArraySink(out["train"] / "sample_annotation.json") as tr:
        for side, record in _route(iter_json_array(data / "sample_annotation.json", name), name, "sample_token",
                                   [(tr, samples[0]), (None, samples[1])], "sample"):
            instances[side].add(_json_field(record, "instance_token", name))
    name = "train_data/instance.json"
    with JsonArraySink(out["train"] / "instance.json") as tr:
        for _ in _route(iter_json_array(data / "instance.json", name), name, "token",
                        [(tr, instances[0]), (None, instances[1])], "annotated instance"):
            pass

    for table_name in LYFT_SHARED:
        src = data / f"{table_name}.json"
        link_files([(src, out["train"] / src.name), (src, out["test"] / src.name)])
    link_files([(raw / LYFT_MAP, public / f"{side}_maps" / "map_raster_palo_alto.png") for side in ("train", "test")])
    sides = ("train", "test")
    for folder in ("images", "lidar"):
        for side in sides:
            (public / f"{side}_{folder}").mkdir(parents=True, exist_ok=True)
    link_files(((raw / f"train_{folder}" / base, public / f"{sides[side]}_{folder}" / base)
                for side, folder, base in sorted(distinct)), "train image or lidar")


def _write_referenced(records: Mapping[str, object], order: list[list[str]], out: dict[str, Path], file: str,
                      name: str, n_records: int | None = None, encoded: bool = False) -> None:
    """Write, for each side, the records whose tokens ``order`` lists (in that order); every record of the table
    must be referenced by one side (MLE-bench's coverage check)."""
    n_records = len(records) if n_records is None else n_records
    for side, tokens in zip(("train", "test"), order):
        missing = [t for t in tokens if t not in records]
        if missing:
            raise RawDataError(f"{name} has no record {missing[0]!r} that train_data/sample_data.json refers to; "
                               "download the competition data again")
        with JsonArraySink(out[side] / file) as sink:
            for token in tokens:
                sink.write(None, records[token]) if encoded else sink.write(records[token])
    used = set(order[0]) | set(order[1])
    if len(used) != n_records:
        raise RawDataError(f"{name}: {n_records - len(used)} of its {n_records} record(s) are used by no sample data "
                           "(MLE-bench's split must cover every record): download the competition data again")
