"""Seven high and dev competitions with media-heavy downloads: BMS, Lyft 3-D, contrails, iWildCam, NFL contacts,
smartphone GNSS, Vesuvius (end to end, MLE-bench v1's split, learnable fixtures, bad raw data)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from mle_datasets.errors import RawDataError
from mle_datasets.fixtures import make_raw_fixture
from mle_datasets.preparers import get_preparer
from mle_datasets.preparers._common import csv_bytes
from tests.data.endtoend import check_end_to_end, prepared, read, files, grade


def fails(cid: str, raw: Path, tmp_path: Path, match: str, contract: bool = True) -> None:
    """The raw contract (or, with ``contract=False``, the preparer) raises a RawDataError matching ``match``."""
    preparer = get_preparer(cid)
    with pytest.raises(RawDataError, match=match):
        preparer.check_raw(raw)
        if not contract:
            preparer.run(raw, tmp_path / "pub", tmp_path / "priv")


# ------------------------------------------------------------------------ bms-molecular-translation
BMS = "bms-molecular-translation"


def test_bms_end_to_end(tmp_path, store):
    check_end_to_end(BMS, tmp_path, store, lambda answers, sample: read(answers, dtype=str))


def test_bms_split_is_v1s_row_split(tmp_path_factory):
    work = prepared(BMS, tmp_path_factory)
    raw = pd.read_csv(work / "raw" / "train_labels.csv", dtype=str)
    train, test = train_test_split(raw, test_size=0.2, random_state=0)
    pd.testing.assert_frame_equal(read(work / "public" / "train_labels.csv", dtype=str), train.reset_index(drop=True))
    pd.testing.assert_frame_equal(read(work / "private" / "test.csv", dtype=str), test.reset_index(drop=True))
    sample = read(work / "public" / "sample_submission.csv", dtype=str)
    assert sample["image_id"].tolist() == test["image_id"].tolist()
    assert (sample["InChI"] == "InChI=1S/H2O/h1H2").all()
    nested = lambda i: f"{i[0]}/{i[1]}/{i[2]}/{i}.png"  # noqa: E731
    assert files(work / "public" / "train") == {nested(i) for i in train["image_id"]}
    assert files(work / "public" / "test") == {nested(i) for i in test["image_id"]}
    for i in test["image_id"]:
        assert (work / "public" / "test" / nested(i)).read_bytes() == (work / "raw" / "train" / nested(i)).read_bytes()
    assert (work / "public" / "extra_approved_InChIs.csv").read_bytes() == (
        work / "raw" / "extra_approved_InChIs.csv").read_bytes()


def test_bms_stroke_count_beats_the_sample(tmp_path_factory):
    from mle_datasets.preparers._media import read_png_gray

    work = prepared(BMS, tmp_path_factory)
    public = work / "public"

    def strokes(folder: str, image_id: str) -> int:
        path = public / folder / image_id[0] / image_id[1] / image_id[2] / f"{image_id}.png"
        page = read_png_gray(path.read_bytes())
        return int(round((page[:, :60] < 128).sum() / 42))

    train = read(public / "train_labels.csv", dtype=str)
    by_strokes = dict(zip([strokes("train", i) for i in train["image_id"]], train["InChI"]))
    sample = read(public / "sample_submission.csv", dtype=str)
    fallback = train["InChI"].iloc[0]
    guess = sample.assign(InChI=[by_strokes.get(strokes("test", i), fallback) for i in sample["image_id"]])
    args = ("private/test.csv", "public/sample_submission.csv")
    assert grade(BMS, work, guess, *args) < grade(BMS, work, sample, *args)


def test_bms_bad_raw(tmp_path):
    raw = make_raw_fixture(BMS, tmp_path / "raw")
    (raw / "extra_approved_InChIs.csv").rename(tmp_path / "extra.csv")
    fails(BMS, raw, tmp_path, "missing extra_approved_InChIs.csv")
    (tmp_path / "extra.csv").rename(raw / "extra_approved_InChIs.csv")

    labels = pd.read_csv(raw / "train_labels.csv", dtype=str)
    (raw / "train_labels.csv").write_bytes(csv_bytes(labels.rename(columns={"InChI": "inchi"})))
    fails(BMS, raw, tmp_path, r"train_labels.csv does not match .*missing column\(s\) 'InChI'")
    (raw / "train_labels.csv").write_bytes(csv_bytes(labels))

    # the images flat in train/ instead of train/a/b/c/
    first = labels["image_id"].iloc[0]
    nested = raw / "train" / first[0] / first[1] / first[2] / f"{first}.png"
    nested.rename(tmp_path / "first.png")
    fails(BMS, raw, tmp_path, rf"train/{first[0]}/{first[1]}/{first[2]}/{first}.png is missing")
    (tmp_path / "first.png").rename(nested)

    last = labels["image_id"].iloc[-1]
    (raw / "train" / last[0] / last[1] / last[2] / f"{last}.png").unlink()
    fails(BMS, raw, tmp_path / "b", rf"train image file .*{last}.png is missing", contract=False)


# ------------------------------------------------------------------------ iwildcam-2019-fgvc6
WILD = "iwildcam-2019-fgvc6"


def test_iwildcam_end_to_end(tmp_path, store):
    check_end_to_end(WILD, tmp_path, store, lambda answers, sample: read(answers, dtype={"Id": str}))


def test_iwildcam_split_is_v1s_location_split(tmp_path_factory):
    import zipfile

    work = prepared(WILD, tmp_path_factory)
    raw = pd.read_csv(work / "raw" / "train.csv")
    locations = raw["location"].unique()
    _, test_locations = train_test_split(locations, test_size=0.1, random_state=8)
    is_test = raw["location"].isin(test_locations)
    assert 0 < is_test.sum() < len(raw)
    answers, train = raw[is_test].reset_index(drop=True), raw[~is_test].reset_index(drop=True)
    pd.testing.assert_frame_equal(pd.read_csv(work / "public" / "train.csv"), train)
    pd.testing.assert_frame_equal(pd.read_csv(work / "private" / "test.csv"), answers)
    pd.testing.assert_frame_equal(pd.read_csv(work / "public" / "test.csv"), answers.drop(columns=["category_id"]))
    gold = pd.read_csv(work / "private" / "answers.csv")
    assert gold.columns.tolist() == ["Id", "Category"] and gold["Category"].tolist() == answers["category_id"].tolist()
    sample_text = (work / "public" / "sample_submission.csv").read_text().splitlines()
    assert sample_text[0] == ",Id,Category"  # v1 writes the sample with its index: the raw row numbers
    expected = [f"{i},{uid},0" for i, uid in zip(np.flatnonzero(is_test), raw.loc[is_test, "id"])]
    assert sample_text[1:] == expected
    with zipfile.ZipFile(work / "raw" / "train_images.zip") as src:
        for name, part in (("train_images.zip", train), ("test_images.zip", answers)):
            with zipfile.ZipFile(work / "public" / name) as zf:
                assert sorted(zf.namelist()) == sorted(part["id"] + ".jpg")
                assert all(zf.read(n) == src.read(n) for n in zf.namelist())
    assert not (work / "raw" / "train_images").exists()  # the raw zip is read in place, never unpacked


def test_iwildcam_colour_beats_the_sample(tmp_path_factory):
    import zipfile

    from tests.data.test_fixtures import _decode_dc_jpeg

    work = prepared(WILD, tmp_path_factory)

    def colours(zip_name: str, ids) -> np.ndarray:  # mean Y, Cb, Cr of each frame
        with zipfile.ZipFile(work / "public" / zip_name) as zf:
            return np.array([_decode_dc_jpeg(zf.read(f"{i}.jpg")).reshape(3, -1).mean(axis=1) for i in ids])

    train = pd.read_csv(work / "public" / "train.csv")
    sample = read(work / "public" / "sample_submission.csv", dtype={"Id": str})
    x_train, x_test = colours("train_images.zip", train["id"]), colours("test_images.zip", sample["Id"])
    nearest = np.abs(x_test[:, None, :] - x_train[None, :, :]).sum(axis=2).argmin(axis=1)
    guess = sample[["Id"]].assign(Category=train["category_id"].to_numpy()[nearest])
    args = ("private/answers.csv", "public/sample_submission.csv")
    assert grade(WILD, work, guess, *args) > grade(WILD, work, sample[["Id", "Category"]], *args)


def test_iwildcam_bad_raw(tmp_path):
    import zipfile

    raw = make_raw_fixture(WILD, tmp_path / "raw")
    (raw / "train_images.zip").rename(tmp_path / "images.zip")
    fails(WILD, raw, tmp_path, "missing train_images.zip")
    (tmp_path / "images.zip").rename(raw / "train_images.zip")

    train = pd.read_csv(raw / "train.csv", dtype=str)
    (raw / "train.csv").write_bytes(csv_bytes(train.drop(columns=["location"])))
    fails(WILD, raw, tmp_path, r"train.csv does not match .*missing column\(s\) 'location'")
    (raw / "train.csv").write_bytes(csv_bytes(train))

    with zipfile.ZipFile(raw / "train_images.zip") as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    with zipfile.ZipFile(raw / "train_images.zip", "w") as zf:  # the images under a folder: MLE-bench finds none
        for name, data in members.items():
            zf.writestr(f"train_images/{name}", data)
    fails(WILD, raw, tmp_path, r"train_images.zip holds no <id>.jpg at its root")

    with zipfile.ZipFile(raw / "train_images.zip", "w") as zf:  # one image short of the ids
        for name, data in list(members.items())[1:]:
            zf.writestr(name, data)
    fails(WILD, raw, tmp_path / "b", r"holds 39 <id>.jpg image\(s\) at its root but train.csv has 40 distinct ids",
          contract=False)


# ------------------------------------------------------------------------ vesuvius-challenge-ink-detection
INK = "vesuvius-challenge-ink-detection"


def read_tiff16(path: Path) -> np.ndarray:
    """Pixels of the fixture's uncompressed 16-bit TIFF slices (the strip follows the header)."""
    import struct

    data = path.read_bytes()
    tags = {}
    (count,) = struct.unpack("<H", data[8:10])
    for i in range(count):
        tag, kind, _, value = struct.unpack("<HHII", data[10 + 12 * i:22 + 12 * i])
        tags[tag] = value & 0xFFFF if kind == 3 else value
    width, height, offset = tags[256], tags[257], tags[273]
    return np.frombuffer(data, "<u2", width * height, offset).reshape(height, width)


def test_vesuvius_end_to_end(tmp_path, store):
    check_end_to_end(INK, tmp_path, store, lambda answers, sample: read(answers, dtype=str)[["Id", "Predicted"]])


def test_vesuvius_fragment_3_is_the_test(tmp_path_factory):
    work = prepared(INK, tmp_path_factory)
    raw, public, private = work / "raw", work / "public", work / "private"
    for name in ("1", "2"):
        assert files(public / "train" / name) == files(raw / "train" / name)
    assert files(public / "test" / "a") == files(raw / "train" / "3") - {"inklabels.png", "inklabels_rle.csv", "ir.png"}
    assert files(public / "test" / "a") == {"mask.png"} | {f"surface_volume/{k:02d}.tif" for k in range(6)}
    assert not (public / "train" / "3").exists()
    truth = read(raw / "train" / "3" / "inklabels_rle.csv", dtype=str)
    answers = read(private / "inklabels_rle.csv", dtype=str)
    assert answers.columns.tolist() == ["Id", "Predicted", "width", "height"]
    assert answers.values.tolist() == [["a", truth["Predicted"].iloc[0], "20", "24"]]  # ir.png is 20 wide, 24 high
    assert (private / "gold_submission.csv").read_text() == f"Id,Predicted\na,{truth['Predicted'].iloc[0]}\n"
    assert (public / "sample_submission.csv").read_text() == "Id,Predicted\na,1 1 5 1\n"


def test_vesuvius_bright_ink_beats_the_sample(tmp_path_factory):
    from mle_datasets.fixtures.high_misc import rle_row_major

    work = prepared(INK, tmp_path_factory)
    slices = sorted((work / "public" / "test" / "a" / "surface_volume").glob("*.tif"))
    volume = np.stack([read_tiff16(p) for p in slices])
    ink = volume.mean(axis=0) > 21000
    guess = pd.DataFrame({"Id": ["a"], "Predicted": [rle_row_major(ink)]})
    sample = read(work / "public" / "sample_submission.csv")
    args = ("private/inklabels_rle.csv", "public/sample_submission.csv")
    assert grade(INK, work, guess, *args) > max(0.5, grade(INK, work, sample, *args))


def test_vesuvius_bad_raw(tmp_path):
    raw = make_raw_fixture(INK, tmp_path / "raw")
    shutil.move(raw / "train" / "2", tmp_path / "fragment2")
    fails(INK, raw, tmp_path, "missing train/2")
    shutil.move(tmp_path / "fragment2", raw / "train" / "2")

    rle = raw / "train" / "3" / "inklabels_rle.csv"
    text = rle.read_text()
    rle.write_text(text.replace("Predicted", "Expected"))
    fails(INK, raw, tmp_path, r"inklabels_rle.csv does not match .*missing column\(s\) 'Predicted'")
    lines = text.splitlines()
    rle.write_text("\n".join([lines[0], lines[1], lines[1]]) + "\n")
    fails(INK, raw, tmp_path, r"inklabels_rle.csv has 2 rows; MLE-bench expects exactly one")
    rle.write_text(text)

    (raw / "train" / "3" / "surface_volume" / ".DS_Store").write_bytes(b"\0")
    fails(INK, raw, tmp_path,
          r"train/3 holds 1 file\(s\) that are not .png, .csv or .tif \(e.g. surface_volume/.DS_Store\)")
    (raw / "train" / "3" / "surface_volume" / ".DS_Store").unlink()

    (raw / "train" / "3" / "ir.png").write_bytes(b"GIF89a" + b"\0" * 30)
    fails(INK, raw, tmp_path, r"ir.png in .* is not a PNG image")


# ------------------------------------------------------------------------ smartphone-decimeter-2022
GNSS = "smartphone-decimeter-2022"


def test_gnss_end_to_end(tmp_path, store):
    check_end_to_end(GNSS, tmp_path, store, lambda answers, sample: pd.read_csv(answers, dtype={"UnixTimeMillis": str}))


def test_gnss_split_is_v1s_date_split(tmp_path_factory):
    work = prepared(GNSS, tmp_path_factory)
    raw, public = work / "raw", work / "public"
    drives = sorted(p.name for p in (raw / "train").iterdir() if p.is_dir())
    dates = sorted({d[:10] for d in drives})
    train_dates, test_dates = train_test_split(dates, test_size=0.1, random_state=0)
    test_drives = [d for d in drives if d[:10] in test_dates]
    assert test_drives == ["2021-04-28-US-SJC-1", "2021-04-28-US-SJC-2"]  # both drives of the test date
    assert sorted(p.name for p in (public / "train").iterdir()) == [d for d in drives if d[:10] in train_dates]
    assert sorted(p.name for p in (public / "test").iterdir()) == test_drives
    for drive in drives:
        part = "test" if drive in test_drives else "train"
        expected = files(raw / "train" / drive)
        if part == "test":
            expected = {f for f in expected if not f.endswith("ground_truth.csv")}
        assert files(public / part / drive) == expected
    assert files(public / "metadata") == files(raw / "metadata")
    truths = []
    for drive in test_drives:
        for phone in sorted(p.name for p in (raw / "train" / drive).iterdir()):
            gt = pd.read_csv(raw / "train" / drive / phone / "ground_truth.csv")
            gt["tripId"] = f"{drive}-{phone}"
            truths.append(gt[["tripId", "UnixTimeMillis", "LatitudeDegrees", "LongitudeDegrees"]])
    expected = pd.concat(truths, ignore_index=True)
    pd.testing.assert_frame_equal(pd.read_csv(work / "private" / "test.csv"), expected)
    sample = pd.read_csv(public / "sample_submission.csv")
    pd.testing.assert_frame_equal(sample[["tripId", "UnixTimeMillis"]], expected[["tripId", "UnixTimeMillis"]])
    assert (sample["LatitudeDegrees"] == 37.904611315634504).all()
    assert (sample["LongitudeDegrees"] == -86.48107806249548).all()
    # MLE-bench issue #93, reproduced: the public test folders keep span_log.nmea, the reference receiver's log
    assert (public / "test" / test_drives[0] / "GooglePixel4" / "supplemental" / "span_log.nmea").is_file()


def _geodetic(xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, e2 = 6378137.0, 6.69437999014e-3
    x, y, z = xyz.T
    p = np.hypot(x, y)
    phi = np.arctan2(z, p * (1 - e2))
    for _ in range(5):
        n = a / np.sqrt(1 - e2 * np.sin(phi) ** 2)
        h = p / np.cos(phi) - n
        phi = np.arctan2(z, p * (1 - e2 * n / (n + h)))
    return np.degrees(phi), np.degrees(np.arctan2(y, x))


def test_gnss_wls_positions_beat_the_sample(tmp_path_factory):
    work = prepared(GNSS, tmp_path_factory)
    sample = pd.read_csv(work / "public" / "sample_submission.csv", dtype={"UnixTimeMillis": str})
    guesses = []
    for trip, rows in sample.groupby("tripId", sort=False):
        drive, phone = trip.rsplit("-", 1)
        gnss = pd.read_csv(work / "public" / "test" / drive / phone / "device_gnss.csv")
        epochs = gnss.groupby("utcTimeMillis")[["WlsPositionXEcefMeters", "WlsPositionYEcefMeters",
                                                "WlsPositionZEcefMeters"]].mean()
        lat, lon = _geodetic(epochs.to_numpy())
        fixes = pd.DataFrame({"UnixTimeMillis": epochs.index.astype(str), "LatitudeDegrees": lat,
                              "LongitudeDegrees": lon})
        guesses.append(rows[["tripId", "UnixTimeMillis"]].merge(fixes, on="UnixTimeMillis", how="left"))
    guess = pd.concat(guesses, ignore_index=True)
    args = ("private/test.csv", "public/sample_submission.csv")
    assert grade(GNSS, work, guess, *args) < 20 < grade(GNSS, work, sample, *args)


def test_gnss_bad_raw(tmp_path):
    raw = make_raw_fixture(GNSS, tmp_path / "raw")
    shutil.move(raw / "metadata", tmp_path / "metadata")
    fails(GNSS, raw, tmp_path, "missing metadata")
    shutil.move(tmp_path / "metadata", raw / "metadata")

    (raw / "train" / "README").mkdir()  # a folder that is not a drive: MLE-bench's date parser refuses it
    fails(GNSS, raw, tmp_path, r"train/ holds 1 folder\(s\) not named like a drive .*README")
    (raw / "train" / "README").rmdir()

    first = raw / "train" / "2020-05-15-US-MTV-1" / "GooglePixel4" / "ground_truth.csv"
    truth = pd.read_csv(first)
    first.write_bytes(csv_bytes(truth.drop(columns=["LatitudeDegrees"])))
    fails(GNSS, raw, tmp_path, r"ground_truth.csv does not match .*missing column\(s\) 'LatitudeDegrees'")
    first.write_bytes(csv_bytes(truth))

    (raw / "train" / "2020-05-15-US-MTV-1" / "Google-Pixel4").mkdir()
    fails(GNSS, raw, tmp_path, r"phone folder\(s\) with '-' in the name \(Google-Pixel4\)")
    (raw / "train" / "2020-05-15-US-MTV-1" / "Google-Pixel4").rmdir()

    # a test drive's ground truth one level too deep: MLE-bench takes the drive from the grandparent folder
    phone = raw / "train" / "2021-04-28-US-SJC-2" / "XiaomiMi8"
    shutil.copy(phone / "ground_truth.csv", phone / "supplemental" / "ground_truth.csv")
    fails(GNSS, raw, tmp_path / "b", r"XiaomiMi8/supplemental/ground_truth.csv is not at train/<drive>/<phone>/",
          contract=False)
    (phone / "supplemental" / "ground_truth.csv").unlink()
    (phone / "ground_truth.csv").unlink()
    fails(GNSS, raw, tmp_path, r"train/2021-04-28-US-SJC-2 has no <phone>/ground_truth.csv")


# ------------------------------------------------------------------------ google-research-identify-contrails-...
CONTRAILS = "google-research-identify-contrails-reduce-global-warming"


def test_contrails_end_to_end(tmp_path, store):
    check_end_to_end(CONTRAILS, tmp_path, store, lambda answers, sample: read(answers, dtype=str))


def test_contrails_split_is_v1s_record_split(tmp_path_factory):
    import json
    import random

    work = prepared(CONTRAILS, tmp_path_factory)
    raw, public = work / "raw", work / "public"
    meta = json.loads((raw / "train_metadata.json").read_text())
    validation = json.loads((raw / "validation_metadata.json").read_text())
    train, test = train_test_split(meta, test_size=len(validation), random_state=0)
    assert (public / "train_metadata.json").read_text() == json.dumps(train)
    bands = {f"band_{b:02d}.npy" for b in range(8, 17)}
    assert files(public / "train") == {f"{r['record_id']}/{f}" for r in train
                                       for f in bands | {"human_pixel_masks.npy", "human_individual_masks.npy"}}
    assert files(public / "test") == {f"{r['record_id']}/{f}" for r in test for f in bands}
    assert files(public / "validation") == files(raw / "validation")
    answers = read(work / "private" / "answers.csv", dtype=str)
    assert answers["record_id"].tolist() == [r["record_id"] for r in test]
    for row in answers.itertuples():
        mask = np.load(raw / "train" / row.record_id / "human_pixel_masks.npy")
        dots = np.where(mask.T.flatten() == 1)[0]  # MLE-bench's rle_encode, run by run
        runs, prev = [], -2
        for b in dots:
            if b > prev + 1:
                runs.extend((b + 1, 0))
            runs[-1] += 1
            prev = b
        assert row.encoded_pixels == (" ".join(map(str, runs)) if runs else "-")
        assert (row.height, row.width) == ("16", "16")
    random.seed(0)
    sample = read(public / "sample_submission.csv", dtype=str)
    assert sample["encoded_pixels"].tolist() == [random.choice(["1 3 10 5", "-"]) for _ in range(len(answers))]
    assert sample[["record_id", "height", "width"]].equals(answers[["record_id", "height", "width"]])


def test_contrails_split_window_beats_the_sample(tmp_path_factory):
    from mle_datasets.preparers.high_misc import rle_column_major

    work = prepared(CONTRAILS, tmp_path_factory)
    sample = read(work / "public" / "sample_submission.csv", dtype=str)
    guesses = []
    for record in sample["record_id"]:
        folder = work / "public" / "test" / record
        diff = (np.load(folder / "band_15.npy") - np.load(folder / "band_14.npy"))[..., 4]
        guesses.append(rle_column_major(diff < np.median(diff) - 1.5))
    guess = sample.assign(encoded_pixels=guesses)
    args = ("private/answers.csv", "public/sample_submission.csv")
    assert grade(CONTRAILS, work, guess, *args) > max(0.5, grade(CONTRAILS, work, sample, *args))


def test_contrails_bad_raw(tmp_path):
    import json

    raw = make_raw_fixture(CONTRAILS, tmp_path / "raw")
    (raw / "validation_metadata.json").rename(tmp_path / "validation.json")
    fails(CONTRAILS, raw, tmp_path, "missing validation_metadata.json")
    (tmp_path / "validation.json").rename(raw / "validation_metadata.json")

    text = (raw / "train_metadata.json").read_text()
    meta = json.loads(text)
    (raw / "train_metadata.json").write_text(json.dumps([{**m, "record_id": int(m["record_id"])} for m in meta]))
    fails(CONTRAILS, raw, tmp_path, r"train_metadata.json: 10 record\(s\) whose record_id is not a JSON string")
    (raw / "train_metadata.json").write_text(text[:-40])
    fails(CONTRAILS, raw, tmp_path, r"train_metadata.json is not valid JSON")
    (raw / "train_metadata.json").write_text(text)

    first = raw / "train" / meta[0]["record_id"]
    (first / "band_11.npy").rename(tmp_path / "band_11.npy")
    fails(CONTRAILS, raw, tmp_path, rf"train/{meta[0]['record_id']}/ lacks band_11.npy")
    (tmp_path / "band_11.npy").rename(first / "band_11.npy")

    _, test = train_test_split(meta, test_size=2, random_state=0)
    (raw / "train" / test[0]["record_id"] / "human_pixel_masks.npy").unlink()
    fails(CONTRAILS, raw, tmp_path / "b", rf"train/{test[0]['record_id']}/human_pixel_masks.npy is missing",
          contract=False)


# ------------------------------------------------------------------------ nfl-player-contact-detection
NFL = "nfl-player-contact-detection"


def test_nfl_end_to_end(tmp_path, store):
    check_end_to_end(NFL, tmp_path, store, lambda answers, sample: read(answers, dtype=str)[["contact_id", "contact"]])


def test_nfl_split_is_v1s_game_play_split(tmp_path_factory):
    work = prepared(NFL, tmp_path_factory)
    raw, public = work / "raw", work / "public"
    labels = pd.read_csv(raw / "train_labels.csv")
    train_plays, test_plays = train_test_split(np.asarray(labels["game_play"].unique(), dtype=object), test_size=0.1,
                                               random_state=0)
    assert len(test_plays) == 1
    for path, chosen in ((public / "train_labels.csv", train_plays), (work / "private" / "test.csv", test_plays)):
        expected = labels[labels["game_play"].isin(chosen)].reset_index(drop=True)
        pd.testing.assert_frame_equal(pd.read_csv(path), expected)
    for table in ("baseline_helmets", "player_tracking", "video_metadata"):
        full = pd.read_csv(raw / f"train_{table}.csv")
        for part, chosen in (("train", train_plays), ("test", test_plays)):
            kept = full[full["game_play"].isin(chosen)].reset_index(drop=True)
            pd.testing.assert_frame_equal(pd.read_csv(public / f"{part}_{table}.csv"), kept)
            assert (public / f"{part}_{table}.csv").read_bytes() == csv_bytes(kept)
    sample = pd.read_csv(public / "sample_submission.csv")
    assert sample["contact_id"].tolist() == labels.loc[labels["game_play"].isin(test_plays), "contact_id"].tolist()
    assert (sample["contact"] == 0).all()
    for part, chosen in (("train", train_plays), ("test", test_plays)):
        assert files(public / part) == {f"{gp}_{v}.mp4" for gp in chosen for v in ("All29", "Endzone", "Sideline")}


def test_nfl_tracking_distance_beats_the_sample(tmp_path_factory):
    work = prepared(NFL, tmp_path_factory)
    public = work / "public"
    track = pd.read_csv(public / "test_player_tracking.csv")
    sample = pd.read_csv(public / "sample_submission.csv")
    parts = sample["contact_id"].str.split("_", expand=True)
    keys = pd.DataFrame({"game_play": parts[0] + "_" + parts[1], "step": parts[2].astype(int),
                         "p1": parts[3].astype(int), "p2": parts[4]})
    at = track.set_index(["game_play", "step", "nfl_player_id"])
    one = at.loc[list(zip(keys["game_play"], keys["step"], keys["p1"]))]
    ground = keys["p2"] == "G"
    two = at.reindex(list(zip(keys["game_play"], keys["step"], pd.to_numeric(keys["p2"], errors="coerce").fillna(-1))))
    distance = np.hypot(one["x_position"].to_numpy() - two["x_position"].to_numpy(),
                        one["y_position"].to_numpy() - two["y_position"].to_numpy())
    contact = np.where(ground.to_numpy(), one["speed"].to_numpy() < 0.5, distance < 1.0).astype(int)
    guess = sample.assign(contact=contact)
    args = ("private/test.csv", "public/sample_submission.csv")
    assert grade(NFL, work, guess, *args) > 0.5 > grade(NFL, work, sample, *args)


def test_nfl_bad_raw(tmp_path):
    raw = make_raw_fixture(NFL, tmp_path / "raw")
    (raw / "train_video_metadata.csv").rename(tmp_path / "video.csv")
    fails(NFL, raw, tmp_path, "missing train_video_metadata.csv")
    (tmp_path / "video.csv").rename(raw / "train_video_metadata.csv")

    labels = pd.read_csv(raw / "train_labels.csv", dtype=str)
    (raw / "train_labels.csv").write_bytes(csv_bytes(labels.drop(columns=["contact_id"])))
    fails(NFL, raw, tmp_path, r"train_labels.csv does not match .*missing column\(s\) 'contact_id'")
    (raw / "train_labels.csv").write_bytes(csv_bytes(labels))

    tracking = pd.read_csv(raw / "train_player_tracking.csv", dtype=str)
    (raw / "train_player_tracking.csv").write_bytes(csv_bytes(tracking.assign(step="x")))
    fails(NFL, raw, tmp_path, r"train_player_tracking.csv does not match .*'step'")
    (raw / "train_player_tracking.csv").write_bytes(csv_bytes(tracking))

    gp = labels["game_play"].iloc[-1]
    (raw / "train" / f"{gp}_Sideline.mp4").unlink()
    fails(NFL, raw, tmp_path / "b", rf"1 train/<game_play>_<view>.mp4 video file\(s\) missing .*{gp}_Sideline.mp4",
          contract=False)


def test_nfl_integer_column_with_gaps_is_written_as_pandas_does(tmp_path):
    """An integer column with an empty cell is read by pandas as floats; the streamed copy writes what v1 writes."""
    raw = make_raw_fixture(NFL, tmp_path / "raw")
    helmets = pd.read_csv(raw / "train_baseline_helmets.csv")
    helmets["left"] = helmets["left"].astype(float)
    helmets.loc[0, "left"] = np.nan
    (raw / "train_baseline_helmets.csv").write_bytes(csv_bytes(helmets))
    preparer = get_preparer(NFL)
    preparer.check_raw(raw)
    preparer.run(raw, tmp_path / "public", tmp_path / "private")
    old = pd.read_csv(raw / "train_baseline_helmets.csv")
    plays = pd.read_csv(tmp_path / "private" / "test.csv")["game_play"].unique()
    for part, keep in (("train", ~old["game_play"].isin(plays)), ("test", old["game_play"].isin(plays))):
        assert (tmp_path / "public" / f"{part}_baseline_helmets.csv").read_bytes() == csv_bytes(old[keep])


# ------------------------------------------------------------------------ 3d-object-detection-for-autonomous-vehicles
LYFT = "3d-object-detection-for-autonomous-vehicles"


def _json(path: Path):
    import json

    return json.loads(path.read_text())


def test_lyft_end_to_end(tmp_path, store):
    check_end_to_end(LYFT, tmp_path, store, lambda answers, sample: read(answers, dtype=str))


def test_lyft_split_is_v1s_log_split(tmp_path_factory):
    work = prepared(LYFT, tmp_path_factory)
    raw, public = work / "raw" / "train_data", work / "public"
    logs = [r["token"] for r in _json(raw / "log.json")]
    train_logs, test_logs = train_test_split(logs, test_size=0.2, random_state=0)
    samples = _json(raw / "sample.json")
    test_samples = [s["token"] for s in samples if s["scene_token"] in test_logs]
    assert [r["token"] for r in _json(public / "test_data" / "log.json")] == [t for t in logs if t in test_logs]
    assert [s["token"] for s in _json(public / "test_data" / "sample.json")] == test_samples
    table = pd.read_csv(work / "raw" / "train.csv")
    expected_test = table[table["Id"].isin(test_samples)].reset_index(drop=True)
    expected_train = table[~table["Id"].isin(test_samples)].reset_index(drop=True)
    pd.testing.assert_frame_equal(read(public / "train.csv"), expected_train)
    answers = read(work / "private" / "test.csv")
    assert answers["Id"].tolist() == expected_test["Id"].tolist()
    for mine, boxes in zip(answers["PredictionString"], expected_test["PredictionString"]):
        tokens = boxes.split(" ")
        assert mine == " ".join(t for i in range(0, len(tokens), 8) for t in ["1.0", *tokens[i:i + 8]])
    sample = read(public / "sample_submission.csv")
    assert sample["Id"].tolist() == expected_test["Id"].tolist() and (sample["PredictionString"] == "").all()
    # v1's shallow copy of map.json: both public map tables list the test logs
    for side in ("train", "test"):
        assert _json(public / f"{side}_data" / "map.json")[0]["log_tokens"] == list(test_logs)
    assert not (public / "test_data" / "sample_annotation.json").exists()
    assert not (public / "test_data" / "instance.json").exists()
    data = _json(raw / "sample_data.json")
    for side, chosen in (("train", set(table["Id"]) - set(test_samples)), ("test", set(test_samples))):
        mine = [d for d in data if d["sample_token"] in chosen]
        assert _json(public / f"{side}_data" / "sample_data.json") == mine
        for kind, folder in (("jpeg", "images"), ("bin", "lidar")):
            names = {Path(d["filename"]).name for d in mine if d["fileformat"] == kind}
            assert files(public / f"{side}_{folder}") == names
        poses = {p["token"]: p for p in _json(raw / "ego_pose.json")}
        assert _json(public / f"{side}_data" / "ego_pose.json") == [poses[d["ego_pose_token"]] for d in mine]
    annotations = _json(raw / "sample_annotation.json")
    assert _json(public / "train_data" / "sample_annotation.json") == [
        a for a in annotations if a["sample_token"] not in test_samples]


def test_lyft_offsets_from_the_car_beat_the_sample(tmp_path_factory):
    work = prepared(LYFT, tmp_path_factory)
    public = work / "public"

    def lidar_poses(side: str) -> dict[str, np.ndarray]:
        poses = {p["token"]: p for p in _json(public / f"{side}_data" / "ego_pose.json")}
        data = _json(public / f"{side}_data" / "sample_data.json")
        return {d["sample_token"]: poses[d["ego_pose_token"]] for d in data if d["fileformat"] == "bin"}

    def frame(pose) -> tuple[np.ndarray, float]:
        w, _, _, z = pose["rotation"]
        return np.array(pose["translation"]), 2 * np.arctan2(z, w)

    offsets: dict[str, list] = {}
    train_poses = lidar_poses("train")
    for row in read(public / "train.csv").itertuples():
        centre, yaw = frame(train_poses[row.Id])
        tokens = row.PredictionString.split(" ")
        for i in range(0, len(tokens), 8):
            x, y, z, w, l, h, box_yaw = map(float, tokens[i:i + 7])
            rot = np.array([[np.cos(yaw), np.sin(yaw)], [-np.sin(yaw), np.cos(yaw)]])
            local = rot @ (np.array([x, y]) - centre[:2])
            offsets.setdefault(tokens[i + 7], []).append([*local, z - centre[2], w, l, h, box_yaw - yaw])
    test_poses = lidar_poses("test")
    sample = read(public / "sample_submission.csv")
    strings = []
    for token in sample["Id"]:
        centre, yaw = frame(test_poses[token])
        boxes = []
        for kind, values in offsets.items():
            ahead, left, up, w, l, h, dyaw = np.mean(values, axis=0)
            xy = centre[:2] + np.array([[np.cos(yaw), -np.sin(yaw)], [np.sin(yaw), np.cos(yaw)]]) @ [ahead, left]
            boxes.append(f"0.9 {xy[0]} {xy[1]} {centre[2] + up} {w} {l} {h} {yaw + dyaw} {kind}")
        strings.append(" ".join(boxes))
    guess = sample.assign(PredictionString=strings)
    args = ("private/test.csv", "public/sample_submission.csv")
    assert grade(LYFT, work, guess, *args) > 0.3 > grade(LYFT, work, sample, *args)


def test_lyft_json_tables_stream_record_by_record(tmp_path, monkeypatch):
    import json

    from mle_datasets.preparers import high_misc

    records = [{"token": "a" * 64, "x": [1.5, -2e-07, None], "s": "é, ]}\"["}, {}, {"n": 12345678901234567890}]
    path = tmp_path / "t.json"
    first, second, third = map(json.dumps, records)
    path.write_text(" \n[ " + first + " ,\n" + second + "," + third + "]\n")
    monkeypatch.setattr(high_misc, "JSON_BLOCK", 3)  # records cut across blocks
    assert list(high_misc.iter_json_array(path, "t.json")) == records
    with high_misc.JsonArraySink(tmp_path / "out.json") as sink:
        for record in records:
            sink.write(record)
    assert (tmp_path / "out.json").read_text() == json.dumps(records)
    with high_misc.JsonArraySink(tmp_path / "empty.json"):
        pass
    assert (tmp_path / "empty.json").read_text() == "[]"
    for text, why in (("[]", None), ('{"a": 1}', "does not start"), ('[{"a": 1}', "ends before"),
                      ('[{"a": 1} {"b": 2}]', "unexpected"), ('[{"a": ', "cut short"), ("[1, 2]", "not an object")):
        path.write_text(text)
        if why is None:
            assert list(high_misc.iter_json_array(path, "t.json")) == []
        else:
            with pytest.raises(RawDataError, match=why):
                list(high_misc.iter_json_array(path, "t.json"))


def test_lyft_bad_raw(tmp_path):
    import json

    raw = make_raw_fixture(LYFT, tmp_path / "raw")
    data = raw / "train_data"
    (data / "ego_pose.json").rename(tmp_path / "ego_pose.json")
    fails(LYFT, raw, tmp_path, "missing train_data/ego_pose.json")
    (tmp_path / "ego_pose.json").rename(data / "ego_pose.json")

    table = pd.read_csv(raw / "train.csv", dtype=str)
    (raw / "train.csv").write_bytes(csv_bytes(table.rename(columns={"PredictionString": "Boxes"})))
    fails(LYFT, raw, tmp_path, r"train.csv does not match .*missing column\(s\) 'PredictionString'")
    (raw / "train.csv").write_bytes(csv_bytes(table))

    maps = (data / "map.json").read_text()
    (data / "map.json").write_text(json.dumps(json.loads(maps) * 2))
    fails(LYFT, raw, tmp_path, r"map.json holds 2 maps; MLE-bench expects exactly one")
    (data / "map.json").write_text(maps)

    samples = (data / "sample.json").read_text()
    records = json.loads(samples)
    (data / "sample.json").write_text(json.dumps([{**records[0], "scene_token": "f" * 64}] + records[1:]))
    fails(LYFT, raw, tmp_path / "a", r"sample.json: a record's scene_token 'f{64}' is not a log", contract=False)
    (data / "sample.json").write_text(samples)

    poses = (data / "ego_pose.json").read_text()
    extra = {**json.loads(poses)[0], "token": "e" * 64}
    (data / "ego_pose.json").write_text(json.dumps(json.loads(poses) + [extra]))
    fails(LYFT, raw, tmp_path / "b", r"ego_pose.json: 1 of its 21 record\(s\) are used by no sample data",
          contract=False)
    (data / "ego_pose.json").write_text(poses)

    lidar = sorted((raw / "train_lidar").iterdir())[0]
    lidar.unlink()
    fails(LYFT, raw, tmp_path / "c", rf"train image or lidar file .*{lidar.name} is missing", contract=False)


# ------------------------------------------------------------------------ all seven
ALL = [BMS, WILD, INK, GNSS, CONTRAILS, NFL, LYFT]


@pytest.mark.parametrize("cid", ALL)
def test_fixture_is_reproducible_from_its_seed(cid, tmp_path):
    from mle_datasets.raw import checksum_tree

    first = checksum_tree(make_raw_fixture(cid, tmp_path / "a"))
    assert checksum_tree(make_raw_fixture(cid, tmp_path / "b")) == first
    assert checksum_tree(make_raw_fixture(cid, tmp_path / "c", seed=1)) != first


@pytest.mark.parametrize("cid", ALL)
def test_preparing_leaves_the_raw_folder_as_it_was(cid, tmp_path_factory, tmp_path):
    from mle_datasets.raw import checksum_tree

    work = prepared(cid, tmp_path_factory)
    assert checksum_tree(work / "raw") == checksum_tree(make_raw_fixture(cid, tmp_path / "raw"))
