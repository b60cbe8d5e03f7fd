"""The registry and the shared input checks."""

import math

import numpy as np
import pytest

import metrics
from metrics._core import as_1d, as_2d, check_binary, check_finite, check_probabilities, check_same_length


def test_names_are_sorted_unique_and_resolvable():
    names = metrics.names()
    assert names == sorted(set(names))
    for name in names:
        m = metrics.get(name)
        assert m.name == name
        assert callable(m.fn)
        low, high = m.bounds
        assert low < high
        assert m.best in (low, high) and m.worst in (low, high) and m.best != m.worst


def test_aliases_resolve_to_their_metric():
    for name in metrics.names():
        for alias in metrics.get(name).aliases:
            assert metrics.get(alias).name == name


def test_unknown_metric_names_the_known_ones():
    with pytest.raises(metrics.MetricInputError, match="unknown metric 'nope'.*auc"):
        metrics.score("nope", [1], [1])


def test_unknown_parameter_is_a_metric_input_error():
    with pytest.raises(metrics.MetricInputError, match="rmse"):
        metrics.score("rmse", [1.0, 2.0], [1.0, 2.0], not_a_param=3)


def test_metric_object_is_callable_like_score():
    m = metrics.get("rmse")
    assert m([1.0, 2.0], [1.0, 4.0]) == metrics.score("rmse", [1.0, 2.0], [1.0, 4.0])


def test_metric_input_error_is_a_value_error():
    assert issubclass(metrics.MetricInputError, ValueError)


@pytest.mark.parametrize(
    "check, args, message",
    [
        (as_1d, ([], "m", "y_true"), "empty"),
        (as_1d, ([[1, 2], [3, 4]], "m", "y_true"), "must be 1-D"),
        (as_1d, (["a", "b"], "m", "y_pred"), "not numbers"),
        (as_2d, (np.zeros((2, 2, 2)), "m", "y_pred"), "must be 2-D"),
        (as_2d, ([[1, 2], [3]], "m", "y_pred"), "ragged|cannot be read"),
        (check_finite, (np.array([1.0, np.nan, np.inf]), "m", "y_pred"), "1 NaN and 1 infinite"),
        (check_probabilities, (np.array([0.5, 1.5]), "m", "y_pred"), r"outside \[0, 1\]"),
        (check_binary, (np.array([0, 1, 2]), "m", "y_true"), "only 0 and 1"),
    ],
)
def test_checks_raise_clear_errors(check, args, message):
    with pytest.raises(metrics.MetricInputError, match=message):
        check(*args)


def test_check_same_length_names_both_sides():
    with pytest.raises(metrics.MetricInputError, match="y_true has 3 rows but y_pred has 2"):
        check_same_length("m", ("y_true", [1, 2, 3]), ("y_pred", [1, 2]))


def test_as_1d_flattens_a_column_vector_and_keeps_values():
    arr = as_1d([[1], [2], [3]], "m", "y")
    assert arr.tolist() == [1.0, 2.0, 3.0] and arr.dtype == np.float64


def test_finite_check_reports_first_bad_row_of_2d():
    with pytest.raises(metrics.MetricInputError, match="first at row 1"):
        check_finite(np.array([[0.1, 0.2], [math.nan, 0.3]]), "m", "y_pred")
