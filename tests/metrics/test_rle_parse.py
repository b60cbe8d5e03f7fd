"""The vectorised RLE parser gives what the Python-level int_rows gives, and steps aside for what it cannot parse."""

from __future__ import annotations

import numpy as np
import pytest

from metrics import MetricInputError
from metrics.segmentation import _ascii_int_rows, parse_rles
from metrics.text import int_rows


def _rles(rng: np.random.Generator, n: int) -> list[str]:
    out = []
    for _ in range(n):
        k = int(rng.integers(0, 6))
        starts = np.sort(rng.choice(np.arange(1, 10**6, 50), size=k, replace=False))
        lengths = rng.integers(1, 40, size=k)
        seps = rng.choice([" ", "  ", "\t"], size=2 * k)
        tokens = [str(v) for pair in zip(starts, lengths) for v in pair]
        text = "".join(t + s for t, s in zip(tokens, seps))
        out.append(rng.choice(["", " "]) + text)
    return out


@pytest.mark.parametrize("seed", range(3))
def test_vectorised_parse_equals_int_rows(seed):
    rows = _rles(np.random.default_rng(seed), 500) + ["", "  ", "007 3"]
    values, counts = _ascii_int_rows(rows)
    ref_values, ref_counts = int_rows(rows, "rle", "y_pred")
    assert values.tolist() == ref_values.tolist() and counts.tolist() == ref_counts.tolist()


@pytest.mark.parametrize("row", ["1 -3", "1 3.0", "1,3", "1 ３", "1 +3", "1 1_000", "1 " + "9" * 19])
def test_what_it_cannot_parse_goes_to_int_rows(row):
    assert _ascii_int_rows(["1 2", row]) is None


@pytest.mark.parametrize("row, problem", [("1 -3", "positive"), ("1 x", "not an integer"), ("5 2 1 1", "order")])
def test_parse_rles_still_names_the_bad_row(row, problem):
    with pytest.raises(MetricInputError) as err:
        parse_rles(["1 2", row], n_pixels=100)
    assert err.value.rows.tolist() == [1] and problem in str(err.value)


@pytest.mark.parametrize("seed", range(3))
def test_run_intersections_equal_decoded_masks(seed):
    from metrics.segmentation import _run_intersections, rle_decode

    rng = np.random.default_rng(seed)
    shapes = np.array([[7, 5], [3, 4], [10, 10], [1, 1]] * 5)
    def rle(h, w):
        mask = rng.random(h * w) < rng.random()
        return " ".join(f"{s + 1} {n}" for s, n in _runs_of(mask))
    y_true = [rle(h, w) for h, w in shapes]
    y_pred = [rle(h, w) for h, w in shapes]
    n_pixels = shapes[:, 0] * shapes[:, 1]
    got = _run_intersections(parse_rles(y_true, n_pixels), parse_rles(y_pred, n_pixels), n_pixels)
    want = [int((rle_decode(a, tuple(s)) & rle_decode(b, tuple(s))).sum()) for a, b, s in zip(y_true, y_pred, shapes)]
    assert got.tolist() == want


def _runs_of(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return list(zip(edges[0::2].tolist(), (edges[1::2] - edges[0::2]).tolist()))
