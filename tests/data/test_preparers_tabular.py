"""Tabular lite preparers: MLE-bench v1's split positions, id renumbering and raw-contract failures."""

from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.model_selection import train_test_split

from mle_datasets.errors import RawDataError
from mle_datasets.fixtures import make_raw_fixture
from mle_datasets.preparers import get_preparer
from mle_datasets.preparers._common import (csv_bytes, fast_csv_bytes, float_text, preformat_floats, read_csv,
                                            split_frame, write_csv)
from mle_datasets.preparers.tabular import prepare_taxi
from tests.data.test_preparers_common import prepared


def frame(df: pd.DataFrame) -> pd.DataFrame:
    return df.reset_index(drop=True)


def test_tps_dec_split_matches_sklearn(tmp_path_factory):
    work = prepared("tabular-playground-series-dec-2021", tmp_path_factory)
    raw = pd.read_csv(work / "raw" / "train.csv")
    train, test = train_test_split(raw, test_size=0.1, random_state=0)
    pd.testing.assert_frame_equal(pd.read_csv(work / "public" / "train.csv"), frame(train))
    pd.testing.assert_frame_equal(pd.read_csv(work / "private" / "test.csv"), frame(test))
    pd.testing.assert_frame_equal(pd.read_csv(work / "public" / "test.csv"), frame(test.drop(columns=["Cover_Type"])))
    sample = pd.read_csv(work / "public" / "sample_submission.csv")
    assert sample.columns.tolist() == ["Id", "Cover_Type"] and (sample["Cover_Type"] == 2).all()


def test_tps_may_renumbers_ids_in_split_order(tmp_path_factory):
    work = prepared("tabular-playground-series-may-2022", tmp_path_factory)
    raw = pd.read_csv(work / "raw" / "train.csv", engine="pyarrow")
    train_pos, test_pos = train_test_split(np.arange(len(raw)), test_size=100_000, random_state=0)
    test = pd.read_csv(work / "private" / "test.csv", engine="pyarrow")
    assert len(test) == 100_000 and test["id"].tolist() == list(range(len(train_pos), len(raw)))
    expected = raw.iloc[test_pos].reset_index(drop=True).assign(id=test["id"])
    pd.testing.assert_frame_equal(test, expected)
    train = pd.read_csv(work / "public" / "train.csv")
    assert train["id"].tolist() == list(range(len(train_pos)))
    assert train["f_27"].tolist() == raw["f_27"].iloc[train_pos].tolist()
    gold = pd.read_csv(work / "private" / "gold_submission.csv", engine="pyarrow")
    pd.testing.assert_frame_equal(gold, test[["id", "target"]])
    sample = pd.read_csv(work / "public" / "sample_submission.csv", engine="pyarrow")
    assert (sample["target"] == 0.5).all()


def test_taxi_writes_labels_csv_and_9914_test_rows(tmp_path_factory):
    work = prepared("new-york-city-taxi-fare-prediction", tmp_path_factory)
    raw = pd.read_csv(work / "raw" / "train.csv")
    train, test = train_test_split(raw, test_size=9914, random_state=0)
    pd.testing.assert_frame_equal(pd.read_csv(work / "public" / "labels.csv"), frame(train))
    pd.testing.assert_frame_equal(pd.read_csv(work / "private" / "test.csv"), frame(test))
    public_test = pd.read_csv(work / "public" / "test.csv")
    assert public_test.shape == (9914, 7) and "fare_amount" not in public_test
    sample = pd.read_csv(work / "public" / "sample_submission.csv")
    assert sample["key"].tolist() == test["key"].tolist() and (sample["fare_amount"] == 11.35).all()
    assert (work / "public" / "GCP-Coupons-Instructions.rtf").read_bytes() == (
        work / "raw" / "GCP-Coupons-Instructions.rtf").read_bytes()


def test_taxi_too_few_rows_is_a_raw_error(tmp_path):
    raw = make_raw_fixture("new-york-city-taxi-fare-prediction", tmp_path / "raw")
    table = pd.read_csv(raw / "train.csv")
    (raw / "train.csv").write_bytes(csv_bytes(table.iloc[:9914]))
    with pytest.raises(RawDataError, match="cannot split 9914 rows"):
        get_preparer("new-york-city-taxi-fare-prediction").run(raw, tmp_path / "pub", tmp_path / "priv")


def _taxi_v1(raw, public, private):
    """The previous, whole-table path (MLE-bench v1's): pandas read, train_test_split, pandas write."""
    old = read_csv(raw / "train.csv", "train.csv")
    train, test = split_frame(old, 9914)
    write_csv(train, public / "labels.csv")
    write_csv(test.drop(columns=["fare_amount"]), public / "test.csv")
    write_csv(test[["key"]].assign(fare_amount=11.35), public / "sample_submission.csv")
    write_csv(test, private / "test.csv")


@pytest.mark.parametrize("holes", [False, True])
def test_taxi_streamed_in_small_pieces_gives_the_whole_table_bytes(holes, tmp_path):
    """Many CSV batches and many buckets (as Kaggle's 55 million rows are) give v1's bytes; with empty fields
    (a float column, and the integer column, which pandas then reads and writes as floats) too."""
    raw = make_raw_fixture("new-york-city-taxi-fare-prediction", tmp_path / "raw")
    if holes:
        table = pd.read_csv(raw / "train.csv", dtype=str, keep_default_na=False)
        table.loc[[5, 700, 11000], "dropoff_longitude"] = ""
        table.loc[[9000], "pickup_latitude"] = "NA"
        table.loc[[11999], "passenger_count"] = ""
        (raw / "train.csv").write_bytes(csv_bytes(table))
    for part in ("v1", "streamed"):
        (tmp_path / part / "public").mkdir(parents=True)
        (tmp_path / part / "private").mkdir()
    _taxi_v1(raw, tmp_path / "v1" / "public", tmp_path / "v1" / "private")
    prepare_taxi(raw, tmp_path / "streamed" / "public", tmp_path / "streamed" / "private", block_bytes=50_000,
                 bucket_rows=700)
    assert (raw / "train.csv").stat().st_size > 20 * 50_000  # > 20 batches; 2,087 train rows: 3 buckets
    for name in ("public/labels.csv", "public/test.csv", "public/sample_submission.csv", "private/test.csv"):
        assert (tmp_path / "streamed" / name).read_bytes() == (tmp_path / "v1" / name).read_bytes(), name
    assert sorted(p.name for p in (tmp_path / "streamed" / "public").iterdir()) == [
        "GCP-Coupons-Instructions.rtf", "labels.csv", "sample_submission.csv", "test.csv"]
    if holes:
        assert b",1.0\n" in (tmp_path / "streamed" / "public" / "labels.csv").read_bytes()


@pytest.mark.parametrize("row, column, value, message", [
    (11500, "key", "2009-06-15 17:26:21.0000001", "duplicated value"),
    (11500, "key", "NA", "column 'key' has 1 value"),
    (30, "pickup_datetime", "2009-06-15 17:26:21", "column 'pickup_datetime' has 1 value"),
    (11999, "passenger_count", "two", "cannot be read as the expected CSV"),
])
def test_taxi_bad_rows_far_into_the_file_are_raw_errors(row, column, value, message, tmp_path):
    """Checks the raw contract makes on the first rows hold for every row of the streamed file."""
    raw = make_raw_fixture("new-york-city-taxi-fare-prediction", tmp_path / "raw")
    table = pd.read_csv(raw / "train.csv", dtype=str, keep_default_na=False)
    if message == "duplicated value":
        value = table.loc[2, "key"]
    table.loc[row, column] = value
    (raw / "train.csv").write_bytes(csv_bytes(table))
    with pytest.raises(RawDataError, match=message):
        prepare_taxi(raw, tmp_path / "pub", tmp_path / "priv", block_bytes=50_000, bucket_rows=700)


def test_nomad_renumbers_ids_and_geometry(tmp_path_factory):
    work = prepared("nomad2018-predict-transparent-conductors", tmp_path_factory)
    with zipfile.ZipFile(work / "raw" / "train.csv.zip") as zf:
        raw = pd.read_csv(zf.open("train.csv"))
    train, test = train_test_split(raw, test_size=0.1, random_state=0)
    private = pd.read_csv(work / "private" / "test.csv")
    assert private["id"].tolist() == list(range(1, len(test) + 1))
    pd.testing.assert_frame_equal(private.drop(columns="id"), frame(test).drop(columns="id"))
    public_train = pd.read_csv(work / "public" / "train.csv")
    assert public_train["id"].tolist() == list(range(1, len(train) + 1))
    with zipfile.ZipFile(work / "raw" / "train.zip") as zf:
        for folder, part in (("train", train), ("test", test)):
            for new_id, old_id in enumerate(part["id"], start=1):
                geometry = (work / "public" / folder / str(new_id) / "geometry.xyz").read_bytes()
                assert geometry == zf.read(f"train/{old_id}/geometry.xyz")
    public_test = pd.read_csv(work / "public" / "test.csv")
    assert not {"formation_energy_ev_natom", "bandgap_energy_ev"} & set(public_test)
    sample = pd.read_csv(work / "public" / "sample_submission.csv")
    assert sample.columns.tolist() == ["id", "formation_energy_ev_natom", "bandgap_energy_ev"]
    assert (sample["formation_energy_ev_natom"] == 0.1779).all() and (sample["bandgap_energy_ev"] == 1.8892).all()


def test_nomad_missing_geometry_is_a_raw_error(tmp_path):
    raw = make_raw_fixture("nomad2018-predict-transparent-conductors", tmp_path / "raw")
    with zipfile.ZipFile(raw / "train.zip") as zf:
        entries = {n: zf.read(n) for n in zf.namelist() if not n.startswith("train/3/")}
    with zipfile.ZipFile(raw / "train.zip", "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    with pytest.raises(RawDataError, match="geometry.xyz"):
        get_preparer("nomad2018-predict-transparent-conductors").run(raw, tmp_path / "pub", tmp_path / "priv")


def _rename_csv_column(path, old, new, member=None):
    if member is None:
        table = pd.read_csv(path)
        path.write_bytes(csv_bytes(table.rename(columns={old: new})))
        return
    with zipfile.ZipFile(path) as zf:
        table = pd.read_csv(zf.open(member))
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(member, csv_bytes(table.rename(columns={old: new})))


@pytest.mark.parametrize("cid, file, member, column", [
    ("tabular-playground-series-dec-2021", "train.csv", None, "Cover_Type"),
    ("new-york-city-taxi-fare-prediction", "train.csv", None, "fare_amount"),
    ("nomad2018-predict-transparent-conductors", "train.csv.zip", "train.csv", "bandgap_energy_ev"),
])
def test_renamed_column_is_a_raw_error(cid, file, member, column, tmp_path):
    raw = make_raw_fixture(cid, tmp_path / "raw")
    _rename_csv_column(raw / file, column, column.upper(), member)
    with pytest.raises(RawDataError, match=column):
        get_preparer(cid).check_raw(raw)


def test_wrong_dtype_and_duplicate_ids_are_raw_errors(tmp_path):
    raw = make_raw_fixture("tabular-playground-series-dec-2021", tmp_path / "raw")
    table = pd.read_csv(raw / "train.csv")
    bad = table.assign(Cover_Type=table["Cover_Type"].astype(float) + 0.5)
    (raw / "train.csv").write_bytes(csv_bytes(bad))
    with pytest.raises(RawDataError, match="Cover_Type"):
        get_preparer("tabular-playground-series-dec-2021").check_raw(raw)
    (raw / "train.csv").write_bytes(csv_bytes(table.assign(Id=0)))
    with pytest.raises(RawDataError, match="duplicated"):
        get_preparer("tabular-playground-series-dec-2021").run(raw, tmp_path / "pub", tmp_path / "priv")


def test_preformat_floats_writes_the_same_bytes_as_to_csv():
    rng = np.random.default_rng(3)
    values = rng.normal(size=2000) * 10.0 ** rng.integers(-30, 30, 2000)
    values[:8] = [0.0, -0.0, 1.0, 45.0, 1e16, 1e-5, np.nan, 0.1]
    table = pd.DataFrame({"x": values, "n": np.arange(2000), "s": "a"})
    assert csv_bytes(preformat_floats(table)) == csv_bytes(table)


_FLOATS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, -0.0, 1e16, 1e-5, 1e-4, 0.1]))
_TEXT = st.one_of(st.none(), st.just("NA"), st.text(alphabet=st.sampled_from(list('ab ,"\n\r\té€')), max_size=6))


@settings(max_examples=25, deadline=None)
@given(st.data(), st.integers(0, 12))
def test_fast_csv_writer_matches_pandas(data, n):
    table = pd.DataFrame({
        "id": data.draw(st.lists(st.integers(-2**62, 2**62), min_size=n, max_size=n)),
        "x, y": data.draw(st.lists(_FLOATS, min_size=n, max_size=n)),
        "s": pd.Series(data.draw(st.lists(_TEXT, min_size=n, max_size=n)), dtype=object),
        "flag": data.draw(st.lists(st.booleans(), min_size=n, max_size=n)),
        "f32": np.array(data.draw(st.lists(st.floats(-1e6, 1e6, width=32), min_size=n, max_size=n)), dtype=np.float32),
    })
    table["t"] = table["s"].astype("str")
    expected = table.to_csv(index=False, lineterminator="\n").encode()
    assert fast_csv_bytes(table) == expected


def test_fast_csv_writer_leaves_other_dtypes_to_pandas():
    dates = pd.DataFrame({"a": [1], "d": pd.to_datetime(["2020-01-01"])})
    assert fast_csv_bytes(dates) is None
    assert fast_csv_bytes(pd.DataFrame({"a": [1]})) is None
    assert fast_csv_bytes(pd.DataFrame({"a": [1, 2], "m": pd.Series([1, "x"], dtype=object)})) is None


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-2**53, 2**53).map(float),
                          st.floats(1e-5, 1e-3), st.floats(1e15, 1e17)), max_size=40))
def test_float_text_is_repr(values):
    assert float_text(np.array(values, dtype=np.float64)).to_pylist() == list(map(repr, values))
