"""Image lite preparers: split positions, renaming, copied media, answers, raw-contract failures."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from mle_datasets.errors import RawDataError
from mle_datasets.fixtures import make_raw_fixture
from mle_datasets.fixtures.media import png_bytes
from mle_datasets.preparers import get_preparer
from mle_datasets.preparers._common import csv_bytes
from mle_datasets.preparers._media import read_png_gray
from mle_datasets.preparers.images import pixel_answers
from tests.data.test_preparers_common import prepared


def run(cid, raw, tmp_path):
    get_preparer(cid).run(raw, tmp_path / "pub", tmp_path / "priv")


# ------------------------------------------------------------------------ aerial
def test_aerial_split_and_flat_zips(tmp_path_factory):
    work = prepared("aerial-cactus-identification", tmp_path_factory)
    raw = pd.read_csv(work / "raw" / "train.csv")
    train, test = train_test_split(raw, test_size=0.19, random_state=0)
    pd.testing.assert_frame_equal(pd.read_csv(work / "private" / "test.csv"), test.reset_index(drop=True))
    sample = pd.read_csv(work / "public" / "sample_submission.csv")
    assert (sample["has_cactus"] == 0.5).all()
    with zipfile.ZipFile(work / "raw" / "train.zip") as src, zipfile.ZipFile(work / "public" / "test.zip") as dst:
        assert dst.namelist() == sorted(test["id"])  # flat: no folder in the public zips
        assert all(dst.read(i) == src.read(f"train/{i}") for i in test["id"])
    with zipfile.ZipFile(work / "public" / "train.zip") as dst:
        assert sorted(dst.namelist()) == sorted(train["id"])


def test_aerial_flat_raw_zip_is_a_raw_error(tmp_path):
    raw = make_raw_fixture("aerial-cactus-identification", tmp_path / "raw")
    with zipfile.ZipFile(raw / "train.zip") as zf:
        entries = {n.split("/")[-1]: zf.read(n) for n in zf.namelist() if not n.endswith("/")}
    with zipfile.ZipFile(raw / "train.zip", "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    with pytest.raises(RawDataError, match="train/<id>.jpg"):
        get_preparer("aerial-cactus-identification").check_raw(raw)


# ------------------------------------------------------------------------ aptos
def test_aptos_copies_images_by_split(tmp_path_factory):
    work = prepared("aptos2019-blindness-detection", tmp_path_factory)
    raw = pd.read_csv(work / "raw" / "train.csv")
    train, test = train_test_split(raw, test_size=0.1, random_state=0)
    assert sorted(p.stem for p in (work / "public" / "test_images").iterdir()) == sorted(test["id_code"])
    assert sorted(p.stem for p in (work / "public" / "train_images").iterdir()) == sorted(train["id_code"])
    first = test["id_code"].iloc[0]
    assert (work / "public" / "test_images" / f"{first}.png").read_bytes() == (
        work / "raw" / "train_images" / f"{first}.png").read_bytes()
    assert (pd.read_csv(work / "public" / "sample_submission.csv")["diagnosis"] == 0).all()


def test_aptos_missing_image_is_a_raw_error(tmp_path):
    raw = make_raw_fixture("aptos2019-blindness-detection", tmp_path / "raw")
    first = pd.read_csv(raw / "train.csv")["id_code"][0]
    (raw / "train_images" / f"{first}.png").unlink()
    with pytest.raises(RawDataError, match="1 train image file"):
        run("aptos2019-blindness-detection", raw, tmp_path)


# ------------------------------------------------------------------------ denoising
def test_denoising_answers_are_clean_pixels(tmp_path_factory):
    work = prepared("denoising-dirty-documents", tmp_path_factory)
    with zipfile.ZipFile(work / "raw" / "train.zip") as zf:
        names = sorted(n.split("/")[1] for n in zf.namelist() if n.endswith(".png"))
    _, test = train_test_split(names, test_size=0.2, random_state=0)
    assert sorted(p.name for p in (work / "public" / "test").iterdir()) == sorted(test)
    assert not set(test) & {p.name for p in (work / "public" / "train_cleaned").iterdir()}
    answers = pd.read_csv(work / "private" / "answers.csv")
    expected = []
    with zipfile.ZipFile(work / "raw" / "train_cleaned.zip") as zf:
        for name in sorted(test):
            gray = read_png_gray(zf.read(f"train_cleaned/{name}"))
            stem = name[:-4]
            for r in range(gray.shape[0]):  # brute-force reference of the id/value layout
                for c in range(gray.shape[1]):
                    expected.append((f"{stem}_{r + 1}_{c + 1}", gray[r, c] / 255.0))
    assert list(zip(answers["id"], answers["value"])) == expected
    assert (pd.read_csv(work / "public" / "sampleSubmission.csv")["value"] == 1).all()


def test_pixel_answers_layout():
    table = pixel_answers("12", np.array([[0, 51], [102, 255]], np.uint8))
    assert table["id"].tolist() == ["12_1_1", "12_1_2", "12_2_1", "12_2_2"]
    assert table["value"].tolist() == [0.0, 0.2, 0.4, 1.0]


def test_denoising_corrupt_png_is_a_raw_error(tmp_path):
    raw = make_raw_fixture("denoising-dirty-documents", tmp_path / "raw")
    with zipfile.ZipFile(raw / "train_cleaned.zip") as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    entries = {n: (d[:60] if n.endswith(".png") else d) for n, d in entries.items()}
    with zipfile.ZipFile(raw / "train_cleaned.zip", "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    with pytest.raises(RawDataError, match="PNG"):
        run("denoising-dirty-documents", raw, tmp_path)


# ------------------------------------------------------------------------ dog breeds
def test_dog_breed_one_hot_over_120(tmp_path_factory):
    work = prepared("dog-breed-identification", tmp_path_factory)
    raw = pd.read_csv(work / "raw" / "labels.csv")
    _, test = train_test_split(raw, test_size=0.1, random_state=0)
    answers = pd.read_csv(work / "private" / "test.csv")
    assert answers.shape == (len(test), 121)
    assert (answers.iloc[:, 1:].idxmax(axis=1).to_numpy() == test["breed"].to_numpy()).all()
    sample = pd.read_csv(work / "public" / "sample_submission.csv")
    assert sample.columns.tolist() == answers.columns.tolist() and np.allclose(sample.iloc[:, 1:], 1 / 120)
    assert sorted(p.stem for p in (work / "public" / "test").iterdir()) == sorted(test["id"])


def test_dog_breed_unknown_breed_is_a_raw_error(tmp_path):
    raw = make_raw_fixture("dog-breed-identification", tmp_path / "raw")
    table = pd.read_csv(raw / "labels.csv")
    (raw / "labels.csv").write_bytes(csv_bytes(table.assign(breed="wolf")))
    with pytest.raises(RawDataError, match="breed"):
        get_preparer("dog-breed-identification").check_raw(raw)


# ------------------------------------------------------------------------ dogs vs cats
def test_dogs_vs_cats_renames_and_labels(tmp_path_factory):
    work = prepared("dogs-vs-cats-redux-kernels-edition", tmp_path_factory)
    with zipfile.ZipFile(work / "raw" / "train.zip") as zf:
        names = sorted(n.split("/")[1] for n in zf.namelist() if n.endswith(".jpg"))
        train, test = train_test_split(names, test_size=0.1, random_state=0)
        answers = pd.read_csv(work / "private" / "answers.csv")
        assert answers["id"].tolist() == list(range(1, len(test) + 1))
        assert answers["label"].tolist() == [int("dog" in n) for n in test]
        for i, name in enumerate(test, start=1):
            assert (work / "public" / "test" / f"{i}.jpg").read_bytes() == zf.read(f"train/{name}")
        cats = [n for n in train if "cat" in n]
        assert (work / "public" / "train" / "cat.0.jpg").read_bytes() == zf.read(f"train/{cats[0]}")
    with zipfile.ZipFile(work / "public" / "train.zip") as zf:
        assert sorted(zf.namelist()) == sorted(p.name for p in (work / "public" / "train").iterdir())


# ------------------------------------------------------------------------ histopathology
def test_histo_test_share_and_original_row_order(tmp_path_factory):
    work = prepared("histopathologic-cancer-detection", tmp_path_factory)
    raw = pd.read_csv(work / "raw" / "train_labels.csv")
    n_test = len(list((work / "raw" / "test").glob("*.tif")))
    _, test_ids = train_test_split(raw["id"], test_size=n_test / (len(raw) + n_test), random_state=0)
    answers = pd.read_csv(work / "private" / "answers.csv")
    pd.testing.assert_frame_equal(answers, raw[raw["id"].isin(test_ids)].reset_index(drop=True))  # raw order kept
    assert sorted(p.stem for p in (work / "public" / "test").iterdir()) == sorted(test_ids)


def test_histo_without_test_tifs_is_a_raw_error(tmp_path):
    raw = make_raw_fixture("histopathologic-cancer-detection", tmp_path / "raw")
    for path in (raw / "test").iterdir():
        path.unlink()
    with pytest.raises(RawDataError, match="test/\\*.tif"):
        get_preparer("histopathologic-cancer-detection").check_raw(raw)


# ------------------------------------------------------------------------ leaf
def test_leaf_images_and_one_hot(tmp_path_factory):
    work = prepared("leaf-classification", tmp_path_factory)
    with zipfile.ZipFile(work / "raw" / "train.csv.zip") as zf:
        raw = pd.read_csv(io.BytesIO(zf.read("train.csv")))
    train, test = train_test_split(raw, test_size=0.1, random_state=0)
    answers = pd.read_csv(work / "private" / "test.csv")
    assert answers.shape == (len(test), 100)
    assert (answers.iloc[:, 1:].idxmax(axis=1).to_numpy() == test["species"].to_numpy()).all()
    images = sorted(int(p.stem) for p in (work / "public" / "images").iterdir())
    assert images == sorted(raw["id"])  # train AND test images
    assert list((work / "private" / "images").iterdir()) == []
    public_test = pd.read_csv(work / "public" / "test.csv")
    pd.testing.assert_frame_equal(public_test, test.drop(columns="species").reset_index(drop=True))


# ------------------------------------------------------------------------ plant pathology
def test_plant_renames_images_in_split_order(tmp_path_factory):
    work = prepared("plant-pathology-2020-fgvc7", tmp_path_factory)
    raw = pd.read_csv(work / "raw" / "train.csv")
    train, test = train_test_split(raw, test_size=0.1, random_state=0)
    answers = pd.read_csv(work / "private" / "test.csv")
    assert answers["image_id"].tolist() == [f"Test_{i}" for i in range(len(test))]
    pd.testing.assert_frame_equal(answers.drop(columns="image_id"), test.drop(columns="image_id").reset_index(drop=True))
    for i, old in enumerate(test["image_id"]):
        assert (work / "public" / "images" / f"Test_{i}.jpg").read_bytes() == (work / "raw" / "images" / f"{old}.jpg").read_bytes()
    for i, old in enumerate(train["image_id"][:3]):
        assert (work / "public" / "images" / f"Train_{i}.jpg").read_bytes() == (work / "raw" / "images" / f"{old}.jpg").read_bytes()
    assert len(list((work / "public" / "images").iterdir())) == len(raw)


def test_plant_bad_image_id_is_a_raw_error(tmp_path):
    raw = make_raw_fixture("plant-pathology-2020-fgvc7", tmp_path / "raw")
    table = pd.read_csv(raw / "train.csv")
    table.loc[0, "image_id"] = "Test_0"
    (raw / "train.csv").write_bytes(csv_bytes(table))
    with pytest.raises(RawDataError, match="image_id"):
        get_preparer("plant-pathology-2020-fgvc7").check_raw(raw)


# ------------------------------------------------------------------------ ranzcr
def test_ranzcr_annotations_and_nine_sample_columns(tmp_path_factory):
    work = prepared("ranzcr-clip-catheter-line-classification", tmp_path_factory)
    raw = pd.read_csv(work / "raw" / "train.csv")
    train, test = train_test_split(raw, test_size=0.1, random_state=0)
    pd.testing.assert_frame_equal(pd.read_csv(work / "private" / "test.csv"), test.reset_index(drop=True))
    annotations = pd.read_csv(work / "raw" / "train_annotations.csv")
    public_annotations = pd.read_csv(work / "public" / "train_annotations.csv")
    expected = annotations[annotations["StudyInstanceUID"].isin(train["StudyInstanceUID"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(public_annotations, expected)
    sample = pd.read_csv(work / "public" / "sample_submission.csv")
    assert sample.shape == (len(test), 10) and "CVC - Normal" not in sample


def test_ranzcr_renamed_column_is_a_raw_error(tmp_path):
    raw = make_raw_fixture("ranzcr-clip-catheter-line-classification", tmp_path / "raw")
    table = pd.read_csv(raw / "train.csv")
    (raw / "train.csv").write_bytes(csv_bytes(table.rename(columns={"ETT - Normal": "ETT-Normal"})))
    with pytest.raises(RawDataError, match="ETT - Normal"):
        get_preparer("ranzcr-clip-catheter-line-classification").check_raw(raw)


# ------------------------------------------------------------------------ siim-isic
def test_siim_test_ids_come_from_two_tfrecords(tmp_path_factory):
    work = prepared("siim-isic-melanoma-classification", tmp_path_factory)
    raw = pd.read_csv(work / "raw" / "train.csv")
    test_names = raw["image_name"][:60]  # the fixture writes rows 0-59 into train00-2071 and train06-2071
    answers = pd.read_csv(work / "private" / "test.csv")
    assert answers["image_name"].tolist() == test_names.tolist()
    assert answers.columns.tolist() == ["image_name", "target"]
    public_test = pd.read_csv(work / "public" / "test.csv")
    assert public_test.columns.tolist() == ["image_name", "patient_id", "sex", "age_approx", "anatom_site_general_challenge"]
    records = sorted(p.name for p in (work / "public" / "tfrecords").iterdir())
    assert records == ["test00-2071.tfrec", "test01-2071.tfrec", "train00-2071.tfrec", "train01-2071.tfrec",
                       "train02-2061.tfrec"]
    raw_records = work / "raw" / "tfrecords"
    assert (work / "public" / "tfrecords" / "test01-2071.tfrec").read_bytes() == (raw_records / "train06-2071.tfrec").read_bytes()
    assert (work / "public" / "tfrecords" / "train02-2061.tfrec").read_bytes() == (raw_records / "train15-2061.tfrec").read_bytes()
    assert sorted(p.stem for p in (work / "public" / "test").iterdir()) == sorted(test_names)
    assert sorted(p.stem for p in (work / "public" / "jpeg" / "test").iterdir()) == sorted(test_names)


def test_siim_damaged_tfrecord_is_a_raw_error(tmp_path):
    raw = make_raw_fixture("siim-isic-melanoma-classification", tmp_path / "raw")
    record = raw / "tfrecords" / "train06-2071.tfrec"
    data = bytearray(record.read_bytes())
    data[3] ^= 0xFF  # corrupt the first length field: its checksum no longer matches
    record.write_bytes(bytes(data))
    with pytest.raises(RawDataError, match="checksum"):
        run("siim-isic-melanoma-classification", raw, tmp_path)


def test_png_decoder_rejects_unsupported_layouts():
    data = bytearray(png_bytes(np.zeros((2, 2), np.uint8)))
    data[24] = 16  # bit depth in IHDR, with the chunk's checksum fixed up
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF)
    with pytest.raises(RawDataError, match="bit depth 16"):
        read_png_gray(bytes(data))
    data[40] ^= 0xFF  # a damaged IDAT chunk
    with pytest.raises(RawDataError, match="checksum"):
        read_png_gray(bytes(data))
