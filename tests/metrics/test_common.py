"""Invariants every metric must satisfy, checked over every family's random cases (in the spirit of
scikit-learn's ``metrics/tests/test_common.py``)."""

from __future__ import annotations

import importlib
import math
import pkgutil

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import metrics
import tests.metrics as case_package
from tests.metrics.cases import Case, default_permute


def _all_cases() -> list[Case]:
    cases: list[Case] = []
    for info in pkgutil.iter_modules(case_package.__path__):
        if info.name.startswith("cases_"):
            module = importlib.import_module(f"tests.metrics.{info.name}")
            cases.extend(module.CASES)
    return cases


CASES = _all_cases()
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _score(case: Case, y_true, y_pred, params) -> float:
    return metrics.score(case.metric, y_true, y_pred, **params)


def _close(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _problem(case: Case, seed: int, n: int):
    rng = np.random.default_rng(seed)
    return case.make(rng, max(n, case.min_rows))


def test_every_metric_has_a_case():
    covered = {c.metric for c in CASES}
    assert set(metrics.names()) <= covered, f"metrics without a property case: {set(metrics.names()) - covered}"


def test_the_39_families_are_registered():
    import csv
    from pathlib import Path

    table = Path(__file__).resolve().parents[3] / "shared" / "reference" / "mlebench_competitions.csv"
    if not table.exists():
        pytest.skip("the shared reference table is not beside the checkout")
    with table.open() as fh:
        families = {row["metric_family"] for row in csv.DictReader(fh)}
    assert len(families) == 39
    assert families <= set(metrics.names())


@pytest.mark.parametrize("case", CASES, ids=str)
@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(4, 60))
def test_row_order_invariance(case: Case, seed: int, n: int):
    if not case.order_invariant:
        pytest.skip("metric is defined on ordered rows")
    y_true, _, y_pred, params = _problem(case, seed, n)
    perm = np.random.default_rng(seed + 1).permutation(len(y_true))
    permute = case.permute or default_permute
    t2, p2, params2 = permute(y_true, y_pred, params, perm)
    assert _close(_score(case, y_true, y_pred, params), _score(case, t2, p2, params2))


@pytest.mark.parametrize("case", CASES, ids=str)
@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(4, 60))
def test_perfect_prediction_is_best_and_worse_is_worse(case: Case, seed: int, n: int):
    m = metrics.get(case.metric)
    y_true, y_perfect, y_worse, params = _problem(case, seed, n)
    perfect = _score(case, y_true, y_perfect, params)
    expected = m.best if case.perfect_value is None else case.perfect_value
    assert math.isclose(perfect, expected, rel_tol=1e-9, abs_tol=1e-9), (perfect, expected)
    worse = _score(case, y_true, y_worse, params)
    if m.higher_is_better:
        assert worse < perfect
    else:
        assert worse > perfect


@pytest.mark.parametrize("case", CASES, ids=str)
@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(4, 60))
def test_bounds_hold_and_scores_are_deterministic(case: Case, seed: int, n: int):
    m = metrics.get(case.metric)
    y_true, _, y_pred, params = _problem(case, seed, n)
    first = _score(case, y_true, y_pred, params)
    again = _score(case, y_true, y_pred, params)
    assert isinstance(first, float)
    assert _close(first, again)
    low, high = m.bounds
    assert low - 1e-12 <= first <= high + 1e-12


@pytest.mark.parametrize("case", [c for c in CASES if c.dtype_variant is not None], ids=str)
@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(4, 60))
def test_dtype_variant_scores_the_same(case: Case, seed: int, n: int):
    y_true, _, y_pred, params = _problem(case, seed, n)
    t2, p2, params2 = case.dtype_variant(y_true, y_pred, params)
    assert _close(_score(case, y_true, y_pred, params), _score(case, t2, p2, params2))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_inputs_are_not_modified(case: Case):
    y_true, _, y_pred, params = _problem(case, 7, 20)
    before = [np.array(v, dtype=object, copy=True) if isinstance(v, np.ndarray) else v for v in (y_true, y_pred)]
    _score(case, y_true, y_pred, params)
    for old, new in zip(before, (y_true, y_pred)):
        if isinstance(new, np.ndarray):
            assert np.array_equal(old, np.asarray(new, dtype=object))
