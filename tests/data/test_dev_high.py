"""invasive-species-monitoring, ml2021spring-hw2, paddy-disease-classification, plant-seedlings-classification,
predict-volcanic-eruptions-ingv-oe and stanford-covid-vaccine: end to end, MLE-bench v1's split, learnable
fixtures, bad raw data."""

from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

import mle_datasets
from mle_datasets.errors import RawDataError
from mle_datasets.preparers import get_preparer
from tests.data.endtoend import check_end_to_end
from tests.data.test_fixtures import _decode_dc_jpeg

VOLCANO = "predict-volcanic-eruptions-ingv-oe"
PADDY = "paddy-disease-classification"
SEEDLINGS = "plant-seedlings-classification"
TIMIT = "ml2021spring-hw2"
INVASIVE = "invasive-species-monitoring"
COVID = "stanford-covid-vaccine"
COVID_TARGETS = ["reactivity", "deg_Mg_pH10", "deg_pH10", "deg_Mg_50C", "deg_50C"]


def read(path, **kwargs) -> pd.DataFrame:
    return pd.read_csv(path, **kwargs)


def nearest_centroid_accuracy(train_x: np.ndarray, train_y, test_x: np.ndarray, test_y) -> float:
    """Accuracy on the test rows of a nearest-centroid model fitted on the train rows."""
    labels = sorted(set(train_y))
    train_y = np.asarray(train_y)
    centroids = np.array([train_x[train_y == label].mean(axis=0) for label in labels])
    guess = np.array(labels)[((test_x[:, None, :] - centroids[None]) ** 2).sum(axis=2).argmin(axis=1)]
    return float((guess == np.asarray(test_y)).mean())


def jpeg_colour(path) -> np.ndarray:
    """Mean Y, Cb, Cr of a fixture JPEG (DC-only, so the block means are the picture)."""
    return _decode_dc_jpeg(path.read_bytes()).reshape(3, -1).mean(axis=1)


# ------------------------------------------------------------------------ predict-volcanic-eruptions-ingv-oe
def test_volcano_end_to_end(tmp_path, store):
    check_end_to_end(VOLCANO, tmp_path, store, lambda answers, sample: read(answers))


def test_volcano_split_is_v1s_and_segments_follow(tmp_path):
    raw = mle_datasets.make_raw_fixture(VOLCANO, tmp_path / "raw")
    old = read(raw / "train.csv")
    train, test = train_test_split(old, test_size=0.1, random_state=0)
    prepared = mle_datasets.prepare(VOLCANO, raw, tmp_path / "prepared")
    pd.testing.assert_frame_equal(read(prepared.answers), test.reset_index(drop=True))
    pd.testing.assert_frame_equal(read(prepared.public_dir / "train.csv"), train.reset_index(drop=True))
    sample = read(prepared.sample_submission)
    assert sample["segment_id"].tolist() == test["segment_id"].tolist() and (sample["time_to_eruption"] == 0).all()
    for part, folder in ((train, "train"), (test, "test")):
        files = sorted(p.name for p in (prepared.public_dir / folder).iterdir())
        assert files == sorted(f"{i}.csv" for i in part["segment_id"])
        first = f"{part['segment_id'].iloc[0]}.csv"
        assert (prepared.public_dir / folder / first).read_bytes() == (raw / "train" / first).read_bytes()


def test_volcano_fixture_is_learnable(tmp_path):
    raw = mle_datasets.make_raw_fixture(VOLCANO, tmp_path / "raw")
    prepared = mle_datasets.prepare(VOLCANO, raw, tmp_path / "prepared")
    train, answers = read(prepared.public_dir / "train.csv"), read(prepared.answers)

    def loudness(folder, ids):
        return np.array([np.nanmean(read(prepared.public_dir / folder / f"{i}.csv").std()) for i in ids])

    slope, intercept = np.polyfit(loudness("train", train["segment_id"]), train["time_to_eruption"], 1)
    guess = slope * loudness("test", answers["segment_id"]) + intercept
    mae = np.abs(guess - answers["time_to_eruption"]).mean()
    assert mae < 0.3 * np.abs(train["time_to_eruption"].mean() - answers["time_to_eruption"]).mean()


def test_volcano_bad_raw(tmp_path):
    raw = mle_datasets.make_raw_fixture(VOLCANO, tmp_path / "raw")
    preparer = get_preparer(VOLCANO)
    table = read(raw / "train.csv")
    table.rename(columns={"time_to_eruption": "time"}).to_csv(raw / "train.csv", index=False)
    with pytest.raises(RawDataError, match="train.csv.*missing column.*'time_to_eruption'"):
        preparer.check_raw(raw)
    table.to_csv(raw / "train.csv", index=False)
    (raw / "train" / f"{table['segment_id'].iloc[4]}.csv").unlink()
    with pytest.raises(RawDataError, match=f"1 segment file.*missing.*{table['segment_id'].iloc[4]}.csv"):
        mle_datasets.prepare(VOLCANO, raw, tmp_path / "prepared")
    (raw / "train.csv").unlink()
    with pytest.raises(RawDataError, match=r"missing train\.csv"):
        preparer.check_raw(raw)


# ------------------------------------------------------------------------ paddy-disease-classification
def test_paddy_end_to_end(tmp_path, store):
    check_end_to_end(PADDY, tmp_path, store, lambda answers, sample: read(answers)[["image_id", "label"]])


def test_paddy_split_is_v1s_train_size_split(tmp_path):
    raw = mle_datasets.make_raw_fixture(PADDY, tmp_path / "raw")
    old = read(raw / "train.csv")
    train, test = train_test_split(old, train_size=0.75, random_state=0)
    prepared = mle_datasets.prepare(PADDY, raw, tmp_path / "prepared")
    pd.testing.assert_frame_equal(read(prepared.answers), test.reset_index(drop=True))
    pd.testing.assert_frame_equal(read(prepared.public_dir / "train.csv"), train.reset_index(drop=True))
    sample = read(prepared.sample_submission, keep_default_na=False)
    assert sample["image_id"].tolist() == test["image_id"].tolist() and (sample["label"] == "").all()
    public = prepared.public_dir
    assert sorted(p.name for p in (public / "test_images").iterdir()) == sorted(test["image_id"])
    assert sorted(f"{p.parent.name}/{p.name}" for p in (public / "train_images").glob("*/*")) == sorted(
        train["label"] + "/" + train["image_id"])
    name, label = test[["image_id", "label"]].iloc[0]
    assert (public / "test_images" / name).read_bytes() == (raw / "train_images" / label / name).read_bytes()


def test_paddy_fixture_is_learnable(tmp_path):
    raw = mle_datasets.make_raw_fixture(PADDY, tmp_path / "raw")
    prepared = mle_datasets.prepare(PADDY, raw, tmp_path / "prepared")
    train, answers = read(prepared.public_dir / "train.csv"), read(prepared.answers)
    public = prepared.public_dir
    train_x = np.array([jpeg_colour(public / "train_images" / label / name)
                        for name, label in zip(train["image_id"], train["label"])])
    test_x = np.array([jpeg_colour(public / "test_images" / i) for i in answers["image_id"]])
    assert nearest_centroid_accuracy(train_x, train["label"], test_x, answers["label"]) >= 0.8  # the sample: 0


def test_paddy_bad_raw(tmp_path):
    raw = mle_datasets.make_raw_fixture(PADDY, tmp_path / "raw")
    preparer = get_preparer(PADDY)
    table = read(raw / "train.csv")
    table.drop(columns=["variety"]).to_csv(raw / "train.csv", index=False)
    with pytest.raises(RawDataError, match="train.csv.*missing column.*'variety'"):
        preparer.check_raw(raw)
    table.assign(label=table["label"].replace("blast", "rust")).to_csv(raw / "train.csv", index=False)
    with pytest.raises(RawDataError, match="train.csv.*'label' fails isin.*'rust'"):
        preparer.check_raw(raw)
    table.to_csv(raw / "train.csv", index=False)
    pd.DataFrame({"image_id": ["200001.jpg"], "class": ["blast"]}).to_csv(raw / "sample_submission.csv", index=False)
    with pytest.raises(RawDataError, match="sample_submission.csv.*'label'"):
        preparer.check_raw(raw)
    pd.DataFrame({"image_id": ["200001.jpg"], "label": [""]}).to_csv(raw / "sample_submission.csv", index=False)
    name, label = table[["image_id", "label"]].iloc[3]
    (raw / "train_images" / label / name).rename(raw / "train_images" / name)
    with pytest.raises(RawDataError, match=f"1 train_images/{label} file.*{name}"):
        mle_datasets.prepare(PADDY, raw, tmp_path / "prepared")
    (raw / "train_images" / name).rename(raw / "train_images" / label / name)
    table.assign(image_id=table["image_id"].where(table.index != 5, table["image_id"].iloc[6])).to_csv(
        raw / "train.csv", index=False)
    with pytest.raises(RawDataError, match="'image_id' has 1 duplicated value"):
        mle_datasets.prepare(PADDY, raw, tmp_path / "prepared")


# ------------------------------------------------------------------------ plant-seedlings-classification
def seedling_table(raw) -> pd.DataFrame:
    """v1's file list, written out plainly: species folders sorted, their .png files sorted."""
    rows = [(f.name, d.name) for d in sorted((raw / "train").iterdir(), key=lambda p: p.name) if d.is_dir()
            for f in sorted(d.iterdir(), key=lambda p: p.name) if f.name.endswith(".png")]
    return pd.DataFrame(rows, columns=["file", "species"])


def test_seedlings_end_to_end(tmp_path, store):
    check_end_to_end(SEEDLINGS, tmp_path, store, lambda answers, sample: read(answers))


def test_seedlings_split_is_v1s_over_sorted_folders(tmp_path):
    raw = mle_datasets.make_raw_fixture(SEEDLINGS, tmp_path / "raw")
    (raw / "train" / "Maize" / "notes.txt").write_text("not an image\n")  # v1 lists *.png only
    (raw / "train" / "README.png.txt").write_text("a file beside the species folders\n")
    train, test = train_test_split(seedling_table(raw), test_size=0.14, random_state=0)
    prepared = mle_datasets.prepare(SEEDLINGS, raw, tmp_path / "prepared")
    pd.testing.assert_frame_equal(read(prepared.answers), test.reset_index(drop=True))
    sample = read(prepared.sample_submission)
    assert sample["file"].tolist() == test["file"].tolist() and (sample["species"] == "Sugar beet").all()
    public = prepared.public_dir
    assert sorted(p.name for p in (public / "test").iterdir()) == sorted(test["file"])
    assert sorted(f"{p.parent.name}/{p.name}" for p in (public / "train").glob("*/*")) == sorted(
        train["species"] + "/" + train["file"])
    name, species = test.iloc[0]
    assert (public / "test" / name).read_bytes() == (raw / "train" / species / name).read_bytes()


def test_seedlings_fixture_is_learnable(tmp_path):
    from mle_datasets.preparers._media import read_png_gray

    raw = mle_datasets.make_raw_fixture(SEEDLINGS, tmp_path / "raw")
    prepared = mle_datasets.prepare(SEEDLINGS, raw, tmp_path / "prepared")
    public, answers = prepared.public_dir, read(prepared.answers)
    train = [(p, p.parent.name) for p in sorted((public / "train").glob("*/*.png"))]
    train_x = np.array([[read_png_gray(p.read_bytes()).mean()] for p, _ in train])
    test_x = np.array([[read_png_gray((public / "test" / f).read_bytes()).mean()] for f in answers["file"]])
    accuracy = nearest_centroid_accuracy(train_x, [s for _, s in train], test_x, answers["species"])
    assert accuracy >= 0.8  # the sample (all Sugar beet) gets at most 1 in 7 here


def test_seedlings_bad_raw(tmp_path):
    raw = mle_datasets.make_raw_fixture(SEEDLINGS, tmp_path / "raw")
    preparer = get_preparer(SEEDLINGS)
    (raw / "train" / "Dandelion").mkdir()
    with pytest.raises(RawDataError, match="train/ has folder.*'Dandelion'.*not species"):
        preparer.check_raw(raw)
    (raw / "train" / "Dandelion").rmdir()
    first = sorted((raw / "train" / "Maize").iterdir())[0]
    (raw / "train" / "Charlock" / first.name).write_bytes(first.read_bytes())
    with pytest.raises(RawDataError, match=f"'file name' has 1 duplicated value.*{first.name}"):
        mle_datasets.prepare(SEEDLINGS, raw, tmp_path / "prepared")
    for folder in (raw / "train").iterdir():
        for image in folder.iterdir():
            image.rename(image.with_suffix(".jpg"))
    with pytest.raises(RawDataError, match=r"no train/<species>/\*\.png"):
        preparer.check_raw(raw)
    import shutil

    shutil.rmtree(raw / "train")
    with pytest.raises(RawDataError, match="missing train"):
        preparer.check_raw(raw)


# ------------------------------------------------------------------------ ml2021spring-hw2
def test_timit_end_to_end(tmp_path, store):
    check_end_to_end(TIMIT, tmp_path, store, lambda answers, sample: read(answers))


def test_timit_split_is_v1s_proportional_split(tmp_path):
    raw = mle_datasets.make_raw_fixture(TIMIT, tmp_path / "raw")
    folder = raw / "timit_11" / "timit_11"
    frames, labels = np.load(folder / "train_11.npy"), np.load(folder / "train_label_11.npy")
    n_old_test = len(np.load(folder / "test_11.npy"))
    train, test = train_test_split(range(len(frames)), test_size=n_old_test / (len(frames) + n_old_test),
                                   random_state=0)
    prepared = mle_datasets.prepare(TIMIT, raw, tmp_path / "prepared")
    out = prepared.public_dir / "timit_11" / "timit_11"
    np.testing.assert_array_equal(np.load(out / "train_11.npy"), frames[train])
    np.testing.assert_array_equal(np.load(out / "train_label_11.npy"), labels[train])
    np.testing.assert_array_equal(np.load(out / "test_11.npy"), frames[test])
    assert np.load(out / "train_label_11.npy").dtype == labels.dtype
    answers = read(prepared.answers, dtype=str)
    assert answers["Id"].tolist() == [str(i) for i in range(len(test))]
    assert answers["ClassId"].tolist() == labels[test].tolist()
    assert (read(prepared.sample_submission)["ClassId"] == 0).all()


def test_timit_rows_are_gathered_in_blocks_as_np_save_writes_them(tmp_path):
    from mle_datasets.preparers.dev_high import write_rows

    source = np.arange(23 * 5, dtype=np.float32).reshape(23, 5)
    rows = np.array([4, 0, 22, 9, 9, 13, 1, 17, 3, 8])
    write_rows(tmp_path / "a.npy", source, rows, block=3)
    np.save(tmp_path / "b.npy", source[rows])
    assert (tmp_path / "a.npy").read_bytes() == (tmp_path / "b.npy").read_bytes()


def test_timit_fixture_is_learnable(tmp_path):
    raw = mle_datasets.make_raw_fixture(TIMIT, tmp_path / "raw")
    prepared = mle_datasets.prepare(TIMIT, raw, tmp_path / "prepared")
    out = prepared.public_dir / "timit_11" / "timit_11"
    answers = read(prepared.answers, dtype=str)
    accuracy = nearest_centroid_accuracy(np.load(out / "train_11.npy"), np.load(out / "train_label_11.npy"),
                                         np.load(out / "test_11.npy"), answers["ClassId"])
    assert accuracy > 0.9
    assert (answers["ClassId"] == "0").mean() < 0.4  # the sample predicts class 0 everywhere


def test_timit_bad_raw(tmp_path):
    raw = mle_datasets.make_raw_fixture(TIMIT, tmp_path / "raw")
    preparer = get_preparer(TIMIT)
    folder = raw / "timit_11" / "timit_11"
    labels = np.load(folder / "train_label_11.npy")
    np.save(folder / "train_label_11.npy", labels.astype(object), allow_pickle=True)
    with pytest.raises(RawDataError, match="train_label_11.npy is not a readable .npy array.*Python objects"):
        preparer.check_raw(raw)
    np.save(folder / "train_label_11.npy", labels[:-1])
    with pytest.raises(RawDataError, match=r"one label per frame \(shapes \(160, 429\) and \(159,\)\)"):
        preparer.check_raw(raw)
    np.save(folder / "train_label_11.npy", labels)
    (folder / "test_11.npy").write_bytes((folder / "test_11.npy").read_bytes()[:3000])
    with pytest.raises(RawDataError, match="test_11.npy is not a readable .npy array"):
        preparer.check_raw(raw)
    (folder / "test_11.npy").unlink()
    with pytest.raises(RawDataError, match=r"missing timit_11/timit_11/test_11\.npy"):
        preparer.check_raw(raw)


# ------------------------------------------------------------------------ invasive-species-monitoring
def zipped_csv(path, member) -> pd.DataFrame:
    with zipfile.ZipFile(path) as zf:
        assert zf.namelist() == [member]
        with zf.open(member) as fh:
            return pd.read_csv(fh)


def test_invasive_end_to_end(tmp_path, store):
    check_end_to_end(INVASIVE, tmp_path, store, lambda answers, sample: read(answers))


def test_invasive_split_is_v1s_and_public_holds_archives_only(tmp_path):
    from mle_datasets.preparers._sevenzip import SevenZip

    raw = mle_datasets.make_raw_fixture(INVASIVE, tmp_path / "raw")
    train, test = train_test_split(zipped_csv(raw / "train_labels.csv.zip", "train_labels.csv"), test_size=0.2,
                                   random_state=0)
    prepared = mle_datasets.prepare(INVASIVE, raw, tmp_path / "prepared")
    public = prepared.public_dir
    pd.testing.assert_frame_equal(read(prepared.answers), test.reset_index(drop=True))
    assert prepared.sample_submission == prepared.private_dir / "sample_submission.csv"
    sample = read(prepared.sample_submission)
    assert sample["name"].tolist() == test["name"].tolist() and (sample["invasive"] == 0.5).all()
    pd.testing.assert_frame_equal(zipped_csv(public / "train_labels.csv.zip", "train_labels.csv"),
                                  train.reset_index(drop=True))
    pd.testing.assert_frame_equal(zipped_csv(public / "sample_submission.csv.zip", "sample_submission.csv"), sample)
    assert sorted(p.name for p in public.iterdir()) == ["description.md", "sample_submission.csv.zip", "test.7z",
                                                        "train.7z", "train_labels.csv.zip"]
    for folder in ("train", "test"):  # v1's py7zr write() packs the folder entry without its images
        archive = SevenZip(public / f"{folder}.7z")
        assert (archive.names, archive.is_dir) == ([folder], [True])


def test_invasive_fixture_is_learnable(tmp_path):
    from mle_datasets.preparers._sevenzip import SevenZip

    raw = mle_datasets.make_raw_fixture(INVASIVE, tmp_path / "raw")
    labels = zipped_csv(raw / "train_labels.csv.zip", "train_labels.csv")
    archive = SevenZip(raw / "train.7z")
    archive.extract({archive.names.index(f"train/{n}.jpg"): tmp_path / "img" / f"{n}.jpg" for n in labels["name"]})
    colours = np.array([jpeg_colour(tmp_path / "img" / f"{n}.jpg") for n in labels["name"]])
    train, test = train_test_split(np.arange(len(labels)), test_size=0.2, random_state=0)
    y = labels["invasive"].to_numpy()
    assert nearest_centroid_accuracy(colours[train], y[train], colours[test], y[test]) == 1.0


def test_invasive_bad_raw(tmp_path):
    from mle_datasets.preparers._sevenzip import pack_7z

    raw = mle_datasets.make_raw_fixture(INVASIVE, tmp_path / "raw")
    preparer = get_preparer(INVASIVE)
    good_7z, good_zip = (raw / "train.7z").read_bytes(), (raw / "train_labels.csv.zip").read_bytes()
    (raw / "train.7z").write_bytes(pack_7z({f"{n}.jpg": b"\xff\xd8\xff\xd9" for n in range(1, 21)}, preset=1, encode_header=True))
    with pytest.raises(RawDataError, match=r"train.7z holds no train/<name>\.jpg.*'1.jpg'"):
        preparer.check_raw(raw)
    (raw / "train.7z").write_bytes(pack_7z({f"train/{n}.jpg": b"\xff\xd8\xff\xd9" for n in range(2, 21)}, preset=1, encode_header=True))
    with pytest.raises(RawDataError, match=r"1 labelled image\(s\) missing from train.7z \(e.g. train/1.jpg\)"):
        mle_datasets.prepare(INVASIVE, raw, tmp_path / "prepared")
    (raw / "train.7z").write_bytes(good_zip)
    with pytest.raises(RawDataError, match="train.7z is not a 7z archive"):
        preparer.check_raw(raw)
    (raw / "train.7z").write_bytes(good_7z)
    with zipfile.ZipFile(raw / "train_labels.csv.zip", "w") as zf:
        zf.writestr("train_labels.csv", "name,label\n1,0\n")
    with pytest.raises(RawDataError, match="train_labels.csv.zip:train_labels.csv.*missing column.*'invasive'"):
        preparer.check_raw(raw)
    with zipfile.ZipFile(raw / "train_labels.csv.zip", "w") as zf:
        zf.writestr("labels.csv", "name,invasive\n1,0\n")
    with pytest.raises(RawDataError, match="train_labels.csv.zip has no entry 'train_labels.csv'"):
        preparer.check_raw(raw)
    (raw / "train.7z").unlink()
    with pytest.raises(RawDataError, match=r"missing train\.7z"):
        preparer.check_raw(raw)


# ------------------------------------------------------------------------ stanford-covid-vaccine
def jsonl(path) -> pd.DataFrame:
    return pd.read_json(path, lines=True)


def test_covid_end_to_end(tmp_path, store):
    check_end_to_end(COVID, tmp_path, store, lambda answers, sample: read(answers)[["id_seqpos", *COVID_TARGETS]])


def test_covid_split_is_v1s_sample_among_passing_sequences(tmp_path):
    raw = mle_datasets.make_raw_fixture(COVID, tmp_path / "raw")
    old = jsonl(raw / "train.json")
    chosen = old[old["SN_filter"] > 0].sample(n=int(0.1 * len(old)), random_state=0).index
    test, train = old[old.index.isin(chosen)], old[~old.index.isin(chosen)]
    prepared = mle_datasets.prepare(COVID, raw, tmp_path / "prepared")
    public = prepared.public_dir
    new_train, new_test = jsonl(public / "train.json"), jsonl(public / "test.json")
    assert new_train["id"].tolist() == train["id"].tolist() and new_train["index"].tolist() == list(range(len(train)))
    pd.testing.assert_frame_equal(new_train.drop(columns="index"), train.drop(columns="index").reset_index(drop=True))
    assert list(new_test.columns) == list(jsonl(raw / "test.json").columns)
    assert new_test["id"].tolist() == test["id"].tolist() and new_test["index"].tolist() == list(range(len(test)))
    answers = read(prepared.answers)
    assert answers["id_seqpos"].tolist() == [f"{i}_{p}" for i, n in zip(test["id"], test["seq_length"])
                                             for p in range(n)]
    for target in COVID_TARGETS:
        expected = [v for values, n in zip(test[target], test["seq_length"])
                    for v in values + [0.0] * (n - len(values))]
        np.testing.assert_allclose(answers[target], expected, atol=5e-11)
    assert answers["keep"].tolist() == [p < s for s, n in zip(test["seq_scored"], test["seq_length"]) for p in range(n)]
    assert "0.0000000000" in prepared.answers.read_text()  # v1 writes %.10f
    sample = read(prepared.sample_submission)
    assert sample["id_seqpos"].tolist() == answers["id_seqpos"].tolist() and (sample[COVID_TARGETS] == 0).all().all()
    assert not (public / "bpps").exists()  # v1 copies no base-pair probabilities


def test_covid_fixture_is_learnable(tmp_path):
    raw = mle_datasets.make_raw_fixture(COVID, tmp_path / "raw")
    prepared = mle_datasets.prepare(COVID, raw, tmp_path / "prepared")
    train, test = jsonl(prepared.public_dir / "train.json"), jsonl(prepared.public_dir / "test.json")
    answers = read(prepared.answers)

    def keys(frame):  # (base, paired?) of every scored position
        return [(b, s != ".") for seq, st, n in zip(frame["sequence"], frame["structure"], frame["seq_scored"])
                for b, s in zip(seq[:n], st[:n])]

    truth = pd.Series(np.concatenate(train["reactivity"].to_list()))
    means = truth.groupby(pd.MultiIndex.from_tuples(keys(train))).mean()
    guess = np.array([means[k] for k in keys(test)])
    scored = answers[answers["keep"]]["reactivity"].to_numpy()
    rmse, rmse_zero = np.sqrt(((guess - scored) ** 2).mean()), np.sqrt((scored ** 2).mean())
    assert rmse < 0.3 * rmse_zero


def test_covid_bad_raw(tmp_path):
    raw = mle_datasets.make_raw_fixture(COVID, tmp_path / "raw")
    preparer = get_preparer(COVID)
    train = jsonl(raw / "train.json")

    def put(frame, name="train.json"):
        frame.to_json(raw / name, orient="records", lines=True)

    train.to_json(raw / "train.json", orient="records")
    with pytest.raises(RawDataError, match="train.json is not JSON Lines"):
        preparer.check_raw(raw)
    put(train.drop(columns="SN_filter"))
    with pytest.raises(RawDataError, match="train.json lacks the key.*SN_filter"):
        preparer.check_raw(raw)
    put(train.assign(SN_filter=0))
    with pytest.raises(RawDataError, match="30 sequences, 0 with SN_filter > 0.*its 3 test sequences"):
        mle_datasets.prepare(COVID, raw, tmp_path / "prepared")
    put(train.assign(reactivity=train["reactivity"].map(lambda v: v[:-1])))
    with pytest.raises(RawDataError, match="reactivity does not hold seq_scored values for 3 test sequence"):
        mle_datasets.prepare(COVID, raw, tmp_path / "prepared")
    put(train.assign(id=train["id"].where(train.index != 7, train["id"].iloc[8])))
    with pytest.raises(RawDataError, match="train.json: column 'id' has 1 duplicated value"):
        mle_datasets.prepare(COVID, raw, tmp_path / "prepared")
    put(train)
    test = jsonl(raw / "test.json")
    put(test.assign(bpp_mean=0.5), "test.json")
    with pytest.raises(RawDataError, match="test.json has key.*bpp_mean.*that train.json lacks"):
        preparer.check_raw(raw)
    put(test, "test.json")
    read(raw / "sample_submission.csv").drop(columns="deg_50C").to_csv(raw / "sample_submission.csv", index=False)
    with pytest.raises(RawDataError, match="sample_submission.csv has columns.*expected id_seqpos"):
        preparer.check_raw(raw)
    (raw / "test.json").unlink()
    with pytest.raises(RawDataError, match=r"missing test\.json"):
        preparer.check_raw(raw)
