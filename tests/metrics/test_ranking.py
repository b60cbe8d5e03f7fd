"""Reference tests for metrics/ranking.py: scikit-learn where it implements the metric, brute force otherwise."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import label_ranking_average_precision_score, roc_auc_score, roc_curve

import metrics
from metrics import MetricInputError
from metrics.ranking import auc, auc_mean_columnwise, jigsaw_bias_auc, lwlrap, map_at_k, match_tokens, weighted_auc

SETTINGS = settings(max_examples=25, deadline=None)


def _rel(a: float, b: float, tol: float = 1e-12) -> bool:
    return math.isclose(a, b, rel_tol=tol, abs_tol=1e-15)


def _binary(seed: int, n: int, levels: int):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    y[:2] = [0, 1]
    return y, rng.integers(0, levels, n) / levels


# ------------------------------------------------------------------ auc


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 300), levels=st.sampled_from([2, 5, 1000]))
def test_auc_matches_sklearn_with_ties(seed, n, levels):
    y, s = _binary(seed, n, levels)
    assert _rel(auc(y, s), roc_auc_score(y, s))


def test_auc_accepts_bools_and_any_real_scores():
    assert auc([False, True, True], [-3.0, 10.0, 2.0]) == 1.0
    assert metrics.score("roc_auc", [0, 1], [0.7, 0.7]) == 0.5


def test_auc_mean_columnwise_matches_sklearn_macro():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, (200, 4))
    s = rng.integers(0, 7, (200, 4)) / 7
    assert _rel(auc_mean_columnwise(y, s), roc_auc_score(y, s, average="macro"))


def test_auc_mean_columnwise_ignore_value_drops_rows_per_column():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, (120, 3))
    y[rng.random(120) < 0.3] = -1
    s = rng.random((120, 3))
    keep = y[:, 0] != -1
    expected = roc_auc_score(y[keep], s[keep], average="macro")  # MLE-bench drops whole -1 rows
    assert _rel(auc_mean_columnwise(y, s, ignore_value=-1), expected)
    with pytest.raises(MetricInputError, match="only 0 and 1"):
        auc_mean_columnwise(y, s)


# ------------------------------------------------------------------ weighted_auc


def _weighted_auc_reference(y, s, edges=(0.0, 0.4, 1.0), weights=(2, 1)):
    """Integrate clip(tpr - lo, 0, hi - lo) along sklearn's ROC polyline, splitting segments at the band edges."""
    fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
    total = 0.0
    for lo, hi, w in zip(edges[:-1], edges[1:], weights):
        area = 0.0
        for (x0, y0), (x1, y1) in zip(zip(fpr[:-1], tpr[:-1]), zip(fpr[1:], tpr[1:])):
            cuts = [0.0, 1.0]
            for edge in (lo, hi):
                if y1 != y0 and min(y0, y1) < edge < max(y0, y1):
                    cuts.append((edge - y0) / (y1 - y0))
            cuts.sort()
            for t0, t1 in zip(cuts[:-1], cuts[1:]):
                xa, xb = x0 + t0 * (x1 - x0), x0 + t1 * (x1 - x0)
                ya = min(max(y0 + t0 * (y1 - y0) - lo, 0.0), hi - lo)
                yb = min(max(y0 + t1 * (y1 - y0) - lo, 0.0), hi - lo)
                area += (xb - xa) * (ya + yb) / 2
        total += w * area
    return total / sum(w * (hi - lo) for lo, hi, w in zip(edges[:-1], edges[1:], weights))


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 200), levels=st.sampled_from([3, 10, 1000]))
def test_weighted_auc_matches_reference(seed, n, levels):
    y, s = _binary(seed, n, levels)
    assert _rel(weighted_auc(y, s), _weighted_auc_reference(y, s), 1e-10)


def test_weighted_auc_hand_values():
    assert _rel(weighted_auc([0, 1, 0, 1], [0, 0, 0, 0]), 0.82 / 1.4)  # diagonal: (2*0.32 + 0.18) / 1.4
    assert weighted_auc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert weighted_auc([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9]) == 0.0
    # one band with weight 1 is the plain AUC
    y, s = _binary(5, 100, 7)
    assert _rel(weighted_auc(y, s, tpr_thresholds=(0.0, 1.0), weights=(1,)), roc_auc_score(y, s))


def test_weighted_auc_rejects_bad_bands():
    with pytest.raises(MetricInputError, match="increase from 0 to 1"):
        weighted_auc([0, 1], [0.1, 0.9], tpr_thresholds=(0.0, 0.5, 0.9), weights=(1, 1))
    with pytest.raises(MetricInputError, match="k\\+1"):
        weighted_auc([0, 1], [0.1, 0.9], tpr_thresholds=(0.0, 1.0), weights=(1, 1))


# ------------------------------------------------------------------ jigsaw_bias_auc


def _jigsaw_reference(toxicity, pred, groups, binarize):
    y = np.array([1 if t >= 0.5 else 0 for t in toxicity])
    p = np.array([(1 if v >= 0.5 else 0) if binarize else v for v in pred], dtype=float)
    overall = roc_auc_score(y, p)
    kinds = [[], [], []]
    for j in range(groups.shape[1]):
        g = np.array([1 if v >= 0.5 else 0 for v in groups[:, j]])
        sub = g == 1
        bpsn = (sub & (y == 0)) | (~sub & (y == 1))
        bnsp = (sub & (y == 1)) | (~sub & (y == 0))
        for kind, mask in zip(kinds, (sub, bpsn, bnsp)):
            kind.append(roc_auc_score(y[mask], p[mask]))
    means = [(sum(a**-5 for a in kind) / len(kind)) ** (1 / -5) for kind in kinds]
    return 0.25 * overall + 0.25 * sum(means)


@pytest.mark.parametrize("binarize", [False, True])
@pytest.mark.parametrize("seed", range(5))
def test_jigsaw_bias_auc_matches_reference(seed, binarize):
    rng = np.random.default_rng(seed)
    n = 300
    toxicity = rng.choice([0.0, 0.1, 0.4, 0.5, 0.6, 1.0], n)
    groups = rng.choice([0.0, 0.0, 0.2, 0.5, 1.0], (n, 4))
    pred = rng.random(n)
    expected = _jigsaw_reference(toxicity, pred, groups, binarize)
    got = jigsaw_bias_auc(toxicity, pred, groups, binarize_predictions=binarize)
    assert _rel(got, expected)


def test_jigsaw_bias_auc_accepts_dataframe_and_dict_subgroups():
    import pandas as pd

    rng = np.random.default_rng(3)
    toxicity = rng.choice([0.0, 1.0], 200)
    groups = rng.choice([0.0, 1.0, np.nan], (200, 2))
    pred = rng.random(200)
    frame = pd.DataFrame(groups, columns=["male", "female"])
    as_matrix = jigsaw_bias_auc(toxicity, pred, np.nan_to_num(groups))  # NaN counts as "not mentioned"
    assert jigsaw_bias_auc(toxicity, pred, frame) == as_matrix
    assert jigsaw_bias_auc(toxicity, pred, {"male": groups[:, 0], "female": groups[:, 1]}) == as_matrix


def test_jigsaw_bias_auc_names_an_undefined_subgroup():
    toxicity = [0, 1, 0, 1, 1, 0]
    groups = [[1], [1], [0], [0], [0], [0]]
    with pytest.raises(MetricInputError, match="identity 0"):
        jigsaw_bias_auc(toxicity, [0.1, 0.9, 0.2, 0.8, 0.7, 0.3], [[1], [1], [1], [1], [1], [1]])
    assert 0 <= jigsaw_bias_auc(toxicity, [0.1, 0.9, 0.2, 0.8, 0.7, 0.3], groups) <= 1
    with pytest.raises(MetricInputError, match="rows"):
        jigsaw_bias_auc(toxicity, [0.1] * 6, [[1]] * 5)


# ------------------------------------------------------------------ lwlrap


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 80), m=st.integers(1, 12), levels=st.sampled_from([2, 4, 1000]))
def test_lwlrap_matches_sklearn_weighted_lrap(seed, n, m, levels):
    rng = np.random.default_rng(seed)
    y = (rng.random((n, m)) < 0.3).astype(int)
    y[0, 0] = 1
    s = rng.integers(0, levels, (n, m)) / levels
    w = y.sum(axis=1)
    keep = w > 0
    expected = label_ranking_average_precision_score(y[keep], s[keep], sample_weight=w[keep])
    assert _rel(lwlrap(y, s), expected)


def test_lwlrap_rejects_rows_without_labels_only():
    with pytest.raises(MetricInputError, match="no row of y_true has a true label"):
        lwlrap([[0, 0], [0, 0]], [[0.1, 0.2], [0.3, 0.4]])


# ------------------------------------------------------------------ map_at_k


def _apk(actual, predicted, k):
    predicted = predicted[:k]
    score, hits = 0.0, 0
    for i, p in enumerate(predicted):
        if p in actual and p not in predicted[:i]:
            hits += 1
            score += hits / (i + 1)
    return score / min(len(actual), k) if actual else 0.0


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 60), k=st.integers(1, 12))
def test_map_at_k_matches_loop(seed, n, k):
    rng = np.random.default_rng(seed)
    vocab = [f"x{i}" for i in range(15)]
    actual = [list(rng.choice(vocab, rng.integers(0, 6))) for _ in range(n)]  # may repeat, may be empty
    predicted = [list(rng.choice(vocab, rng.integers(0, 15))) for _ in range(n)]
    expected = float(np.mean([_apk(set(a), p, k) for a, p in zip(actual, predicted)]))
    assert _rel(map_at_k(actual, predicted, k=k), expected)


def test_map_at_k_single_space_split_keeps_empty_tokens():
    truth = ["a b", "c"]
    pred = ["x  a", "c"]  # double space: ['x', '', 'a'] puts a at rank 3
    expected = np.mean([_apk({"a", "b"}, ["x", "", "a"], 3), 1.0])
    assert _rel(map_at_k(truth, pred, k=3, split_on="single_space"), expected)
    assert _rel(map_at_k(truth, pred, k=3), np.mean([_apk({"a", "b"}, ["x", "a"], 3), 1.0]))
    assert map_at_k(["a"], ["x  a"], k=2, split_on="single_space") == 0.0  # 'a' falls beyond k


def test_map_at_k_hand_values():
    assert map_at_k(["a b", "c"], ["a x b", "y c"], k=3) == pytest.approx((1 + 2 / 3) / 2 / 2 + 0.25)
    assert map_at_k([""], ["a"], k=3) == 0.0  # empty truth scores 0
    assert map_at_k([[1, 2]], [[2.0, 1.0]], k=2) == 1.0  # labels compare as Python values


def test_match_tokens_groups_equal_tokens_per_row():
    order, new = match_tokens(["a", "b", "a", "a", "b"], np.array([0, 0, 0, 1, 1]), "demo")
    groups = sorted(g.tolist() for g in np.split(order, np.flatnonzero(new)[1:]))
    assert groups == [[0, 2], [1], [3], [4]]


def test_map_at_k_bad_inputs():
    with pytest.raises(MetricInputError, match="k must be a positive integer"):
        map_at_k(["a"], ["a"], k=0)
    with pytest.raises(MetricInputError, match="rows"):
        map_at_k(["a", "b"], ["a"])
    with pytest.raises(MetricInputError, match="neither a string nor a collection"):
        map_at_k(["a"], [float("nan")])
    with pytest.raises(MetricInputError, match="empty"):
        map_at_k([], [])
    with pytest.raises(MetricInputError, match="split_on"):
        map_at_k(["a"], ["a"], split_on="comma")
    with pytest.raises(MetricInputError, match="hashable"):
        map_at_k([[["a"]]], [["a"]])


# ------------------------------------------------------------------ bad inputs shared by the AUC family


@pytest.mark.parametrize("name", ["auc", "weighted_auc"])
def test_binary_bad_inputs(name):
    with pytest.raises(MetricInputError, match="rows"):
        metrics.score(name, [0, 1, 1], [0.1, 0.2])
    with pytest.raises(MetricInputError, match="NaN"):
        metrics.score(name, [0, 1], [0.1, float("nan")])
    with pytest.raises(MetricInputError, match="infinite"):
        metrics.score(name, [0, 1], [0.1, float("inf")])
    with pytest.raises(MetricInputError, match="only one class"):
        metrics.score(name, [1, 1], [0.1, 0.2])
    with pytest.raises(MetricInputError, match="only 0 and 1"):
        metrics.score(name, [0, 2], [0.1, 0.2])
    with pytest.raises(MetricInputError, match="empty"):
        metrics.score(name, [], [])
    with pytest.raises(MetricInputError, match="1-D"):
        metrics.score(name, [[0, 1], [1, 0]], [[0.1, 0.2], [0.3, 0.4]])
    with pytest.raises(MetricInputError, match="not numbers"):
        metrics.score(name, [0, 1], ["a", "b"])


@pytest.mark.parametrize("name", ["auc_mean_columnwise", "lwlrap"])
def test_matrix_bad_inputs(name):
    y = [[0, 1], [1, 0]]
    with pytest.raises(MetricInputError, match="shape"):
        metrics.score(name, y, [[0.1, 0.2, 0.3], [0.3, 0.4, 0.5]])
    with pytest.raises(MetricInputError, match="NaN"):
        metrics.score(name, y, [[0.1, float("nan")], [0.3, 0.4]])
    with pytest.raises(MetricInputError, match="only 0 and 1"):
        metrics.score(name, [[0, 3], [1, 0]], [[0.1, 0.2], [0.3, 0.4]])
    with pytest.raises(MetricInputError, match="empty"):
        metrics.score(name, np.zeros((0, 2)), np.zeros((0, 2)))


def test_auc_mean_columnwise_names_a_one_class_column():
    with pytest.raises(MetricInputError, match="column 1"):
        auc_mean_columnwise([[0, 1], [1, 1]], [[0.1, 0.2], [0.3, 0.4]])


_TEXT_TOKENS = st.sampled_from(["a", "bb", "a1", "", " ", "  ", "\t", "c\u00e9", "zz"])


@SETTINGS
@given(
    truth=st.lists(st.lists(_TEXT_TOKENS, max_size=5).map("".join), min_size=1, max_size=25),
    pred=st.lists(st.lists(_TEXT_TOKENS, max_size=15).map("".join), min_size=25, max_size=25),
    k=st.integers(1, 8),
    split_on=st.sampled_from(["whitespace", "single_space"]),
)
def test_map_at_k_on_text_matches_loop(truth, pred, k, split_on):
    pred = pred[: len(truth)]
    sep = None if split_on == "whitespace" else " "
    expected = float(np.mean([_apk(set(a.split(sep)), p.split(sep), k) for a, p in zip(truth, pred)]))
    assert _rel(map_at_k(truth, pred, k=k, split_on=split_on), expected)
    assert _rel(map_at_k(np.array(truth, dtype=object), pred, k=k, split_on=split_on), expected)


def test_map_at_k_text_repeats_unicode_and_chunks():
    rng = np.random.default_rng(4)
    vocab = ["a", "ä", "😀", "ß", "SS", "\u3000", "x y", ""]
    n = 700  # several chunks of the string path
    truth = [" ".join(rng.choice(vocab, int(rng.integers(0, 4)))) for _ in range(n)]
    pred = [" ".join(rng.choice(vocab, int(rng.integers(0, 9)))) for _ in range(n)]  # repeats are common
    for split_on, sep in (("whitespace", None), ("single_space", " ")):
        expected = float(np.mean([_apk(set(a.split(sep)), p.split(sep), 5) for a, p in zip(truth, pred)]))
        assert _rel(map_at_k(truth, pred, k=5, split_on=split_on), expected)
