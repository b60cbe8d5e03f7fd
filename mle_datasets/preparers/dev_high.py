"""Preparers of six dev and high competitions whose raw data are media folders, arrays or JSON Lines.

invasive-species-monitoring, ml2021spring-hw2, paddy-disease-classification, plant-seedlings-classification
(dev) and predict-volcanic-eruptions-ingv-oe, stanford-covid-vaccine (high). Media files are hard-linked from the
raw folder (copied across file systems) and never decoded; the arrays of ml2021spring-hw2 are memory-mapped and
gathered in blocks of rows.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from mle_datasets.errors import RawDataError

from . import register_preparer
from ._common import (
    binary,
    check_csv,
    check_csv_in_zip,
    csv_bytes,
    link_files,
    read_csv,
    read_csv_in_zip,
    require_named_files,
    require_unique,
    split_frame,
    split_positions,
    write_csv,
    write_zip,
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


# ------------------------------------------------------------------------ paddy-disease-classification
PADDY_LABELS = ("bacterial_leaf_blight", "bacterial_leaf_streak", "bacterial_panicle_blight", "blast", "brown_spot",
                "dead_heart", "downy_mildew", "hispa", "normal", "tungro")
PADDY_SCHEMA = pa.DataFrameSchema(
    {"image_id": pa.Column(str, pa.Check.str_matches(r"^[^/\\]+\.jpg$", error="a JPEG file name")),
     "label": pa.Column(str, pa.Check.isin(PADDY_LABELS)),
     "variety": pa.Column(str),
     "age": pa.Column(int)},
    strict=True, ordered=True,
)
PADDY_SAMPLE_SCHEMA = pa.DataFrameSchema({"image_id": pa.Column(str), "label": pa.Column(nullable=True)}, strict=True)


def _paddy_contract(raw: Path) -> None:
    check_csv(raw / "train.csv", PADDY_SCHEMA, "train.csv")
    check_csv(raw / "sample_submission.csv", PADDY_SAMPLE_SCHEMA, "sample_submission.csv", nrows=100)


def train_size_positions(n: int, train_size: float) -> tuple[np.ndarray, np.ndarray]:
    """Row positions of ``train_test_split(..., train_size=train_size, random_state=0)`` on ``n`` rows.

    scikit-learn keeps ``floor(train_size * n)`` rows for training and the rest for the test; the permutation
    is the one an int ``test_size`` of that many rows draws.

    >>> [len(p) for p in train_size_positions(10, 0.75)]
    [7, 3]
    """
    return split_positions(n, n - math.floor(train_size * n))


@register_preparer("paddy-disease-classification", ("train.csv", "sample_submission.csv", "train_images"),
                   _paddy_contract)
def prepare_paddy(raw: Path, public: Path, private: Path) -> None:
    """Images split by train_test_split(train_size=0.75, random_state=0); test images leave their label folders
    for one flat public/test_images/; sample submission ``label`` empty."""
    old = read_csv(raw / "train.csv", "train.csv")
    require_unique(old["image_id"], "train.csv", "image_id")
    for label, ids in old.groupby("label", sort=True)["image_id"]:
        require_named_files(raw / "train_images" / label, ids, f"train_images/{label}")
    train_pos, test_pos = train_size_positions(len(old), 0.75)
    train, test = old.iloc[train_pos], old.iloc[test_pos]
    write_csv(train, public / "train.csv")
    write_csv(test[["image_id"]].assign(label=""), public / "sample_submission.csv")
    write_csv(test, private / "test.csv")
    images = raw / "train_images"
    link_files(((images / label / name, public / "train_images" / label / name)
                for name, label in zip(train["image_id"], train["label"])), "train image")
    (public / "test_images").mkdir(parents=True, exist_ok=True)
    link_files(((images / label / name, public / "test_images" / name)
                for name, label in zip(test["image_id"], test["label"])), "train image")


# ------------------------------------------------------------------------ plant-seedlings-classification
SEEDLING_SPECIES = ("Black-grass", "Charlock", "Cleavers", "Common Chickweed", "Common wheat", "Fat Hen",
                    "Loose Silky-bent", "Maize", "Scentless Mayweed", "Shepherds Purse", "Small-flowered Cranesbill",
                    "Sugar beet")


def _seedling_images(raw: Path) -> pd.DataFrame:
    """MLE-bench v1's table of train/: every sub-folder in sorted order, its ``*.png`` names in sorted order
    (columns ``file``, ``species``); other entries are skipped as v1 skips them."""
    root = raw / "train"
    if not root.is_dir():
        raise RawDataError(f"train is not a folder in {raw}; download the full competition data again")
    species = [name for name in sorted(os.listdir(root)) if (root / name).is_dir()]
    unknown = [name for name in species if name not in SEEDLING_SPECIES]
    if unknown:
        raise RawDataError(
            f"train/ has folder(s) {', '.join(map(repr, unknown[:3]))} that are not species of the competition "
            f"({', '.join(SEEDLING_SPECIES)}); the raw data has changed: download it again"
        )
    parts = [pd.DataFrame({"file": sorted(n for n in os.listdir(root / name) if n.endswith(".png")), "species": name})
             for name in species]
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame({"file": [], "species": []})
    if table.empty:
        raise RawDataError(f"train/ in {raw} holds no train/<species>/*.png images; download the full competition data")
    return table


def _seedling_contract(raw: Path) -> None:
    _seedling_images(raw)


@register_preparer("plant-seedlings-classification", ("train",), _seedling_contract)
def prepare_seedlings(raw: Path, public: Path, private: Path) -> None:
    """The PNGs of train/<species>/ (folders and files sorted) split by train_test_split(test_size=0.14,
    random_state=0); test images go to one flat public/test/; sample submission ``species`` = Sugar beet."""
    images = _seedling_images(raw)
    require_unique(images["file"], "train/<species>/", "file name")
    train, test = split_frame(images, 0.14)
    write_csv(test, private / "answers.csv")
    write_csv(test.assign(species="Sugar beet"), public / "sample_submission.csv")
    root = raw / "train"
    (public / "test").mkdir(parents=True, exist_ok=True)
    (public / "train").mkdir(parents=True, exist_ok=True)
    link_files(((root / species / name, public / "train" / species / name)
                for name, species in zip(train["file"], train["species"])), "train image")
    link_files(((root / species / name, public / "test" / name)
                for name, species in zip(test["file"], test["species"])), "train image")


# ------------------------------------------------------------------------ ml2021spring-hw2
#: where Kaggle's zip leaves the arrays (the folder is nested twice)
TIMIT = "timit_11/timit_11"
TIMIT_ARRAYS = ("train_11.npy", "train_label_11.npy", "test_11.npy")
#: rows gathered at a time when the new arrays are written (about 56 MB of 429 float32 features)
TIMIT_BLOCK = 32_768


def _load_npy(path: Path) -> np.ndarray:
    """A raw ``.npy`` array, memory-mapped (read lazily); a :class:`RawDataError` when it cannot be."""
    name = f"{TIMIT}/{path.name}"
    try:
        return np.load(path, mmap_mode="r")
    except (ValueError, OSError, EOFError) as err:
        detail = "it holds Python objects, which MLE-bench v1 cannot load" if "object" in str(err) else str(err)
        raise RawDataError(f"{name} is not a readable .npy array ({detail}); download it again") from None


def _timit_arrays(raw: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    train, labels, test = (_load_npy(raw / TIMIT / name) for name in TIMIT_ARRAYS)
    if train.ndim != 2 or labels.ndim != 1 or len(labels) != len(train) or test.ndim < 1:
        raise RawDataError(
            f"{TIMIT}: train_11.npy must be a 2-D array of frames and train_label_11.npy one label per frame "
            f"(shapes {train.shape} and {labels.shape}), test_11.npy an array of frames ({test.shape}); "
            "download the competition data again"
        )
    return train, labels, test


def _timit_contract(raw: Path) -> None:
    _timit_arrays(raw)


def write_rows(path: Path, source: np.ndarray, rows: np.ndarray, block: int = TIMIT_BLOCK) -> None:
    """Write ``source[rows]`` as a ``.npy`` file (the bytes ``np.save`` writes), gathering ``block`` rows at a
    time so that memory stays bounded whatever the size of ``source``.

    numpy writes the header (and sizes the file) exactly as ``np.save`` would; the rows are then appended with
    plain writes, and the pages of a memory-mapped ``source`` are released after each block.
    """
    import mmap

    path.parent.mkdir(parents=True, exist_ok=True)
    header = np.lib.format.open_memmap(path, mode="w+", dtype=source.dtype, shape=(len(rows), *source.shape[1:]))
    offset = header.offset
    del header
    mapped = getattr(source, "_mmap", None)
    with open(path, "r+b") as fh:
        fh.seek(offset)
        for start in range(0, len(rows), block):
            fh.write(np.ascontiguousarray(source[rows[start:start + block]]).data)
            if mapped is not None and hasattr(mmap, "MADV_DONTNEED"):
                mapped.madvise(mmap.MADV_DONTNEED)  # clean file pages: dropped from memory, read again if needed


@register_preparer("ml2021spring-hw2", tuple(f"{TIMIT}/{name}" for name in TIMIT_ARRAYS), _timit_contract)
def prepare_timit(raw: Path, public: Path, private: Path) -> None:
    """Frames of train_11.npy split by train_test_split(test_size=len(test_11)/(len(train_11)+len(test_11)),
    random_state=0) into new train_11/train_label_11/test_11 arrays; answers Id = position in the new test array;
    sample submission ``ClassId`` = 0."""
    train, labels, old_test = _timit_arrays(raw)
    train_pos, test_pos = split_positions(len(train), len(old_test) / (len(train) + len(old_test)))
    folder = public / TIMIT
    write_rows(folder / "train_11.npy", train, train_pos)
    write_rows(folder / "train_label_11.npy", labels, train_pos)
    write_rows(folder / "test_11.npy", train, test_pos)
    answers = pd.DataFrame({"Id": np.arange(len(test_pos)), "ClassId": np.asarray(labels[test_pos])})
    write_csv(answers.assign(ClassId=0), public / "sampleSubmission.csv")
    write_csv(answers, private / "answers.csv")


# ------------------------------------------------------------------------ invasive-species-monitoring
INVASIVE_LABELS = ("train_labels.csv.zip", "train_labels.csv")
INVASIVE_IMAGES = "train.7z"
INVASIVE_SCHEMA = pa.DataFrameSchema(
    {"name": pa.Column(int), "invasive": pa.Column(int, binary())}, strict=True, ordered=True,
)


def _invasive_images(raw: Path) -> set[str]:
    """Names of the ``train/<name>.jpg`` files of train.7z (listed from its header, nothing unpacked)."""
    from ._sevenzip import SevenZip

    archive = SevenZip(raw / INVASIVE_IMAGES)
    names = pd.Series(archive.names, dtype=str)[~pd.Series(archive.is_dir, dtype=bool)]
    images = names[names.str.fullmatch(r"train/[^/]+\.jpg")]
    if images.empty:
        raise RawDataError(
            f"{INVASIVE_IMAGES} holds no train/<name>.jpg (MLE-bench v1 unpacks it into the raw folder and reads "
            f"train/; it holds {', '.join(map(repr, names.head(3)))}); download the competition data again"
        )
    return set(images.str.slice(len("train/"), -len(".jpg")))


def _invasive_contract(raw: Path) -> None:
    check_csv_in_zip(raw / INVASIVE_LABELS[0], INVASIVE_LABELS[1], INVASIVE_SCHEMA)
    _invasive_images(raw)


@register_preparer("invasive-species-monitoring", (INVASIVE_IMAGES, INVASIVE_LABELS[0]), _invasive_contract)
def prepare_invasive(raw: Path, public: Path, private: Path) -> None:
    """Labels split by train_test_split(test_size=0.2, random_state=0); answers and the sample submission
    (invasive = 0.5) are private, public/ holds them zipped; public/train.7z and test.7z hold an empty folder
    only, as v1's py7zr write() leaves them (no images)."""
    from ._sevenzip import pack_7z

    old = read_csv_in_zip(raw / INVASIVE_LABELS[0], INVASIVE_LABELS[1])
    require_unique(old["name"], INVASIVE_LABELS[1], "name")
    missing = sorted(set(old["name"].astype(str)) - _invasive_images(raw), key=int)
    if missing:
        raise RawDataError(
            f"{len(missing)} labelled image(s) missing from {INVASIVE_IMAGES} (e.g. "
            f"{', '.join(f'train/{m}.jpg' for m in missing[:3])}); download the competition data again"
        )
    train, answers = split_frame(old, 0.2)
    sample = answers.assign(invasive=0.5)
    write_csv(answers, private / "answers.csv")
    write_csv(sample, private / "sample_submission.csv")
    write_zip(public / "train_labels.csv.zip", {"train_labels.csv": csv_bytes(train)})
    write_zip(public / "sample_submission.csv.zip", {"sample_submission.csv": csv_bytes(sample)})
    for folder in ("train", "test"):
        (public / f"{folder}.7z").write_bytes(pack_7z({}, folders=[folder]))


# ------------------------------------------------------------------------ stanford-covid-vaccine
COVID_TARGETS = ("reactivity", "deg_Mg_pH10", "deg_pH10", "deg_Mg_50C", "deg_50C")
#: train.json keys MLE-bench v1 reads (the rest are carried along)
COVID_NEEDED = ("index", "id", "SN_filter", "seq_length", "seq_scored", *COVID_TARGETS)


def _read_jsonl(path: Path, nrows: int | None = None) -> pd.DataFrame:
    """A JSON Lines file read as v1 reads it (``pd.read_json(lines=True)``)."""
    with open(path, "rb") as fh:
        head = fh.read(1024).lstrip()
    problem = "it holds one JSON list" if head.startswith(b"[") else None
    if problem is None:
        try:
            return pd.read_json(path, lines=True, nrows=nrows)
        except ValueError as err:
            problem = str(err)
    raise RawDataError(
        f"{path.name} is not JSON Lines (one JSON object per line), which MLE-bench v1 reads ({problem}); "
        "download it again"
    )


def _covid_columns(raw: Path, train: pd.DataFrame) -> list[str]:
    """Check train.json's keys, test.json's keys (returned, in file order) and the sample submission's columns."""
    missing = [c for c in COVID_NEEDED if c not in train.columns]
    if missing:
        raise RawDataError(f"train.json lacks the key(s) {', '.join(missing)}; download the competition data again")
    test_columns = list(_read_jsonl(raw / "test.json", nrows=1).columns)
    extra = [c for c in test_columns if c not in train.columns]
    if extra:
        raise RawDataError(f"test.json has key(s) {', '.join(extra)} that train.json lacks; MLE-bench v1 writes the "
                           "public test with test.json's keys: download the competition data again")
    columns = set(read_csv(raw / "sample_submission.csv", "sample_submission.csv", nrows=0).columns)
    if columns != {"id_seqpos", *COVID_TARGETS}:
        raise RawDataError(f"sample_submission.csv has columns {sorted(columns)}, expected id_seqpos and "
                           f"{', '.join(COVID_TARGETS)}; download the competition data again")
    return test_columns


def _covid_contract(raw: Path) -> None:
    _covid_columns(raw, _read_jsonl(raw / "train.json", nrows=100))


def _covid_answers(test: pd.DataFrame) -> pd.DataFrame:
    """One row per position ``<id>_<pos>`` of each test sequence: the measured targets on the first
    ``seq_scored`` positions (``keep`` True), zeros on the rest (``keep`` False)."""
    lengths, scored = test["seq_length"].to_numpy(np.int64), test["seq_scored"].to_numpy(np.int64)
    for target in COVID_TARGETS:
        bad = test["id"][test[target].str.len().to_numpy() != scored]
        if len(bad):
            raise RawDataError(f"train.json: {target} does not hold seq_scored values for {len(bad)} test sequence(s) "
                               f"(e.g. {bad.iloc[0]}); download the competition data again")
    if (scored >= lengths).any() or lengths.sum() != len(test) * lengths[0]:
        raise RawDataError("train.json: the test sequences must share one seq_length and score fewer positions "
                           "(seq_scored) than they have, as MLE-bench v1 checks; download the competition data again")
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    position = np.arange(lengths.sum()) - starts
    keep = position < np.repeat(scored, lengths)
    out = pd.DataFrame({"id_seqpos": np.repeat(test["id"].to_numpy(dtype=str), lengths)})
    out["id_seqpos"] = out["id_seqpos"] + "_" + position.astype(str)
    for target in COVID_TARGETS:
        values = np.zeros(len(out))
        values[keep] = test[target].explode().to_numpy(dtype=float)
        out[target] = values
    out["keep"] = keep
    return out


@register_preparer("stanford-covid-vaccine", ("train.json", "test.json", "sample_submission.csv"), _covid_contract)
def prepare_covid(raw: Path, public: Path, private: Path) -> None:
    """int(0.1 * len(train)) sequences drawn with DataFrame.sample(random_state=0) among those with SN_filter > 0
    become the test; answers list every position (``keep`` False past seq_scored); JSON Lines rewritten by pandas
    with ``index`` renumbered; bpps/ is not copied."""
    old = _read_jsonl(raw / "train.json")
    test_columns = _covid_columns(raw, old)
    require_unique(old["id"], "train.json", "id")
    n_test = int(len(old) * 0.1)
    passing = old[old["SN_filter"] > 0]
    if n_test == 0 or len(passing) < n_test:
        raise RawDataError(f"train.json has {len(old)} sequences, {len(passing)} with SN_filter > 0; MLE-bench v1 "
                           f"draws its {n_test} test sequences among those (at least 1): download the full data")
    in_test = old.index.isin(passing.sample(n=n_test, random_state=0).index)
    train, test = old[~in_test].copy(), old[in_test]
    answers = _covid_answers(test)
    write_csv(answers, private / "test.csv", float_format="%.10f")
    train["index"] = range(len(train))
    train.to_json(public / "train.json", orient="records", lines=True)
    public_test = test[test_columns].copy()
    public_test["index"] = range(len(public_test))
    public_test.to_json(public / "test.json", orient="records", lines=True)
    sample = answers[["id_seqpos"]].assign(**{t: 0.0 for t in COVID_TARGETS})
    write_csv(sample, public / "sample_submission.csv", float_format="%.10f")
