"""Medical-imaging and EEG competitions of the high and dev splits: end to end, MLE-bench v1's split rules replayed
independently on the fixtures, the learnable signal of the fixtures (scans decoded here), and bad raw input.

rsna-miccai-brain-tumor-radiogenomic-classification, rsna-breast-cancer-detection, siim-covid19-detection,
hms-harmful-brain-activity-classification, rsna-2022-cervical-spine-fracture-detection,
vinbigdata-chest-xray-abnormalities-detection.
"""

from __future__ import annotations

import hashlib
import random
import shutil
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

import competitions
import mle_datasets
from mle_datasets.errors import RawDataError
from mle_datasets.fixtures import make_raw_fixture
from mle_datasets.preparers import get_preparer
from mle_datasets.preparers._common import csv_bytes
from tests.data.endtoend import check_end_to_end, prepared, read, files

#: each competition's raw top level (filled section by section)
RAW_LAYOUT: dict[str, set[str]] = {}


def fresh_raw(cid: str, tmp_path: Path) -> Path:
    """A writable raw fixture of ``cid`` for a test that breaks it."""
    return make_raw_fixture(cid, tmp_path / "raw")


def digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def fails(cid: str, raw: Path, tmp_path: Path, match: str, contract: bool = True) -> None:
    """The raw contract (or, with ``contract=False``, the preparer after it) raises a RawDataError matching
    ``match``."""
    preparer = get_preparer(cid)
    with pytest.raises(RawDataError, match=match):
        preparer.check_raw(raw)
        if not contract:
            preparer.run(raw, tmp_path / "pub", tmp_path / "priv")


def grade(cid: str, work: Path, submission: pd.DataFrame | Path) -> float:
    """Score ``submission`` against the preparer's answers and sample submission (without the prepared contract)."""
    spec = competitions.get(cid)
    path = submission
    if isinstance(submission, pd.DataFrame):
        path = work.parent / f"{cid[:20]}-submission.csv"
        submission.to_csv(path, index=False)
    report = competitions.grade(cid, path, work / spec.answers, work / spec.sample_submission)
    assert report.valid_submission, report.error
    return report.score


def dicom(path: Path) -> tuple[dict[tuple[int, int], bytes], np.ndarray]:
    """Elements and pixels of an explicit-VR little-endian DICOM file (a brute-force parser, no library)."""
    data = path.read_bytes()
    assert data[128:132] == b"DICM"
    pos, elements = 132, {}
    while pos < len(data):
        group, element = struct.unpack("<HH", data[pos:pos + 4])
        vr = data[pos + 4:pos + 6].decode()
        if vr in ("OB", "OW", "SQ", "UN", "UT"):
            length, pos = struct.unpack("<I", data[pos + 8:pos + 12])[0], pos + 12
        else:
            length, pos = struct.unpack("<H", data[pos + 6:pos + 8])[0], pos + 8
        elements[(group, element)] = data[pos:pos + length]
        pos += length
    rows, cols = (struct.unpack("<H", elements[(0x0028, k)])[0] for k in (0x0010, 0x0011))
    signed = struct.unpack("<H", elements[(0x0028, 0x0103)])[0]
    pixels = np.frombuffer(elements[(0x7FE0, 0x0010)], "<i2" if signed else "<u2").reshape(rows, cols)
    if (0x0028, 0x1052) in elements:  # rescale to Hounsfield units
        pixels = pixels * float(elements[(0x0028, 0x1053)]) + float(elements[(0x0028, 0x1052)])
    return elements, pixels


# ------------------------------------------------------------------------ rsna-miccai-brain-tumor-radiogenomic
MICCAI = "rsna-miccai-brain-tumor-radiogenomic-classification"
RAW_LAYOUT[MICCAI] = {"train_labels.csv", "train", "test", "sample_submission.csv"}


def test_miccai_end_to_end(tmp_path):
    check_end_to_end(MICCAI, tmp_path, mle_datasets.Store(tmp_path / "store"),
                     lambda answers, sample: read(answers, dtype={"BraTS21ID": str}))


def test_miccai_split_is_v1s(tmp_path_factory):
    work = prepared(MICCAI, tmp_path_factory)
    old = pd.read_csv(work / "raw" / "train_labels.csv", dtype={"BraTS21ID": str, "MGMT_value": int})
    train, test = train_test_split(old, test_size=0.1, random_state=0)  # v1's call on the same frame
    assert (work / "public" / "train_labels.csv").read_bytes() == csv_bytes(train)
    assert (work / "private" / "test.csv").read_bytes() == csv_bytes(test)
    assert (work / "public" / "sample_submission.csv").read_bytes() == csv_bytes(test.assign(MGMT_value=0.5))
    assert sorted(test["MGMT_value"]) == [0, 1] and test["BraTS21ID"].str.fullmatch(r"\d{5}").all()
    for part, ids in (("train", train["BraTS21ID"]), ("test", test["BraTS21ID"])):
        assert sorted(p.name for p in (work / "public" / part).iterdir()) == sorted(ids)
    raw_case = work / "raw" / "train" / test["BraTS21ID"].iloc[0]
    copied = work / "public" / "test" / raw_case.name
    assert files(copied) == files(raw_case) and {p.name for p in copied.iterdir()} == {"FLAIR", "T1w", "T1wCE", "T2w"}
    first = sorted(files(raw_case))[0]
    assert (copied / first).stat().st_ino == (raw_case / first).stat().st_ino  # linked, not rewritten
    assert {p.name for p in (work / "public").iterdir()} == {"train", "test", "train_labels.csv",
                                                              "sample_submission.csv"}


def test_miccai_flair_brightness_tells_mgmt(tmp_path_factory):
    work = prepared(MICCAI, tmp_path_factory)
    labels = pd.read_csv(work / "raw" / "train_labels.csv", dtype={"BraTS21ID": str})
    for case, value in zip(labels["BraTS21ID"], labels["MGMT_value"]):
        flair = [dicom(p) for p in sorted((work / "raw" / "train" / case / "FLAIR").glob("Image-*.dcm"))]
        assert flair and all(e[(0x0008, 0x0060)].strip() == b"MR" for e, _ in flair)
        assert (max(px.max() for _, px in flair) > 1250) == bool(value)


def test_miccai_bad_raw(tmp_path):
    raw = fresh_raw(MICCAI, tmp_path)
    labels = (raw / "train_labels.csv").read_text()
    (raw / "train_labels.csv").write_text(labels.replace("MGMT_value", "MGMT"))
    fails(MICCAI, raw, tmp_path, r"train_labels.csv does not match the Kaggle layout: .*column\(s\) 'MGMT_value'")
    (raw / "train_labels.csv").write_text(labels.replace("\n0", "\n", 1))  # an id no longer zero-padded
    fails(MICCAI, raw, tmp_path, r"column 'BraTS21ID' fails five zero-padded digits")
    (raw / "train_labels.csv").write_text(labels)
    case = labels.splitlines()[3].split(",")[0]
    shutil.rmtree(raw / "train" / case)
    fails(MICCAI, raw, tmp_path, rf"1 case folder\(s\) missing from .*train \(e.g. {case}\)", contract=False)
    (raw / "train_labels.csv").unlink()
    fails(MICCAI, raw, tmp_path, r"missing train_labels.csv")


# ------------------------------------------------------------------------ rsna-breast-cancer-detection
BREAST = "rsna-breast-cancer-detection"
RAW_LAYOUT[BREAST] = {"train.csv", "train_images", "test.csv", "test_images", "sample_submission.csv"}


def test_breast_end_to_end(tmp_path):
    # v1's public/test.csv has one row per image, so a breast's prediction_id repeats there (spec: repeated_ids)
    check_end_to_end(BREAST, tmp_path, mle_datasets.Store(tmp_path / "store"),
                     lambda answers, sample: read(answers, dtype={"prediction_id": str}))


def test_breast_grades_perfect_and_sample(tmp_path_factory):
    work = prepared(BREAST, tmp_path_factory)
    sample = grade(BREAST, work, work / "public" / "sample_submission.csv")
    assert grade(BREAST, work, read(work / "private" / "answers.csv")) == 1.0 > sample


def test_breast_split_is_v1s(tmp_path_factory):
    work = prepared(BREAST, tmp_path_factory)
    old = pd.read_csv(work / "raw" / "train.csv")
    _, test_patients = train_test_split(old["patient_id"].unique(), test_size=0.1, random_state=42)
    in_test = old["patient_id"].isin(test_patients)
    assert (work / "public" / "train.csv").read_bytes() == csv_bytes(old[~in_test])
    test = read(work / "public" / "test.csv", dtype=str)
    assert list(test.columns) == ["site_id", "patient_id", "image_id", "laterality", "view", "age", "implant",
                                  "machine_id", "prediction_id"]
    assert test["image_id"].tolist() == old.loc[in_test, "image_id"].astype(str).tolist()
    assert (test["prediction_id"] == test["patient_id"] + "_" + test["laterality"]).all()
    answers = read(work / "private" / "answers.csv", dtype={"prediction_id": str})
    assert answers["prediction_id"].tolist() == sorted(test["prediction_id"].unique())
    truth = old[in_test].assign(pid=test["prediction_id"].to_numpy()).groupby("pid")["cancer"].max()
    assert answers.set_index("prediction_id")["cancer"].to_dict() == truth.to_dict() and 1 in truth.to_numpy()
    sample = read(work / "public" / "sample_submission.csv")
    assert sample["prediction_id"].tolist() == answers["prediction_id"].tolist()
    assert np.allclose(sample["cancer"], old.loc[~in_test, "cancer"].mean())
    expected = {f"train_images/{p}/{i}.dcm" for p, i in old.loc[~in_test, ["patient_id", "image_id"]].to_numpy()}
    expected |= {f"test_images/{p}/{i}.dcm" for p, i in old.loc[in_test, ["patient_id", "image_id"]].to_numpy()}
    assert {f for f in files(work / "public") if f.endswith(".dcm")} == expected


def test_breast_mass_marks_cancer(tmp_path_factory):
    work = prepared(BREAST, tmp_path_factory)
    old = pd.read_csv(work / "raw" / "train.csv")
    bright = [dicom(work / "raw" / "train_images" / str(p) / f"{i}.dcm")[1].max() > 2200
              for p, i in old[["patient_id", "image_id"]].to_numpy()]
    assert bright == old["cancer"].astype(bool).tolist()


def test_breast_bad_raw(tmp_path):
    raw = fresh_raw(BREAST, tmp_path)
    old = pd.read_csv(raw / "train.csv")
    (raw / "train.csv").write_bytes(csv_bytes(old.drop(columns=["laterality"])))
    fails(BREAST, raw, tmp_path, r"train.csv does not match the Kaggle layout: missing column\(s\) 'laterality'")
    (raw / "train.csv").write_bytes(csv_bytes(old.assign(laterality="X")))
    fails(BREAST, raw, tmp_path, r"column 'laterality' fails isin")
    (raw / "train.csv").write_bytes(csv_bytes(old))
    patient, image = old[["patient_id", "image_id"]].iloc[-1]
    (raw / "train_images" / str(patient) / f"{image}.dcm").unlink()
    fails(BREAST, raw, tmp_path, rf"mammogram file .*{patient}/{image}.dcm is missing", contract=False)
    shutil.rmtree(raw / "train_images")
    fails(BREAST, raw, tmp_path, r"missing train_images")


# ------------------------------------------------------------------------ siim-covid19-detection
SIIM = "siim-covid19-detection"
RAW_LAYOUT[SIIM] = {"train_study_level.csv", "train_image_level.csv", "train", "test", "sample_submission.csv"}
SIIM_COLUMNS = ["Negative for Pneumonia", "Typical Appearance", "Indeterminate Appearance", "Atypical Appearance"]


def test_siim_end_to_end(tmp_path):
    check_end_to_end(SIIM, tmp_path, mle_datasets.Store(tmp_path / "store"), lambda answers, sample: read(answers))


def test_siim_split_is_v1s(tmp_path_factory):
    work = prepared(SIIM, tmp_path_factory)
    study = pd.read_csv(work / "raw" / "train_study_level.csv")
    image = pd.read_csv(work / "raw" / "train_image_level.csv")
    train, test = (part.sort_values(by="id") for part in train_test_split(study, test_size=0.1, random_state=0))
    key = image["StudyInstanceUID"] + "_study"
    assert (work / "public" / "train_study_level.csv").read_bytes() == csv_bytes(train)
    assert (work / "public" / "train_image_level.csv").read_bytes() == csv_bytes(
        image[key.isin(train["id"])].sort_values(by="id"))
    test_images = image[key.isin(test["id"])].sort_values(by="id")
    names = ["negative", "typical", "indeterminate", "atypical"]
    labels = [names[SIIM_COLUMNS.index(c)] for c in test[SIIM_COLUMNS].idxmax(axis=1)]
    answers = read(work / "private" / "test.csv")
    assert answers["id"].tolist() == test["id"].tolist() + test_images["id"].tolist()
    assert answers["PredictionString"].tolist() == [f"{c} 1 0 0 1 1" for c in labels] + test_images["label"].tolist()
    assert len(set(labels)) == 2 and any(s.startswith("opacity") for s in test_images["label"])
    sample = read(work / "public" / "sample_submission.csv")
    assert sample["id"].tolist() == answers["id"].tolist()
    assert sample["PredictionString"].tolist() == ["negative 1 0 0 1 1"] * len(test) + ["none 1 0 0 1 1"] * len(
        test_images)
    for part, studies in (("train", train), ("test", test)):
        folders = studies["id"].str.replace("_study", "")
        assert sorted(p.name for p in (work / "public" / part).iterdir()) == sorted(folders)
        assert {f.split("/")[-1] for f in files(work / "public" / part)} == {
            i.replace("_image", ".dcm") for i in image.loc[key.isin(studies["id"]), "id"]}


def test_siim_opacities_are_bright_boxes(tmp_path_factory):
    work = prepared(SIIM, tmp_path_factory)
    image = pd.read_csv(work / "raw" / "train_image_level.csv")
    study = pd.read_csv(work / "raw" / "train_study_level.csv").set_index("id")
    paths = {p.stem: p for p in (work / "raw" / "train").rglob("*.dcm")}
    for row in image.itertuples(index=False):
        pixels = dicom(paths[row.id.replace("_image", "")])[1]
        tokens = row.label.split()
        cls = SIIM_COLUMNS.index(study.loc[row.StudyInstanceUID + "_study"].idxmax())
        assert (tokens[0] == "none") == (cls == 0) == (pixels.max() < 1800)
        for k in range(0, len(tokens), 6):
            if tokens[k] == "opacity":
                x0, y0, x1, y1 = (float(t) for t in tokens[k + 2:k + 6])
                inside = pixels[int(y0) + 1:int(y1), int(x0) + 1:int(x1)]
                assert inside.mean() > 1800
        assert pixels.max() > 2900 if cls == 1 else pixels.max() < 2900


def test_siim_bad_raw(tmp_path):
    raw = fresh_raw(SIIM, tmp_path)
    study = pd.read_csv(raw / "train_study_level.csv")
    (raw / "train_study_level.csv").write_bytes(csv_bytes(study[["id", *SIIM_COLUMNS[::-1]]]))
    fails(SIIM, raw, tmp_path, r"train_study_level.csv does not match the Kaggle layout: columns out of the expected")
    (raw / "train_study_level.csv").write_bytes(csv_bytes(study.iloc[1:]))  # an image's study is gone
    fails(SIIM, raw, tmp_path, r"train_image_level.csv: \d+ image\(s\) belong to a study absent", contract=False)
    (raw / "train_study_level.csv").write_bytes(csv_bytes(study))
    folder = study["id"].iloc[2].replace("_study", "")
    shutil.rmtree(raw / "train" / folder)
    fails(SIIM, raw, tmp_path, rf"1 study folder\(s\) missing .*{folder}", contract=False)
    image = pd.read_csv(raw / "train_image_level.csv")
    (raw / "train_image_level.csv").write_bytes(csv_bytes(image.drop(columns=["StudyInstanceUID"])))
    fails(SIIM, raw, tmp_path, r"train_image_level.csv does not match .*missing column\(s\) 'StudyInstanceUID'")


# ------------------------------------------------------------------------ hms-harmful-brain-activity-classification
HMS = "hms-harmful-brain-activity-classification"
RAW_LAYOUT[HMS] = {"train.csv", "train_eegs", "train_spectrograms", "example_figures", "test.csv", "test_eegs",
                  "test_spectrograms", "sample_submission.csv"}
VOTES = ["seizure_vote", "lpd_vote", "gpd_vote", "lrda_vote", "grda_vote", "other_vote"]


def hms_perfect(answers: Path, sample: Path) -> pd.DataFrame:
    test = pd.read_csv(answers)
    return test[["eeg_id"]].join(test[VOTES].div(test[VOTES].sum(axis=1), axis=0))


def test_hms_end_to_end(tmp_path):
    # one row per labelled window: eeg_id repeats by design in the sample and the answers (spec: repeated_ids)
    check_end_to_end(HMS, tmp_path, mle_datasets.Store(tmp_path / "store"), hms_perfect)


def test_hms_grades_perfect_and_sample(tmp_path_factory):
    work = prepared(HMS, tmp_path_factory)
    sample = grade(HMS, work, work / "public" / "sample_submission.csv")
    gold = read(work / "private" / "gold_submission.csv")
    assert grade(HMS, work, gold) == 0.0 < sample
    assert np.allclose(gold[VOTES].sum(axis=1), 1)


def test_hms_split_is_v1s(tmp_path_factory):
    work = prepared(HMS, tmp_path_factory)
    old = pd.read_csv(work / "raw" / "train.csv")
    train_s, test_s = train_test_split(old["spectrogram_id"].unique(), test_size=0.1, random_state=0)
    train, test = old[old["spectrogram_id"].isin(train_s)], old[old["spectrogram_id"].isin(test_s)]
    assert (work / "public" / "train.csv").read_bytes() == csv_bytes(train)
    assert (work / "private" / "test.csv").read_bytes() == csv_bytes(test)
    assert (work / "public" / "test.csv").read_bytes() == csv_bytes(test[["spectrogram_id", "eeg_id", "patient_id"]])
    sample = read(work / "public" / "sample_submission.csv")
    assert sample["eeg_id"].tolist() == test["eeg_id"].tolist() and np.allclose(sample[VOTES], 1 / 6)
    assert test["eeg_id"].duplicated().any()  # several labelled windows per EEG
    assert set(train["patient_id"]) & set(test["patient_id"])  # the split is by spectrogram, not patient
    public = work / "public"
    for part, rows in (("train", train), ("test", test)):
        assert {p.stem for p in (public / f"{part}_eegs").iterdir()} == set(rows["eeg_id"].astype(str))
        assert {p.stem for p in (public / f"{part}_spectrograms").iterdir()} == set(rows["spectrogram_id"].astype(str))
    assert digest(public / "example_figures") == digest(work / "raw" / "example_figures")
    assert len(list((public / "example_figures").glob("Sample*.pdf"))) == 20


def test_hms_eeg_rhythm_and_spectrogram_peak_tell_the_class(tmp_path_factory):
    import pyarrow.parquet as pq

    from mle_datasets.fixtures.medical import HMS_FREQUENCIES, HMS_SPECTRO_COLUMNS

    work = prepared(HMS, tmp_path_factory)
    old = pd.read_csv(work / "raw" / "train.csv")
    majority = old.groupby("eeg_id")[VOTES].sum().to_numpy().argmax(axis=1)
    for eeg, cls in zip(old.groupby("eeg_id").size().index, majority):
        table = pq.read_table(work / "raw" / "train_eegs" / f"{eeg}.parquet")
        assert table.column_names[:3] == ["Fp1", "F3", "C3"] and table.num_columns == 20
        signal = table.column("Fp1").to_numpy()
        spectrum = np.abs(np.fft.rfft(signal - signal.mean()))
        assert np.fft.rfftfreq(len(signal), 1 / 200)[spectrum.argmax()] == pytest.approx(HMS_FREQUENCIES[cls], abs=0.2)
    for spectro, votes in old.groupby("spectrogram_id")[VOTES].sum().iterrows():
        table = pq.read_table(work / "raw" / "train_spectrograms" / f"{spectro}.parquet")
        assert tuple(table.column_names) == HMS_SPECTRO_COLUMNS
        power = np.stack([table.column(c).to_numpy() for c in HMS_SPECTRO_COLUMNS[1:101]]).mean(axis=1)
        peak = float(HMS_SPECTRO_COLUMNS[1 + power.argmax()].split("_")[1])
        assert peak == pytest.approx(HMS_FREQUENCIES[int(np.argmax(votes.to_numpy()))], abs=0.3)


def test_hms_bad_raw(tmp_path):
    raw = fresh_raw(HMS, tmp_path)
    old = pd.read_csv(raw / "train.csv")
    (raw / "train.csv").write_bytes(csv_bytes(old.drop(columns=["patient_id"])))
    fails(HMS, raw, tmp_path, r"train.csv does not match the Kaggle layout: missing column\(s\) 'patient_id'")
    (raw / "train.csv").write_bytes(csv_bytes(old.assign(**{v: 0 for v in VOTES})))
    fails(HMS, raw, tmp_path, r"have no expert vote", contract=False)
    (raw / "train.csv").write_bytes(csv_bytes(old))
    eeg = old["eeg_id"].iloc[0]
    (raw / "train_eegs" / f"{eeg}.parquet").unlink()
    fails(HMS, raw, tmp_path, rf"train_eegs file .*{eeg}.parquet is missing", contract=False)
    shutil.rmtree(raw / "example_figures")
    fails(HMS, raw, tmp_path, r"missing example_figures")


def test_hms_eeg_in_two_spectrograms_is_refused(tmp_path):
    raw = fresh_raw(HMS, tmp_path)
    old = pd.read_csv(raw / "train.csv")
    _, test_s = train_test_split(old["spectrogram_id"].unique(), test_size=0.1, random_state=0)
    train_eeg = old.loc[~old["spectrogram_id"].isin(test_s), "eeg_id"].iloc[0]
    row = old[old["spectrogram_id"].isin(test_s)].iloc[[0]].assign(eeg_id=train_eeg)
    (raw / "train.csv").write_bytes(csv_bytes(pd.concat([old, row], ignore_index=True)))
    fails(HMS, raw, tmp_path, rf"1 eeg_id\(s\) \(e.g. {train_eeg}\) belong to several spectrograms", contract=False)


# ------------------------------------------------------------------------ rsna-2022-cervical-spine-fracture-detection
CERVICAL = "rsna-2022-cervical-spine-fracture-detection"
RAW_LAYOUT[CERVICAL] = {"train.csv", "train_bounding_boxes.csv", "segmentations", "train_images", "test.csv",
                       "test_images", "sample_submission.csv"}
TYPES = ["patient_overall", "C1", "C2", "C3", "C4", "C5", "C6", "C7"]


def v1_cervical_draw(studies: list[str], boxes: list[str], segs: list[str]) -> tuple[list[str], list[str], list[str]]:
    """MLE-bench v1's sequence of draws, written out again here with plain Python lists."""
    rng = random.Random(0)
    overlap = [u for u in boxes if u in segs]
    picked = rng.sample(overlap, round(len(overlap) * 0.1))
    more_segs = rng.sample([u for u in segs if u not in overlap], round(len(segs) * 0.1) - len(picked))
    more_boxes = rng.sample([u for u in boxes if u not in overlap], round(len(boxes) * 0.1) - len(picked))
    train = picked + more_segs + more_boxes
    train += rng.sample([u for u in studies if u not in train], round(len(studies) * 0.1) - len(train))
    return train, picked + more_boxes, picked + more_segs


def test_cervical_end_to_end(tmp_path):
    check_end_to_end(CERVICAL, tmp_path, mle_datasets.Store(tmp_path / "store"),
                     lambda answers, sample: read(answers)[["row_id", "fractured"]])


def test_cervical_split_is_v1s(tmp_path_factory):
    work = prepared(CERVICAL, tmp_path_factory)
    raw, public = work / "raw", work / "public"
    old = pd.read_csv(raw / "train.csv")
    boxes = pd.read_csv(raw / "train_bounding_boxes.csv")
    box_ids = sorted(boxes["StudyInstanceUID"].unique())
    seg_ids = sorted(p.stem for p in (raw / "segmentations").glob("*.nii"))
    train_ids, box_train, seg_train = v1_cervical_draw(old["StudyInstanceUID"].tolist(), box_ids, seg_ids)
    assert (len(old), len(box_ids), len(seg_ids), len(set(box_ids) & set(seg_ids))) == (80, 20, 15, 10)
    assert (len(train_ids), len(box_train), len(seg_train)) == (8, 2, 2)  # 1 overlap + 1 + 1 + 5 others
    in_train = old["StudyInstanceUID"].isin(train_ids)
    assert (public / "train.csv").read_bytes() == csv_bytes(old[in_train])
    assert (public / "train_bounding_boxes.csv").read_bytes() == csv_bytes(
        boxes[boxes["StudyInstanceUID"].isin(box_train)])
    answers = read(work / "private" / "answers.csv")
    test = old[~in_train]
    assert list(answers.columns) == ["StudyInstanceUID", "prediction_type", "fractured", "row_id"]
    assert answers["prediction_type"].tolist() == [t for t in TYPES for _ in range(len(test))]  # melted by column
    assert answers["StudyInstanceUID"].tolist() == test["StudyInstanceUID"].tolist() * 8
    assert answers["fractured"].tolist() == test[TYPES].to_numpy().T.ravel().tolist()
    assert (answers["row_id"] == answers["StudyInstanceUID"] + "_" + answers["prediction_type"]).all()
    assert read(public / "test.csv").equals(answers.drop(columns=["fractured"]))
    sample = read(public / "sample_submission.csv")
    assert sample["row_id"].tolist() == answers["row_id"].tolist() and (sample["fractured"] == 0.5).all()
    assert {p.name for p in (public / "segmentations").iterdir()} == {f"{u}.nii" for u in seg_train}
    assert {p.name for p in (public / "train_images").iterdir()} == set(train_ids)
    assert {p.name for p in (public / "test_images").iterdir()} == set(test["StudyInstanceUID"])
    assert digest(public / "test_images" / test["StudyInstanceUID"].iloc[0]) == digest(
        raw / "train_images" / test["StudyInstanceUID"].iloc[0])


def test_cervical_crack_marks_the_fractured_vertebra(tmp_path_factory):
    work = prepared(CERVICAL, tmp_path_factory)
    raw = work / "raw"
    old = pd.read_csv(raw / "train.csv").set_index("StudyInstanceUID")
    for uid, labels in old.iterrows():
        cracked = [dicom(raw / "train_images" / uid / f"{k}.dcm")[1].min() < -50 for k in range(1, 8)]
        assert cracked == labels[TYPES[1:]].astype(bool).tolist()
        assert labels["patient_overall"] == int(any(cracked))
    boxes = pd.read_csv(raw / "train_bounding_boxes.csv")
    for uid, slices in boxes.groupby("StudyInstanceUID")["slice_number"]:
        assert sorted(slices) == [k for k in range(1, 8) if old.loc[uid, f"C{k}"]]
    seg = next((raw / "segmentations").glob("*.nii"))
    data = seg.read_bytes()
    assert struct.unpack("<i", data[:4])[0] == 348 and data[344:348] == b"n+1\x00"
    dims = struct.unpack("<8h", data[40:56])
    assert dims[:4] == (3, 16, 16, 7) and struct.unpack("<hh", data[70:74]) == (2, 8)  # uint8 labels
    volume = np.frombuffer(data[352:], np.uint8).reshape(dims[1:4], order="F")
    for k in range(7):
        bone = dicom(raw / "train_images" / seg.stem / f"{k + 1}.dcm")[1].T > 300  # (x, y), as NIfTI stores it
        assert set(np.unique(volume[..., k])) == {0, k + 1} and ((volume[..., k] == k + 1) == bone).mean() > 0.9


def test_cervical_quota_and_bad_raw(tmp_path):
    raw = fresh_raw(CERVICAL, tmp_path)
    boxes = pd.read_csv(raw / "train_bounding_boxes.csv")
    (raw / "train_bounding_boxes.csv").write_bytes(csv_bytes(boxes.drop(columns=["slice_number"])))
    fails(CERVICAL, raw, tmp_path, r"train_bounding_boxes.csv does not match .*missing column\(s\) 'slice_number'")
    stray = boxes.iloc[[0]].assign(StudyInstanceUID="1.2.826.0.1.3680043.99999")
    (raw / "train_bounding_boxes.csv").write_bytes(csv_bytes(pd.concat([boxes, stray])))
    fails(CERVICAL, raw, tmp_path, r"train_bounding_boxes.csv: 1 study\(ies\) absent from train.csv", contract=False)
    (raw / "train_bounding_boxes.csv").write_bytes(csv_bytes(boxes))
    old = pd.read_csv(raw / "train.csv")
    keep = set(boxes["StudyInstanceUID"]) | {p.stem for p in (raw / "segmentations").glob("*.nii")}
    (raw / "train.csv").write_bytes(csv_bytes(old[old["StudyInstanceUID"].isin(keep)]))
    # 25 studies: round(2.5) = 2 train studies, but the box and segmentation quotas already need 3
    fails(CERVICAL, raw, tmp_path, r"cannot draw -1 other studies from \d+: .*quotas", contract=False)
    (raw / "train.csv").write_bytes(csv_bytes(old))
    shutil.rmtree(raw / "train_images" / old["StudyInstanceUID"].iloc[5])
    fails(CERVICAL, raw, tmp_path, r"1 study folder\(s\) missing from .*train_images", contract=False)
    shutil.rmtree(raw / "segmentations")
    fails(CERVICAL, raw, tmp_path, r"missing segmentations")


def test_cervical_draw_rounds_like_python():
    from mle_datasets.preparers.medical import cervical_train_ids

    ids = [f"1.2.826.0.1.3680043.{i}" for i in range(1000, 1035)]  # 3.5 -> 4 train studies (0.1 * 35 > 3.5)
    boxes, segs = ids[:15], ids[10:25]  # 15 -> 2, 15 -> 2, overlap 5 -> 0 (banker's rounding of 0.5)
    assert cervical_train_ids(ids, boxes, segs) == v1_cervical_draw(ids, boxes, segs)
    train, box_train, seg_train = cervical_train_ids(ids, boxes, segs)
    assert (len(train), len(box_train), len(seg_train)) == (4, 2, 2)


# ------------------------------------------------------------------------ vinbigdata-chest-xray-abnormalities-detection
VINBIG = "vinbigdata-chest-xray-abnormalities-detection"
RAW_LAYOUT[VINBIG] = {"train.csv", "train", "test", "sample_submission.csv"}


def vinbig_perfect(answers: Path, sample: Path) -> pd.DataFrame:
    return read(answers.parent / "gold_submission.csv")


def test_vinbig_end_to_end(tmp_path):
    # one answer row per image and finding (spec: repeated_ids); the gold scores below 1 under v1's zero_id and
    # xywh quirks (known issues), so it only has to beat the sample
    check_end_to_end(VINBIG, tmp_path, mle_datasets.Store(tmp_path / "store"), vinbig_perfect, reaches_best=False)


def test_vinbig_grades_gold_above_sample(tmp_path_factory):
    work = prepared(VINBIG, tmp_path_factory)
    sample = grade(VINBIG, work, work / "public" / "sample_submission.csv")
    gold = grade(VINBIG, work, vinbig_perfect(work / "private" / "answers.csv", None))
    assert 0.5 < gold < 1 and sample < gold  # below 1: the zero_id and xywh quirks of MLE-bench's COCO call


def v1_vinbig(old: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, pd.DataFrame, pd.DataFrame]:
    """v1's split and answers, replayed with pandas (gold strings built row by row, as v1 does)."""
    unique = np.asarray(old["image_id"].unique(), dtype=object)  # an ndarray, as pandas 2 returns (v1)
    train_ids, test_ids = train_test_split(unique, test_size=0.1, random_state=0)
    answers = old[old["image_id"].isin(test_ids)].groupby(["image_id", "class_id"]).first().reset_index().fillna(0)
    answers.loc[answers["class_id"] == 14, ["x_max", "y_max"]] = 1.0
    strings = [f"{c} 1.0 {a} {b} {x} {y}" for c, a, b, x, y in
               answers[["class_id", "x_min", "y_min", "x_max", "y_max"]].itertuples(index=False)]
    gold = pd.Series(strings).groupby(answers["image_id"]).agg(" ".join).rename("PredictionString").reset_index()
    return train_ids, test_ids, answers, gold


def test_vinbig_split_is_v1s(tmp_path_factory):
    work = prepared(VINBIG, tmp_path_factory)
    old = pd.read_csv(work / "raw" / "train.csv")
    train_ids, test_ids, answers, gold = v1_vinbig(old)
    assert (work / "public" / "train.csv").read_bytes() == csv_bytes(old[old["image_id"].isin(train_ids)])
    assert (work / "private" / "answers.csv").read_bytes() == csv_bytes(answers)
    assert (work / "private" / "gold_submission.csv").read_bytes() == csv_bytes(gold)
    sample = read(work / "public" / "sample_submission.csv")
    assert sample["image_id"].tolist() == test_ids.tolist() and (sample["PredictionString"] == "14 1 0 0 1 1").all()
    assert answers["image_id"].duplicated().any() and (answers["class_id"] == 14).any()
    assert {p.stem for p in (work / "public" / "train").iterdir()} == set(train_ids)
    assert {p.stem for p in (work / "public" / "test").iterdir()} == set(test_ids)


def test_vinbig_v1_size_has_v1s_15000_images(tmp_path):
    raw = make_raw_fixture(VINBIG, tmp_path / "raw", size="v1")
    old = pd.read_csv(raw / "train.csv")
    assert old["image_id"].nunique() == 15_000 == len(list((raw / "train").iterdir()))
    get_preparer(VINBIG).check_raw(raw)
    get_preparer(VINBIG).run(raw, tmp_path / "public", tmp_path / "private")
    assert len(list((tmp_path / "public" / "train").iterdir())) == 13_500  # v1's asserted sizes
    assert read(tmp_path / "public" / "sample_submission.csv")["image_id"].nunique() == 1_500
    _, test_ids, _, _ = v1_vinbig(old)
    assert {p.stem for p in (tmp_path / "public" / "test").iterdir()} == set(test_ids)


def test_vinbig_boxes_are_bright_at_their_class(tmp_path_factory):
    work = prepared(VINBIG, tmp_path_factory)
    old = pd.read_csv(work / "raw" / "train.csv")
    first_reader = old.drop_duplicates(["image_id", "class_id"])
    for image_id, rows in first_reader.groupby("image_id"):
        pixels = dicom(work / "raw" / "train" / f"{image_id}.dicom")[1]
        if (rows["class_id"] == 14).all():
            assert pixels.max() < 500
            continue
        for row in rows.itertuples(index=False):
            inside = pixels[int(row.y_min) + 1:int(row.y_max) - 1, int(row.x_min) + 1:int(row.x_max) - 1]
            assert np.median(inside) >= 600 + 150 * row.class_id - 1  # the brightest class box on top
    assert old.groupby("image_id")["rad_id"].nunique().eq(3).all()


def test_vinbig_bad_raw(tmp_path):
    raw = fresh_raw(VINBIG, tmp_path)
    old = pd.read_csv(raw / "train.csv")
    (raw / "train.csv").write_bytes(csv_bytes(old.drop(columns=["rad_id"])))
    fails(VINBIG, raw, tmp_path, r"train.csv does not match the Kaggle layout: missing column\(s\) 'rad_id'")
    (raw / "train.csv").write_bytes(csv_bytes(old.assign(class_name="Fracture")))
    fails(VINBIG, raw, tmp_path, r"column 'class_name' fails isin")
    (raw / "train.csv").write_bytes(csv_bytes(old))
    image_id = old["image_id"].iloc[0]
    (raw / "train" / f"{image_id}.dicom").unlink()
    fails(VINBIG, raw, tmp_path, rf"train image file .*{image_id}.dicom is missing", contract=False)
    shutil.rmtree(raw / "train")
    fails(VINBIG, raw, tmp_path, r"missing train$|missing train;")


# ------------------------------------------------------------------------------------------ every competition
@pytest.mark.parametrize("cid", list(RAW_LAYOUT))
def test_layout_determinism_and_raw_untouched(cid, tmp_path, tmp_path_factory):
    work = prepared(cid, tmp_path_factory)
    raw = work / "raw"
    assert {p.name for p in raw.iterdir()} == RAW_LAYOUT[cid]
    before = digest(raw)
    assert before == digest(make_raw_fixture(cid, tmp_path / "again"))
    assert before != digest(make_raw_fixture(cid, tmp_path / "other", seed=1))
    get_preparer(cid).check_raw(tmp_path / "other")
    get_preparer(cid).run(raw, tmp_path / "public", tmp_path / "private")
    assert digest(tmp_path / "public") == digest(work / "public")
    assert digest(tmp_path / "private") == digest(work / "private")
    assert digest(raw) == before
