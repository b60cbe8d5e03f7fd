"""Preparers of the medical-imaging and EEG competitions of the high and dev splits.

rsna-miccai-brain-tumor-radiogenomic-classification, rsna-breast-cancer-detection, siim-covid19-detection,
hms-harmful-brain-activity-classification, rsna-2022-cervical-spine-fracture-detection and
vinbigdata-chest-xray-abnormalities-detection. Scans (DICOM), segmentations (NIfTI), EEG and spectrogram
parquet files and figures are hard-linked from the raw folder (copied where a link cannot be made) and never
decoded or read: only the label tables are.
"""

from __future__ import annotations

import random
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
    link_tree,
    read_csv,
    require_unique,
    split_positions,
    write_csv,
)


# ----------------------------------------------------------------------------------------------- helpers
def _require_dirs(folder: Path, names: Iterable[str], what: str) -> None:
    """Raise :class:`RawDataError` when sub-folders ``folder/<name>`` are missing (count and a few examples)."""
    names = pd.Series(list(names), dtype=object).astype(str)
    present = [p.name for p in folder.iterdir() if p.is_dir()] if folder.is_dir() else []
    missing = names[~names.isin(present)].unique()
    if len(missing):
        raise RawDataError(
            f"{len(missing)} {what} folder(s) missing from {folder} (e.g. {', '.join(missing[:3])}); "
            "download the full competition data again"
        )


def _link_trees(src_root: Path, dst_root: Path, names: Iterable[str], what: str) -> None:
    """Hard-link each folder tree ``src_root/<name>`` to ``dst_root/<name>``, as v1's ``shutil.copytree`` copies
    it (empty sub-folders included); ``dst_root`` is made even when ``names`` is empty."""
    names = [str(n) for n in names]
    _require_dirs(src_root, names, what)
    dst_root.mkdir(parents=True, exist_ok=True)
    for name in names:
        link_tree(src_root / name, dst_root / name, what)


def _link_named(src_dir: Path, dst_dir: Path, names: Iterable[str], what: str) -> None:
    """Hard-link the files ``src_dir/<name>`` to ``dst_dir/<name>`` (``dst_dir`` is made anyway)."""
    dst_dir.mkdir(parents=True, exist_ok=True)
    link_files(((src_dir / n, dst_dir / n) for n in names), what)


def _text(values: pd.Series) -> pd.Series:
    """What an f-string writes for each value: ints as digits, floats as Python's shortest repr."""
    if values.dtype.kind == "f":
        return pd.Series(list(map(float.__repr__, values.to_numpy(dtype=float).tolist())), index=values.index)
    return values.astype(str)


# ------------------------------------------------------------------------ rsna-miccai-brain-tumor-radiogenomic
MICCAI = "rsna-miccai-brain-tumor-radiogenomic-classification"
MICCAI_SCHEMA = pa.DataFrameSchema(
    {
        "BraTS21ID": pa.Column(str, pa.Check.str_matches(r"^\d{5}$", error="five zero-padded digits")),
        "MGMT_value": pa.Column(int, binary()),
    },
    strict=True, ordered=True,
)
#: MLE-bench reads the ids as text (the folder names), the labels as integers.
MICCAI_DTYPES = {"BraTS21ID": str, "MGMT_value": int}


def _miccai_contract(raw: Path) -> None:
    check_csv(raw / "train_labels.csv", MICCAI_SCHEMA, "train_labels.csv", dtype={"BraTS21ID": str})


@register_preparer(MICCAI, ("train_labels.csv", "train"), _miccai_contract)
def prepare_miccai(raw: Path, public: Path, private: Path) -> None:
    """Cases split by train_test_split(test_size=0.1, random_state=0); each case's folder of four MRI series
    goes to public/train/ or public/test/; the sample submission predicts MGMT_value 0.5.

    Ids stay zero-padded text (v1 reads them with ``dtype=str``); the raw test/ folder is not used.
    """
    try:
        old = read_csv(raw / "train_labels.csv", "train_labels.csv", dtype=MICCAI_DTYPES)
    except (ValueError, TypeError) as err:  # a missing label cannot be read as an integer
        raise RawDataError(
            f"train_labels.csv: MGMT_value must be 0 or 1 on every row ({err}); download it again"
        ) from None
    require_unique(old["BraTS21ID"], "train_labels.csv", "BraTS21ID")
    _require_dirs(raw / "train", old["BraTS21ID"], "case")
    train_pos, test_pos = split_positions(len(old), 0.1)
    train, test = old.iloc[train_pos], old.iloc[test_pos]
    _link_trees(raw / "train", public / "train", train["BraTS21ID"], "case")
    _link_trees(raw / "train", public / "test", test["BraTS21ID"], "case")
    write_csv(train, public / "train_labels.csv")
    write_csv(test, private / "test.csv")
    write_csv(test.assign(MGMT_value=0.5), public / "sample_submission.csv")


# ------------------------------------------------------------------------ rsna-breast-cancer-detection
BREAST = "rsna-breast-cancer-detection"
BREAST_SCHEMA = pa.DataFrameSchema(
    {
        "site_id": pa.Column(int),
        "patient_id": pa.Column(int),
        "image_id": pa.Column(int),
        "laterality": pa.Column(str, pa.Check.isin(["L", "R"])),
        "view": pa.Column(str),
        "age": pa.Column(float, nullable=True),
        "cancer": pa.Column(int, binary()),
        "biopsy": pa.Column(int, binary()),
        "invasive": pa.Column(int, binary()),
        "BIRADS": pa.Column(float, pa.Check.isin([0.0, 1.0, 2.0]), nullable=True),
        "implant": pa.Column(int, binary()),
        "density": pa.Column(str, pa.Check.isin(["A", "B", "C", "D"]), nullable=True),
        "machine_id": pa.Column(int),
        "difficult_negative_case": pa.Column(bool),
    },
    strict=True, ordered=True,
)
#: the columns of v1's public test.csv (``prediction_id`` is ``<patient_id>_<laterality>``)
BREAST_TEST_COLUMNS = ["site_id", "patient_id", "image_id", "laterality", "view", "age", "implant", "machine_id"]


def _breast_contract(raw: Path) -> None:
    check_csv(raw / "train.csv", BREAST_SCHEMA, "train.csv")


@register_preparer(BREAST, ("train.csv", "train_images"), _breast_contract)
def prepare_breast(raw: Path, public: Path, private: Path) -> None:
    """Patients (in order of appearance) split by train_test_split(test_size=0.1, random_state=42); answers are one
    row per breast (``<patient_id>_<laterality>``, the first image's cancer label, sorted); the sample submission
    predicts the new train's cancer rate.

    Images are linked to public/{train,test}_images/<patient_id>/<image_id>.dcm.
    """
    old = read_csv(raw / "train.csv", "train.csv")
    require_unique(old["image_id"], "train.csv", "image_id")
    patients = old["patient_id"].unique()
    _, test_pos = split_positions(len(patients), 0.1, seed=42)
    in_test = old["patient_id"].isin(patients[test_pos]).to_numpy()
    train = old[~in_test]
    test = old.loc[in_test, BREAST_TEST_COLUMNS].copy()
    test["prediction_id"] = test["patient_id"].astype(str) + "_" + test["laterality"]
    labels = pd.DataFrame({"prediction_id": test["prediction_id"], "cancer": old.loc[in_test, "cancer"]})
    answers = labels.groupby("prediction_id").first().reset_index()
    write_csv(train, public / "train.csv")
    write_csv(test, public / "test.csv")
    write_csv(answers, private / "answers.csv")
    write_csv(answers.assign(cancer=train["cancer"].mean()), public / "sample_submission.csv")
    for part, rows in (("train_images", train), ("test_images", test)):
        (public / part).mkdir(parents=True, exist_ok=True)
        names = (rows["patient_id"].astype(str) + "/" + rows["image_id"].astype(str) + ".dcm").tolist()
        link_files(((raw / "train_images" / n, public / part / n) for n in names), "mammogram")


# ------------------------------------------------------------------------ siim-covid19-detection
SIIM = "siim-covid19-detection"
SIIM_CLASSES = ("Negative for Pneumonia", "Typical Appearance", "Indeterminate Appearance", "Atypical Appearance")
#: v1's names of the study classes, in the column order of train_study_level.csv
SIIM_LABELS = ("negative", "typical", "indeterminate", "atypical")
SIIM_STUDY_SCHEMA = pa.DataFrameSchema(
    {"id": pa.Column(str, pa.Check.str_matches(r"^[0-9a-f]{12}_study$", error="12 hex digits + _study"))}
    | {c: pa.Column(int, binary()) for c in SIIM_CLASSES},
    strict=True, ordered=True,
)
SIIM_IMAGE_SCHEMA = pa.DataFrameSchema(
    {
        "id": pa.Column(str, pa.Check.str_matches(r"^[0-9a-f]{12}_image$", error="12 hex digits + _image")),
        "boxes": pa.Column(str, nullable=True),
        "label": pa.Column(str, pa.Check.str_matches(r"^(?:opacity|none) ", error="opacity/none boxes")),
        "StudyInstanceUID": pa.Column(str, hex_id(12)),
    },
    strict=True, ordered=True,
)


def _siim_contract(raw: Path) -> None:
    check_csv(raw / "train_study_level.csv", SIIM_STUDY_SCHEMA, "train_study_level.csv")
    check_csv(raw / "train_image_level.csv", SIIM_IMAGE_SCHEMA, "train_image_level.csv")


@register_preparer(SIIM, ("train_study_level.csv", "train_image_level.csv", "train"), _siim_contract)
def prepare_siim(raw: Path, public: Path, private: Path) -> None:
    """Studies split by train_test_split(test_size=0.1, random_state=0), images follow their study; both tables
    sorted by id; answers are '<class> 1 0 0 1 1' per test study (the first class marked 1) and each test image's
    label; the sample submission says 'negative 1 0 0 1 1' and 'none 1 0 0 1 1'.

    Study folders train/<study>/<series>/<image>.dcm go to public/train/ or public/test/.
    """
    study = read_csv(raw / "train_study_level.csv", "train_study_level.csv")
    require_unique(study["id"], "train_study_level.csv", "id")
    image = read_csv(raw / "train_image_level.csv", "train_image_level.csv")
    require_unique(image["id"], "train_image_level.csv", "id")
    folders = study["id"].str.replace("_study", "", regex=False)
    _require_dirs(raw / "train", folders, "study")
    train_pos, test_pos = split_positions(len(study), 0.1)
    train_study = study.iloc[train_pos].sort_values(by="id")
    test_study = study.iloc[test_pos].sort_values(by="id")
    key = image["StudyInstanceUID"] + "_study"
    train_image = image[key.isin(train_study["id"])].sort_values(by="id")
    test_image = image[key.isin(test_study["id"])].sort_values(by="id")
    orphans = image[~key.isin(study["id"])]
    if len(orphans):
        raise RawDataError(
            f"train_image_level.csv: {len(orphans)} image(s) belong to a study absent from train_study_level.csv "
            f"(e.g. {orphans['StudyInstanceUID'].iloc[0]}); the two tables do not belong together: download them again"
        )
    write_csv(train_study, public / "train_study_level.csv")
    write_csv(train_image, public / "train_image_level.csv")
    _link_trees(raw / "train", public / "train", train_study["id"].str.replace("_study", "", regex=False), "study")
    _link_trees(raw / "train", public / "test", test_study["id"].str.replace("_study", "", regex=False), "study")
    first_class = np.asarray(SIIM_LABELS)[np.argmax(test_study[list(SIIM_CLASSES)].to_numpy(), axis=1)]
    answers = pd.DataFrame({
        "id": np.concatenate([test_study["id"].to_numpy(dtype=object), test_image["id"].to_numpy(dtype=object)]),
        "PredictionString": np.concatenate([
            np.char.add(first_class.astype(str), " 1 0 0 1 1").astype(object),
            test_image["label"].to_numpy(dtype=object),
        ]),
    })
    write_csv(answers, private / "test.csv")
    guess = np.where(np.arange(len(answers)) < len(test_study), "negative 1 0 0 1 1", "none 1 0 0 1 1")
    write_csv(answers.assign(PredictionString=guess), public / "sample_submission.csv")


# ------------------------------------------------------------------------ hms-harmful-brain-activity-classification
HMS = "hms-harmful-brain-activity-classification"
HMS_VOTES = ("seizure_vote", "lpd_vote", "gpd_vote", "lrda_vote", "grda_vote", "other_vote")
HMS_CONSENSUS = ("Seizure", "LPD", "GPD", "LRDA", "GRDA", "Other")
HMS_SCHEMA = pa.DataFrameSchema(
    {
        "eeg_id": pa.Column(int),
        "eeg_sub_id": pa.Column(int),
        "eeg_label_offset_seconds": pa.Column(float, coerce=True),
        "spectrogram_id": pa.Column(int),
        "spectrogram_sub_id": pa.Column(int),
        "spectrogram_label_offset_seconds": pa.Column(float, coerce=True),
        "label_id": pa.Column(int),
        "patient_id": pa.Column(int),
        "expert_consensus": pa.Column(str, pa.Check.isin(HMS_CONSENSUS)),
    }
    | {c: pa.Column(int, pa.Check.ge(0)) for c in HMS_VOTES},
    strict=True, ordered=True,
)


def _hms_contract(raw: Path) -> None:
    check_csv(raw / "train.csv", HMS_SCHEMA, "train.csv")


@register_preparer(HMS, ("train.csv", "train_eegs", "train_spectrograms", "example_figures"), _hms_contract)
def prepare_hms(raw: Path, public: Path, private: Path) -> None:
    """Spectrograms (in order of appearance) split by train_test_split(test_size=0.1, random_state=0) with their
    labelled rows; answers are the test rows with their votes (normalised to sum 1 in gold_submission.csv); the
    sample submission gives every vote 1/6.

    Each row's EEG and spectrogram parquet files go to public/{train,test}_{eegs,spectrograms}/; example_figures/
    is copied whole.
    """
    old = read_csv(raw / "train.csv", "train.csv")
    votes = list(HMS_VOTES)
    empty = old[old[votes].sum(axis=1) <= 0]
    if len(empty):
        raise RawDataError(
            f"train.csv: {len(empty)} row(s) have no expert vote (e.g. label_id {empty['label_id'].iloc[0]}); the "
            "votes cannot be normalised: download the file again"
        )
    spectrograms = old["spectrogram_id"].unique()
    _, test_pos = split_positions(len(spectrograms), 0.1)
    in_test = old["spectrogram_id"].isin(spectrograms[test_pos]).to_numpy()
    train, test = old[~in_test], old[in_test]
    shared = np.intersect1d(train["eeg_id"].unique(), test["eeg_id"].unique())
    if len(shared):
        raise RawDataError(
            f"train.csv: {len(shared)} eeg_id(s) (e.g. {shared[0]}) belong to several spectrograms, so they would land "
            "in both train and test (MLE-bench v1 asserts they do not); download the file again"
        )
    write_csv(train, public / "train.csv")
    write_csv(test, private / "test.csv")
    write_csv(test[["spectrogram_id", "eeg_id", "patient_id"]], public / "test.csv")
    gold = test[["eeg_id", *votes]].copy()
    gold[votes] = gold[votes].div(gold[votes].sum(axis=1), axis=0)
    write_csv(gold, private / "gold_submission.csv")
    write_csv(gold.assign(**{v: 1 / len(votes) for v in votes}), public / "sample_submission.csv")
    _link_trees(raw, public, ["example_figures"], "example_figures")
    for part, rows in (("train", train), ("test", test)):
        for column, folder in (("eeg_id", "eegs"), ("spectrogram_id", "spectrograms")):
            names = (rows[column].drop_duplicates().astype(str) + ".parquet").tolist()
            _link_named(raw / f"train_{folder}", public / f"{part}_{folder}", names, f"train_{folder}")


# ------------------------------------------------------------------------ rsna-2022-cervical-spine-fracture-detection
CERVICAL = "rsna-2022-cervical-spine-fracture-detection"
CERVICAL_TARGETS = ("patient_overall", "C1", "C2", "C3", "C4", "C5", "C6", "C7")
_UID = pa.Check.str_matches(r"^\d+(?:\.\d+)+$", error="a DICOM UID (digits and dots)")
CERVICAL_SCHEMA = pa.DataFrameSchema(
    {"StudyInstanceUID": pa.Column(str, _UID)} | {c: pa.Column(int, binary()) for c in CERVICAL_TARGETS},
    strict=True, ordered=True,
)
CERVICAL_BOX_SCHEMA = pa.DataFrameSchema(
    {
        "StudyInstanceUID": pa.Column(str, _UID),
        "x": pa.Column(float, coerce=True),
        "y": pa.Column(float, coerce=True),
        "width": pa.Column(float, coerce=True),
        "height": pa.Column(float, coerce=True),
        "slice_number": pa.Column(int),
    },
    strict=True, ordered=True,
)
#: share of the studies v1 keeps for training (the rest become the test)
CERVICAL_TRAIN_RATIO = 0.1


def _cervical_contract(raw: Path) -> None:
    check_csv(raw / "train.csv", CERVICAL_SCHEMA, "train.csv")
    check_csv(raw / "train_bounding_boxes.csv", CERVICAL_BOX_SCHEMA, "train_bounding_boxes.csv")


def _draw(rng: random.Random, pool: list[str], k: int, what: str) -> list[str]:
    """``rng.sample(pool, k)``, with a RawDataError where v1's draw would fail."""
    if not 0 <= k <= len(pool):
        raise RawDataError(
            f"cannot draw {k} {what} from {len(pool)}: train.csv, train_bounding_boxes.csv and segmentations/ do not "
            "fit MLE-bench v1's quotas (10% of each, rounded); the raw data is incomplete: download it again"
        )
    return rng.sample(pool, k)


def cervical_train_ids(studies: list[str], box_ids: list[str], seg_ids: list[str]) -> tuple[list[str], list[str],
                                                                                          list[str]]:
    """v1's draw of the new train studies: ``(train ids, bounding-box ids, segmentation ids)`` in draw order.

    One ``random.Random(0)`` draws, in turn, ``round(0.1 * |overlap|)`` studies with both boxes and a
    segmentation, segmentation-only and box-only studies up to 10% of each kind, then other studies of
    ``studies`` (train.csv's order) up to ``round(0.1 * len(studies))``. ``box_ids`` and ``seg_ids`` are sorted.

    >>> ids = [f"1.2.{i}" for i in range(30)]
    >>> train, boxes, segs = cervical_train_ids(ids, ids[:10], ids[5:15])
    >>> len(train), len(boxes), len(segs)
    (3, 1, 1)
    """
    rng = random.Random(0)
    r = CERVICAL_TRAIN_RATIO
    overlap = pd.Index(box_ids)[pd.Index(box_ids).isin(seg_ids)].tolist()
    n_overlap = round(len(overlap) * r)
    picked = _draw(rng, overlap, n_overlap, "studies with boxes and a segmentation")
    segs_only = pd.Index(seg_ids)[~pd.Index(seg_ids).isin(overlap)].tolist()
    more_segs = _draw(rng, segs_only, round(len(seg_ids) * r) - n_overlap, "segmentation-only studies")
    boxes_only = pd.Index(box_ids)[~pd.Index(box_ids).isin(overlap)].tolist()
    more_boxes = _draw(rng, boxes_only, round(len(box_ids) * r) - n_overlap, "box-only studies")
    train = picked + more_segs + more_boxes
    rest = pd.Index(studies)[~pd.Index(studies).isin(train)].tolist()
    train += _draw(rng, rest, round(len(studies) * r) - len(train), "other studies")
    return train, picked + more_boxes, picked + more_segs


@register_preparer(
    CERVICAL, ("train.csv", "train_bounding_boxes.csv", "segmentations", "train_images"), _cervical_contract
)
def prepare_cervical(raw: Path, public: Path, private: Path) -> None:
    """random.Random(0) keeps round(10%) of the studies for training, keeping 10% of the box and segmentation
    studies and of their overlap; the other 90% are the test; answers are one row per test study and type
    (patient_overall, C1..C7, melted column by column); the sample submission predicts 0.5.

    Train studies keep their boxes and segmentations/<uid>.nii; study folders go to public/{train,test}_images/.
    """
    old = read_csv(raw / "train.csv", "train.csv", dtype={"StudyInstanceUID": str})
    require_unique(old["StudyInstanceUID"], "train.csv", "StudyInstanceUID")
    boxes = read_csv(raw / "train_bounding_boxes.csv", "train_bounding_boxes.csv", dtype={"StudyInstanceUID": str})
    box_ids = sorted(boxes["StudyInstanceUID"].unique().tolist())
    seg_ids = sorted(p.stem for p in (raw / "segmentations").glob("*.nii"))
    for name, ids in (("train_bounding_boxes.csv", box_ids), ("segmentations/", seg_ids)):
        stray = pd.Index(ids)[~pd.Index(ids).isin(old["StudyInstanceUID"])]
        if len(stray):
            raise RawDataError(
                f"{name}: {len(stray)} study(ies) absent from train.csv (e.g. {stray[0]}); the raw files do not "
                "belong together: download the full competition data again"
            )
    studies = old["StudyInstanceUID"].tolist()
    _require_dirs(raw / "train_images", studies, "study")
    train_ids, box_train_ids, seg_train_ids = cervical_train_ids(studies, box_ids, seg_ids)
    in_train = old["StudyInstanceUID"].isin(train_ids).to_numpy()
    train = old[in_train]
    answers = old[~in_train].melt(id_vars="StudyInstanceUID", var_name="prediction_type", value_name="fractured")
    answers["row_id"] = answers["StudyInstanceUID"] + "_" + answers["prediction_type"]
    write_csv(train, public / "train.csv")
    write_csv(boxes[boxes["StudyInstanceUID"].isin(box_train_ids)], public / "train_bounding_boxes.csv")
    write_csv(answers, private / "answers.csv")
    write_csv(answers[["row_id"]].assign(fractured=0.5), public / "sample_submission.csv")
    write_csv(answers.drop(columns=["fractured"]), public / "test.csv")
    _link_named(raw / "segmentations", public / "segmentations", [f"{i}.nii" for i in seg_train_ids], "segmentation")
    _link_trees(raw / "train_images", public / "train_images", train["StudyInstanceUID"], "study")
    _link_trees(raw / "train_images", public / "test_images", old.loc[~in_train, "StudyInstanceUID"], "study")


# ------------------------------------------------------------------------ vinbigdata-chest-xray-abnormalities-detection
VINBIG = "vinbigdata-chest-xray-abnormalities-detection"
VINBIG_CLASSES = (
    "Aortic enlargement", "Atelectasis", "Calcification", "Cardiomegaly", "Consolidation", "ILD", "Infiltration",
    "Lung Opacity", "Nodule/Mass", "Other lesion", "Pleural effusion", "Pleural thickening", "Pneumothorax",
    "Pulmonary fibrosis", "No finding",
)
VINBIG_BOXES = ("x_min", "y_min", "x_max", "y_max")
VINBIG_SCHEMA = pa.DataFrameSchema(
    {
        "image_id": pa.Column(str, hex_id(32)),
        "class_name": pa.Column(str, pa.Check.isin(VINBIG_CLASSES)),
        "class_id": pa.Column(int, pa.Check.in_range(0, 14)),
        "rad_id": pa.Column(str, pa.Check.str_matches(r"^R\d+$", error="R + a number")),
    }
    | {c: pa.Column(float, nullable=True) for c in VINBIG_BOXES},
    strict=True, ordered=True,
)
#: the image count MLE-bench v1 asserts (13,500 train + 1,500 test); the preparer applies the rule to any count
VINBIG_V1_IMAGES = 15_000


def _vinbig_contract(raw: Path) -> None:
    check_csv(raw / "train.csv", VINBIG_SCHEMA, "train.csv")


@register_preparer(VINBIG, ("train.csv", "train"), _vinbig_contract)
def prepare_vinbig(raw: Path, public: Path, private: Path) -> None:
    """Images (in order of appearance) split by train_test_split(test_size=0.1, random_state=0) with all their
    rows; answers keep the first row per image and class (empty boxes of 'No finding' become 0 0 1 1); the sample
    submission says '14 1 0 0 1 1'.

    MLE-bench v1 asserts exactly 15,000 images (13,500 / 1,500); this preparer applies the same rule to any
    count. The .dicom files go to public/train/ and public/test/; private/gold_submission.csv holds the answers as
    prediction strings.
    """
    old = read_csv(raw / "train.csv", "train.csv")
    images = old["image_id"].unique()
    train_pos, test_pos = split_positions(len(images), 0.1)
    test_ids = images[test_pos]
    in_test = old["image_id"].isin(test_ids).to_numpy()
    train = old[~in_test]
    answers = old[in_test].groupby(by=["image_id", "class_id"]).first().reset_index().fillna(0)
    answers.loc[answers["class_id"] == 14, ["x_max", "y_max"]] = 1.0
    boxes = [_text(answers[c]) for c in VINBIG_BOXES]
    strings = answers["class_id"].astype(str) + " 1.0 " + boxes[0] + " " + boxes[1] + " " + boxes[2] + " " + boxes[3]
    gold = strings.groupby(answers["image_id"]).agg(" ".join).rename("PredictionString").reset_index()
    write_csv(train, public / "train.csv")
    sample = pd.DataFrame({"image_id": test_ids, "PredictionString": "14 1 0 0 1 1"})
    write_csv(sample, public / "sample_submission.csv")
    write_csv(answers, private / "answers.csv")
    write_csv(gold, private / "gold_submission.csv")
    for part, ids in (("train", images[train_pos]), ("test", test_ids)):
        _link_named(raw / "train", public / part, [f"{i}.dicom" for i in ids], "train image")
