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


def split_seeded(n: int, test_size: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions of ``train_test_split(<n items>, test_size=..., random_state=seed)`` (the permutation depends only
    on ``n``); a :class:`RawDataError` when ``n`` is too small to split.

    >>> [part.tolist() for part in split_seeded(10, 0.1, 8)]
    [[6, 9, 0, 2, 5, 7, 1, 4, 3], [8]]
    """
    from sklearn.model_selection import train_test_split

    try:
        train, test = train_test_split(np.arange(n), test_size=test_size, random_state=seed)
    except ValueError as err:
        raise RawDataError(f"cannot split {n} items with test_size={test_size!r} ({err}); the raw data is too small "
                           "or incomplete: download the full competition data again") from None
    return np.asarray(train), np.asarray(test)


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
    _, test_pos = split_seeded(len(locations), 0.1, 8)
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
            f"train/ holds {len(bad)} folder(s) not named like a drive 'YYYY-MM-DD-<area>-<n>' (e.g. {_examples(bad)}); "
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
            f"{name}: {len(bad)} record(s) whose record_id is not a JSON string of digits (e.g. {_examples(map(repr, bad))}); "
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
