"""Medium audio, scan and segmentation competitions: freesound 2019, TF speech, HuBMAP, TGS salt, UW-Madison GI
tract, OSIC (end to end, v1's split, learnable fixtures, raw failures)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

import competitions
from mle_datasets.errors import RawDataError
from mle_datasets.fixtures import make_raw_fixture
from mle_datasets.fixtures.scans_audio import FREESOUND_PITCH
from mle_datasets.preparers import get_preparer
from mle_datasets.preparers._common import csv_bytes
from mle_datasets.preparers.scans_audio import FREESOUND_CLASSES
from tests.data.endtoend import check_end_to_end, prepared, read, files

def check_raw(cid: str, raw: Path) -> None:
    get_preparer(cid).check_raw(raw)


def run(cid: str, raw: Path, tmp_path: Path) -> None:
    get_preparer(cid).run(raw, tmp_path / "pub", tmp_path / "priv")


def wav_samples(data: bytes) -> tuple[int, np.ndarray]:
    """(rate, int16 samples) of a 16-bit mono PCM WAV."""
    import wave

    with wave.open(io.BytesIO(data)) as w:
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2)
        return w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), "<i2")


def peaks(data: bytes, k: int) -> list[float]:
    """The ``k`` strongest frequencies (Hz) of a WAV clip, at least 100 Hz apart."""
    rate, x = wav_samples(data)
    spectrum = np.abs(np.fft.rfft(x.astype(float)))
    freqs = np.fft.rfftfreq(len(x), 1 / rate)
    found = []
    for i in np.argsort(spectrum)[::-1]:
        if all(abs(freqs[i] - f) > 100 for f in found):
            found.append(float(freqs[i]))
        if len(found) == k:
            return found
    return found


# ------------------------------------------------------------------------ freesound-audio-tagging-2019
FREESOUND = "freesound-audio-tagging-2019"


def test_freesound_end_to_end(tmp_path, store):
    check_end_to_end(FREESOUND, tmp_path, store, lambda a, s: read(a).astype({c: float for c in FREESOUND_CLASSES}))


def test_freesound_public_is_the_raw_copy_and_answers_are_the_private_clips(tmp_path_factory):
    work = prepared(FREESOUND, tmp_path_factory)
    raw = work / "raw"
    assert files(work / "public") == files(raw) - {"FSDKaggle2019.meta.zip"}
    for name in files(work / "public"):
        assert (work / "public" / name).read_bytes() == (raw / name).read_bytes()
    with zipfile.ZipFile(raw / "FSDKaggle2019.meta.zip") as zf:
        post = pd.read_csv(io.BytesIO(zf.read("FSDKaggle2019.meta/test_post_competition.csv")))
    private = post[post["usage"] == "Private"].reset_index(drop=True)
    answers = read(work / "private" / "test.csv")
    assert list(answers.columns) == ["fname", *FREESOUND_CLASSES]
    assert answers["fname"].tolist() == private["fname"].tolist()  # v1 keeps the Private rows' order
    for row, labels in zip(answers.to_dict("records"), private["labels"]):  # v1's rule, row by row
        assert [c for c in FREESOUND_CLASSES if row[c] == 1] == [c for c in FREESOUND_CLASSES if c in labels.split(",")]
        assert sum(row[c] for c in FREESOUND_CLASSES) == len(labels.split(","))
    assert answers.loc[0, "Bark"] == answers.loc[0, "Walk_and_footsteps"] == 1


def test_freesound_pitch_predicts_the_tags(tmp_path_factory):
    """Nearest pitch learnt from the curated clips tags the test clips far better than the sample submission."""
    work = prepared(FREESOUND, tmp_path_factory)
    train = read(work / "public" / "train_curated.csv")
    pitch = {}
    with zipfile.ZipFile(work / "public" / "train_curated.zip") as zf:
        for fname, labels in zip(train["fname"], train["labels"]):
            if "," not in labels:
                pitch.setdefault(labels, []).append(peaks(zf.read(fname), 1)[0])
        learnt = {c: float(np.mean(v)) for c, v in pitch.items()}
    sample = read(work / "public" / "sample_submission.csv")
    scores = sample.copy().astype({c: float for c in FREESOUND_CLASSES})
    scores[list(FREESOUND_CLASSES)] = -1e6  # classes never heard in train
    with zipfile.ZipFile(work / "public" / "test.zip") as zf:
        for i, fname in enumerate(sample["fname"]):
            found = peaks(zf.read(fname), 2)
            for c, f in learnt.items():
                scores.loc[i, c] = -min(abs(f - p) for p in found)
    answers = work / "private" / "test.csv"
    model = competitions.grade(FREESOUND, scores, answers, sample).score
    baseline = competitions.grade(FREESOUND, sample, answers, sample).score
    assert model > 0.9 > baseline
    assert set(learnt) == set(FREESOUND_PITCH)


def test_freesound_reads_an_unpacked_meta_folder(tmp_path):
    raw = make_raw_fixture(FREESOUND, tmp_path / "raw")
    with zipfile.ZipFile(raw / "FSDKaggle2019.meta.zip") as zf:
        zf.extractall(raw)
    (raw / "FSDKaggle2019.meta.zip").unlink()
    check_raw(FREESOUND, raw)
    run(FREESOUND, raw, tmp_path)
    assert not any("FSDKaggle2019.meta" in p.name for p in (tmp_path / "pub").iterdir())
    assert len(read(tmp_path / "priv" / "test.csv")) == 10


def test_freesound_without_the_meta_zip_is_a_raw_error(tmp_path):
    raw = make_raw_fixture(FREESOUND, tmp_path / "raw")
    (raw / "FSDKaggle2019.meta.zip").unlink()
    with pytest.raises(RawDataError, match=r"lacks FSDKaggle2019\.meta\.zip.*Zenodo record 3612637"):
        check_raw(FREESOUND, raw)


def test_freesound_missing_kaggle_file_is_a_raw_error(tmp_path):
    raw = make_raw_fixture(FREESOUND, tmp_path / "raw")
    (raw / "train_noisy.zip").unlink()
    with pytest.raises(RawDataError, match="missing train_noisy.zip"):
        check_raw(FREESOUND, raw)


def test_freesound_missing_column_is_a_raw_error(tmp_path):
    raw = make_raw_fixture(FREESOUND, tmp_path / "raw")
    with zipfile.ZipFile(raw / "FSDKaggle2019.meta.zip") as zf:
        post = pd.read_csv(io.BytesIO(zf.read("FSDKaggle2019.meta/test_post_competition.csv")))
    with zipfile.ZipFile(raw / "FSDKaggle2019.meta.zip", "w") as zf:
        zf.writestr("FSDKaggle2019.meta/test_post_competition.csv", csv_bytes(post.drop(columns=["usage"])))
    with pytest.raises(RawDataError, match="test_post_competition.csv does not match.*missing column.*'usage'"):
        check_raw(FREESOUND, raw)


def test_freesound_sample_of_other_clips_is_a_raw_error(tmp_path):
    raw = make_raw_fixture(FREESOUND, tmp_path / "raw")
    sample = pd.read_csv(raw / "sample_submission.csv")
    (raw / "sample_submission.csv").write_bytes(csv_bytes(sample.iloc[1:]))
    with pytest.raises(RawDataError, match="lists 9 clips but .* has 10 Private clips"):
        run(FREESOUND, raw, tmp_path)


def test_freesound_truncated_zip_is_a_raw_error(tmp_path):
    raw = make_raw_fixture(FREESOUND, tmp_path / "raw")
    data = (raw / "test.zip").read_bytes()
    (raw / "test.zip").write_bytes(data[: len(data) // 2])
    with pytest.raises(RawDataError, match="test.zip is not a readable zip"):
        check_raw(FREESOUND, raw)


# ------------------------------------------------------------------------ tgs-salt-identification-challenge
TGS = "tgs-salt-identification-challenge"


def tgs_zip_table(raw: Path) -> pd.DataFrame:
    with zipfile.ZipFile(raw / "competition_data.zip") as zf:
        return pd.read_csv(io.BytesIO(zf.read("competition_data/train.csv")), dtype=str, keep_default_na=False)


def rewrite_zip(path: Path, change) -> None:
    """Rewrite a zip with ``change(entries)`` applied to its ``{name: bytes}``."""
    with zipfile.ZipFile(path) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    change(entries)
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)


def test_tgs_end_to_end(tmp_path, store):
    check_end_to_end(TGS, tmp_path, store, lambda a, s: read(a, dtype=str))


def test_tgs_split_is_v1s(tmp_path_factory):
    work = prepared(TGS, tmp_path_factory)
    old = tgs_zip_table(work / "raw")
    train, test = train_test_split(old, test_size=0.25, random_state=0)
    answers = read(work / "private" / "test.csv", dtype=str)
    pd.testing.assert_frame_equal(answers, test.sort_values("id").reset_index(drop=True))
    pd.testing.assert_frame_equal(read(work / "public" / "train.csv", dtype=str), train.sort_values("id").reset_index(drop=True))
    assert (answers["rle_mask"] == "").any() and (answers["rle_mask"] != "").any()
    sample = read(work / "public" / "sample_submission.csv", dtype=str)
    assert sample["id"].tolist() == answers["id"].tolist() and (sample["rle_mask"] == "1 1").all()
    depths = read(work / "public" / "depths.csv", dtype={"id": str})
    assert depths["id"].tolist() == sorted(train["id"])
    assert files(work / "public" / "test") == {f"images/{i}.png" for i in test["id"]}
    assert files(work / "public" / "train") == {f"{f}/{i}.png" for i in train["id"] for f in ("images", "masks")}
    with zipfile.ZipFile(work / "raw" / "competition_data.zip") as zf:
        i = train["id"].iloc[0]
        assert (work / "public" / "train" / "masks" / f"{i}.png").read_bytes() == zf.read(f"competition_data/train/masks/{i}.png")


def test_tgs_masks_follow_the_images(tmp_path_factory):
    """The masks (PNG and RLE) cover the bright salt: thresholding a test image scores far above the sample."""
    from metrics.segmentation import rle_decode, rle_encode
    from mle_datasets.preparers._media import read_png_gray

    work = prepared(TGS, tmp_path_factory)
    train = read(work / "public" / "train.csv", dtype=str)
    for i, rle in zip(train["id"], train["rle_mask"]):
        mask = read_png_gray((work / "public" / "train" / "masks" / f"{i}.png").read_bytes()) > 0
        assert np.array_equal(mask, rle_decode(rle, (101, 101)))
    sample = read(work / "public" / "sample_submission.csv", dtype=str)
    guess = sample.assign(rle_mask=[
        rle_encode(read_png_gray((work / "public" / "test" / "images" / f"{i}.png").read_bytes()) > 140)
        for i in sample["id"]])
    answers = work / "private" / "test.csv"
    model = competitions.grade(TGS, guess, answers, sample).score
    assert model > 0.6 > competitions.grade(TGS, sample, answers, sample).score


def test_tgs_image_count_must_match_the_rows(tmp_path):
    raw = make_raw_fixture(TGS, tmp_path / "raw")
    first = tgs_zip_table(raw)["id"][0]
    rewrite_zip(raw / "competition_data.zip", lambda e: e.pop(f"competition_data/train/images/{first}.png"))
    with pytest.raises(RawDataError, match=rf"holds 19 PNGs for the 20 rows.*1 id\(s\) without an image, e.g. \['{first}'\]"):
        run(TGS, raw, tmp_path)


def test_tgs_missing_column_and_file_are_raw_errors(tmp_path):
    raw = make_raw_fixture(TGS, tmp_path / "raw")
    table = tgs_zip_table(raw).rename(columns={"rle_mask": "mask"})
    rewrite_zip(raw / "competition_data.zip", lambda e: e.update({"competition_data/train.csv": csv_bytes(table)}))
    with pytest.raises(RawDataError, match="train.csv does not match.*missing column.*'rle_mask'"):
        check_raw(TGS, raw)
    (raw / "depths.csv").unlink()
    with pytest.raises(RawDataError, match="missing depths.csv"):
        check_raw(TGS, raw)


def test_tgs_flat_zip_is_a_raw_error(tmp_path):
    raw = make_raw_fixture(TGS, tmp_path / "raw")
    rewrite_zip(raw / "competition_data.zip", lambda e: [e.update({k.split("/", 1)[1]: e.pop(k)}) for k in list(e) if "/" in k[:-1]])
    with pytest.raises(RawDataError, match="has no entry 'competition_data/train.csv'"):
        check_raw(TGS, raw)


# ------------------------------------------------------------------------ hubmap-kidney-segmentation
HUBMAP = "hubmap-kidney-segmentation"


def tiff_pixels(data: bytes) -> np.ndarray:
    """(h, w, 3) pixels of an uncompressed single-strip little-endian RGB TIFF, read from its IFD."""
    import struct

    assert data[:4] == b"II*\x00"
    ifd = struct.unpack("<I", data[4:8])[0]
    tags = {}
    for k in range(struct.unpack("<H", data[ifd:ifd + 2])[0]):
        tag, kind, _count, value = struct.unpack("<HHII", data[ifd + 2 + 12 * k: ifd + 14 + 12 * k])
        tags[tag] = value & 0xFFFF if kind == 3 else value
    width, height, offset = tags[256], tags[257], tags[273]
    return np.frombuffer(data, np.uint8, width * height * 3, offset).reshape(height, width, 3)


def test_hubmap_end_to_end(tmp_path, store):
    check_end_to_end(HUBMAP, tmp_path, store, lambda a, s: read(a, dtype=str).rename(columns={"encoding": "predicted"})[["id", "predicted"]])


def test_hubmap_split_is_v1s(tmp_path_factory):
    work = prepared(HUBMAP, tmp_path_factory)
    raw = work / "raw"
    old = read(raw / "train.csv", dtype=str)
    train, test = train_test_split(old, train_size=12, test_size=3, random_state=0)
    pd.testing.assert_frame_equal(read(work / "public" / "train.csv", dtype=str), train.reset_index(drop=True))
    info = pd.read_csv(raw / "HuBMAP-20-dataset_information.csv")
    answers = pd.read_csv(work / "private" / "test.csv")
    assert answers["id"].tolist() == test["id"].tolist() and answers["encoding"].tolist() == test["encoding"].tolist()
    sizes = info.set_index(info["image_file"].str[:-5]).loc[test["id"], ["width_pixels", "height_pixels"]]
    assert answers[["width_pixels", "height_pixels"]].values.tolist() == sizes.values.tolist()
    gold = read(work / "private" / "gold_submission.csv", dtype=str)
    assert gold["predicted"].tolist() == test["encoding"].tolist()
    sample = read(work / "public" / "sample_submission.csv", dtype=str)
    assert sample["id"].tolist() == test["id"].tolist() and (sample["predicted"] == "").all()
    assert (work / "public" / "test" / "sample_submission.csv").read_bytes() == (work / "public" / "sample_submission.csv").read_bytes()
    public_info = pd.read_csv(work / "public" / "HuBMAP-20-dataset_information.csv")
    assert public_info["image_file"].tolist() == [f for f in info["image_file"] if f[:-5] in set(old["id"])]
    assert list(public_info.columns) == list(info.columns)
    suffixes = (".tiff", ".json", "-anatomical-structure.json")
    assert files(work / "public" / "test") == {f"{i}{s}" for i in test["id"] for s in suffixes} | {"sample_submission.csv"}
    assert files(work / "public" / "train") == {f"{i}{s}" for i in train["id"] for s in suffixes}


def test_hubmap_masks_follow_the_images(tmp_path_factory):
    """The RLE (column-major, 1-based) and the JSON polygons outline the dark glomeruli of each TIFF."""
    import json

    from metrics.segmentation import rle_decode, rle_encode

    work = prepared(HUBMAP, tmp_path_factory)
    train = read(work / "public" / "train.csv", dtype=str)
    for i, rle in zip(train["id"], train["encoding"]):
        pixels = tiff_pixels((work / "public" / "train" / f"{i}.tiff").read_bytes())
        mask = rle_decode(rle, pixels.shape[:2])
        assert pixels[mask].mean(axis=0)[1] < 100 < pixels[~mask].mean(axis=0)[1]
        polygons = json.loads((work / "public" / "train" / f"{i}.json").read_text())
        centre = np.mean(polygons[0]["geometry"]["coordinates"][0][:-1], axis=0)
        assert mask[int(round(centre[1])), int(round(centre[0]))]
    sample = read(work / "public" / "sample_submission.csv", dtype=str)
    guess = sample.assign(predicted=[
        rle_encode(tiff_pixels((work / "public" / "test" / f"{i}.tiff").read_bytes())[..., 1] < 120) for i in sample["id"]])
    answers = work / "private" / "test.csv"
    assert competitions.grade(HUBMAP, guess, answers, sample).score > 0.9


def test_hubmap_needs_exactly_15_rows(tmp_path):
    raw = make_raw_fixture(HUBMAP, tmp_path / "raw")
    (raw / "train.csv").write_bytes(csv_bytes(pd.read_csv(raw / "train.csv").iloc[:14]))
    with pytest.raises(RawDataError, match="train.csv has 14 rows; MLE-bench v1 splits exactly 15"):
        check_raw(HUBMAP, raw)


def test_hubmap_missing_annotation_column_and_info_row_are_raw_errors(tmp_path):
    raw = make_raw_fixture(HUBMAP, tmp_path / "raw")
    first = read(raw / "train.csv", dtype=str)["id"][0]
    (raw / "train" / f"{first}-anatomical-structure.json").unlink()
    with pytest.raises(RawDataError, match="1 train image or annotation file"):
        run(HUBMAP, raw, tmp_path / "a")
    info = pd.read_csv(raw / "HuBMAP-20-dataset_information.csv")
    (raw / "HuBMAP-20-dataset_information.csv").write_bytes(csv_bytes(info[info["image_file"] != f"{first}.tiff"]))
    with pytest.raises(RawDataError, match=f"has no row for 1 train image.*{first}.tiff"):
        run(HUBMAP, raw, tmp_path / "b")
    (raw / "HuBMAP-20-dataset_information.csv").write_bytes(csv_bytes(info.drop(columns=["height_pixels"])))
    with pytest.raises(RawDataError, match="missing column.*'height_pixels'"):
        check_raw(HUBMAP, raw)


# ------------------------------------------------------------------------ osic-pulmonary-fibrosis-progression
OSIC = "osic-pulmonary-fibrosis-progression"


def osic_perfect(answers: Path, sample: Path) -> pd.DataFrame:
    """The measured FVC with the smallest confidence the metric allows (70); 2000 on the unmeasured weeks."""
    truth = pd.read_csv(answers)
    return pd.DataFrame({"Patient_Week": truth["Patient_Week"], "FVC": truth["FVC"].fillna(2000), "Confidence": 70.0})


def test_osic_end_to_end(tmp_path, store):
    # public/test.csv holds each patient's baseline FVC, as Kaggle and v1 give it; it is keyed by Patient, not
    # by the answers' Patient_Week, so the contract does not read it as answer rows
    check_end_to_end(OSIC, tmp_path, store, osic_perfect)


def test_osic_split_is_v1s(tmp_path_factory):
    work = prepared(OSIC, tmp_path_factory)
    raw = work / "raw"
    old = pd.read_csv(raw / "train.csv")
    train_groups, test_groups = train_test_split(list(old.groupby("Patient")), test_size=0.1, random_state=0)
    train = pd.concat([g for _, g in train_groups])
    test = pd.concat([g for _, g in test_groups])
    pd.testing.assert_frame_equal(pd.read_csv(work / "public" / "train.csv"), train.reset_index(drop=True))
    assert test["Patient"].nunique() == 2
    first = pd.read_csv(work / "public" / "test.csv")
    for patient, visits in test.groupby("Patient"):
        row = first[first["Patient"] == patient].iloc[0]
        assert row["Weeks"] == visits["Weeks"].min() and row["FVC"] == visits.loc[visits["Weeks"].idxmin(), "FVC"]
    answers = pd.read_csv(work / "private" / "test.csv")
    assert list(answers.columns) == [*old.columns, "Patient_Week", "Confidence"]
    weeks = range(test["Weeks"].min(), test["Weeks"].max() + 1)
    assert answers["Patient_Week"].tolist() == [f"{p}_{w}" for p in test["Patient"].unique() for w in weeks]
    measured = answers.dropna(subset=["FVC"])
    assert sorted(zip(measured["Patient"], measured["Weeks"], measured["FVC"].astype(int))) == sorted(
        zip(test["Patient"], test["Weeks"], test["FVC"]))
    sample = pd.read_csv(work / "public" / "sample_submission.csv")
    assert sample["Patient_Week"].tolist() == answers["Patient_Week"].tolist()
    assert (sample["FVC"] == 2000).all() and (sample["Confidence"] == 100).all()
    assert {p.name for p in (work / "public" / "test").iterdir()} == set(test["Patient"])
    assert {p.name for p in (work / "public" / "train").iterdir()} == set(train["Patient"])
    patient = test["Patient"].iloc[0]
    assert files(work / "public" / "test" / patient) == files(raw / "train" / patient)
    dcm = sorted((work / "public" / "test" / patient).iterdir())[0]
    assert dcm.read_bytes()[128:132] == b"DICM" and dcm.read_bytes() == (raw / "train" / patient / dcm.name).read_bytes()


def test_osic_decline_is_learnable(tmp_path_factory):
    """The baseline visit plus the train set's weekly decline per smoking status beats the sample submission."""
    work = prepared(OSIC, tmp_path_factory)
    train = pd.read_csv(work / "public" / "train.csv")
    slopes = train.groupby("Patient").apply(lambda g: -np.polyfit(g["Weeks"], g["FVC"], 1)[0], include_groups=False)
    status = train.groupby("Patient")["SmokingStatus"].first()
    decline = slopes.groupby(status).mean()
    first = pd.read_csv(work / "public" / "test.csv").set_index("Patient")
    sample = pd.read_csv(work / "public" / "sample_submission.csv")
    patient = sample["Patient_Week"].str.rsplit("_", n=1).str[0]
    week = sample["Patient_Week"].str.rsplit("_", n=1).str[1].astype(int)
    base = first.loc[patient]
    guess = sample.assign(FVC=base["FVC"].to_numpy() - decline.loc[base["SmokingStatus"]].to_numpy() * (week.to_numpy() - base["Weeks"].to_numpy()),
                          Confidence=150.0)
    answers = work / "private" / "test.csv"
    assert competitions.grade(OSIC, guess, answers, sample).score > competitions.grade(OSIC, sample, answers, sample).score + 1


def test_osic_repeated_week_of_a_test_patient_is_a_raw_error(tmp_path):
    raw = make_raw_fixture(OSIC, tmp_path / "raw")
    old = pd.read_csv(raw / "train.csv")
    _, test_groups = train_test_split(list(old.groupby("Patient")), test_size=0.1, random_state=0)
    patient = test_groups[0][0]
    visit = old[old["Patient"] == patient].iloc[[1]]
    (raw / "train.csv").write_bytes(csv_bytes(pd.concat([old, visit], ignore_index=True)))
    with pytest.raises(RawDataError, match=f"test patient {patient} has 2 visits in the same week"):
        run(OSIC, raw, tmp_path)


def test_osic_missing_folder_and_column_are_raw_errors(tmp_path):
    import shutil

    raw = make_raw_fixture(OSIC, tmp_path / "raw")
    old = pd.read_csv(raw / "train.csv")
    shutil.rmtree(raw / "train" / old["Patient"][0])
    with pytest.raises(RawDataError, match=f"1 patient\\(s\\) of train.csv have no CT folder.*{old['Patient'][0]}"):
        run(OSIC, raw, tmp_path)
    (raw / "train.csv").write_bytes(csv_bytes(old.drop(columns=["SmokingStatus"])))
    with pytest.raises(RawDataError, match="missing column.*'SmokingStatus'"):
        check_raw(OSIC, raw)


# ------------------------------------------------------------------------ uw-madison-gi-tract-image-segmentation
UW = "uw-madison-gi-tract-image-segmentation"


def png16_pixels(data: bytes) -> np.ndarray:
    """Pixels of a 16-bit grey PNG with unfiltered scanlines (what the fixture writes), read with zlib."""
    import struct
    import zlib

    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert (depth, colour) == (16, 0)
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        idat += data[pos + 8:pos + 8 + length] if kind == b"IDAT" else b""
        pos += 12 + length
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(height, 1 + 2 * width)
    assert (rows[:, 0] == 0).all()
    return rows[:, 1:].copy().view(">u2").astype(np.uint16)


def uw_v1_test_ids(raw: Path) -> list[str]:
    """MLE-bench v1's rule written out plainly: whole test cases, then days after the 4th of train cases."""
    old = pd.read_csv(raw / "train.csv")
    case = [i.split("_")[0] for i in old["id"]]
    day = [i.split("_")[1] for i in old["id"]]
    cases = list(dict.fromkeys(case))
    _, test_cases = train_test_split(np.array(cases), test_size=0.1, random_state=42)
    days = {}
    for c, d in zip(case, day):
        if c not in test_cases:
            days.setdefault(c, set()).add(d)
    late = {(c, d) for c, ds in days.items() for d in sorted(ds, key=lambda d: int(d[3:]))[4:]}
    return [i for i, c, d in zip(old["id"], case, day) if c in test_cases or (c, d) in late]


def test_uw_end_to_end(tmp_path, store):
    check_end_to_end(UW, tmp_path, store, lambda a, s: read(a, dtype=str)[["id", "class", "predicted"]])


def test_uw_split_is_v1s(tmp_path_factory):
    work = prepared(UW, tmp_path_factory)
    raw = work / "raw"
    old = read(raw / "train.csv", dtype=str)
    expected = uw_v1_test_ids(raw)
    answers = read(work / "private" / "test.csv", dtype=str)
    assert answers["id"].tolist() == expected and len(set(expected)) * 3 == len(expected)
    assert list(answers.columns) == ["id", "class", "predicted", "image_width", "image_height"]
    assert set(answers["image_width"]) == {"20.0", "24.0"} and set(answers["image_height"]) == {"20.0"}
    assert any(i.split("_")[1] in ("day12", "day13") for i in expected)  # the day rule moved the 5th and 6th days
    train = read(work / "public" / "train.csv", dtype=str)
    pd.testing.assert_frame_equal(train, old[~old["id"].isin(expected)].reset_index(drop=True))
    assert read(work / "public" / "test.csv", dtype=str).equals(answers[["id", "class"]])
    sample = read(work / "public" / "sample_submission.csv", dtype=str)
    assert sample[["id", "class"]].equals(answers[["id", "class"]]) and (sample["predicted"] == "1 1 5 2").all()
    test_days = {"/".join(i.split("_")[:1] + ["_".join(i.split("_")[:2])]) for i in expected}
    assert {p.relative_to(work / "public" / "test").as_posix() for p in (work / "public" / "test").glob("*/*")} == test_days
    train_days = {"/".join(i.split("_")[:1] + ["_".join(i.split("_")[:2])]) for i in train["id"]}
    assert {p.relative_to(work / "public" / "train").as_posix() for p in (work / "public" / "train").glob("*/*")} == train_days
    assert files(work / "public" / "train") | files(work / "public" / "test") == {
        p.relative_to(raw / "train").as_posix() for p in (raw / "train").rglob("*.png")}


def test_uw_masks_follow_the_images(tmp_path_factory):
    """Each organ's RLE covers the pixels at its brightness; banding the test slices scores far above the sample."""
    from metrics.segmentation import rle_decode, rle_encode

    work = prepared(UW, tmp_path_factory)
    bands = {"large_bowel": (6000, 12000), "small_bowel": (12000, 18500), "stomach": (18500, 65536)}

    def image(folder: str, row_id: str) -> np.ndarray:
        case, day, _, number = row_id.split("_")
        return png16_pixels(next((work / "public" / folder / case / f"{case}_{day}" / "scans").glob(f"slice_{number}_*.png")).read_bytes())

    train = read(work / "public" / "train.csv", dtype=str)
    for row in train.iloc[::7].itertuples(index=False):
        pixels = image("train", row.id)
        low, high = bands[row._1]
        assert np.array_equal(rle_decode(row.segmentation, pixels.shape), (pixels >= low) & (pixels < high))
    sample = read(work / "public" / "sample_submission.csv", dtype=str)
    guess = sample.assign(predicted=[rle_encode((lambda p: (p >= bands[c][0]) & (p < bands[c][1]))(image("test", i)))
                                     for i, c in zip(sample["id"], sample["class"])])
    answers = work / "private" / "test.csv"
    assert competitions.grade(UW, guess, answers, sample).score > 0.9 > competitions.grade(UW, sample, answers, sample).score


def test_uw_missing_day_folder_and_duplicate_slice_are_raw_errors(tmp_path):
    import shutil

    raw = make_raw_fixture(UW, tmp_path / "raw")
    first = uw_v1_test_ids(raw)[0]
    case, day, _, number = first.split("_")
    scans = raw / "train" / case / f"{case}_{day}" / "scans"
    png = next(scans.glob(f"slice_{number}_*.png"))
    shutil.copyfile(png, scans / f"slice_{number}_30_30_1.50_1.50.png")
    with pytest.raises(RawDataError, match=rf"slice_{number}_\*.png matches 2 file\(s\)"):
        run(UW, raw, tmp_path / "a")
    shutil.rmtree(scans.parent)
    with pytest.raises(RawDataError, match=f"1 case-day folder.*train/{case}/{case}_{day}"):
        run(UW, raw, tmp_path / "b")


def test_uw_missing_column_is_a_raw_error(tmp_path):
    raw = make_raw_fixture(UW, tmp_path / "raw")
    (raw / "train.csv").write_bytes(csv_bytes(pd.read_csv(raw / "train.csv").drop(columns=["class"])))
    with pytest.raises(RawDataError, match="missing column.*'class'"):
        check_raw(UW, raw)


# ------------------------------------------------------------------------ tensorflow-speech-recognition-challenge
SPEECH = "tensorflow-speech-recognition-challenge"


def test_speech_end_to_end(tmp_path, store):
    check_end_to_end(SPEECH, tmp_path, store, lambda a, s: read(a))


def test_speech_split_is_v1s(tmp_path_factory):
    from mle_datasets.preparers._sevenzip import SevenZip

    work = prepared(SPEECH, tmp_path_factory)
    archive = SevenZip(work / "raw" / "train.7z")
    wavs = [n for n, d in zip(archive.names, archive.is_dir) if not d and n.startswith("train/audio/") and n.endswith(".wav")]
    clips = sorted(((n.split("/")[-2], n.split("/")[-1]) for n in wavs), key=lambda c: f"{c[0]}_{c[1]}")
    train, test = train_test_split(clips, test_size=0.1, random_state=0)
    answers = read(work / "private" / "test.csv")
    assert answers["fname"].tolist() == [f"clip_{i:08d}.wav" for i in range(len(test))]
    assert answers["label"].tolist() == [label for label, _ in test]
    assert files(work / "public" / "train") == {f"audio/{label}/{name}" for label, name in train}
    assert files(work / "public" / "test") == {f"audio/{f}" for f in answers["fname"]}
    assert "_background_noise_" in {label for label, _ in clips}  # noise recordings are samples too (v1)
    sample = read(work / "public" / "sample_submission.csv")
    assert sample["fname"].tolist() == answers["fname"].tolist() and (sample["label"] == "silence").all()


def test_speech_pitch_tells_the_word(tmp_path_factory):
    """Nearest pitch learnt from the public train clips labels the test clips; the sample scores 0."""
    work = prepared(SPEECH, tmp_path_factory)
    pitch = {}
    for path in sorted((work / "public" / "train" / "audio").glob("*/*.wav")):
        if path.parent.name != "_background_noise_":
            pitch.setdefault(path.parent.name, []).append(peaks(path.read_bytes(), 1)[0])
    learnt = {w: float(np.mean(v)) for w, v in pitch.items()}
    sample = read(work / "public" / "sample_submission.csv")

    def guess(fname: str) -> str:
        data = (work / "public" / "test" / "audio" / fname).read_bytes()
        spectrum = np.abs(np.fft.rfft(wav_samples(data)[1].astype(float)))
        if spectrum.max() < 20 * spectrum.mean():  # no tone stands out: broadband noise
            return "_background_noise_"
        found = peaks(data, 1)[0]
        return min(learnt, key=lambda w: abs(learnt[w] - found))

    answers = work / "private" / "test.csv"
    model = competitions.grade(SPEECH, sample.assign(label=sample["fname"].map(guess)), answers, sample).score
    assert model == 1.0 and competitions.grade(SPEECH, sample, answers, sample).score == 0.0


def test_sevenzip_round_trip_and_header_kinds(tmp_path):
    from mle_datasets.preparers._sevenzip import pack_7z
    from mle_datasets.preparers._sevenzip import SevenZip

    rng = np.random.default_rng(3)
    entries = {f"a/{i}.bin": rng.integers(0, 256, int(rng.integers(0, 3000)), dtype=np.uint8).tobytes() for i in range(12)}
    for encoded in (True, False):
        path = tmp_path / f"x{encoded}.7z"
        path.write_bytes(pack_7z(entries, folders=("a", "a/empty"), encode_header=encoded, preset=1))
        archive = SevenZip(path)
        assert sorted(archive.names) == sorted([*entries, "a", "a/empty"])
        assert [n for n, d in zip(archive.names, archive.is_dir) if d] == ["a", "a/empty"]
        wanted = {i: tmp_path / f"out{encoded}" / n for i, n in enumerate(archive.names) if n.endswith(("1.bin", "7.bin"))}
        archive.extract(wanted)
        assert {p.relative_to(tmp_path / f"out{encoded}").as_posix(): p.read_bytes() for p in wanted.values()} == {
            n: entries[n] for n in entries if n.endswith(("1.bin", "7.bin"))}


def test_speech_damaged_archive_is_a_raw_error(tmp_path):
    from mle_datasets.preparers._sevenzip import pack_7z

    raw = make_raw_fixture(SPEECH, tmp_path / "raw")
    data = bytearray((raw / "train.7z").read_bytes())
    (raw / "train.7z").write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(RawDataError, match="train.7z is truncated or damaged"):
        check_raw(SPEECH, raw)
    data[40] ^= 0xFF  # inside the packed clips: the LZMA stream or a clip's CRC breaks
    (raw / "train.7z").write_bytes(bytes(data))
    with pytest.raises(RawDataError, match="train.7z: (corrupt compressed data|.* fails its CRC check)"):
        run(SPEECH, raw, tmp_path / "a")
    (raw / "train.7z").write_bytes(pack_7z({"audio/yes/a_nohash_0.wav": b"RIFF"}, preset=1, encode_header=True))
    with pytest.raises(RawDataError, match=r"holds no train/audio/<label>/<clip>\.wav"):
        check_raw(SPEECH, raw)
    (raw / "train.7z").unlink()
    with pytest.raises(RawDataError, match="missing train.7z"):
        check_raw(SPEECH, raw)
