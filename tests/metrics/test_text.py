"""Text metrics against reference implementations (the ``Levenshtein`` package, scikit-learn, and
Kaggle's published tweet-sentiment Jaccard written out here)."""

from __future__ import annotations

import math

import Levenshtein
import numpy as np
import pytest
from sklearn.metrics import jaccard_score
from sklearn.preprocessing import MultiLabelBinarizer

import metrics
from metrics import MetricInputError
from metrics.text import int_rows, levenshtein_distances

ALPHABET = list("abcdeé漢😀 \t-=()0123")


def random_strings(rng, n, high):
    return ["".join(rng.choice(ALPHABET, int(rng.integers(0, high)))) for _ in range(n)]


@pytest.mark.parametrize("seed", range(4))
def test_levenshtein_mean_matches_the_levenshtein_package(seed):
    rng = np.random.default_rng(seed)
    high = [5, 40, 150, 300][seed]  # short, medium and long strings cross several length buckets
    y_true, y_pred = random_strings(rng, 120, high), random_strings(rng, 120, high)
    expected = np.mean([Levenshtein.distance(a, b) for a, b in zip(y_true, y_pred)])
    assert metrics.score("levenshtein_mean", y_true, y_pred) == expected


def test_levenshtein_mean_edge_rows():
    y_true = ["", "abc", "", "kitten", "x" * 70]
    y_pred = ["", "", "abc", "sitting", "y" * 3]
    expected = [0, 3, 3, 3, 70]
    distances = [Levenshtein.distance(a, b) for a, b in zip(y_true, y_pred)]
    assert distances == expected
    assert metrics.score("levenshtein_mean", y_true, y_pred) == np.mean(expected)


def test_word_boundaries_of_the_bit_vectors():
    rng = np.random.default_rng(11)
    lengths = [1, 63, 64, 65, 127, 128, 129, 192]
    y_true = ["".join(rng.choice(list("ab"), a)) for a in lengths for b in lengths]
    y_pred = ["".join(rng.choice(list("ab"), b)) for a in lengths for b in lengths]
    distances = [Levenshtein.distance(a, b) for a, b in zip(y_true, y_pred)]
    assert metrics.score("levenshtein_mean", y_true, y_pred) == np.mean(distances)


def test_levenshtein_mean_unicode_surrogates_and_empty_strings():
    rows = ["", "é", "e\u0301", "漢字", "😀😀", "\ud800", "\udfff\ud800", "a" * 200, "\x00\x01", "ß", "SS"]
    y_true = [a for a in rows for b in rows]
    y_pred = [b for a in rows for b in rows]
    distances = [Levenshtein.distance(a, b) for a, b in zip(y_true, y_pred)]
    assert metrics.score("levenshtein_mean", y_true, y_pred) == np.mean(distances)
    assert metrics.score("levenshtein_mean", np.array(y_true), y_pred) == np.mean(distances)  # np.str_ rows


def test_levenshtein_mean_rejects_non_strings_by_row():
    with pytest.raises(MetricInputError, match=r"1 value\(s\) that are not strings \(first at row 2"):
        metrics.score("levenshtein_mean", ["a", "b", None], ["a", "b", "c"])
    with pytest.raises(MetricInputError, match="first at row 0"):
        metrics.score("levenshtein_mean", ["a"], [["a"]])  # a list of characters is not a string


def test_token_distances_with_huge_ids_and_more_values_than_code_points(monkeypatch):
    import metrics.text as text

    rng = np.random.default_rng(9)
    a = [rng.integers(-(2**62), 2**62, int(rng.integers(0, 30))) for _ in range(60)]
    b = [np.where(rng.random(len(x)) < 0.7, x, rng.integers(0, 5, len(x))) for x in a]
    expected = [Levenshtein.distance(x.tolist(), y.tolist()) for x, y in zip(a, b)]
    args = (np.concatenate(a), np.array(list(map(len, a))), np.concatenate(b), np.array(list(map(len, b))))
    assert levenshtein_distances(*args).tolist() == expected
    monkeypatch.setattr(text, "_CODE_POINTS", 3)  # as if there were more distinct ids than code points
    assert levenshtein_distances(*args).tolist() == expected


def test_batched_distances_match_pairwise_on_mixed_lengths():
    rng = np.random.default_rng(5)
    a = [rng.integers(0, 4, int(rng.integers(0, 90))) for _ in range(200)]
    b = [rng.integers(0, 4, int(rng.integers(0, 90))) for _ in range(200)]
    got = levenshtein_distances(
        np.concatenate(a), np.array(list(map(len, a))), np.concatenate(b), np.array(list(map(len, b)))
    )
    assert got.tolist() == [Levenshtein.distance(x.tolist(), y.tolist()) for x, y in zip(a, b)]


@pytest.mark.parametrize("seed", range(3))
def test_levenshtein_normalized_matches_token_distances(seed):
    rng = np.random.default_rng(seed)
    y_true = [rng.integers(1, 21, int(rng.integers(1, 25))).tolist() for _ in range(80)]
    y_pred = [rng.integers(1, 21, int(rng.integers(0, 25))).tolist() for _ in range(80)]
    expected = np.sum([Levenshtein.distance(a, b) for a, b in zip(y_true, y_pred)]) / sum(map(len, y_true))
    as_text = [" ".join(map(str, r)) for r in y_pred]
    assert metrics.score("levenshtein_normalized", y_true, y_pred) == expected
    assert metrics.score("levenshtein_normalized", y_true, as_text) == expected


def test_levenshtein_normalized_hand_worked():
    # row 1: delete 2 (1); row 2: substitute 5->6 (1); 5 true tokens
    assert metrics.score("levenshtein_normalized", ["1 2 3", "4 5"], ["1 3", "4 6"]) == 2 / 5
    # token-level, not character-level: "12" is one token
    assert metrics.score("levenshtein_normalized", ["12"], ["1 2"]) == 2.0
    # whole-number floats and digit strings are the same tokens as ints
    assert metrics.score("levenshtein_normalized", [["1", "2", "3"]], [[1.0, 2.0]]) == 1 / 3


def kaggle_jaccard(a: str, b: str) -> float:
    x, y = set(a.lower().split()), set(b.lower().split())
    z = x & y
    return len(z) / (len(x) + len(y) - len(z))


WORDS = ["The", "the", "cat", "CAT", "sat", "on", "a", "mat", "ழ", "नमस्ते", "dog!"]


def random_texts(rng, n, low=0):
    return [
        "  ".join(rng.choice(WORDS, int(rng.integers(low, 6)))) + rng.choice(["", " ", "\n"]) for _ in range(n)
    ]


@pytest.mark.parametrize("seed", range(3))
def test_jaccard_word_matches_kaggle_formula(seed):
    rng = np.random.default_rng(seed)
    y_true, y_pred = random_texts(rng, 100, low=1), random_texts(rng, 100)
    expected = float(np.mean([kaggle_jaccard(a, b) for a, b in zip(y_true, y_pred)]))
    assert metrics.score("jaccard_word", y_true, y_pred) == expected


@pytest.mark.parametrize("seed", range(3))
def test_jaccard_word_chaii_rule_matches_sklearn_samples_average(seed):
    rng = np.random.default_rng(seed)
    y_true, y_pred = random_texts(rng, 100), random_texts(rng, 100)
    y_true[0] = y_pred[0] = ""  # both empty: sklearn scores 0
    t_sets = [set(s.lower().split()) for s in y_true]
    p_sets = [set(s.lower().split()) for s in y_pred]
    mlb = MultiLabelBinarizer(classes=sorted(set.union(*t_sets, *p_sets)))
    with np.errstate(all="ignore"), pytest.warns(Warning):
        expected = jaccard_score(mlb.fit_transform(t_sets), mlb.transform(p_sets), average="samples")
    got = metrics.score("jaccard_word", y_true, y_pred, both_empty=0.0)
    assert math.isclose(got, expected, rel_tol=1e-12)


def test_jaccard_word_case_sensitivity_and_both_empty_value():
    assert metrics.score("jaccard_word", ["Cat"], ["cat"]) == 1.0
    assert metrics.score("jaccard_word", ["Cat"], ["cat"], lowercase=False) == 0.0
    assert metrics.score("jaccard_word", ["", "a b"], ["  ", "a"], both_empty=1.0) == 0.75


def test_jaccard_word_unicode_case_and_whitespace_match_python():
    # every whitespace character str.split() knows, cased letters whose lowercase is special, and marks
    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    rng = np.random.default_rng(3)
    words = ["İstanbul", "ΟΔΟΣ", "οδος", "ß", "SS", "ǅ", "नमस्ते", "e\u0301", "😀", "\u200b", "a"]
    y_true = ["".join(w + rng.choice(spaces) for w in rng.choice(words, 4)) for _ in range(200)]
    y_pred = [rng.choice(spaces) + " ".join(rng.choice(words, 3)) for _ in range(200)]
    for lower in (True, False):
        fold = str.lower if lower else str
        sets = [(set(fold(a).split()), set(fold(b).split())) for a, b in zip(y_true, y_pred)]
        expected = float(np.mean([len(x & y) / len(x | y) for x, y in sets]))
        assert metrics.score("jaccard_word", y_true, y_pred, lowercase=lower) == expected


def test_jaccard_word_repeated_words_count_once_and_non_strings_raise():
    assert metrics.score("jaccard_word", ["a a b"], ["a b b c"]) == 2 / 3
    with pytest.raises(MetricInputError, match="not strings"):
        metrics.score("jaccard_word", ["a", float("nan")], ["a", "b"])


def test_both_empty_raises_by_default_with_the_fix():
    with pytest.raises(MetricInputError, match=r"no words in either text \(first at row 1\).*both_empty=0.0"):
        metrics.score("jaccard_word", ["a", " "], ["a", ""])


def test_int_rows_decimal_path_matches_python_int_and_str_split():
    spaces = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
    rows = [spaces + "1" + spaces + "-22 007", "", spaces, "9223372036854775807\t-9223372036854775808"]
    values, counts = int_rows(rows, "m", "y")
    expected = [list(map(int, r.split())) for r in rows]
    assert values.tolist() == sum(expected, []) and counts.tolist() == list(map(len, expected))
    for python_only in (["1_000 2"], ["+3"], ["\u0661\u0662"]):  # Arrow's parser rejects these: Python decides
        values, counts = int_rows(python_only, "m", "y")
        assert values.tolist() == list(map(int, python_only[0].split()))
    with pytest.raises(MetricInputError, match="holds '0x10'"):  # Arrow would read hexadecimal; int() does not
        int_rows(["0x10"], "m", "y")
    with pytest.raises(MetricInputError, match="row 1 holds '9223372036854775808'"):
        int_rows(["1", "9223372036854775808"], "m", "y")


def test_int_rows_parses_like_python_int():
    values, counts = int_rows(["+1 02", "", " 3\t4 "], "m", "y")
    assert values.tolist() == [1, 2, 3, 4] and counts.tolist() == [2, 0, 2]


@pytest.mark.parametrize(
    "name, y_true, y_pred, params, message",
    [
        ("levenshtein_mean", ["a", "b"], ["a"], {}, "y_true has 2 rows but y_pred has 1"),
        ("levenshtein_mean", ["a", "b"], ["a", float("nan")], {}, r"not strings \(first at row 1"),
        ("levenshtein_mean", ["a", None], ["a", "b"], {}, "fill missing values"),
        ("levenshtein_mean", [], [], {}, "y_true is empty"),
        ("levenshtein_mean", "abc", "abd", {}, "single string"),
        ("levenshtein_mean", np.array([["a"]]), ["a"], {}, "must be 1-D"),
        ("levenshtein_normalized", ["1 2"], ["1 x"], {}, "y_pred row 0 holds 'x', which is not an integer"),
        ("levenshtein_normalized", ["1 2.5"], ["1"], {}, "not an integer"),
        ("levenshtein_normalized", ["", ""], ["1", ""], {}, "y_true holds no tokens"),
        ("levenshtein_normalized", ["1"], [float("nan")], {}, "missing"),
        ("levenshtein_normalized", ["1", "2"], ["1"], {}, "2 rows but y_pred has 1"),
        ("levenshtein_normalized", [], [], {}, "empty"),
        ("levenshtein_normalized", ["1 99999999999999999999999"], ["1"], {}, "not an integer"),
        ("levenshtein_normalized", [[1, 2]], [[1.5, 2.0]], {}, "y_pred row 0 holds values that are not integers"),
        ("levenshtein_normalized", [[1, 2]], [None], {}, "y_pred row 0 is None"),
        ("jaccard_word", ["a"], ["a", "b"], {}, "1 rows but y_pred has 2"),
        ("jaccard_word", ["a", float("nan")], ["a", "b"], {}, "not strings"),
        ("jaccard_word", [], [], {}, "empty"),
        ("jaccard_word", ["a"], ["a"], {"both_empty": "zero"}, "both_empty must be 'raise' or a number"),
        ("jaccard_word", ["a"], ["a"], {"nonsense": 1}, "unknown parameter"),
    ],
)
def test_bad_inputs_raise_a_clear_error(name, y_true, y_pred, params, message):
    with pytest.raises(MetricInputError, match=message):
        metrics.score(name, y_true, y_pred, **params)
