"""Medium competitions of tables, text, code and signals: CHAMPS, H&M, IceCube, ventilator, SETI, Statoil,
multi-modal gestures (end to end, MLE-bench v1's split, learnable fixtures, bad raw data)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.model_selection import train_test_split

import competitions
from mle_datasets.errors import RawDataError
from mle_datasets.fixtures import make_raw_fixture
from mle_datasets.preparers import get_preparer
from mle_datasets.preparers._common import csv_bytes
from tests.data.endtoend import check_end_to_end, prepared, read, files, grade

def fails(cid: str, raw: Path, tmp_path: Path, match: str, contract: bool = True) -> None:
    """The raw contract (or, with ``contract=False``, the preparer) raises a RawDataError matching ``match``."""
    preparer = get_preparer(cid)
    with pytest.raises(RawDataError, match=match):
        if contract:
            preparer.check_raw(raw)
        else:
            preparer.check_raw(raw)
            preparer.run(raw, tmp_path / "pub", tmp_path / "priv")


# ------------------------------------------------------------------------ champs-scalar-coupling
CHAMPS = "champs-scalar-coupling"


def test_champs_end_to_end(tmp_path, store):
    # the exact answers score -inf (log of a zero MAE per type; v1 has no floor): the metric's bound
    check_end_to_end(CHAMPS, tmp_path, store,
                     lambda answers, sample: pd.read_csv(answers)[["id", "scalar_coupling_constant"]])
    exact = competitions.grade(CHAMPS, tmp_path / "perfect.csv", tmp_path / "prepared" / "private" / "answers.csv",
                               tmp_path / "prepared" / "public" / "sample_submission.csv")
    assert exact.valid_submission and exact.score == float("-inf")


def test_champs_split_is_v1s_molecule_split(tmp_path_factory):
    work = prepared(CHAMPS, tmp_path_factory)
    raw = pd.read_csv(work / "raw" / "train.csv")
    groups = list(raw.groupby("molecule_name"))
    train_groups, test_groups = train_test_split(groups, test_size=0.1, random_state=0)
    expected_train = pd.concat([g for _, g in train_groups]).reset_index(drop=True)
    expected_test = pd.concat([g for _, g in test_groups]).reset_index(drop=True)
    pd.testing.assert_frame_equal(pd.read_csv(work / "public" / "train.csv"), expected_train)
    pd.testing.assert_frame_equal(pd.read_csv(work / "private" / "answers.csv"), expected_test)
    pd.testing.assert_frame_equal(pd.read_csv(work / "public" / "test.csv"),
                                  expected_test.drop(columns=["scalar_coupling_constant"]))
    sample = pd.read_csv(work / "public" / "sample_submission.csv")
    assert sample["id"].tolist() == expected_test["id"].tolist() and (sample["scalar_coupling_constant"] == 0).all()
    train_molecules = set(expected_train["molecule_name"])
    for name in ("structures.csv", "dipole_moments.csv", "magnetic_shielding_tensors.csv", "mulliken_charges.csv",
                 "potential_energy.csv", "scalar_coupling_contributions.csv"):
        full = pd.read_csv(work / "raw" / name)
        kept = pd.read_csv(work / "public" / name)
        pd.testing.assert_frame_equal(kept, full[full["molecule_name"].isin(train_molecules)].reset_index(drop=True))
        assert set(kept["molecule_name"]) == train_molecules
    assert {p.stem for p in (work / "public" / "structures").iterdir()} == train_molecules
    for molecule in train_molecules:
        assert (work / "public" / "structures" / f"{molecule}.xyz").read_bytes() == (
            work / "raw" / "structures" / f"{molecule}.xyz").read_bytes()


def test_champs_type_means_beat_the_sample(tmp_path_factory):
    work = prepared(CHAMPS, tmp_path_factory)
    train = pd.read_csv(work / "public" / "train.csv")
    test = pd.read_csv(work / "public" / "test.csv")
    means = train.groupby("type")["scalar_coupling_constant"].mean()
    guess = test[["id"]].assign(scalar_coupling_constant=test["type"].map(means).fillna(0).to_numpy())
    sample = read(work / "public" / "sample_submission.csv")
    args = ("private/answers.csv", "public/sample_submission.csv")
    assert grade(CHAMPS, work, guess, *args) < grade(CHAMPS, work, sample, *args) - 1


def test_champs_bad_raw(tmp_path):
    raw = make_raw_fixture(CHAMPS, tmp_path / "raw")
    (raw / "potential_energy.csv").rename(tmp_path / "energy.csv")
    fails(CHAMPS, raw, tmp_path, "missing potential_energy.csv")
    (tmp_path / "energy.csv").rename(raw / "potential_energy.csv")

    dipoles = pd.read_csv(raw / "dipole_moments.csv")
    (raw / "dipole_moments.csv").write_bytes(csv_bytes(dipoles.rename(columns={"Z": "z"})))
    fails(CHAMPS, raw, tmp_path, r"dipole_moments.csv does not match .*missing column\(s\) 'Z'")
    (raw / "dipole_moments.csv").write_bytes(csv_bytes(dipoles))

    # a molecule of the new train split without Mulliken charges: v1's equality assert
    train = pd.read_csv(raw / "train.csv")
    kept, _ = train_test_split(sorted(train["molecule_name"].unique()), test_size=0.1, random_state=0)
    charges = pd.read_csv(raw / "mulliken_charges.csv")
    (raw / "mulliken_charges.csv").write_bytes(csv_bytes(charges[charges["molecule_name"] != kept[0]]))
    fails(CHAMPS, raw, tmp_path / "a", rf"mulliken_charges.csv lacks 1 molecule\(s\) .*{kept[0]}", contract=False)
    (raw / "mulliken_charges.csv").write_bytes(csv_bytes(charges))

    (raw / "structures" / f"{kept[1]}.xyz").unlink()
    fails(CHAMPS, raw, tmp_path / "b", r"1 structures/<molecule>.xyz file\(s\) missing", contract=False)


# ------------------------------------------------------------------------ h-and-m-personalized-fashion-recommendations
HM = "h-and-m-personalized-fashion-recommendations"


def test_hm_end_to_end(tmp_path, store):
    def perfect(answers, sample):  # every customer of the sample; the buyers get what they bought
        bought = read(answers, dtype=str)
        return read(sample, dtype=str)[["customer_id"]].merge(bought, on="customer_id", how="left").fillna("")

    check_end_to_end(HM, tmp_path, store, perfect)


def test_hm_split_is_v1s_last_8_days(tmp_path_factory):
    work = prepared(HM, tmp_path_factory)
    raw = pd.read_csv(work / "raw" / "transactions_train.csv")
    day = pd.to_datetime(raw["t_dat"])
    in_test = day >= day.max() - pd.Timedelta(days=7)
    assert raw["t_dat"][in_test].nunique() == 8 and (~in_test).any()
    pd.testing.assert_frame_equal(pd.read_csv(work / "public" / "transactions_train.csv"),
                                  raw[~in_test].reset_index(drop=True))
    answers = read(work / "private" / "answers.csv", dtype=str)
    expected = raw[in_test].groupby("customer_id")["article_id"].apply(lambda x: " ".join(x.astype(str)))
    assert answers["customer_id"].tolist() == expected.index.tolist()
    assert answers["prediction"].tolist() == expected.tolist()
    assert not answers["prediction"].str.contains(r"(?:^| )0").any()  # v1's int ids: no leading zero
    for name in ("sample_submission.csv", "articles.csv", "customers.csv"):
        assert (work / "public" / name).read_bytes() == (work / "raw" / name).read_bytes()
    assert files(work / "public" / "images") == files(work / "raw" / "images") != set()
    assert files(work / "private") == {"answers.csv"}


def test_hm_past_purchases_beat_the_sample(tmp_path_factory):
    work = prepared(HM, tmp_path_factory)
    train = pd.read_csv(work / "public" / "transactions_train.csv")
    sample = read(work / "public" / "sample_submission.csv", dtype=str)
    favourite = train.groupby("customer_id")["article_id"].agg(
        lambda x: " ".join(x.astype(str).value_counts().index[:12]))
    guess = sample.assign(prediction=sample["customer_id"].map(favourite).fillna(""))
    args = ("private/answers.csv", "public/sample_submission.csv")
    assert grade(HM, work, sample, *args) == 0.0  # zero-padded ids never match the answers' integers
    assert grade(HM, work, guess, *args) > 0.3


def test_hm_bad_raw(tmp_path):
    raw = make_raw_fixture(HM, tmp_path / "raw")
    shutil.rmtree(raw / "images")
    fails(HM, raw, tmp_path, "missing images")
    (raw / "images").mkdir()
    tx = read(raw / "transactions_train.csv", dtype=str)
    (raw / "transactions_train.csv").write_bytes(csv_bytes(tx.drop(columns=["price"])))
    fails(HM, raw, tmp_path, r"transactions_train.csv does not match .*missing column\(s\) 'price'")
    bad_day = tx["t_dat"].where(tx.index != 7, "2020-13-01")
    (raw / "transactions_train.csv").write_bytes(csv_bytes(tx.assign(t_dat=bad_day)))
    fails(HM, raw, tmp_path, "'t_dat' holds a value that is not a YYYY-MM-DD date", contract=False)


# ------------------------------------------------------------------------ icecube-neutrinos-in-deep-ice
ICECUBE = "icecube-neutrinos-in-deep-ice"


def test_icecube_end_to_end(tmp_path, store):
    check_end_to_end(ICECUBE, tmp_path, store, lambda answers, sample: pd.read_csv(answers))


def test_icecube_split_is_v1s_batch_split(tmp_path_factory):
    work = prepared(ICECUBE, tmp_path_factory)
    meta = pd.read_parquet(work / "raw" / "train_meta.parquet")
    train_ids, test_ids = train_test_split(meta["batch_id"].unique(), test_size=0.1, random_state=0)
    train = meta[meta["batch_id"].isin(train_ids)].reset_index(drop=True)
    test = meta[meta["batch_id"].isin(test_ids)].reset_index(drop=True)
    pd.testing.assert_frame_equal(pd.read_parquet(work / "public" / "train_meta.parquet"), train)
    pd.testing.assert_frame_equal(pd.read_parquet(work / "public" / "test_meta.parquet"),
                                  test.drop(columns=["azimuth", "zenith"]))
    pd.testing.assert_frame_equal(pd.read_csv(work / "private" / "test.csv"), test[["event_id", "azimuth", "zenith"]])
    sample = pd.read_csv(work / "public" / "sample_submission.csv")
    assert sample["event_id"].tolist() == test["event_id"].tolist()
    assert (sample[["azimuth", "zenith"]] == 1).all().all()
    for folder, ids in (("train", train_ids), ("test", test_ids)):
        assert files(work / "public" / folder) == {f"batch_{b}.parquet" for b in ids}
        for b in ids:
            assert (work / "public" / folder / f"batch_{b}.parquet").read_bytes() == (
                work / "raw" / "train" / f"batch_{b}.parquet").read_bytes()
    assert (work / "public" / "sensor_geometry.csv").read_bytes() == (work / "raw" / "sensor_geometry.csv").read_bytes()


def _line_fit_directions(pulses: pd.DataFrame, geometry: pd.DataFrame) -> pd.DataFrame:
    """Azimuth and zenith of each event from a least-squares fit of hit position against time."""
    hits = pulses.reset_index().merge(geometry, on="sensor_id")
    out = []
    for event, g in hits.groupby("event_id"):
        t = g["time"].to_numpy(float)
        velocity = np.polyfit(t - t.mean(), g[["x", "y", "z"]].to_numpy(), 1)[0]
        source = -velocity / np.linalg.norm(velocity)
        out.append((event, np.arctan2(source[1], source[0]) % (2 * np.pi), np.arccos(np.clip(source[2], -1, 1))))
    return pd.DataFrame(out, columns=["event_id", "azimuth", "zenith"])


def test_icecube_line_fit_beats_the_sample(tmp_path_factory):
    work = prepared(ICECUBE, tmp_path_factory)
    geometry = pd.read_csv(work / "public" / "sensor_geometry.csv")
    pulses = pd.concat(pd.read_parquet(p) for p in sorted((work / "public" / "test").glob("*.parquet")))
    guess = _line_fit_directions(pulses, geometry)
    sample = read(work / "public" / "sample_submission.csv")
    args = ("private/test.csv", "public/sample_submission.csv")
    assert grade(ICECUBE, work, guess, *args) < 0.5 < grade(ICECUBE, work, sample, *args)


def test_icecube_bad_raw(tmp_path):
    import pyarrow.parquet as pq

    raw = make_raw_fixture(ICECUBE, tmp_path / "raw")
    (raw / "train" / "batch_3.parquet").rename(tmp_path / "batch_3.parquet")
    fails(ICECUBE, raw, tmp_path / "a", r"train/ lacks the batch file\(s\) of 1 batch id.*batch_3.parquet",
          contract=False)
    (tmp_path / "batch_3.parquet").rename(raw / "train" / "batch_3.parquet")
    (raw / "train" / "extra.parquet").write_bytes((raw / "train" / "batch_1.parquet").read_bytes())
    fails(ICECUBE, raw, tmp_path, r"train/extra.parquet: a batch file must be named batch_<id>.parquet")
    (raw / "train" / "extra.parquet").unlink()
    meta = pq.read_table(raw / "train_meta.parquet")
    pq.write_table(meta.drop_columns(["zenith"]), raw / "train_meta.parquet")
    fails(ICECUBE, raw, tmp_path, r"train_meta.parquet lacks column\(s\) zenith")
    (raw / "train_meta.parquet").write_bytes(b"PAR1 truncated")
    fails(ICECUBE, raw, tmp_path, "train_meta.parquet is not a readable parquet file")
    shutil.rmtree(raw / "train")
    fails(ICECUBE, raw, tmp_path, r"missing train/\*.parquet")


# ------------------------------------------------------------------------ ventilator-pressure-prediction
VENTILATOR = "ventilator-pressure-prediction"


def test_ventilator_end_to_end(tmp_path, store):
    check_end_to_end(VENTILATOR, tmp_path, store, lambda answers, sample: pd.read_csv(answers)[["id", "pressure"]])


def test_ventilator_split_is_v1s_breath_split(tmp_path_factory):
    work = prepared(VENTILATOR, tmp_path_factory)
    raw = pd.read_csv(work / "raw" / "train.csv")
    groups = [g.index.tolist() for _, g in raw.groupby("breath_id")]
    train_groups, test_groups = train_test_split(groups, test_size=0.1, random_state=0)
    for rows, name in ((sum(train_groups, []), "public/train.csv"), (sum(test_groups, []), "private/test.csv")):
        expected = raw.loc[rows].reset_index(drop=True).assign(id=np.arange(1, len(rows) + 1))
        got = pd.read_csv(work / name)
        pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9)  # %.10g
        assert (work / name).read_text().splitlines()[1].split(",")[0] == "1"
    test = pd.read_csv(work / "private" / "test.csv")
    pd.testing.assert_frame_equal(pd.read_csv(work / "public" / "test.csv"), test.drop(columns=["pressure"]))
    sample = pd.read_csv(work / "public" / "sample_submission.csv")
    assert sample["id"].tolist() == test["id"].tolist() and (sample["pressure"] == 0).all()
    assert set(test["breath_id"]).isdisjoint(pd.read_csv(work / "public" / "train.csv")["breath_id"])


def test_ventilator_step_means_beat_the_sample(tmp_path_factory):
    work = prepared(VENTILATOR, tmp_path_factory)
    train = pd.read_csv(work / "public" / "train.csv")
    test = pd.read_csv(work / "public" / "test.csv")
    for frame in (train, test):
        frame["step"] = frame.groupby("breath_id").cumcount()
    means = train.groupby(["u_out", "step"])["pressure"].mean()
    guess = test[["id"]].assign(pressure=means.reindex(pd.MultiIndex.from_frame(test[["u_out", "step"]])).to_numpy())
    sample = read(work / "public" / "sample_submission.csv")
    args = ("private/test.csv", "public/sample_submission.csv")
    assert grade(VENTILATOR, work, guess, *args) < grade(VENTILATOR, work, sample, *args) / 3


def test_ventilator_bad_raw(tmp_path):
    raw = make_raw_fixture(VENTILATOR, tmp_path / "raw")
    table = read(raw / "train.csv", dtype=str)
    (raw / "train.csv").write_bytes(csv_bytes(table.drop(columns=["u_out"])))
    fails(VENTILATOR, raw, tmp_path, r"train.csv does not match .*missing column\(s\) 'u_out'")
    (raw / "train.csv").write_bytes(csv_bytes(table.assign(R=table["R"].where(table.index != 5, "300"))))
    fails(VENTILATOR, raw, tmp_path, r"column 'R' fails isin")
    (raw / "train.csv").unlink()
    fails(VENTILATOR, raw, tmp_path, "missing train.csv")


# ------------------------------------------------------------------------ seti-breakthrough-listen
SETI = "seti-breakthrough-listen"


def test_seti_end_to_end(tmp_path, store):
    check_end_to_end(SETI, tmp_path, store, lambda answers, sample: read(answers, dtype={"id": str}))


def test_seti_split_is_v1s_row_split(tmp_path_factory):
    work = prepared(SETI, tmp_path_factory)
    raw = pd.read_csv(work / "raw" / "train_labels.csv")
    train, test = train_test_split(raw, test_size=0.1, random_state=0)
    pd.testing.assert_frame_equal(pd.read_csv(work / "public" / "train_labels.csv"), train.reset_index(drop=True))
    pd.testing.assert_frame_equal(pd.read_csv(work / "private" / "test.csv"), test.reset_index(drop=True))
    sample = pd.read_csv(work / "public" / "sample_submission.csv")
    assert sample["id"].tolist() == test["id"].tolist() and (sample["target"] == 0.5).all()
    assert set(test["target"]) == {0, 1}
    for folder, part in (("train", train), ("test", test)):
        assert files(work / "public" / folder) == {f"{i[0]}/{i}.npy" for i in part["id"]}
        for i in part["id"]:
            assert (work / "public" / folder / i[0] / f"{i}.npy").read_bytes() == (
                work / "raw" / "train" / i[0] / f"{i}.npy").read_bytes()
    assert files(work / "public" / "old_leaky_data") == files(work / "raw" / "old_leaky_data") != set()


def test_seti_on_minus_off_detects_the_signal(tmp_path_factory):
    work = prepared(SETI, tmp_path_factory)
    sample = read(work / "public" / "sample_submission.csv", dtype={"id": str})

    def score(i: str) -> float:
        cadence = np.load(work / "public" / "test" / i[0] / f"{i}.npy").astype(float)
        return float((cadence[0::2] - cadence[1::2]).max())

    raw_scores = sample["id"].map(score)
    guess = sample.assign(target=(raw_scores - raw_scores.min()) / (raw_scores.max() - raw_scores.min()))
    args = ("private/test.csv", "public/sample_submission.csv")
    assert grade(SETI, work, guess, *args) == 1.0 > grade(SETI, work, sample, *args)


def test_seti_bad_raw(tmp_path):
    raw = make_raw_fixture(SETI, tmp_path / "raw")
    labels = read(raw / "train_labels.csv", dtype=str)
    first = labels["id"][0]
    (raw / "train" / first[0] / f"{first}.npy").unlink()
    fails(SETI, raw, tmp_path / "a", rf"1 cadence file\(s\) missing .*{first[0]}/{first}.npy", contract=False)
    (raw / "train_labels.csv").write_bytes(csv_bytes(labels.assign(id=labels["id"].str[:14])))
    fails(SETI, raw, tmp_path, r"column 'id' fails 15 lowercase hex digits")
    (raw / "train_labels.csv").write_bytes(csv_bytes(labels.drop(columns=["target"])))
    fails(SETI, raw, tmp_path, r"missing column\(s\) 'target'")
    shutil.rmtree(raw / "old_leaky_data")
    fails(SETI, raw, tmp_path, "missing old_leaky_data")


# ------------------------------------------------------------------------ statoil-iceberg-classifier-challenge
STATOIL = "statoil-iceberg-classifier-challenge"


def members_7z(path: Path, tmp: Path) -> dict[str, bytes]:
    """Every file entry of a 7z archive (read with the preparers' reader)."""
    from mle_datasets.preparers._sevenzip import SevenZip

    archive = SevenZip(path)
    wanted = {i: tmp / f"m{i}" for i, d in enumerate(archive.is_dir) if not d}
    archive.extract(wanted)
    return {archive.names[i]: p.read_bytes() if p.exists() else b"" for i, p in wanted.items()}


def test_statoil_end_to_end(tmp_path, store):
    check_end_to_end(STATOIL, tmp_path, store, lambda answers, sample: read(answers, dtype={"id": str}))


def test_statoil_split_is_v1s_record_split(tmp_path_factory, tmp_path):
    import json

    work = prepared(STATOIL, tmp_path_factory)
    raw = json.loads(members_7z(work / "raw" / "train.json.7z", tmp_path)["data/processed/train.json"])
    raw_test = json.loads(members_7z(work / "raw" / "test.json.7z", tmp_path)["data/processed/test.json"])
    train, test = train_test_split(raw, test_size=0.2, random_state=0)
    assert members_7z(work / "public" / "train.json.7z", tmp_path) == {"train.json": json.dumps(train).encode()}
    public_test = [{k: r[k] for k in raw_test[0]} for r in test]
    assert members_7z(work / "public" / "test.json.7z", tmp_path) == {"test.json": json.dumps(public_test).encode()}
    answers = read(work / "private" / "test.csv", dtype={"id": str})
    assert answers.to_dict("list") == {"id": [r["id"] for r in test], "is_iceberg": [r["is_iceberg"] for r in test]}
    assert set(answers["is_iceberg"]) == {0, 1}
    sample = (work / "private" / "sample_submission.csv").read_bytes()
    assert sample == csv_bytes(answers.assign(is_iceberg=0.5))
    assert members_7z(work / "public" / "sample_submission.csv.7z", tmp_path) == {"sample_submission.csv": sample}
    assert files(work / "public") == {"train.json.7z", "test.json.7z", "sample_submission.csv.7z"}


def test_statoil_brightest_pixel_beats_the_sample(tmp_path_factory, tmp_path):
    import json

    work = prepared(STATOIL, tmp_path_factory)
    train = json.loads(members_7z(work / "public" / "train.json.7z", tmp_path)["train.json"])
    test = json.loads(members_7z(work / "public" / "test.json.7z", tmp_path)["test.json"])
    peak = {0: [], 1: []}
    for r in train:
        peak[r["is_iceberg"]].append(max(r["band_1"]))
    cut = (np.mean(peak[0]) + np.mean(peak[1])) / 2
    guess = pd.DataFrame({"id": [r["id"] for r in test],
                          "is_iceberg": [0.1 if max(r["band_1"]) > cut else 0.9 for r in test]})
    sample = read(work / "private" / "sample_submission.csv", dtype={"id": str})
    args = ("private/test.csv", "private/sample_submission.csv")
    assert grade(STATOIL, work, guess, *args) < 0.2 < grade(STATOIL, work, sample, *args)


def test_statoil_bad_raw(tmp_path):
    import json

    from mle_datasets.preparers._sevenzip import pack_7z

    raw = make_raw_fixture(STATOIL, tmp_path / "raw")
    original = (raw / "train.json.7z").read_bytes()
    records = json.loads(members_7z(raw / "train.json.7z", tmp_path)["data/processed/train.json"])
    (raw / "train.json.7z").write_bytes(pack_7z({"train.json": json.dumps(records).encode()}))
    fails(STATOIL, raw, tmp_path, "train.json.7z has no entry 'data/processed/train.json'")
    del records[3]["inc_angle"]
    (raw / "train.json.7z").write_bytes(pack_7z({"data/processed/train.json": json.dumps(records).encode()}))
    fails(STATOIL, raw, tmp_path / "a", r"train.json.7z: 1 record\(s\) \(e.g. number 3\) lack or add fields",
          contract=False)
    (raw / "train.json.7z").write_bytes(original[:len(original) // 2])
    fails(STATOIL, raw, tmp_path, "train.json.7z is truncated or damaged")
    (raw / "train.json.7z").write_bytes(original)
    (raw / "test.json.7z").unlink()
    fails(STATOIL, raw, tmp_path, "missing test.json.7z")


# ------------------------------------------------------------------------ multi-modal-gesture-recognition
GESTURES = "multi-modal-gesture-recognition"


def test_gestures_end_to_end(tmp_path, store):
    check_end_to_end(GESTURES, tmp_path, store, lambda answers, sample: read(answers, dtype=str))


def test_gestures_split_is_v1s_training4_rule(tmp_path_factory):
    import random
    import tarfile

    work = prepared(GESTURES, tmp_path_factory)
    with tarfile.open(work / "raw" / "training4.tar.gz") as tar:
        test_ids = sorted(Path(n).stem[-4:] for n in tar.getnames() if n.endswith(".zip"))
    raw = read(work / "raw" / "training.csv", dtype=str)
    in_test = raw["Id"].isin(test_ids)
    pd.testing.assert_frame_equal(read(work / "public" / "training.csv", dtype=str),
                                  raw[~in_test].reset_index(drop=True))
    pd.testing.assert_frame_equal(read(work / "private" / "test.csv", dtype=str), raw[in_test].reset_index(drop=True))
    assert read(work / "public" / "test.csv", dtype=str)["Id"].tolist() == test_ids == ["0300", "0301", "0302"]
    random.seed(0)
    orders = [" ".join(str(x) for x in random.sample(range(1, 21), 20)) for _ in test_ids]
    pd.testing.assert_frame_equal(read(work / "public" / "randomPredictions.csv", dtype=str),
                                  pd.DataFrame({"Id": test_ids, "Sequence": orders}))
    assert (work / "public" / "test.tar.gz").read_bytes() == (work / "raw" / "training4.tar.gz").read_bytes()
    for name in ("training1.tar.gz", "training2.tar.gz", "training3.tar.gz", "validation1.tar.gz",
                 "validation2.tar.gz", "validation3.tar.gz", "devel01-40.7z", "valid_all_files_combined.7z",
                 "sample_code_mmrgc.zip"):
        assert (work / "public" / name).read_bytes() == (work / "raw" / name).read_bytes()
    assert "training4.tar.gz" not in files(work / "public")


def test_gestures_audio_tones_give_the_sequences(tmp_path_factory):
    import io
    import tarfile
    import wave
    import zipfile

    from mle_datasets.fixtures.signals import GESTURE_SECONDS, gesture_tone

    work = prepared(GESTURES, tmp_path_factory)
    decoded = {}
    with tarfile.open(work / "public" / "test.tar.gz") as tar:
        for member in tar.getmembers():
            if not member.name.endswith(".zip"):
                continue
            stem = Path(member.name).stem
            with zipfile.ZipFile(tar.extractfile(member)) as zf:
                audio = zf.read(f"{stem}_audio.wav")
            with wave.open(io.BytesIO(audio)) as w:
                rate, x = w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(float)
            step = int(rate * GESTURE_SECONDS)
            tones = np.array([gesture_tone(g) for g in range(1, 21)])
            peaks = [np.argmax(np.abs(np.fft.rfft(x[i:i + step]))) * rate / step for i in range(0, len(x), step)]
            decoded[stem[-4:]] = " ".join(str(int(np.argmin(np.abs(tones - f))) + 1) for f in peaks)
    sample = read(work / "public" / "randomPredictions.csv", dtype=str)
    guess = sample.assign(Sequence=sample["Id"].map(decoded))
    args = ("private/test.csv", "public/randomPredictions.csv")
    assert grade(GESTURES, work, guess, *args) == 0.0 < grade(GESTURES, work, sample, *args)


def test_gestures_bad_raw(tmp_path):
    import tarfile

    from mle_datasets.fixtures.signals import tar_gz_bytes

    raw = make_raw_fixture(GESTURES, tmp_path / "raw")
    original = (raw / "training4.tar.gz").read_bytes()
    with tarfile.open(raw / "training4.tar.gz") as tar:
        sessions = {Path(m.name).name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
    (raw / "training4.tar.gz").write_bytes(tar_gz_bytes({f"training4/{k}": v for k, v in sessions.items()}, root=False))
    fails(GESTURES, raw, tmp_path / "a", "training4.tar.gz holds no SampleNNNNN.zip at its top level", contract=False)
    (raw / "training4.tar.gz").write_bytes(original[:len(original) // 2])
    fails(GESTURES, raw, tmp_path / "b", "training4.tar.gz is not a readable tar.gz", contract=False)
    (raw / "training4.tar.gz").write_bytes(original)
    training = read(raw / "training.csv", dtype=str)
    (raw / "training.csv").write_bytes(csv_bytes(training[training["Id"] != "0301"]))
    fails(GESTURES, raw, tmp_path / "c", r"training.csv lacks the Id\(s\) 0301 of training4.tar.gz", contract=False)
    (raw / "training.csv").write_bytes(csv_bytes(training.assign(Id=training["Id"].str.lstrip("0"))))
    fails(GESTURES, raw, tmp_path, "column 'Id' fails 4 digits, zero-padded")
    (raw / "training.csv").write_bytes(csv_bytes(training))
    (raw / "devel01-40.7z").unlink()
    fails(GESTURES, raw, tmp_path, "missing devel01-40.7z")


# ------------------------------------------------------------------------ streaming
@pytest.mark.parametrize("cid", [CHAMPS, HM, ICECUBE, VENTILATOR])
def test_streaming_in_small_pieces_gives_the_same_bytes(cid, tmp_path, tmp_path_factory, monkeypatch):
    """Tables read and written a few rows at a time (as the real, large files are) give the same output."""
    from mle_datasets.preparers import signals

    work = prepared(cid, tmp_path_factory)
    monkeypatch.setattr(signals, "BLOCK_BYTES", 1 << 10)
    monkeypatch.setattr(signals, "PARQUET_ROWS", 7)
    monkeypatch.setattr(signals, "CSV_ROWS", 13)
    get_preparer(cid).run(work / "raw", tmp_path / "public", tmp_path / "private")
    for part in ("public", "private"):
        assert files(tmp_path / part) == files(work / part)
        for name in files(work / part):
            if name.endswith(".parquet") and name.count("/") == 0:
                pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / part / name),
                                              pd.read_parquet(work / part / name))
            else:
                assert (tmp_path / part / name).read_bytes() == (work / part / name).read_bytes(), name


# ------------------------------------------------------------------------ every competition of this family
ALL = [CHAMPS, HM, ICECUBE, VENTILATOR, SETI, STATOIL, GESTURES]


def digest(root: Path) -> dict[str, str]:
    import hashlib

    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("cid", ALL)
def test_fixture_is_reproducible_raw_untouched_and_output_deterministic(cid, tmp_path, tmp_path_factory):
    work = prepared(cid, tmp_path_factory)
    again = make_raw_fixture(cid, tmp_path / "raw")
    assert digest(again) == digest(work / "raw")  # same seed, same bytes; and prepare left the raw folder as it was
    assert digest(make_raw_fixture(cid, tmp_path / "other", seed=1)) != digest(again)
    get_preparer(cid).run(again, tmp_path / "public", tmp_path / "private")
    for part in ("public", "private"):
        assert digest(tmp_path / part) == digest(work / part)


def test_pack_7z_round_trips_through_the_reader(tmp_path):
    from mle_datasets.preparers._sevenzip import pack_7z

    entries = {"data/processed/train.json": b'[{"id": "00000001"}]' * 500, "data/empty.txt": b"", "b.csv": b"a,b\n"}
    data = pack_7z(entries, folders=["data", "data/processed"], preset=0)
    assert data == pack_7z(dict(reversed(list(entries.items()))), folders=["data/processed", "data"], preset=0)
    (tmp_path / "a.7z").write_bytes(data)
    assert members_7z(tmp_path / "a.7z", tmp_path) == entries
    (tmp_path / "none.7z").write_bytes(pack_7z({}, folders=["only"]))
    assert members_7z(tmp_path / "none.7z", tmp_path) == {}


# ------------------------------------------------------------------------ CSV text straight from pyarrow
_ARROW_FLOATS = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, 1e16, 1e-5]))
_ARROW_TEXT = st.one_of(st.none(), st.text(alphabet=st.sampled_from(list('ab ,"\n\r\té')), max_size=5))


@settings(max_examples=15, deadline=None)
@given(data=st.data(), n=st.integers(1, 9), width=st.integers(1, 4))
def test_csv_sink_writes_pyarrow_rows_as_pandas_does(data, n, width, tmp_path_factory):
    """pyarrow tables written by CsvSink (their text made by pyarrow) give ``to_pandas().to_csv()``'s bytes."""
    import pyarrow as pa

    from mle_datasets.preparers.signals import CsvSink

    # integers without gaps: a gap makes pandas write the column as floats, which only the whole table can say
    kinds = {"i": st.integers(-2**62, 2**62), "f": _ARROW_FLOATS, "s": _ARROW_TEXT,
             "b": st.booleans()}
    types = {"i": pa.int64(), "f": pa.float64(), "s": pa.string(), "b": pa.bool_()}
    picked = data.draw(st.lists(st.sampled_from(sorted(kinds)), min_size=width, max_size=width))
    table = pa.table({f"{k}{j}": pa.array(data.draw(st.lists(kinds[k], min_size=n, max_size=n)), types[k])
                      for j, k in enumerate(picked)})
    path = tmp_path_factory.mktemp("sink") / "out.csv"
    with CsvSink(path, table.column_names) as sink:
        sink.write(table.slice(0, n // 2))
        sink.write(table.slice(n // 2))
    assert path.read_bytes() == table.to_pandas().to_csv(index=False, lineterminator="\n").encode()
