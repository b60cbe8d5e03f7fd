"""Medium image competitions with class, label-set, identity or score targets: end to end, MLE-bench v1's split
rules replayed independently on the fixtures, the files each preparer writes, and bad raw input.

cassava-leaf-disease-classification, plant-pathology-2021-fgvc8, petfinder-pawpularity-score,
whale-categorization-playground, hotel-id-2021-fgvc8, alaska2-image-steganalysis, imet-2020-fgvc7.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

import mle_datasets
from mle_datasets.errors import RawDataError
from mle_datasets.fixtures import make_raw_fixture
from mle_datasets.fixtures.media import example_bytes, tfrecord_bytes
from mle_datasets.preparers import get_preparer
from mle_datasets.preparers import image_classes as ic
from mle_datasets.preparers._media import iter_tfrecords, example_bytes_feature
from tests.data.endtoend import check_end_to_end

CASSAVA = "cassava-leaf-disease-classification"
PLANT21 = "plant-pathology-2021-fgvc8"
PETFINDER = "petfinder-pawpularity-score"
WHALE = "whale-categorization-playground"
HOTEL = "hotel-id-2021-fgvc8"
ALASKA2 = "alaska2-image-steganalysis"
IMET = "imet-2020-fgvc7"
ALL = [CASSAVA, PLANT21, PETFINDER, WHALE, HOTEL, ALASKA2, IMET]

RAW_LAYOUT = {
    CASSAVA: {"train.csv", "train_images", "train_tfrecords", "test_images", "test_tfrecords",
              "label_num_to_disease_map.json", "sample_submission.csv"},
    PLANT21: {"train.csv", "train_images", "test_images", "sample_submission.csv"},
    PETFINDER: {"train.csv", "train", "test.csv", "test", "sample_submission.csv"},
    WHALE: {"train.csv", "train", "test", "sample_submission.csv"},
    HOTEL: {"train.csv", "train_images", "test_images", "sample_submission.csv"},
    ALASKA2: {"Cover", "JMiPOD", "JUNIWARD", "UERD", "Test", "sample_submission.csv"},
    IMET: {"train.csv", "labels.csv", "train", "test", "sample_submission.csv"},
}
PUBLIC_LAYOUT = {
    CASSAVA: {"train.csv", "sample_submission.csv", "train_tfrecords", "test_tfrecords", "train_images",
              "test_images", "label_num_to_disease_map.json"},
    PLANT21: {"train.csv", "sample_submission.csv", "train_images", "test_images"},
    PETFINDER: {"train.csv", "test.csv", "sample_submission.csv", "train", "test"},
    WHALE: {"train.csv", "sample_submission.csv", "train", "test"},
    HOTEL: {"train.csv", "sample_submission.csv", "train_images", "test_images"},
    ALASKA2: {"Cover", "JMiPOD", "JUNIWARD", "UERD", "Test", "sample_submission.csv"},
    IMET: {"train.csv", "labels.csv", "sample_submission.csv", "train", "test"},
}
PRIVATE_LAYOUT = {CASSAVA: {"test.csv"}, PLANT21: {"answers.csv"}, PETFINDER: {"test.csv"}, WHALE: {"test.csv"},
                  HOTEL: {"test.csv"}, ALASKA2: {"test.csv"}, IMET: {"answers.csv"}}


def digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def prepare(cid: str, tmp_path: Path, raw: Path | None = None) -> tuple[Path, Path, Path]:
    """Fixture (unless ``raw`` is given) -> raw contract -> preparer; returns (raw, public, private)."""
    raw = raw or make_raw_fixture(cid, tmp_path / "raw")
    preparer = get_preparer(cid)
    preparer.check_raw(raw)
    preparer.run(raw, tmp_path / "public", tmp_path / "private")
    return raw, tmp_path / "public", tmp_path / "private"


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def same_bytes(a: Path, b: Path) -> bool:
    return a.read_bytes() == b.read_bytes()


# ------------------------------------------------------------------------------------------- end to end
def perfect(answers: Path, sample: Path) -> pd.DataFrame:
    """The answers, restricted to the sample submission's columns (text kept as written)."""
    return read(answers)[list(read(sample).columns)]


@pytest.mark.parametrize("cid", ALL)
def test_end_to_end(cid, tmp_path):
    check_end_to_end(cid, tmp_path, mle_datasets.Store(tmp_path / "store"), perfect)


# --------------------------------------------------------------------------------------- common behaviour
@pytest.mark.parametrize("cid", ALL)
def test_layouts_determinism_and_raw_untouched(cid, tmp_path):
    raw, public, private = prepare(cid, tmp_path / "a")
    assert {p.name for p in raw.iterdir()} == RAW_LAYOUT[cid]
    assert digest(raw) == digest(make_raw_fixture(cid, tmp_path / "again"))
    before = digest(raw)
    assert {p.name for p in public.iterdir()} == PUBLIC_LAYOUT[cid]
    assert {p.name for p in private.iterdir()} == PRIVATE_LAYOUT[cid]
    _, public2, private2 = prepare(cid, tmp_path / "b", raw=raw)
    assert digest(public) == digest(public2) and digest(private) == digest(private2)
    assert digest(raw) == before


def test_other_seed_other_raw(tmp_path):
    for cid in (CASSAVA, WHALE):
        a = make_raw_fixture(cid, tmp_path / cid / "a", seed=0)
        b = make_raw_fixture(cid, tmp_path / cid / "b", seed=1)
        assert digest(a) != digest(b)
        get_preparer(cid).check_raw(b)


def test_images_are_linked_or_copied_never_rewritten(tmp_path, monkeypatch):
    raw, public, _ = prepare(PLANT21, tmp_path / "linked")
    image = read(public.parent / "private" / "answers.csv")["image"].iloc[0]
    assert (public / "test_images" / image).stat().st_ino == (raw / "train_images" / image).stat().st_ino

    def no_links(src, dst):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_links)
    _, copied, _ = prepare(PLANT21, tmp_path / "copied", raw=raw)
    assert (copied / "test_images" / image).stat().st_ino != (raw / "train_images" / image).stat().st_ino
    assert digest(copied) == digest(public)


# ---------------------------------------------------------------------------------------------- cassava
def _names(path: Path) -> list[str]:
    return [example_bytes_feature(r, "image_name").decode() for r in iter_tfrecords(path, verify_data=True)]


def test_cassava_splits_tfrecord_files(tmp_path):
    raw, public, private = prepare(CASSAVA, tmp_path)
    files = sorted((raw / "train_tfrecords").iterdir())
    train_files, test_files = train_test_split(files, test_size=0.1, random_state=0)
    test_ids = {n for f in test_files for n in _names(f)}
    old = read(raw / "train.csv")
    expect_test = old[old["image_id"].isin(test_ids)].reset_index(drop=True)
    expect_train = old[~old["image_id"].isin(test_ids)].reset_index(drop=True)
    pd.testing.assert_frame_equal(read(private / "test.csv"), expect_test)
    pd.testing.assert_frame_equal(read(public / "train.csv"), expect_train)
    sample = read(public / "sample_submission.csv")
    assert sample["image_id"].tolist() == expect_test["image_id"].tolist() and set(sample["label"]) == {"4"}
    for part, chosen in (("train", train_files), ("test", test_files)):
        written = sorted((public / f"{part}_tfrecords").iterdir())
        expected = [f"ld_{part}{i:02d}-{f.stem.split('-')[1]}.tfrec" for i, f in enumerate(chosen)]
        assert [p.name for p in written] == expected
        assert all(same_bytes(p, f) for p, f in zip(written, chosen))
    assert sorted(p.name for p in (public / "test_images").iterdir()) == sorted(test_ids)
    assert len(list((public / "train_images").iterdir())) == len(expect_train)
    assert same_bytes(public / "label_num_to_disease_map.json", raw / "label_num_to_disease_map.json")


def test_cassava_tfrecords_carry_the_csv_images_and_labels(tmp_path):
    raw = make_raw_fixture(CASSAVA, tmp_path / "raw")
    table = read(raw / "train.csv").set_index("image_id")["label"]
    seen = {}
    for path in sorted((raw / "train_tfrecords").iterdir()):
        records = list(iter_tfrecords(path, verify_data=True))
        assert path.name.endswith(f"-{len(records)}.tfrec")
        for record in records:
            name = example_bytes_feature(record, "image_name").decode()
            assert example_bytes_feature(record, "image") == (raw / "train_images" / name).read_bytes()
            seen[name] = record
    assert sorted(seen) == sorted(table.index)
    assert set(table) == {"0", "1", "2", "3", "4"}


def test_cassava_bad_raw(tmp_path):
    raw = make_raw_fixture(CASSAVA, tmp_path / "raw")
    preparer = get_preparer(CASSAVA)
    shards = sorted((raw / "train_tfrecords").iterdir())
    odd = shards[0].with_name("ld_train00.tfrec")
    shards[0].rename(odd)
    with pytest.raises(RawDataError, match=r"ld_train00.tfrec.*lack the '-<count>' part"):
        preparer.check_raw(raw)
    odd.rename(shards[0])
    (raw / "label_num_to_disease_map.json").write_text('{"0": "CBB"')
    with pytest.raises(RawDataError, match="label_num_to_disease_map.json is not valid JSON"):
        preparer.check_raw(raw)
    (raw / "label_num_to_disease_map.json").unlink()
    with pytest.raises(RawDataError, match="missing label_num_to_disease_map.json"):
        preparer.check_raw(raw)


def test_cassava_test_files_must_match_train_csv(tmp_path):
    raw = make_raw_fixture(CASSAVA, tmp_path / "raw")
    files = sorted((raw / "train_tfrecords").iterdir())
    _, test_files = train_test_split(files, test_size=0.1, random_state=0)
    stranger = example_bytes({"image": b"\xff\xd8\xff\xd9", "image_name": b"123456.jpg", "target": 1})
    test_files[0].write_bytes(tfrecord_bytes([stranger]))
    with pytest.raises(RawDataError, match="test set would be empty"):
        prepare(CASSAVA, tmp_path, raw=raw)
    test_files[0].write_bytes(tfrecord_bytes([stranger])[:-5])
    with pytest.raises(RawDataError, match="truncated"):
        prepare(CASSAVA, tmp_path, raw=raw)


def test_cassava_missing_column_and_image(tmp_path):
    raw = make_raw_fixture(CASSAVA, tmp_path / "raw")
    table = read(raw / "train.csv")
    table.rename(columns={"label": "target"}).to_csv(raw / "train.csv", index=False)
    with pytest.raises(RawDataError, match=r"train.csv does not match.*missing column\(s\) 'label'"):
        get_preparer(CASSAVA).check_raw(raw)
    table.to_csv(raw / "train.csv", index=False)
    (raw / "train_images" / table["image_id"].iloc[-1]).unlink()
    with pytest.raises(RawDataError, match="1 train image file"):
        prepare(CASSAVA, tmp_path, raw=raw)


# --------------------------------------------------------------------------------- plant-pathology-2021
def test_plant21_split(tmp_path):
    raw, public, private = prepare(PLANT21, tmp_path)
    old = read(raw / "train.csv")
    train, test = train_test_split(old, test_size=0.2, random_state=0)
    pd.testing.assert_frame_equal(read(private / "answers.csv"), test.reset_index(drop=True))
    pd.testing.assert_frame_equal(read(public / "train.csv"), train.reset_index(drop=True))
    sample = read(public / "sample_submission.csv")
    assert sample["image"].tolist() == test["image"].tolist() and set(sample["labels"]) == {"healthy"}
    assert sorted(p.name for p in (public / "test_images").iterdir()) == sorted(test["image"])
    assert sorted(p.name for p in (public / "train_images").iterdir()) == sorted(train["image"])
    assert len(set(old["labels"])) == 12


def test_plant21_bad_raw(tmp_path):
    raw = make_raw_fixture(PLANT21, tmp_path / "raw")
    table = read(raw / "train.csv")
    table.assign(labels=table["labels"].str.replace("rust", "blight")).to_csv(raw / "train.csv", index=False)
    with pytest.raises(RawDataError, match="column 'labels' fails space-separated disease labels"):
        get_preparer(PLANT21).check_raw(raw)
    table.drop(columns=["labels"]).to_csv(raw / "train.csv", index=False)
    with pytest.raises(RawDataError, match=r"missing column\(s\) 'labels'"):
        get_preparer(PLANT21).check_raw(raw)
    shutil.rmtree(raw / "train_images")
    with pytest.raises(RawDataError, match=r"missing train_images/\*\.jpg"):
        get_preparer(PLANT21).check_raw(raw)


# ------------------------------------------------------------------------------------------- petfinder
def test_petfinder_split_and_random_sample(tmp_path):
    raw, public, private = prepare(PETFINDER, tmp_path)
    old = read(raw / "train.csv")
    train, test = train_test_split(old, test_size=0.1, random_state=0)
    pd.testing.assert_frame_equal(read(private / "test.csv"), test.reset_index(drop=True))
    pd.testing.assert_frame_equal(read(public / "train.csv"), train.reset_index(drop=True))
    pd.testing.assert_frame_equal(read(public / "test.csv"), test.drop(columns=["Pawpularity"]).reset_index(drop=True))
    sample = pd.read_csv(public / "sample_submission.csv")
    expected = np.random.default_rng(0).uniform(1, 100, len(test)).round(2)
    assert sample["Id"].tolist() == test["Id"].tolist() and sample["Pawpularity"].tolist() == expected.tolist()
    assert sorted(p.stem for p in (public / "test").iterdir()) == sorted(test["Id"])


def test_petfinder_bad_raw(tmp_path):
    raw = make_raw_fixture(PETFINDER, tmp_path / "raw")
    table = read(raw / "train.csv")
    table.drop(columns=["Blur"]).to_csv(raw / "train.csv", index=False)
    with pytest.raises(RawDataError, match=r"missing column\(s\) 'Blur'"):
        get_preparer(PETFINDER).check_raw(raw)
    table[["Id", "Pawpularity", *ic.PETFINDER_FEATURES]].to_csv(raw / "train.csv", index=False)
    with pytest.raises(RawDataError, match="out of the expected order"):
        get_preparer(PETFINDER).check_raw(raw)
    table.to_csv(raw / "train.csv", index=False)
    (raw / "train" / f"{table['Id'].iloc[3]}.jpg").unlink()
    with pytest.raises(RawDataError, match="1 train image file"):
        prepare(PETFINDER, tmp_path, raw=raw)


# ----------------------------------------------------------------------------------------------- whale
def whale_reference(old: pd.DataFrame) -> pd.Series:
    """v1's whale rule written as its steps read (a loop over Ids): True where a row goes to test."""
    split = pd.Series("undecided", index=old.index)
    rng = np.random.default_rng(0)
    for whale_id in old["Id"].unique():
        rows = old[old["Id"] == whale_id]
        if len(rows) >= 2:
            picked = rows.sample(2, random_state=0)
            split[picked.index[0]] = "train"
            split[picked.index[1]] = "test"
        else:
            split[rows.index[0]] = rng.choice(["train", "test"], replace=False, p=[0.9, 0.1])
    rest = old[split == "undecided"]
    rest_train, rest_test = train_test_split(rest, test_size=0.1, random_state=0)
    split[rest_train.index] = "train"
    split[rest_test.index] = "test"
    return split == "test"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_whale_split_matches_the_rule_on_random_ids(seed):
    rng = np.random.default_rng(seed)
    sizes = rng.choice([1, 1, 1, 2, 3, 5, 9], 120)
    ids = np.concatenate([["new_whale"] * 30, np.repeat([f"w_{k:07x}" for k in range(120)], sizes)])
    old = pd.DataFrame({"Id": rng.permutation(ids)})
    np.testing.assert_array_equal(ic.whale_split(old["Id"]), whale_reference(old).to_numpy())


def test_whale_split_and_new_whale(tmp_path):
    raw, public, private = prepare(WHALE, tmp_path)
    old = read(raw / "train.csv")
    in_test = whale_reference(old)
    train = old[~in_test].reset_index(drop=True)
    answers = old[in_test].reset_index(drop=True)
    answers.loc[~answers["Id"].isin(train["Id"]), "Id"] = "new_whale"
    pd.testing.assert_frame_equal(read(private / "test.csv"), answers)
    pd.testing.assert_frame_equal(read(public / "train.csv"), train)
    assert (answers["Id"] == "new_whale").sum() > (old[in_test.to_numpy()]["Id"] == "new_whale").sum()  # relabelled
    assert set(read(public / "sample_submission.csv")["Id"]) == {ic.WHALE_SAMPLE}
    assert sorted(p.name for p in (public / "test").iterdir()) == sorted(answers["Image"])


def test_whale_without_new_whale_in_test_is_a_raw_error(tmp_path):
    raw = make_raw_fixture(WHALE, tmp_path / "raw")
    table = read(raw / "train.csv").iloc[:6].assign(Id=["w_000000a"] * 4 + ["w_000000b"] * 2)
    table.to_csv(raw / "train.csv", index=False)
    with pytest.raises(RawDataError, match="holds no new_whale"):
        prepare(WHALE, tmp_path, raw=raw)


def test_whale_bad_raw(tmp_path):
    raw = make_raw_fixture(WHALE, tmp_path / "raw")
    table = read(raw / "train.csv")
    table.assign(Id=table["Id"].str.replace("w_", "whale_")).to_csv(raw / "train.csv", index=False)
    with pytest.raises(RawDataError, match="column 'Id' fails w_<7 hex> or new_whale"):
        get_preparer(WHALE).check_raw(raw)
    pd.concat([table, table.iloc[:1]]).to_csv(raw / "train.csv", index=False)
    with pytest.raises(RawDataError, match="'Image' has 1 duplicated value"):
        prepare(WHALE, tmp_path, raw=raw)


# ----------------------------------------------------------------------------------------------- hotel
def test_hotel_drops_the_duplicate_and_flattens_test(tmp_path):
    raw, public, private = prepare(HOTEL, tmp_path)
    old = read(raw / "train.csv")
    assert (old["image"] == ic.HOTEL_DROPPED).sum() == 2
    kept = old[old["image"] != ic.HOTEL_DROPPED]
    train, test = train_test_split(kept, test_size=0.1, random_state=0)
    pd.testing.assert_frame_equal(read(private / "test.csv"), test.reset_index(drop=True))
    pd.testing.assert_frame_equal(read(public / "train.csv"), train.reset_index(drop=True))
    sample = read(public / "sample_submission.csv")
    assert sample.columns.tolist() == ["image", "hotel_id"] and set(sample["hotel_id"]) == {ic.HOTEL_SAMPLE}
    assert sorted(p.name for p in (public / "test_images").iterdir()) == sorted(test["image"])
    for image, chain in zip(train["image"], train["chain"]):
        assert same_bytes(public / "train_images" / chain / image, raw / "train_images" / chain / image)
    for image, chain in zip(test["image"], test["chain"]):
        assert same_bytes(public / "test_images" / image, raw / "train_images" / chain / image)
    assert not list(public.rglob(ic.HOTEL_DROPPED))


def test_hotel_bad_raw(tmp_path):
    raw = make_raw_fixture(HOTEL, tmp_path / "raw")
    table = read(raw / "train.csv")
    row = table[table["image"] != ic.HOTEL_DROPPED].iloc[0]
    (raw / "train_images" / row["chain"] / row["image"]).unlink()
    with pytest.raises(RawDataError, match=rf"1 image file\(s\) of train.csv missing .*{row['chain']}/{row['image']}"):
        prepare(HOTEL, tmp_path, raw=raw)
    table.drop(columns=["timestamp"]).to_csv(raw / "train.csv", index=False)
    with pytest.raises(RawDataError, match=r"missing column\(s\) 'timestamp'"):
        get_preparer(HOTEL).check_raw(raw)


# ---------------------------------------------------------------------------------------------- alaska2
def alaska2_reference(covers: list[str]) -> tuple[list[str], list[tuple[str, str, int]]]:
    """v1's steps as they read: (train covers in order, [(test id, source folder, label)])."""
    test_size = 5000 if len(covers) > 5000 else len(covers) // 15
    train, test = train_test_split(covers, test_size=test_size, random_state=42)
    state = random.getstate()
    try:
        random.seed(0)
        random.shuffle(test)
        rows = []
        for i, name in enumerate(test, start=1):
            if random.choice([True, False]):
                rows.append((f"{i:04d}.jpg", f"Cover/{name}", 0))
            else:
                rows.append((f"{i:04d}.jpg", f"{random.choice(['JMiPOD', 'JUNIWARD', 'UERD'])}/{name}", 1))
    finally:
        random.setstate(state)
    return train, rows


def test_alaska2_split_renames_and_labels(tmp_path):
    raw, public, private = prepare(ALASKA2, tmp_path)
    covers = sorted(p.name for p in (raw / "Cover").glob("*.jpg"))
    train, rows = alaska2_reference(covers)
    answers = read(private / "test.csv")
    assert answers.values.tolist() == [[i, str(label)] for i, _, label in rows]
    assert {"0", "1"} <= set(answers["Label"])
    for test_id, source, _ in rows:
        assert same_bytes(public / "Test" / test_id, raw / source)
    for folder in ("Cover", *ic.ALASKA2_ALGORITHMS):
        written = sorted((public / folder).iterdir())
        assert [p.name for p in written] == [f"{i:05d}.jpg" for i in range(1, len(train) + 1)]
        assert all(same_bytes(p, raw / folder / name) for p, name in zip(written, train))
    assert (read(public / "sample_submission.csv")["Label"] == "0").all()


def test_alaska2_v1_size_has_the_fixed_test(tmp_path):
    raw = make_raw_fixture(ALASKA2, tmp_path / "raw", size="v1")
    assert len(list((raw / "Cover").iterdir())) == 5001
    _, public, private = prepare(ALASKA2, tmp_path, raw=raw)
    assert len(read(private / "test.csv")) == 5000 and len(list((public / "Test").iterdir())) == 5000
    assert [p.name for p in (public / "UERD").iterdir()] == ["00001.jpg"]
    train, rows = alaska2_reference(sorted(p.name for p in (raw / "Cover").iterdir()))
    assert same_bytes(public / "Cover" / "00001.jpg", raw / "Cover" / train[0])
    assert read(private / "test.csv")["Label"].astype(int).tolist() == [label for _, _, label in rows]


def test_alaska2_test_size_rule():
    assert [ic.alaska2_test_size(n) for n in (75000, 5001, 5000, 90, 2)] == [5000, 5000, 333, 6, 1]


def test_alaska2_bad_raw(tmp_path):
    raw = make_raw_fixture(ALASKA2, tmp_path / "raw")
    (raw / "JUNIWARD" / "00007.jpg").unlink()
    with pytest.raises(RawDataError, match="1 JUNIWARD image file"):
        prepare(ALASKA2, tmp_path, raw=raw)
    shutil.rmtree(raw / "UERD")
    with pytest.raises(RawDataError, match=r"missing UERD/\*\.jpg"):
        get_preparer(ALASKA2).check_raw(raw)


# ------------------------------------------------------------------------------------------------- imet
def test_imet_split(tmp_path):
    raw, public, private = prepare(IMET, tmp_path)
    old = read(raw / "train.csv")
    train, test = train_test_split(old, test_size=0.15, random_state=0)
    pd.testing.assert_frame_equal(read(private / "answers.csv"), test.reset_index(drop=True))
    pd.testing.assert_frame_equal(read(public / "train.csv"), train.reset_index(drop=True))
    assert set(read(public / "sample_submission.csv")["attribute_ids"]) == {"0 1 2"}
    assert same_bytes(public / "labels.csv", raw / "labels.csv")
    assert sorted(p.stem for p in (public / "test").iterdir()) == sorted(test["id"])


def test_imet_bad_raw(tmp_path):
    raw = make_raw_fixture(IMET, tmp_path / "raw")
    table = read(raw / "train.csv")
    table.assign(attribute_ids=table["attribute_ids"].str.replace(" ", ",")).to_csv(raw / "train.csv", index=False)
    with pytest.raises(RawDataError, match="column 'attribute_ids' fails space-separated integers"):
        get_preparer(IMET).check_raw(raw)
    table.to_csv(raw / "train.csv", index=False)
    (raw / "labels.csv").unlink()
    with pytest.raises(RawDataError, match="missing labels.csv"):
        get_preparer(IMET).check_raw(raw)


# ------------------------------------------------------------------------------------------ the signal
def _colour_of(path: Path) -> np.ndarray:
    """Mean Y, Cb, Cr of a fixture JPEG (the DC-only decoder of the media tests)."""
    from tests.data.test_fixtures import _decode_dc_jpeg

    return _decode_dc_jpeg(path.read_bytes()).mean(axis=(1, 2))


def test_a_simple_model_beats_the_sample(tmp_path):
    """Nearest class colour (cassava), brightness (petfinder) and block texture (alaska2) beat the samples."""
    raw, public, private = prepare(CASSAVA, tmp_path / "cassava")
    train, test = read(public / "train.csv"), read(private / "test.csv")
    X = np.array([_colour_of(public / "train_images" / i) for i in train["image_id"]])
    centroids = {label: X[(train["label"] == label).to_numpy()].mean(axis=0) for label in set(train["label"])}
    guess = [min(centroids, key=lambda c: np.abs(centroids[c] - _colour_of(public / "test_images" / i)).sum())
             for i in test["image_id"]]
    assert (np.array(guess) == test["label"]).mean() > (test["label"] == "4").mean()

    raw, public, private = prepare(PETFINDER, tmp_path / "pet")
    train, test = pd.read_csv(public / "train.csv"), pd.read_csv(private / "test.csv")
    brightness = lambda folder, ids: np.array([_colour_of(public / folder / f"{i}.jpg")[0] for i in ids])  # noqa: E731
    slope, intercept = np.polyfit(brightness("train", train["Id"]), train["Pawpularity"], 1)
    pred = slope * brightness("test", test["Id"]) + intercept
    sample = pd.read_csv(public / "sample_submission.csv")["Pawpularity"].to_numpy()
    rmse = lambda p: np.sqrt(np.mean((p - test["Pawpularity"].to_numpy()) ** 2))  # noqa: E731
    assert rmse(pred) < rmse(sample) / 3

    from tests.data.test_fixtures import _decode_dc_jpeg

    raw, public, private = prepare(ALASKA2, tmp_path / "alaska2")
    def roughness(path):  # spread of the luma blocks around their best plane
        blocks = _decode_dc_jpeg(path.read_bytes())[0]
        y, x = np.mgrid[0:blocks.shape[0], 0:blocks.shape[1]]
        design = np.c_[y.ravel(), x.ravel(), np.ones(blocks.size)]
        return np.std(blocks.ravel() - design @ np.linalg.lstsq(design, blocks.ravel(), rcond=None)[0])
    answers = read(private / "test.csv")
    scores = np.array([roughness(public / "Test" / i) for i in answers["Id"]])
    stego = answers["Label"].to_numpy() == "1"
    assert scores[stego].min() > scores[~stego].max()
