"""Preparers of the lite image competitions."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from mle_datasets.errors import RawDataError

from . import register_preparer
from ._classes import DOG_BREEDS, LEAF_SPECIES
from ._common import (
    binary,
    check_csv,
    check_csv_in_zip,
    copy_by_id,
    copy_files,
    hex_id,
    one_hot,
    open_zip,
    read_csv,
    read_csv_in_zip,
    read_member,
    require_in,
    require_named_files,
    require_unique,
    split_frame,
    split_positions,
    write_csv,
    write_zip,
)
from ._media import read_png_gray, tfrecord_ids


def _members(zf, pattern: str) -> pd.Series:
    """Sorted entry names of a zip matching ``pattern`` (a regex on the whole name)."""
    names = pd.Series(sorted(zf.namelist()), dtype=str)
    return names[names.str.fullmatch(pattern)].reset_index(drop=True)


def _require_folder_in_zip(zip_path: Path, pattern: str, what: str) -> None:
    with open_zip(zip_path) as zf:
        if _members(zf, pattern).empty:
            raise RawDataError(f"{zip_path.name} holds no {what}; download the full competition data again")


# ------------------------------------------------------------------------ aerial-cactus-identification
AERIAL_SCHEMA = pa.DataFrameSchema(
    {"id": pa.Column(str, pa.Check.str_matches(r"^[0-9a-f]{32}\.jpg$")), "has_cactus": pa.Column(int, binary())},
    strict=True, ordered=True,
)


def _aerial_contract(raw: Path) -> None:
    check_csv(raw / "train.csv", AERIAL_SCHEMA, "train.csv")
    _require_folder_in_zip(raw / "train.zip", r"train/[^/]+\.jpg", "train/<id>.jpg images")


@register_preparer("aerial-cactus-identification", ("train.csv", "train.zip"), _aerial_contract)
def prepare_aerial(raw: Path, public: Path, private: Path) -> None:
    """Rows split by train_test_split(test_size=0.19, random_state=0); images re-zipped flat into public/train.zip and
    public/test.zip."""
    old = read_csv(raw / "train.csv", "train.csv")
    require_unique(old["id"], "train.csv", "id")
    train, test = split_frame(old, 0.19)
    if len(train) <= len(test):
        raise RawDataError(f"train.csv has {len(old)} rows: too few to split (the train part must be the larger)")
    write_csv(train, public / "train.csv")
    write_csv(test, private / "test.csv")
    write_csv(test.assign(has_cactus=0.5), public / "sample_submission.csv")
    with open_zip(raw / "train.zip") as zf:
        present = set(zf.namelist())
        missing = [i for i in old["id"] if f"train/{i}" not in present]
        if missing:
            raise RawDataError(
                f"train.zip lacks {len(missing)} image(s) listed in train.csv (e.g. train/{missing[0]}); "
                "download the full competition data again"
            )
        for part, name in ((train, "train.zip"), (test, "test.zip")):
            write_zip(public / name, {i: read_member(zf, f"train/{i}") for i in part["id"]})


# ------------------------------------------------------------------------ aptos2019-blindness-detection
APTOS_SCHEMA = pa.DataFrameSchema(
    {"id_code": pa.Column(str, pa.Check.str_matches(r"^[0-9a-f]+$")), "diagnosis": pa.Column(int, pa.Check.isin(range(5)))},
    strict=True, ordered=True,
)


def _aptos_contract(raw: Path) -> None:
    check_csv(raw / "train.csv", APTOS_SCHEMA, "train.csv")


@register_preparer("aptos2019-blindness-detection", ("train.csv", "train_images/*.png"), _aptos_contract)
def prepare_aptos(raw: Path, public: Path, private: Path) -> None:
    """Rows split by train_test_split(test_size=0.1, random_state=0); PNGs copied to public/train_images and
    public/test_images."""
    old = read_csv(raw / "train.csv", "train.csv")
    require_unique(old["id_code"], "train.csv", "id_code")
    train, test = split_frame(old, 0.1)
    copy_by_id(raw / "train_images", public / "train_images", train["id_code"] + ".png", "train image")
    copy_by_id(raw / "train_images", public / "test_images", test["id_code"] + ".png", "train image")
    write_csv(train, public / "train.csv")
    write_csv(test, private / "test.csv")
    write_csv(test.drop(columns=["diagnosis"]), public / "test.csv")
    write_csv(test.assign(diagnosis=0), public / "sample_submission.csv")


# ------------------------------------------------------------------------ denoising-dirty-documents
def _denoising_contract(raw: Path) -> None:
    _require_folder_in_zip(raw / "train.zip", r"train/[^/]+\.png", "train/*.png images")
    _require_folder_in_zip(raw / "train_cleaned.zip", r"train_cleaned/[^/]+\.png", "train_cleaned/*.png images")


def pixel_answers(stem: str, gray: np.ndarray) -> pd.DataFrame:
    """Answers rows of one cleaned image: id ``<stem>_<row>_<col>`` (1-based, row-major), value = pixel/255.

    >>> pixel_answers("7", np.array([[0, 255]], np.uint8))
          id  value
    0  7_1_1    0.0
    1  7_1_2    1.0
    """
    rows, cols = gray.shape
    r = pd.Series(np.repeat(np.arange(1, rows + 1), cols)).astype(str)
    c = pd.Series(np.tile(np.arange(1, cols + 1), rows)).astype(str)
    return pd.DataFrame({"id": f"{stem}_" + r + "_" + c, "value": gray.reshape(-1) / 255.0})


@register_preparer("denoising-dirty-documents", ("train.zip", "train_cleaned.zip"), _denoising_contract)
def prepare_denoising(raw: Path, public: Path, private: Path) -> None:
    """Sorted noisy PNGs split by train_test_split(test_size=0.2, random_state=0); the test images' clean twins become
    per-pixel answers."""
    with open_zip(raw / "train.zip") as zf:
        noisy = _members(zf, r"train/[^/]+\.png")
        names = noisy.str.slice(len("train/"))
        train_pos, test_pos = split_positions(len(names), 0.2)
        test_names = set(names.iloc[test_pos])
        for member, name in zip(noisy, names):
            folder = "test" if name in test_names else "train"
            dest = public / folder / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(read_member(zf, member))
    (public / "test").mkdir(exist_ok=True)
    frames = []
    with open_zip(raw / "train_cleaned.zip") as zf:
        cleaned = _members(zf, r"train_cleaned/[^/]+\.png")
        for member in cleaned:
            name = member[len("train_cleaned/"):]
            data = read_member(zf, member)
            if name in test_names:
                frames.append(pixel_answers(Path(name).stem, read_png_gray(data, member)))
            else:
                dest = public / "train_cleaned" / name
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(data)
    if not frames:
        raise RawDataError("train_cleaned.zip holds no clean twin of any test image; download it again")
    answers = pd.concat(frames, ignore_index=True)
    write_csv(answers, private / "answers.csv")
    write_csv(answers.assign(value=1), public / "sampleSubmission.csv")


# ------------------------------------------------------------------------ dog-breed-identification
DOG_SCHEMA = pa.DataFrameSchema(
    {"id": pa.Column(str, hex_id(32)), "breed": pa.Column(str, pa.Check.isin(DOG_BREEDS))}, strict=True, ordered=True
)


def _dog_contract(raw: Path) -> None:
    check_csv(raw / "labels.csv", DOG_SCHEMA, "labels.csv")


@register_preparer("dog-breed-identification", ("labels.csv", "train/*.jpg"), _dog_contract)
def prepare_dog_breed(raw: Path, public: Path, private: Path) -> None:
    """Rows split by train_test_split(test_size=0.1, random_state=0); answers one-hot over the 120 breeds; sample
    submission 1/120 each."""
    old = read_csv(raw / "labels.csv", "labels.csv")
    require_unique(old["id"], "labels.csv", "id")
    require_in(old["breed"], DOG_BREEDS, "labels.csv", "breed")
    train, test = split_frame(old, 0.1)
    answers = one_hot(test["id"], test["breed"], "id", DOG_BREEDS)
    write_csv(train, public / "labels.csv")
    write_csv(answers, private / "test.csv")
    copy_by_id(raw / "train", public / "train", train["id"] + ".jpg", "train image")
    copy_by_id(raw / "train", public / "test", test["id"] + ".jpg", "train image")
    write_csv(answers.assign(**{b: 1 / 120 for b in DOG_BREEDS}), public / "sample_submission.csv")


# ------------------------------------------------------------------------ dogs-vs-cats-redux-kernels-edition
def _dogs_cats_contract(raw: Path) -> None:
    _require_folder_in_zip(raw / "train.zip", r"train/[^/]+\.jpg", "train/*.jpg images")
    _require_folder_in_zip(raw / "test.zip", r"test/.*", "test/ folder")


@register_preparer("dogs-vs-cats-redux-kernels-edition", ("train.zip", "test.zip"), _dogs_cats_contract)
def prepare_dogs_cats(raw: Path, public: Path, private: Path) -> None:
    """Sorted train images split by train_test_split(test_size=0.1, random_state=0); train renamed cat.<k>/dog.<k>,
    test renamed 1..n; answers 1 = dog."""
    with open_zip(raw / "train.zip") as zf:
        members = _members(zf, r"train/[^/]+\.jpg")
        names = members.str.slice(len("train/"))
        train_pos, test_pos = split_positions(len(names), 0.1)
        train_names = names.iloc[train_pos].reset_index(drop=True)
        kind = np.where(train_names.str.contains("cat", regex=False), "cat", "dog")
        counter = pd.Series(kind).groupby(kind).cumcount().astype(str)
        train_new = pd.Series(kind) + "." + counter + ".jpg"
        test_names = names.iloc[test_pos].reset_index(drop=True)
        test_new = pd.Series(np.arange(1, len(test_names) + 1)).astype(str) + ".jpg"
        for folder, olds, news in (("train", train_names, train_new), ("test", test_names, test_new)):
            entries = {new: read_member(zf, f"train/{old}") for old, new in zip(olds, news)}
            (public / folder).mkdir(parents=True, exist_ok=True)
            for new, data in entries.items():
                (public / folder / new).write_bytes(data)
            write_zip(public / f"{folder}.zip", entries)
    ids = np.arange(1, len(test_names) + 1)
    answers = pd.DataFrame({"id": ids, "label": test_names.str.contains("dog", regex=False).astype(int).to_numpy()})
    write_csv(answers, private / "answers.csv")
    write_csv(pd.DataFrame({"id": ids, "label": 0.5}), public / "sample_submission.csv")


# ------------------------------------------------------------------------ histopathologic-cancer-detection
HISTO_SCHEMA = pa.DataFrameSchema(
    {"id": pa.Column(str, hex_id(40)), "label": pa.Column(int, binary())}, strict=True, ordered=True
)


def _histo_contract(raw: Path) -> None:
    check_csv(raw / "train_labels.csv", HISTO_SCHEMA, "train_labels.csv")


@register_preparer(
    "histopathologic-cancer-detection", ("train_labels.csv", "train/*.tif", "test/*.tif"), _histo_contract
)
def prepare_histo(raw: Path, public: Path, private: Path) -> None:
    """Test share = n raw test tifs / (n train rows + n raw test tifs); both parts keep train_labels.csv order."""
    old = pd.read_csv(raw / "train_labels.csv")
    require_unique(old["id"], "train_labels.csv", "id")
    n_test = sum(1 for _ in (raw / "test").glob("*.tif"))
    train_pos, test_pos = split_positions(len(old), n_test / (len(old) + n_test) if n_test else 0.0)
    in_test = np.zeros(len(old), bool)
    in_test[test_pos] = True
    train, test = old[~in_test], old[in_test]
    copy_by_id(raw / "train", public / "train", old["id"].iloc[train_pos] + ".tif", "train image")
    copy_by_id(raw / "train", public / "test", old["id"].iloc[test_pos] + ".tif", "train image")
    write_csv(train, public / "train_labels.csv")
    write_csv(test, private / "answers.csv")
    write_csv(test.assign(label=0), public / "sample_submission.csv")


# ------------------------------------------------------------------------ leaf-classification
LEAF_FEATURES = [f"{kind}{i}" for kind in ("margin", "shape", "texture") for i in range(1, 65)]
LEAF_SCHEMA = pa.DataFrameSchema(
    {"id": pa.Column(int), "species": pa.Column(str, pa.Check.isin(LEAF_SPECIES))}
    | {c: pa.Column(float, coerce=True) for c in LEAF_FEATURES},
    strict=True, ordered=True,
)


def _leaf_contract(raw: Path) -> None:
    check_csv_in_zip(raw / "train.csv.zip", "train.csv", LEAF_SCHEMA)
    _require_folder_in_zip(raw / "images.zip", r"images/\d+\.jpg", "images/<id>.jpg images")


@register_preparer("leaf-classification", ("train.csv.zip", "images.zip"), _leaf_contract)
def prepare_leaf(raw: Path, public: Path, private: Path) -> None:
    """Rows split by train_test_split(test_size=0.1, random_state=0); answers one-hot over the 99 species;
    public/images holds train and test images."""
    old = read_csv_in_zip(raw / "train.csv.zip", "train.csv")
    require_unique(old["id"], "train.csv", "id")
    require_in(old["species"], LEAF_SPECIES, "train.csv", "species")
    train, test = split_frame(old, 0.1)
    answers = one_hot(test["id"], test["species"], "id", LEAF_SPECIES)
    with open_zip(raw / "images.zip") as zf:
        present = set(zf.namelist())
        wanted = pd.concat([train["id"], test["id"]]).astype(str) + ".jpg"
        missing = [w for w in wanted if f"images/{w}" not in present]
        if missing:
            raise RawDataError(
                f"images.zip lacks {len(missing)} image(s) of train.csv (e.g. images/{missing[0]}); download it again"
            )
        (public / "images").mkdir(parents=True, exist_ok=True)
        for name in wanted:
            (public / "images" / name).write_bytes(read_member(zf, f"images/{name}"))
    (private / "images").mkdir(exist_ok=True)  # MLE-bench leaves this folder empty
    write_csv(train, public / "train.csv")
    write_csv(answers, private / "test.csv")
    write_csv(test.drop(columns=["species"]), public / "test.csv")
    write_csv(answers.assign(**{s: 1 / len(LEAF_SPECIES) for s in LEAF_SPECIES}), public / "sample_submission.csv")


# ------------------------------------------------------------------------ plant-pathology-2020-fgvc7
PLANT_LABELS = ["healthy", "multiple_diseases", "rust", "scab"]
PLANT_SCHEMA = pa.DataFrameSchema(
    {"image_id": pa.Column(str, pa.Check.str_matches(r"^Train_\d+$"))} | {c: pa.Column(int, binary()) for c in PLANT_LABELS},
    strict=True, ordered=True,
)


def _plant_contract(raw: Path) -> None:
    check_csv(raw / "train.csv", PLANT_SCHEMA, "train.csv")


@register_preparer("plant-pathology-2020-fgvc7", ("train.csv", "images/Train_*.jpg"), _plant_contract)
def prepare_plant(raw: Path, public: Path, private: Path) -> None:
    """Rows split by train_test_split(test_size=0.1, random_state=0); images renamed Train_<i> / Test_<i> in split
    order, all in public/images."""
    old = read_csv(raw / "train.csv", "train.csv")
    require_unique(old["image_id"], "train.csv", "image_id")
    bad = old["image_id"][~old["image_id"].str.startswith("Train_")]
    if len(bad):
        raise RawDataError(f"train.csv: image_id values must start with Train_ (e.g. {bad.iloc[0]!r}); download it again")
    train, answers = split_frame(old, 0.1)
    new_train_ids = "Train_" + pd.Series(np.arange(len(train))).astype(str).to_numpy()
    new_test_ids = "Test_" + pd.Series(np.arange(len(answers))).astype(str).to_numpy()
    require_named_files(raw / "images", old["image_id"] + ".jpg", "image")
    copy_files(
        (raw / "images" / f"{o}.jpg", public / "images" / f"{n}.jpg")
        for o, n in zip(
            np.concatenate([train["image_id"], answers["image_id"]]), np.concatenate([new_train_ids, new_test_ids])
        )
    )
    train = train.assign(image_id=new_train_ids)
    answers = answers.assign(image_id=new_test_ids)
    write_csv(answers, private / "test.csv")
    write_csv(answers[["image_id"]].assign(**{c: 0.25 for c in PLANT_LABELS}), public / "sample_submission.csv")
    write_csv(answers[["image_id"]], public / "test.csv")
    write_csv(train, public / "train.csv")


# ------------------------------------------------------------------------ ranzcr-clip-catheter-line-classification
RANZCR_ALL = [
    "ETT - Abnormal", "ETT - Borderline", "ETT - Normal", "NGT - Abnormal", "NGT - Borderline",
    "NGT - Incompletely Imaged", "NGT - Normal", "CVC - Abnormal", "CVC - Borderline", "CVC - Normal",
    "Swan Ganz Catheter Present",
]
#: The 9 columns MLE-bench v1 scores (``CVC - Normal`` and ``Swan Ganz Catheter Present`` left out).
RANZCR_CLASSES = RANZCR_ALL[:9]
_UID = pa.Check.str_matches(r"^[0-9]+(\.[0-9]+)+$")
RANZCR_SCHEMA = pa.DataFrameSchema(
    {"StudyInstanceUID": pa.Column(str, _UID)}
    | {c: pa.Column(int, binary()) for c in RANZCR_ALL}
    | {"PatientID": pa.Column(str)},
    strict=True, ordered=True,
)
RANZCR_ANNOTATIONS = pa.DataFrameSchema(
    {
        "StudyInstanceUID": pa.Column(str, _UID),
        "label": pa.Column(str, pa.Check.isin(RANZCR_ALL)),
        "data": pa.Column(str, pa.Check.str_startswith("[")),
    },
    strict=True, ordered=True,
)


def _ranzcr_contract(raw: Path) -> None:
    check_csv(raw / "train.csv", RANZCR_SCHEMA, "train.csv")
    check_csv(raw / "train_annotations.csv", RANZCR_ANNOTATIONS, "train_annotations.csv")


@register_preparer(
    "ranzcr-clip-catheter-line-classification", ("train.csv", "train_annotations.csv", "train/*.jpg"), _ranzcr_contract
)
def prepare_ranzcr(raw: Path, public: Path, private: Path) -> None:
    """Rows split by train_test_split(test_size=0.1, random_state=0) (not grouped by patient); annotations filtered to
    the new train; 9 scored columns."""
    old = read_csv(raw / "train.csv", "train.csv")
    require_unique(old["StudyInstanceUID"], "train.csv", "StudyInstanceUID")
    train, test = split_frame(old, 0.1)
    annotations = read_csv(raw / "train_annotations.csv", "train_annotations.csv")
    train_annotations = annotations[annotations["StudyInstanceUID"].isin(train["StudyInstanceUID"])]
    copy_by_id(raw / "train", public / "train", train["StudyInstanceUID"] + ".jpg", "train image")
    copy_by_id(raw / "train", public / "test", test["StudyInstanceUID"] + ".jpg", "train image")
    write_csv(train, public / "train.csv")
    write_csv(train_annotations, public / "train_annotations.csv")
    write_csv(test, private / "test.csv")
    sample = test[["StudyInstanceUID"] + RANZCR_CLASSES].assign(**{c: 0 for c in RANZCR_CLASSES})
    write_csv(sample, public / "sample_submission.csv")


# ------------------------------------------------------------------------ siim-isic-melanoma-classification
SIIM_TEST_RECORDS = ("train00-2071.tfrec", "train06-2071.tfrec")
SIIM_PUBLIC_TEST = ["image_name", "patient_id", "sex", "age_approx", "anatom_site_general_challenge"]
SIIM_SCHEMA = pa.DataFrameSchema(
    {
        "image_name": pa.Column(str, pa.Check.str_matches(r"^ISIC_\d{7}$")),
        "patient_id": pa.Column(str, pa.Check.str_matches(r"^IP_\d{7}$")),
        "sex": pa.Column(str, pa.Check.isin(["male", "female"]), nullable=True),
        "age_approx": pa.Column(float, coerce=True, nullable=True),
        "anatom_site_general_challenge": pa.Column(str, nullable=True),
        "diagnosis": pa.Column(str),
        "benign_malignant": pa.Column(str, pa.Check.isin(["benign", "malignant"])),
        "target": pa.Column(int, binary()),
    },
    strict=True, ordered=True,
)
_TFREC_NAME = re.compile(r"^train[^-]*-[^-.]+\.tfrec$")


def _siim_contract(raw: Path) -> None:
    check_csv(raw / "train.csv", SIIM_SCHEMA, "train.csv")
    odd = [p.name for p in (raw / "tfrecords").glob("train*.tfrec") if not _TFREC_NAME.match(p.name)]
    if odd:
        raise RawDataError(f"tfrecords/: unexpected file name(s) {odd[:3]} (expected train<NN>-<count>.tfrec)")


@register_preparer(
    "siim-isic-melanoma-classification",
    ("train.csv", "train/*.dcm", "jpeg/train/*.jpg", *(f"tfrecords/{n}" for n in SIIM_TEST_RECORDS)),
    _siim_contract,
)
def prepare_siim(raw: Path, public: Path, private: Path) -> None:
    """Test = the images of TFRecords train00-2071 and train06-2071; TFRecords renamed train<k>/test<k>."""
    old = pd.read_csv(raw / "train.csv")
    require_unique(old["image_name"], "train.csv", "image_name")
    test_ids = np.concatenate([tfrecord_ids(raw / "tfrecords" / n) for n in SIIM_TEST_RECORDS])
    in_test = old["image_name"].isin(test_ids)
    if not in_test.any():
        raise RawDataError(
            f"no image of {' or '.join(SIIM_TEST_RECORDS)} is listed in train.csv, so the test set would be "
            "empty; the files do not belong together: download the full competition data again"
        )
    train, test_full = old[~in_test], old[in_test]
    test = test_full[["image_name", "target"]]
    write_csv(train, public / "train.csv")
    write_csv(test_full[SIIM_PUBLIC_TEST], public / "test.csv")
    write_csv(test.assign(target=0), public / "sample_submission.csv")
    write_csv(test, private / "test.csv")
    for part, names in (("train", train["image_name"]), ("test", test["image_name"])):
        copy_by_id(raw / "train", public / part, names + ".dcm", "DICOM")
        copy_by_id(raw / "jpeg" / "train", public / "jpeg" / part, names + ".jpg", "JPEG")
    counters = {"train": 0, "test": 0}
    (public / "tfrecords").mkdir(parents=True, exist_ok=True)
    for path in sorted((raw / "tfrecords").glob("train*.tfrec")):
        count = path.stem.split("-")[1]
        part = "test" if path.name in SIIM_TEST_RECORDS else "train"
        shutil.copyfile(path, public / "tfrecords" / f"{part}{counters[part]:02d}-{count}.tfrec")
        counters[part] += 1
