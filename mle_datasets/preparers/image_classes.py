"""Preparers of the medium image competitions whose target is a class, a set of labels, an identity or a score.

cassava-leaf-disease-classification, plant-pathology-2021-fgvc8, petfinder-pawpularity-score,
whale-categorization-playground, hotel-id-2021-fgvc8, alaska2-image-steganalysis and imet-2020-fgvc7. Images are
hard-linked from the raw folder when it is on the same file system (a copy otherwise) and never decoded; only
cassava's TFRecords are read, for their ``image_name`` features.
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from mle_datasets.errors import RawDataError

from . import register_preparer
from ._common import (
    binary,
    check_csv,
    hex_id,
    link_files,
    read_csv,
    require_named_files,
    require_unique,
    split_frame,
    split_positions,
    write_csv,
)
from ._media import tfrecord_ids


def _link_by_name(src_dir: Path, dst_dir: Path, names: Iterable[str], what: str) -> None:
    """Link ``src_dir/<name>`` to ``dst_dir/<name>`` after checking they all exist (``dst_dir`` is made anyway)."""
    names = list(names)
    require_named_files(src_dir, names, what)
    dst_dir.mkdir(parents=True, exist_ok=True)
    link_files((src_dir / name, dst_dir / name) for name in names)


# ------------------------------------------------------------------------ cassava-leaf-disease-classification
CASSAVA_SCHEMA = pa.DataFrameSchema(
    {
        "image_id": pa.Column(str, pa.Check.str_matches(r"^\d+\.jpg$", error="digits + .jpg")),
        "label": pa.Column(int, pa.Check.isin(range(5))),
    },
    strict=True, ordered=True,
)
CASSAVA_LABEL_MAP = "label_num_to_disease_map.json"


def _cassava_records(raw: Path) -> list[Path]:
    """The train TFRecord files v1 splits: regular files with suffix ``.tfrec``, sorted by name."""
    folder = raw / "train_tfrecords"
    return sorted((p for p in folder.iterdir() if p.is_file() and p.suffix == ".tfrec"), key=lambda p: p.name)


def _cassava_contract(raw: Path) -> None:
    check_csv(raw / "train.csv", CASSAVA_SCHEMA, "train.csv")
    odd = [p.name for p in _cassava_records(raw) if "-" not in p.stem]
    if odd:
        raise RawDataError(
            f"train_tfrecords/: file name(s) {odd[:3]} lack the '-<count>' part (expected ld_train<NN>-<count>.tfrec); "
            "download the full competition data again"
        )
    try:
        mapping = json.loads((raw / CASSAVA_LABEL_MAP).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise RawDataError(f"{CASSAVA_LABEL_MAP} is not valid JSON ({err}); download it again") from None
    if not isinstance(mapping, dict) or sorted(mapping) != [str(i) for i in range(5)]:
        raise RawDataError(f"{CASSAVA_LABEL_MAP} must map the labels '0'..'4' to disease names; download it again")


@register_preparer(
    "cassava-leaf-disease-classification",
    ("train.csv", "train_images/*.jpg", "train_tfrecords/*.tfrec", CASSAVA_LABEL_MAP),
    _cassava_contract,
)
def prepare_cassava(raw: Path, public: Path, private: Path) -> None:
    """Sorted train TFRecord files split by train_test_split(test_size=0.1, random_state=0); test = the rows of the
    test files' image names; files renamed ld_train<i>/ld_test<i>-<count>.tfrec.

    Rows keep train.csv's order; images go to public/train_images and public/test_images; the sample submission
    predicts label 4.
    """
    records = _cassava_records(raw)
    train_pos, test_pos = split_positions(len(records), 0.1)
    test_ids = [name for pos in test_pos for name in tfrecord_ids(records[pos])]
    old = read_csv(raw / "train.csv", "train.csv")
    require_unique(old["image_id"], "train.csv", "image_id")
    in_test = old["image_id"].isin(test_ids).to_numpy()
    if not in_test.any():
        raise RawDataError(
            "no image of the test TFRecord files is listed in train.csv, so the test set would be empty; "
            "train.csv and train_tfrecords/ do not belong together: download the full competition data again"
        )
    train, test = old[~in_test], old[in_test]
    write_csv(train, public / "train.csv")
    write_csv(test, private / "test.csv")
    write_csv(test.assign(label=4), public / "sample_submission.csv")
    for part, positions in (("train", train_pos), ("test", test_pos)):
        files = [records[p] for p in positions]
        new = [f"ld_{part}{i:02d}-{path.stem.split('-')[1]}.tfrec" for i, path in enumerate(files)]
        (public / f"{part}_tfrecords").mkdir(parents=True, exist_ok=True)
        link_files((path, public / f"{part}_tfrecords" / name) for path, name in zip(files, new))
    _link_by_name(raw / "train_images", public / "train_images", train["image_id"], "train image")
    _link_by_name(raw / "train_images", public / "test_images", test["image_id"], "train image")
    shutil.copyfile(raw / CASSAVA_LABEL_MAP, public / CASSAVA_LABEL_MAP)


# ------------------------------------------------------------------------ plant-pathology-2021-fgvc8
PLANT21_LABELS = ("healthy", "scab", "frog_eye_leaf_spot", "rust", "complex", "powdery_mildew")
_PLANT21_LABEL = "(?:" + "|".join(PLANT21_LABELS) + ")"
PLANT21_SCHEMA = pa.DataFrameSchema(
    {
        "image": pa.Column(str, pa.Check.str_matches(r"^[0-9a-f]{16}\.jpg$", error="16 hex digits + .jpg")),
        "labels": pa.Column(str, pa.Check.str_matches(rf"^{_PLANT21_LABEL}(?: {_PLANT21_LABEL})*$",
                                                      error="space-separated disease labels")),
    },
    strict=True, ordered=True,
)


def _plant21_contract(raw: Path) -> None:
    check_csv(raw / "train.csv", PLANT21_SCHEMA, "train.csv")


@register_preparer("plant-pathology-2021-fgvc8", ("train.csv", "train_images/*.jpg"), _plant21_contract)
def prepare_plant21(raw: Path, public: Path, private: Path) -> None:
    """Rows split by train_test_split(test_size=0.2, random_state=0); images to public/train_images and
    public/test_images; the sample submission predicts 'healthy'."""
    old = read_csv(raw / "train.csv", "train.csv")
    require_unique(old["image"], "train.csv", "image")
    train, answers = split_frame(old, 0.2)
    write_csv(answers, private / "answers.csv")
    write_csv(train, public / "train.csv")
    write_csv(answers.assign(labels="healthy"), public / "sample_submission.csv")
    _link_by_name(raw / "train_images", public / "train_images", train["image"], "train image")
    _link_by_name(raw / "train_images", public / "test_images", answers["image"], "train image")


# ------------------------------------------------------------------------ petfinder-pawpularity-score
PETFINDER_FEATURES = ("Subject Focus", "Eyes", "Face", "Near", "Action", "Accessory", "Group", "Collage", "Human",
                      "Occlusion", "Info", "Blur")
PETFINDER_SCHEMA = pa.DataFrameSchema(
    {"Id": pa.Column(str, hex_id(32))}
    | {c: pa.Column(int, binary()) for c in PETFINDER_FEATURES}
    | {"Pawpularity": pa.Column(int, pa.Check.in_range(1, 100))},
    strict=True, ordered=True,
)


def _petfinder_contract(raw: Path) -> None:
    check_csv(raw / "train.csv", PETFINDER_SCHEMA, "train.csv")


@register_preparer("petfinder-pawpularity-score", ("train.csv", "train/*.jpg"), _petfinder_contract)
def prepare_petfinder(raw: Path, public: Path, private: Path) -> None:
    """Rows split by train_test_split(test_size=0.1, random_state=0); the sample submission holds
    default_rng(0).uniform(1, 100) values rounded to 2 decimals."""
    old = read_csv(raw / "train.csv", "train.csv")
    require_unique(old["Id"], "train.csv", "Id")
    train, test = split_frame(old, 0.1)
    guesses = np.random.default_rng(0).uniform(1, 100, len(test)).round(2)
    write_csv(train, public / "train.csv")
    write_csv(test, private / "test.csv")
    write_csv(test.drop(columns=["Pawpularity"]), public / "test.csv")
    write_csv(test[["Id", "Pawpularity"]].assign(Pawpularity=guesses), public / "sample_submission.csv")
    _link_by_name(raw / "train", public / "train", train["Id"] + ".jpg", "train image")
    _link_by_name(raw / "train", public / "test", test["Id"] + ".jpg", "train image")


# ------------------------------------------------------------------------ whale-categorization-playground
WHALE_SCHEMA = pa.DataFrameSchema(
    {
        "Image": pa.Column(str, pa.Check.str_matches(r"^[0-9a-f]{8}\.jpg$", error="8 hex digits + .jpg")),
        "Id": pa.Column(str, pa.Check.str_matches(r"^(?:w_[0-9a-f]{7}|new_whale)$", error="w_<7 hex> or new_whale")),
    },
    strict=True, ordered=True,
)
WHALE_SAMPLE = "new_whale w_1287fbc w_98baff9 w_7554f44 w_1eafe46"


def whale_split(ids: pd.Series, test_share: float = 0.1) -> np.ndarray:
    """Whether each row goes to test under MLE-bench v1's whale rule (vectorised; rows in train.csv order).

    An Id with two or more images gives the two rows pandas' ``sample(2, random_state=0)`` picks, one to train and
    one to test: those are positions ``RandomState(0).permutation(m)[:2]`` of the Id's ``m`` rows. Each single-image
    Id, in order of first appearance, goes to test when ``default_rng(0).choice(["train", "test"], p=[0.9, 0.1])``
    says so: each call draws one uniform double and picks test when it reaches 0.9. The undecided rest is split by
    ``train_test_split(test_size=0.1, random_state=0)``.

    >>> whale_split(pd.Series(["a", "a", "a", "a", "a", "b"])).tolist()
    [True, False, False, False, True, False]
    """
    codes, _ = pd.factorize(ids)
    counts = np.bincount(codes)
    size = counts[codes]
    rank = pd.Series(codes).groupby(codes).cumcount().to_numpy()
    first = np.full(size.max() + 1, -1)
    second = np.full(size.max() + 1, -1)
    for m in np.unique(size[size >= 2]):
        picked = np.random.RandomState(0).permutation(m)[:2]
        first[m], second[m] = picked
    split = np.zeros(len(ids), dtype=np.int8)  # 0 undecided, 1 train, 2 test
    multi = size >= 2
    split[multi & (rank == first[size])] = 1
    split[multi & (rank == second[size])] = 2
    single_codes = np.flatnonzero(counts == 1)  # codes number Ids in order of first appearance
    draws = np.random.default_rng(0).random(len(single_codes))
    single_test = np.zeros(len(counts), dtype=bool)
    single_test[single_codes] = draws >= 1 - test_share
    single = size == 1
    split[single] = np.where(single_test[codes[single]], 2, 1)
    undecided = np.flatnonzero(split == 0)
    _, test_pos = split_positions(len(undecided), test_share)
    split[undecided] = 1
    split[undecided[test_pos]] = 2
    return split == 2


def _whale_contract(raw: Path) -> None:
    check_csv(raw / "train.csv", WHALE_SCHEMA, "train.csv")


@register_preparer("whale-categorization-playground", ("train.csv", "train/*.jpg"), _whale_contract)
def prepare_whale(raw: Path, public: Path, private: Path) -> None:
    """One image of every Id with 2+ images in each part, single-image Ids to test with p=0.1, the rest by
    train_test_split(test_size=0.1, random_state=0); test Ids absent from the new train become new_whale.

    Both parts keep train.csv's order. The sample submission lists new_whale and four fixed ids for every image.
    """
    old = read_csv(raw / "train.csv", "train.csv")
    require_unique(old["Image"], "train.csv", "Image")
    in_test = whale_split(old["Id"])
    train, answers = old[~in_test], old[in_test].copy()
    answers.loc[~answers["Id"].isin(train["Id"]), "Id"] = "new_whale"
    if not (answers["Id"] == "new_whale").any():
        raise RawDataError(
            "the test part holds no new_whale (MLE-bench v1's preparer requires one): train.csv has too few "
            "new_whale or single-image rows; download the full competition data again"
        )
    write_csv(answers, private / "test.csv")
    write_csv(train, public / "train.csv")
    write_csv(answers.assign(Id=WHALE_SAMPLE), public / "sample_submission.csv")
    _link_by_name(raw / "train", public / "train", train["Image"], "train image")
    _link_by_name(raw / "train", public / "test", answers["Image"], "train image")


# ------------------------------------------------------------------------ hotel-id-2021-fgvc8
HOTEL_SCHEMA = pa.DataFrameSchema(
    {
        "image": pa.Column(str, pa.Check.str_matches(r"^[0-9a-f]{16}\.jpg$", error="16 hex digits + .jpg")),
        "chain": pa.Column(int, pa.Check.ge(0)),
        "hotel_id": pa.Column(int, pa.Check.ge(0)),
        "timestamp": pa.Column(str, pa.Check.str_matches(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$",
                                                         error="YYYY-MM-DD HH:MM:SS")),
    },
    strict=True, ordered=True,
)
HOTEL_DROPPED = "ce27d36c9147cc19.jpg"
HOTEL_SAMPLE = "36363 53586 18807 64314 60181"


def _hotel_contract(raw: Path) -> None:
    check_csv(raw / "train.csv", HOTEL_SCHEMA, "train.csv")


def _hotel_paths(raw: Path, rows: pd.DataFrame) -> list[Path]:
    paths = [raw / "train_images" / str(c) / i for c, i in zip(rows["chain"].tolist(), rows["image"].tolist())]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise RawDataError(
            f"{len(missing)} image file(s) of train.csv missing from {raw / 'train_images'} (e.g. "
            f"{', '.join(p.relative_to(raw).as_posix() for p in missing[:3])}); "
            "download the full competition data again"
        )
    return paths


@register_preparer("hotel-id-2021-fgvc8", ("train.csv", "train_images/*/*.jpg"), _hotel_contract)
def prepare_hotel(raw: Path, public: Path, private: Path) -> None:
    """Rows of train.csv without ce27d36c9147cc19.jpg split by train_test_split(test_size=0.1, random_state=0);
    train images keep their chain folders, test images are flattened into public/test_images."""
    old = read_csv(raw / "train.csv", "train.csv")
    old = old[old["image"] != HOTEL_DROPPED]
    require_unique(old["image"], "train.csv", "image")
    train, test = split_frame(old, 0.1)
    write_csv(train, public / "train.csv")
    write_csv(test[["image", "hotel_id"]].assign(hotel_id=HOTEL_SAMPLE), public / "sample_submission.csv")
    write_csv(test, private / "test.csv")
    train_paths, test_paths = _hotel_paths(raw, train), _hotel_paths(raw, test)
    (public / "train_images").mkdir(parents=True, exist_ok=True)
    (public / "test_images").mkdir(parents=True, exist_ok=True)
    link_files((p, public / "train_images" / p.parent.name / p.name) for p in train_paths)
    link_files((p, public / "test_images" / p.name) for p in test_paths)


# ------------------------------------------------------------------------ alaska2-image-steganalysis
ALASKA2_ALGORITHMS = ("JMiPOD", "JUNIWARD", "UERD")
#: v1's fixed test size (of 75,000 covers)
ALASKA2_TEST = 5000


def alaska2_test_size(n_covers: int) -> int:
    """v1's 5,000 test covers; a raw of 5,000 covers or fewer (where v1 stops) keeps v1's share, 1 in 15.

    >>> alaska2_test_size(75000), alaska2_test_size(5001), alaska2_test_size(60)
    (5000, 5000, 4)
    """
    return ALASKA2_TEST if n_covers > ALASKA2_TEST else max(1, n_covers * ALASKA2_TEST // 75000)


def alaska2_test_order(n_test: int) -> tuple[list[int], list[str | None]]:
    """``(order, picks)``: v1's shuffled order of the test covers (positions in the split's test list) and each
    one's version (None = cover, label 0; an algorithm name = stego, label 1).

    Replays v1's ``random.seed(0)``, ``random.shuffle`` and ``random.choice`` calls on a private generator, so the
    global one is left alone.

    >>> alaska2_test_order(3)
    ([0, 2, 1], [None, 'UERD', 'JUNIWARD'])
    """
    rng = random.Random(0)
    order = list(range(n_test))
    rng.shuffle(order)
    picks: list[str | None] = []
    for _ in order:  # one or two draws per image, in sequence: a replay of Python's generator
        picks.append(None if rng.choice([True, False]) else rng.choice(list(ALASKA2_ALGORITHMS)))
    return order, picks


def _alaska2_contract(raw: Path) -> None:
    for folder in ("Cover", *ALASKA2_ALGORITHMS):
        if not (raw / folder).is_dir():
            raise RawDataError(f"{folder}/ is missing from {raw}; download the full competition data")


@register_preparer(
    "alaska2-image-steganalysis", ("Cover/*.jpg", *(f"{a}/*.jpg" for a in ALASKA2_ALGORITHMS)), _alaska2_contract
)
def prepare_alaska2(raw: Path, public: Path, private: Path) -> None:
    """Sorted covers split by train_test_split(test_size=5000, random_state=42); train renamed 00001.jpg.. in all
    four folders; test shuffled (random.seed(0)), renamed 0001.jpg.., each the cover or a random stego version.

    A raw with 5,000 covers or fewer (v1's preparer stops there) gets 1 test cover in 15.
    """
    covers = sorted(p.name for p in (raw / "Cover").glob("*.jpg") if p.is_file())
    for algorithm in ALASKA2_ALGORITHMS:
        require_named_files(raw / algorithm, covers, f"{algorithm} image")
    train_pos, test_pos = split_positions(len(covers), alaska2_test_size(len(covers)), seed=42)
    names = np.asarray(covers, dtype=object)
    train_names = names[train_pos].tolist()
    new_train = [f"{i:05d}.jpg" for i in range(1, len(train_names) + 1)]
    for folder in ("Cover", *ALASKA2_ALGORITHMS):
        (public / folder).mkdir(parents=True, exist_ok=True)
        link_files((raw / folder / old, public / folder / new) for old, new in zip(train_names, new_train))
    order, picks = alaska2_test_order(len(test_pos))
    test_names = names[test_pos][order].tolist()
    ids = [f"{i:04d}.jpg" for i in range(1, len(test_names) + 1)]
    (public / "Test").mkdir(parents=True, exist_ok=True)
    link_files((raw / (pick or "Cover") / old, public / "Test" / new) for old, new, pick in zip(test_names, ids, picks))
    answers = pd.DataFrame({"Id": ids, "Label": np.array([pick is not None for pick in picks], dtype=np.int64)})
    write_csv(answers, private / "test.csv")
    write_csv(answers.assign(Label=0), public / "sample_submission.csv")


# ------------------------------------------------------------------------ imet-2020-fgvc7
IMET_SCHEMA = pa.DataFrameSchema(
    {
        "id": pa.Column(str, hex_id(32)),
        "attribute_ids": pa.Column(str, pa.Check.str_matches(r"^\d+(?: \d+)*$", error="space-separated integers"),
                                   coerce=True),
    },
    strict=True, ordered=True,
)
IMET_LABELS_SCHEMA = pa.DataFrameSchema(
    {"attribute_id": pa.Column(int, pa.Check.ge(0)), "attribute_name": pa.Column(str)}, strict=True, ordered=True
)


def _imet_contract(raw: Path) -> None:
    check_csv(raw / "train.csv", IMET_SCHEMA, "train.csv")
    check_csv(raw / "labels.csv", IMET_LABELS_SCHEMA, "labels.csv")


@register_preparer("imet-2020-fgvc7", ("train.csv", "labels.csv", "train/*.png"), _imet_contract)
def prepare_imet(raw: Path, public: Path, private: Path) -> None:
    """Rows split by train_test_split(test_size=0.15, random_state=0); labels.csv copied; PNGs to public/train and
    public/test; the sample submission predicts '0 1 2'."""
    old = read_csv(raw / "train.csv", "train.csv")
    require_unique(old["id"], "train.csv", "id")
    train, answers = split_frame(old, 0.15)
    write_csv(answers, private / "answers.csv")
    write_csv(train, public / "train.csv")
    write_csv(answers.assign(attribute_ids="0 1 2"), public / "sample_submission.csv")
    shutil.copyfile(raw / "labels.csv", public / "labels.csv")
    _link_by_name(raw / "train", public / "train", train["id"] + ".png", "train image")
    _link_by_name(raw / "train", public / "test", answers["id"] + ".png", "train image")
