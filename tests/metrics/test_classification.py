"""Classification metrics against scikit-learn and brute-force references, their MLE-bench quirks, and
their bad-input errors."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import (
    accuracy_score,
    cohen_kappa_score,
    f1_score,
    matthews_corrcoef,
)
from sklearn.preprocessing import MultiLabelBinarizer

import metrics
from metrics import MetricInputError

SETTINGS = settings(max_examples=25, deadline=None)
SEEDS = st.integers(0, 2**32 - 1)


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def _pair(seed: int, k: int | None = None, n: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = n or int(rng.integers(1, 200))
    k = k or int(rng.integers(1, 8))
    return rng.integers(0, k, n), rng.integers(0, k + 2, n)


# ---------------------------------------------------------------------------------------------
# References
# ---------------------------------------------------------------------------------------------


@SETTINGS
@given(seed=SEEDS)
def test_accuracy_top1_and_single_label_micro_f1_match_sklearn(seed):
    t, p = _pair(seed)
    expected = accuracy_score(t, p)
    assert metrics.score("accuracy", t, p) == expected
    assert metrics.score("top1_error", t, p) == 1 - expected
    assert _close(metrics.score("f1_micro", t, p), f1_score(t, p, average="micro"))


@SETTINGS
@given(seed=SEEDS)
def test_f1_macro_matches_sklearn_for_both_label_sets(seed):
    t, p = _pair(seed)
    assert _close(metrics.score("f1_macro", t, p), f1_score(t, p, average="macro"))
    true_labels = np.unique(t)
    assert _close(
        metrics.score("f1_macro", t, p, labels="true"),
        f1_score(t, p, labels=true_labels, average="macro", zero_division=0),
    )


def test_f1_macro_on_text_and_sparse_numeric_labels():
    rng = np.random.default_rng(3)
    t = rng.choice(["oak", "ash", "elm", "yew"], 150)
    p = rng.choice(["oak", "ash", "elm", "fir"], 150)
    assert _close(metrics.score("f1_macro", t, p), f1_score(t, p, average="macro"))
    big_t = rng.choice([3, 10**12, 7 * 10**15], 150)
    big_p = rng.choice([3, 10**12, 5], 150)
    assert _close(metrics.score("f1_macro", big_t, big_p), f1_score(big_t, big_p, average="macro"))


@SETTINGS
@given(seed=SEEDS)
def test_mcc_matches_sklearn(seed):
    t, p = _pair(seed, k=2)
    assert _close(metrics.score("mcc", t, p % 2), matthews_corrcoef(t, p % 2))


def _kaggle_qwk(a, b):
    """Kaggle's published quadratic weighted kappa, written out with loops over the rating range."""
    low, high = min(min(a), min(b)), max(max(a), max(b))
    k = high - low + 1
    observed = [[0.0] * k for _ in range(k)]
    for x, y in zip(a, b):
        observed[x - low][y - low] += 1
    hist_a = [sum(row) for row in observed]
    hist_b = [sum(observed[i][j] for i in range(k)) for j in range(k)]
    n = len(a)
    num = den = 0.0
    for i in range(k):
        for j in range(k):
            w = (i - j) ** 2 / (k - 1) ** 2
            num += w * observed[i][j]
            den += w * hist_a[i] * hist_b[j] / n
    return 1.0 - num / den


@SETTINGS
@given(seed=SEEDS)
def test_qwk_matches_sklearn_observed_and_kaggle_range(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 150))
    t = rng.integers(0, 6, n)
    p = rng.choice([0, 1, 2, 3, 9], n)
    if len(set(t) | set(p)) < 2:
        return
    assert _close(
        metrics.score("qwk", t, p, labels="observed"), cohen_kappa_score(t, p, weights="quadratic")
    )
    assert _close(metrics.score("qwk", t, p), _kaggle_qwk(t.tolist(), p.tolist()))


def _loop_pfbeta(labels, predictions, beta):
    """Kaggle's pfbeta as a plain loop (numpy scalars, as the reference runs it)."""
    count = ctp = cfp = 0.0
    for y, p in zip(labels, predictions):
        p = min(max(p, 0.0), 1.0)
        if y:
            count += 1
            ctp += p
        else:
            cfp += p
    precision, recall = ctp / (ctp + cfp), ctp / count
    if precision > 0 and recall > 0:
        return (1 + beta**2) * precision * recall / (beta**2 * precision + recall)
    return 0.0


@SETTINGS
@given(seed=SEEDS, beta=st.sampled_from([0.5, 1.0, 2.0]))
def test_pf1_matches_the_loop_reference(seed, beta):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 200))
    t = rng.integers(0, 2, n)
    t[0] = 1
    p = rng.uniform(-0.2, 1.2, n)
    assert _close(metrics.score("pf1", t, p, beta=beta), _loop_pfbeta(t, p, beta))


@SETTINGS
@given(seed=SEEDS, drop=st.booleans())
def test_multilabel_micro_f1_matches_sklearn_multilabel_binarizer(seed, drop):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 80))
    vocab_true = [f"t{i}" for i in range(6)]
    vocab_pred = [f"t{i}" for i in range(9)]
    t = [" ".join(rng.choice(vocab_true, int(rng.integers(0, 4)))) for _ in range(n)]
    t[0] = "t0 t1"  # two label columns at least, or scikit-learn does not see a multilabel problem
    p = [" ".join(rng.choice(vocab_pred, int(rng.integers(0, 4)))) for _ in range(n)]
    if drop:
        classes = sorted({tok for row in t for tok in row.split()})
        mlb = MultiLabelBinarizer(classes=classes, sparse_output=True)
        y_true = mlb.fit_transform([row.split() for row in t])
        with pytest.warns(UserWarning) if any(set(r.split()) - set(classes) for r in p) else _nullcontext():
            y_pred = mlb.transform([row.split() for row in p])
    else:
        mlb = MultiLabelBinarizer(sparse_output=True).fit([row.split() for row in t + p])
        y_true, y_pred = mlb.transform([r.split() for r in t]), mlb.transform([r.split() for r in p])
    expected = f1_score(y_true, y_pred, average="micro", zero_division=0)
    got = metrics.score("f1_micro", t, p, multilabel=True, drop_unseen_predictions=drop)
    assert _close(got, expected)


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# ---------------------------------------------------------------------------------------------
# MLE-bench quirks and input forms
# ---------------------------------------------------------------------------------------------


def test_union_labels_charge_a_zero_for_predicted_classes_absent_from_the_truth():
    t, p = [1, 1, 2, 2], [1, 1, 2, 99]
    assert _close(metrics.score("f1_macro", t, p), (1.0 + 0.8 / 1.2 * 1.0 + 0.0) / 3)
    assert _close(metrics.score("f1_macro", t, p, labels="true"), (1.0 + 2 / 3) / 2)


def test_drop_unseen_predictions_reproduces_the_documented_example():
    # mlebench_metrics.md: 0.8 with the answers-fitted binarizer against 0.571 without.
    t, p = ["a b", "c"], ["a", "c x y"]
    assert _close(metrics.score("f1_micro", t, p, multilabel=True, drop_unseen_predictions=True), 0.8)
    assert _close(metrics.score("f1_micro", t, p, multilabel=True), 4 / 7)


def test_multilabel_forms_agree_and_duplicates_count_once():
    t = [["a", "b"], ("c",), {"a"}]
    p = ["a a b", "", "b"]
    assert metrics.score("f1_micro", t, [r.split() for r in p]) == metrics.score(
        "f1_micro", [" ".join(r) for r in map(sorted, t)], p, multilabel=True
    )
    assert _close(metrics.score("f1_micro", t, [r.split() for r in p]), 2 * 2 / (4 + 3))
    assert metrics.score("f1_micro", ["", ""], ["", ""], multilabel=True) == 0.0


def test_strings_are_single_labels_unless_multilabel_is_asked():
    t, p = ["Sugar beet", "Maize"], ["Sugar maize", "Maize"]
    assert metrics.score("f1_micro", t, p) == 0.5
    assert _close(metrics.score("f1_micro", t, p, multilabel=True), 2 * 2 / (3 + 3))


def test_qwk_observed_uses_label_index_not_value():
    t, p = [0, 1, 2, 3], [0, 1, 2, 10]
    assert metrics.score("qwk", t, p, labels="observed") == metrics.score("qwk", t, [0, 1, 2, 4])
    assert metrics.score("qwk", t, p) < metrics.score("qwk", t, p, labels="observed")


@pytest.mark.filterwarnings("ignore")
def test_qwk_is_nan_when_both_sides_are_the_same_constant():
    assert math.isnan(metrics.score("qwk", [2, 2, 2], [2, 2, 2]))
    assert math.isnan(cohen_kappa_score([2, 2, 2], [2, 2, 2], weights="quadratic"))
    assert metrics.score("qwk", [0, 1, 2], [0, 0, 0]) == 0.0


def test_pf1_undefined_cases_follow_the_reference():
    assert metrics.score("pf1", [1, 0, 0], [0.0, 0.0, 0.0]) == 0.0
    assert metrics.score("pf1", [1, 0, 0], [-0.5, 0.0, 2.0]) == 0.0
    assert _close(metrics.score("pf1", [1, 0], [7.0, -3.0]), 1.0)
    with pytest.raises(MetricInputError, match="no positive"):
        metrics.score("pf1", [0, 0], [0.3, 0.1])
    with pytest.raises(MetricInputError, match="every prediction is negative"):
        metrics.score("pf1", [1, 0], [-0.1, -0.2])


def test_mcc_is_zero_when_undefined():
    assert metrics.score("mcc", [1, 0, 1], [1, 1, 1]) == 0.0
    assert metrics.score("mcc", [0, 0], [0, 1]) == 0.0


def test_label_kinds_and_containers():
    t = pd.Series(["x", "y", "x"], dtype="str")
    p = np.array(["x", "x", "x"])
    assert _close(metrics.score("accuracy", t, p), 2 / 3)
    assert metrics.score("accuracy", [True, False], [1, 0]) == 1.0
    assert metrics.score("accuracy", [1, 2], [1.0, 2.0]) == 1.0
    assert metrics.score("accuracy", np.array([1, 2], dtype=object), [1, 3]) == 0.5
    assert metrics.score("accuracy", pd.Series([3, 4]), pd.Series([3.0, 4.0])) == 1.0
    assert metrics.score("mcc", pd.Series([True, False]), pd.Series([1, 0])) == 1.0


def test_return_types_are_python_floats():
    for name, t, p in [
        ("accuracy", [1, 2], [1, 1]),
        ("top1_error", [1, 2], [1, 1]),
        ("f1_macro", [1, 2], [1, 1]),
        ("f1_micro", [1, 2], [1, 1]),
        ("mcc", [1, 0], [1, 1]),
        ("qwk", [1, 2], [1, 1]),
        ("pf1", [1, 0], [0.5, 0.1]),
    ]:
        assert type(metrics.get(name).fn(t, p)) is float, name


# ---------------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------------

LABEL_METRICS = ["accuracy", "top1_error", "f1_macro", "f1_micro", "mcc", "qwk"]


@pytest.mark.parametrize("name", LABEL_METRICS + ["pf1"])
def test_length_mismatch(name):
    with pytest.raises(MetricInputError, match="y_true has 3 rows but y_(pred|prob) has 2"):
        metrics.score(name, [1, 0, 1], [1, 0])


@pytest.mark.parametrize("name", LABEL_METRICS + ["pf1"])
def test_empty_input(name):
    with pytest.raises(MetricInputError, match="empty"):
        metrics.score(name, [], [])


@pytest.mark.parametrize("name", LABEL_METRICS + ["pf1"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_and_inf(name, bad):
    with pytest.raises(MetricInputError, match="NaN|infinite"):
        metrics.score(name, [1, 0, 1], [1, 0, bad])


@pytest.mark.parametrize("name", LABEL_METRICS + ["pf1"])
def test_wrong_shape(name):
    with pytest.raises(MetricInputError, match="1-D|shape"):
        metrics.score(name, np.zeros((3, 2)), np.zeros((3, 2)))


@pytest.mark.parametrize("name", ["accuracy", "top1_error", "f1_macro", "qwk"])
def test_fractional_labels_are_rejected(name):
    with pytest.raises(MetricInputError, match="not whole numbers"):
        metrics.score(name, [1, 2, 3], [1.0, 2.5, 3.0])


@pytest.mark.parametrize("name", ["accuracy", "f1_macro", "f1_micro"])
def test_mixed_text_and_numbers_are_rejected(name):
    with pytest.raises(MetricInputError, match="numeric labels but y_pred holds text"):
        metrics.score(name, [1, 2], ["1", "2"])
    with pytest.raises(MetricInputError, match="mixes value types"):
        metrics.score(name, np.array([1, "a"], dtype=object), [1, 2])


def test_missing_labels_are_rejected():
    with pytest.raises(MetricInputError, match="missing value"):
        metrics.score("accuracy", pd.Series(["a", None], dtype="str"), ["a", "b"])
    with pytest.raises(MetricInputError, match="missing row"):
        metrics.score("f1_micro", [["a"], None], [["a"], ["b"]])
    with pytest.raises(MetricInputError, match="all be space-separated strings or all be collections"):
        metrics.score("f1_micro", [["a"], "b"], [["a"], ["b"]], multilabel=True)


def test_mcc_rejects_probabilities_and_other_labels():
    with pytest.raises(MetricInputError, match="hard 0/1 labels"):
        metrics.score("mcc", [1, 0, 1], [0.9, 0.2, 0.7])
    with pytest.raises(MetricInputError, match="only 0 and 1"):
        metrics.score("mcc", [1, 0, 1], [1, 0, 2])
    with pytest.raises(MetricInputError, match="0/1 numbers"):
        metrics.score("mcc", ["a", "b"], ["a", "a"])


def test_qwk_rejects_text_and_continuous_ratings():
    with pytest.raises(MetricInputError, match="integers"):
        metrics.score("qwk", ["a", "b"], ["a", "a"])
    with pytest.raises(MetricInputError, match="round continuous predictions"):
        metrics.score("qwk", [1, 2], [1.2, 2.0])


def test_pf1_rejects_non_binary_truth():
    with pytest.raises(MetricInputError, match="only 0 and 1"):
        metrics.score("pf1", [1, 2, 0], [0.1, 0.2, 0.3])


@pytest.mark.parametrize(
    "name, params",
    [("f1_macro", {"labels": "all"}), ("qwk", {"labels": "linear"}), ("pf1", {"beta": 0}), ("accuracy", {"x": 1})],
)
def test_bad_parameters(name, params):
    t, p = ([1, 0], [0.5, 0.5]) if name == "pf1" else ([1, 0], [1, 0])
    with pytest.raises(MetricInputError):
        metrics.score(name, t, p, **params)


def test_multilabel_rows_of_numbers_with_an_empty_side():
    assert metrics.score("f1_micro", [[1, 2], [3]], [[], []]) == 0.0
    assert metrics.score("f1_micro", [[], []], [[1], []]) == 0.0
    assert _close(metrics.score("f1_micro", [[1, 2], [3]], [[2], [3, 9]], drop_unseen_predictions=True), 0.8)
