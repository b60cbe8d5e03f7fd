"""The submission contract: columns, dtypes, ids, value domains; malformed variants derived by Hypothesis."""

from __future__ import annotations

import json
from functools import lru_cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import competitions
import schemas
from competitions.synthetic import synthetic_case
from schemas.submission import labels_in, rle_ok, token_groups_ok
from tests.schemas import toys


def _checks(report) -> set[str]:
    return {e.check for e in report.errors}


def _auc_frames(n=10):
    ids = [f"{i:03d}" for i in range(n)]
    sample = pd.DataFrame({"id": ids, "p": 0.5})
    sub = pd.DataFrame({"id": ids, "p": np.linspace(0, 1, n)})
    return sample, sub


def test_valid_submission_passes():
    sample, sub = _auc_frames()
    report = schemas.validate(toys.AUC, sub, sample)
    assert report.valid, report.summary()
    assert report.n_rows == 10
    assert report.to_dict() == {"competition_id": "toy-auc", "valid": True, "n_rows": 10, "errors": []}


def test_row_order_does_not_matter():
    sample, sub = _auc_frames()
    assert schemas.validate(toys.AUC, sub.iloc[::-1], sample).valid


@pytest.mark.parametrize("frame_columns,check", [
    (["id"], "columns_missing"),
    (["id", "p", "extra"], "columns_extra"),
])
def test_missing_and_extra_columns(frame_columns, check):
    sample, sub = _auc_frames()
    sub = sub.assign(extra=1.0)[frame_columns]
    report = schemas.validate(toys.AUC, sub, sample)
    assert check in _checks(report)
    assert not report.valid


def test_duplicated_columns():
    sample, sub = _auc_frames()
    dup = pd.concat([sub, sub[["p"]]], axis=1)
    report = schemas.validate(toys.AUC, dup, sample)
    assert _checks(report) == {"columns_unique"}
    assert "'p'" in report.errors[0].message


def test_duplicated_ids_are_counted_with_examples():
    sample, sub = _auc_frames()
    sub = pd.concat([sub, sub.iloc[[2, 3]]], ignore_index=True)
    err = next(e for e in schemas.validate(toys.AUC, sub, sample).errors if e.check == "ids_unique")
    assert err.count == 2
    assert list(err.examples) == ["002", "003"]


def test_unknown_and_missing_ids_are_counted():
    sample, sub = _auc_frames()
    sub = sub.iloc[3:].copy()
    sub.loc[len(sub) + 3] = ["zzz", 0.1]
    report = schemas.validate(toys.AUC, sub, sample)
    by = {e.check: e for e in report.errors}
    assert by["ids_missing"].count == 3
    assert by["ids_unknown"].count == 1
    assert list(by["ids_unknown"].examples) == ["zzz"]
    assert "3 expected id(s) missing" in by["ids_missing"].message


def test_ids_compare_as_strings_leading_zeros_matter():
    sample, sub = _auc_frames()
    sub["id"] = [str(int(i)) for i in sub["id"]]  # "007" written as "7"
    report = schemas.validate(toys.AUC, sub, sample)
    assert {"ids_unknown", "ids_missing"} <= _checks(report)


def test_null_ids():
    sample, sub = _auc_frames()
    sub["id"] = sub["id"].astype(object)
    sub.loc[0, "id"] = None
    assert "ids_not_null" in _checks(schemas.validate(toys.AUC, sub, sample))


@pytest.mark.parametrize("value,check", [
    (np.nan, "nullable"), (np.inf, "not_inf"), (-np.inf, "not_inf"), (1.5, "probability"), (-0.1, "probability"),
])
def test_value_domains_of_numbers(value, check):
    sample, sub = _auc_frames()
    sub.loc[4, "p"] = value
    report = schemas.validate(toys.AUC, sub, sample)
    assert check in _checks(report)
    err = next(e for e in report.errors if e.check == check)
    assert err.count == 1 and err.column == "p"


def test_text_in_numeric_column_is_counted_with_examples():
    sample, sub = _auc_frames()
    sub["p"] = sub["p"].astype(str)
    sub.loc[[1, 5, 7], "p"] = ["high", "0.3x", "?"]
    err = next(e for e in schemas.validate(toys.AUC, sub, sample).errors if e.check == "dtype")
    assert err.count == 3
    assert list(err.examples) == ["high", "0.3x", "?"]


def test_numeric_text_is_coerced():
    sample, sub = _auc_frames()
    sub["p"] = [f" {v} " for v in sub["p"]]
    assert schemas.validate(toys.AUC, sub, sample).valid


def test_rle_checks():
    s = pd.Series(["1 3 10 2", "", "-", "5 2 6 1", "3 0", "0 2", "4 2 1", "a b", "10 2 1 3", " 7  1 "])
    assert rle_ok(s, empty="-").tolist() == [True, True, True, False, False, False, False, False, False, True]


def test_rle_malformed_in_contract():
    ids = ["a", "b", "c"]
    sample = pd.DataFrame({"id": ids, "EncodedPixels": "-"})
    sub = pd.DataFrame({"id": ids, "EncodedPixels": ["1 2", "5 2 6 1", "3"]})
    err = next(e for e in schemas.validate(toys.RLE, sub, sample).errors if e.check == "rle")
    assert err.count == 2
    assert list(err.examples) == ["5 2 6 1", "3"]


def test_prediction_string_groups():
    assert token_groups_ok(pd.Series(["1 2 3 4 5", "", "1 2 3 4 5 6 7 8 9 10", "1 2"]), 5).tolist() == [
        True, True, True, False]
    ids = ["a", "b"]
    sample = pd.DataFrame({"id": ids, "PredictionString": ""})
    sub = pd.DataFrame({"id": ids, "PredictionString": ["0.5 1 2 3 4", "0.5 1 2"]})
    assert "prediction_string" in _checks(schemas.validate(toys.PREDSTR, sub, sample))
    sub.loc[1, "PredictionString"] = ""
    assert schemas.validate(toys.PREDSTR, sub, sample).valid  # nullable: an empty prediction is allowed


def test_label_lists():
    assert labels_in(pd.Series(["cat dog", "cow", "owl", ""]), ("cat", "dog", "owl")).tolist() == [
        True, False, True, True]
    ids = ["a", "b", "c"]
    sample = pd.DataFrame({"id": ids, "labels": "cat"})
    sub = pd.DataFrame({"id": ids, "labels": ["cat dog", "cow cat", ""]})
    checks = _checks(schemas.validate(toys.LABELS, sub, sample))
    assert checks == {"label_list", "not_empty"}


def test_single_labels_and_numeric_labels():
    comp = toys.spec("toy-cls", "toy-exact", [{"name": "id"},
                                              {"name": "y", "dtype": "int", "domain": "label",
                                               "allowed": [0, 1, 2, 3, 4]}])
    sample = pd.DataFrame({"id": ["a", "b", "c"], "y": 0})
    sub = pd.DataFrame({"id": ["a", "b", "c"], "y": [1, 7, 2.5]})
    report = schemas.validate(comp, sub, sample)
    assert {"label", "integer"} <= _checks(report)


def test_read_errors_become_invalid_reports(tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes(b"id;p\n1;0.5\n")
    report = schemas.validate(toys.AUC, path, pd.DataFrame({"id": ["1"], "p": [0.5]}))
    assert not report.valid
    assert report.errors[0].check == "read:delimiter"


def test_paths_are_read_with_id_strings(tmp_path):
    sub_path = tmp_path / "s.csv"
    sub_path.write_text("id,p\n001,0.5\n002,0.25\n")
    sample_path = tmp_path / "sample.csv"
    sample_path.write_text("id,p\n001,0.5\n002,0.5\n")
    assert schemas.validate(toys.AUC, sub_path, sample_path).valid


def test_report_is_json_serialisable():
    sample, sub = _auc_frames()
    sub.loc[0, "p"] = np.inf
    sub.loc[1, "p"] = np.nan
    d = schemas.validate(toys.AUC, sub, sample).to_dict()
    text = json.dumps(d, allow_nan=False)
    assert '"inf"' in text


# ---- Hypothesis: malformed variants of valid synthetic submissions, for the toys and every real spec ----

@lru_cache(maxsize=None)
def _toy_case(cid: str):
    comp = next(t for t in toys.TOYS if t.id == cid)
    return comp, synthetic_case(comp, 30, np.random.default_rng(0))


def _case(cid: str):
    if cid.startswith("toy-"):
        return _toy_case(cid)
    return toys.real_case(cid)


def _value_columns(comp, *, numeric: bool | None = None):
    cols = [c for c in comp.submission_columns if c.name not in comp.id_columns]
    if numeric is True:
        return [c for c in cols if c.dtype in ("float", "int")]
    if numeric is False:
        return [c for c in cols if c.dtype == "str"]
    return cols


MUTATIONS = ("drop_column", "duplicate_id", "nan", "inf", "text", "out_of_range", "truncate")


def _mutate(comp, frame: pd.DataFrame, kind: str, draw_int, tmp_path):
    """Return (submission, expected check prefixes) or None when the mutation does not apply."""
    frame = frame.copy()
    n = len(frame)
    row = draw_int(0, n - 1)
    if kind == "drop_column":
        col = comp.column_names[draw_int(0, len(comp.column_names) - 1)]
        return frame.drop(columns=[col]), {"columns_missing"}
    policy = comp.grader_params.get("id_policy", "exact")
    if kind == "duplicate_id":
        if policy == "any" or frame.duplicated(subset=list(comp.id_columns)).any():
            return None  # ids repeat by design (hms eeg_id) or the grader pairs rows itself
        return pd.concat([frame, frame.iloc[[row]]], ignore_index=True), {"ids_unique"}
    if kind == "truncate":
        if policy in ("subset", "any"):
            return None  # missing rows are allowed by design (osic)
        path = tmp_path / "trunc.csv"
        frame.to_csv(path, index=False)
        data = path.read_bytes()
        header_end = data.index(b"\n") + 1
        last_start = data.rstrip(b"\n").rindex(b"\n") + 1
        cut = header_end + draw_int(0, max(0, last_start - header_end - 1))
        path.write_bytes(data[:cut])
        return path, {"ids_missing", "ids_unknown", "ids_unique", "read:", "dtype", "nullable", "rle",
                      "prediction_string", "label", "label_list", "not_empty", "integer"}
    numeric = _value_columns(comp, numeric=True)
    if kind in ("inf", "out_of_range", "nan", "text") and not numeric:
        return None
    if kind == "nan":
        cols = [c for c in numeric if not c.nullable]
        if not cols:
            return None
        col = cols[draw_int(0, len(cols) - 1)]
        frame[col.name] = frame[col.name].astype(float)
        frame.loc[row, col.name] = np.nan
        return frame, {"nullable"}
    col = numeric[draw_int(0, len(numeric) - 1)]
    if kind == "inf":
        frame[col.name] = frame[col.name].astype(float)
        frame.loc[row, col.name] = np.inf
        return frame, {"not_inf"}
    if kind == "text":
        frame[col.name] = frame[col.name].astype(str)
        frame.loc[row, col.name] = "not-a-number"
        return frame, {"dtype"}
    if kind == "out_of_range":
        if col.domain not in ("probability", "nonnegative"):
            return None
        frame[col.name] = frame[col.name].astype(float)
        frame.loc[row, col.name] = -0.5
        return frame, {col.domain}
    raise AssertionError(kind)


COMPETITIONS = [t.id for t in toys.TOYS] + competitions.ids()


@pytest.mark.parametrize("cid", COMPETITIONS)
def test_synthetic_submissions_are_valid(cid):
    comp, case = _case(cid)
    for frame in (case.sample_submission, case.perfect_submission):
        report = schemas.validate(comp, frame, case.sample_submission)
        assert report.valid, report.summary()


@pytest.mark.parametrize("cid", COMPETITIONS)
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), kind=st.sampled_from(MUTATIONS))
def test_malformed_variants_are_invalid(cid, tmp_path, data, kind):
    comp, case = _case(cid)

    def draw_int(lo, hi):
        return data.draw(st.integers(lo, hi))

    mutated = _mutate(comp, case.perfect_submission, kind, draw_int, tmp_path)
    if mutated is None:
        return
    submission, expected = mutated
    report = schemas.validate(comp, submission, case.sample_submission)
    assert not report.valid, f"{kind} was accepted"
    found = _checks(report)
    assert any(c.startswith(tuple(expected)) for c in found), (kind, found)
    json.dumps(report.to_dict(), allow_nan=False)


@pytest.mark.parametrize("cid", COMPETITIONS)
def test_prepared_data_contract(cid):
    comp, case = _case(cid)
    if not isinstance(case.answers, pd.DataFrame) or not set(comp.id_columns) <= set(case.answers.columns):
        pytest.skip("answers without the submission's id columns")
    report = schemas.validate_prepared(comp, case.sample_submission, case.answers)
    assert report.valid, report.summary()
    first = case.answers[comp.id_columns[0]].astype(str)
    fewer = case.answers[first != first.iloc[0]]
    report = schemas.validate_prepared(comp, case.sample_submission, fewer)
    if comp.grader_params.get("id_policy", "exact") == "exact":
        assert [e.check for e in report.errors] == ["answers_ids"]
        if len(first.iloc[0]) > 3:  # short ids such as "1" also read as counts
            assert first.iloc[0] not in report.errors[0].message
