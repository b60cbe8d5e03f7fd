"""The column declarations that carry the graders' answer-free checks into the contract: each is parsed with a
clear error for a bad value, and each makes a structured validation error (column, check, count, examples,
message) that the graders raise with the same message."""

from __future__ import annotations

import pandas as pd
import pytest

import competitions
from competitions.graders import get_grader
from competitions.faults import InvalidSubmission
from schemas.columns import ColumnError, SubmissionFormat, columns_from, parse_column
from schemas.submission import validate


@pytest.mark.parametrize("raw, key", [
    ({"name": "y", "dtype": "float", "min": "1"}, "min"),
    ({"name": "y", "dtype": "str", "max": 3}, "max"),
    ({"name": "y", "dtype": "float", "min": 5, "max": 1}, "min"),
    ({"name": "y", "dtype": "float", "row_sum": "close"}, "row_sum"),
    ({"name": "y", "dtype": "int", "row_sum": "isclose"}, "row_sum"),
    ({"name": "y", "pattern": "(unclosed"}, "pattern"),
    ({"name": "y", "dtype": "float", "pattern": "\\d+"}, "pattern"),
    ({"name": "y", "tokens": "sample"}, "tokens"),
    ({"name": "y", "domain": "prediction_string", "numbers": [0]}, "numbers"),
    ({"name": "y", "domain": "prediction_string", "group_size": 3, "numbers": [3]}, "numbers"),
    ({"name": "y", "domain": "prediction_string", "group_size": 3, "numbers": [1], "positive": [2]}, "positive"),
    ({"name": "y", "domain": "prediction_string", "group_size": 3, "separator": ""}, "separator"),
])
def test_a_bad_declaration_names_its_key(raw, key):
    with pytest.raises(ColumnError) as err:
        parse_column(raw)
    assert err.value.key == key


def _toy(*columns):
    return SubmissionFormat("toy-checks", ("id",), columns_from([{"name": "id"}, *columns]))


def _errors(comp, frame, sample=None):
    report = validate(comp, frame, sample)
    return [(e.column, e.check, e.count) for e in report.errors], report


def test_each_declaration_reports_its_rows():
    comp = _toy({"name": "a", "dtype": "float", "row_sum": "round6", "min": 0, "max": 1},
                {"name": "b", "dtype": "float", "row_sum": "round6"},
                {"name": "code", "pattern": "[A-Z]{2}", "format": "two capitals"},
                {"name": "boxes", "domain": "prediction_string", "group_size": 3, "numbers": [1, 2],
                 "positive": [2], "separator": " ", "nullable": True})
    frame = pd.DataFrame({"id": ["1", "2", "3"], "a": [0.5, 0.7, 1.5], "b": [0.5, 0.7, -0.5],
                          "code": ["AB", "abc", "CD"], "boxes": ["cat 1 2", "cat 1 0", "cat 1  2"]})
    found, report = _errors(comp, frame)
    assert found == [("a", "range", 1), ("code", "format", 1), ("boxes", "prediction_string", 1),
                     ("boxes", "prediction_numbers", 1), ("a,b", "row_sum", 1)]
    messages = {e.check: e.message for e in report.errors}
    assert messages["format"] == "code: 1 value(s) not in the format two capitals, e.g. ['abc']"
    assert messages["row_sum"].startswith("1 row(s) of probabilities do not sum to 1 (columns 'a'..'b')")
    assert report.errors[-1].examples == (1.4,)


def test_tokens_must_be_a_permutation_of_the_sample_value():
    comp = _toy({"name": "order", "tokens": "sample_permutation"})
    sample = pd.DataFrame({"id": ["n1", "n2", "n3"], "order": ["a b c", "d e", "f"]})
    good = pd.DataFrame({"id": ["n2", "n1", "n3"], "order": ["e d", "c a b", "f"]})
    assert validate(comp, good, sample).valid
    bad = pd.DataFrame({"id": ["n1", "n2", "n3"], "order": ["a b b", "d e x", "f"]})
    found, report = _errors(comp, bad, sample)
    assert found == [("order", "tokens", 2)] and report.errors[0].examples == ("n1", "n2")
    assert validate(comp, bad).valid  # without the sample there is nothing to compare with


def test_repeated_ids_must_repeat_as_often_as_in_the_sample():
    comp = _toy({"name": "p", "dtype": "float"})
    sample = pd.DataFrame({"id": ["x", "x", "y"], "p": 0.5})
    assert validate(comp, sample, sample).valid
    found, report = _errors(comp, pd.DataFrame({"id": ["x", "y", "y"], "p": 0.5}), sample)
    assert found == [("id", "ids_count", 2)]
    assert "the submission has 3 rows, the sample submission 3" in report.errors[0].message


def test_any_nonnegative_rejects_a_column_of_negatives_only():
    comp = _toy({"name": "p", "dtype": "float", "any_nonnegative": True})
    assert validate(comp, pd.DataFrame({"id": ["1", "2"], "p": [-1.0, 0.0]})).valid
    found, _ = _errors(comp, pd.DataFrame({"id": ["1", "2"], "p": [-1.0, -2.0]}))
    assert found == [("p", "any_nonnegative", 2)]


def test_the_grader_raises_the_contracts_row_sum_error():
    comp = competitions.get("lmsys-chatbot-arena")
    sub = pd.DataFrame({"id": ["1", "2"], "winner_model_a": [0.5, 0.5], "winner_model_b": [0.5, 0.5],
                        "winner_tie": [0.0, 1e-6]})
    answers = sub.assign(winner_model_a=[1, 1], winner_model_b=[0, 0], winner_tie=[0, 0])
    contract = validate(comp, sub, sub[["id"]].assign(winner_model_a=0, winner_model_b=0, winner_tie=0))
    with pytest.raises(InvalidSubmission) as err:
        get_grader(comp.grader).grade(sub, answers, comp)
    assert [e.message for e in contract.errors] == [err.value.message]
    assert (err.value.check, err.value.count, err.value.column) == ("row_sum", 1, "winner_model_a,winner_model_b,winner_tie")


def test_validate_without_a_sample_checks_ids_and_values():
    # it used to fail inside the id check (a DictionaryArray has no combine_chunks) when no ids were expected
    comp = _toy({"name": "p", "dtype": "float", "domain": "probability"})
    found, _ = _errors(comp, pd.DataFrame({"id": ["1", "1", "2"], "p": [0.5, 0.5, 2.0]}))
    assert found == [("id", "ids_unique", 1), ("p", "probability", 1)]
