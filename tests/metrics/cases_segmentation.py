"""Property-suite cases for the segmentation metrics (``metrics/segmentation.py``)."""

from __future__ import annotations

import numpy as np

from metrics.segmentation import rle_encode
from tests.metrics.cases import Case

_H, _W = 6, 5


def _masks(rng: np.random.Generator, n: int) -> np.ndarray:
    masks = rng.random((n, _H, _W)) < 0.4
    masks[:, 0, 0] = True  # every true mask has a pixel, so a changed prediction always costs
    return masks


def _dropped(masks: np.ndarray) -> np.ndarray:
    """Each mask without its top-left pixel (each image loses overlap)."""
    worse = masks.copy()
    worse[:, 0, 0] = False
    return worse


def _dense_problem(rng: np.random.Generator, n: int):
    y_true = _masks(rng, n)
    return y_true, y_true.copy(), _dropped(y_true), {}


def _as_rle(y_true, y_pred, params):
    return (
        [rle_encode(m) for m in y_true],
        [rle_encode(m) for m in y_pred],
        {**params, "shape": (_H, _W)},
    )


def _as_int_list(y_true, y_pred, params):
    return [m.astype(np.int64) for m in y_true], [m.astype(float) for m in y_pred], params


def _rle_problem(rng: np.random.Generator, n: int):
    y_true, perfect, worse, params = _dense_problem(rng, n)
    shapes = np.tile([_H, _W], (n, 1))  # one (height, width) per row: permuted with the rows
    return (
        [rle_encode(m) for m in y_true],
        [rle_encode(m) for m in perfect],
        [rle_encode(m) for m in worse],
        {**params, "shape": shapes},
    )


def _global_problem(rng: np.random.Generator, n: int):
    y_true, perfect, worse, _ = _dense_problem(rng, n)
    return y_true, perfect, worse, {"reduction": "global", "empty_score": float("nan")}


def _fbeta_problem(rng: np.random.Generator, n: int):
    y_true = rng.integers(0, 2, n)
    y_true[:2] = [0, 1]
    worse = y_true.copy()
    worse[:2] = [1, 0]
    return y_true, y_true.copy(), worse, {}


def _fbeta_variant(y_true, y_pred, params):
    return y_true.astype(bool), y_pred.astype(float).tolist(), params


def _iou_problem(rng: np.random.Generator, n: int):
    y_true = _masks(rng, n)
    worse = y_true.copy()
    worse[0] = False  # an empty prediction on a non-empty truth scores 0 for that image
    return y_true, y_true.copy(), worse, {}


def _uw_problem(rng: np.random.Generator, n: int):
    y_true, perfect, worse, _ = _dense_problem(rng, n)
    rows = np.arange(n)
    params = {
        "slice_ids": np.array([f"case1_day{r % 3}_slice_{r // 6:04d}" for r in rows]),
        "volume_ids": np.array([f"case1_day{r % 3}" for r in rows]),
        "max_volume_ratio": 10.0,
    }
    return y_true, perfect, worse, params


CASES = [
    Case("dice", _dense_problem, dtype_variant=_as_rle),
    Case("dice", _rle_problem),
    Case("dice", _global_problem, dtype_variant=_as_int_list),
    Case("fbeta", _fbeta_problem, dtype_variant=_fbeta_variant),
    Case("iou_map", _iou_problem, dtype_variant=_as_rle),
    Case("dice_hausdorff", _uw_problem, dtype_variant=_as_rle),
]
