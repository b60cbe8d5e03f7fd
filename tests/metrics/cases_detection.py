"""Property-suite cases for the detection metrics. A "row" is an image: y_true and y_pred are lists with one
array of boxes per image, so the shared suite's row permutation reorders images."""

from __future__ import annotations

import numpy as np

from tests.metrics.cases import Case


def _as_lists(y_true, y_pred, params):
    """The same boxes as nested Python lists, class codes as ints."""

    def convert(boxes):
        return [[int(row[0]), *map(float, row[1:])] for row in np.asarray(boxes)]

    return [convert(b) for b in y_true], [convert(b) for b in y_pred], params


def _boxes_2d(rng, n):
    truth = []
    for i in range(n):
        m = 0 if i == n - 1 else int(rng.integers(1, 4))  # the last image has no boxes
        xy = rng.uniform(0, 100, (m, 2))
        cls = rng.integers(0, 3, m).astype(float)
        truth.append(np.column_stack([cls, xy, xy + rng.uniform(5, 30, (m, 2))]))
    perfect = [np.column_stack([t[:, 0], rng.uniform(0.05, 1, len(t)), t[:, 1:]]) for t in truth]
    worse = [p.copy() for p in perfect]
    worse[0][:, 2:] += 1000.0  # the first image's boxes miss
    return truth, perfect, worse


def _make_voc(rng, n):
    truth, perfect, worse = _boxes_2d(rng, n)
    return truth, perfect, worse, {}


def _make_coco(rng, n):
    truth, perfect, worse = _boxes_2d(rng, n)
    return truth, perfect, worse, {}


def _make_coco_mlebench(rng, n):
    truth, perfect, worse = _boxes_2d(rng, n)
    return truth, perfect, worse, {"boxes_as_xywh_quirk": True}


def _boxes_3d(rng, n):
    truth = []
    for _ in range(n):
        m = int(rng.integers(1, 4))
        truth.append(np.column_stack([
            rng.integers(0, 3, m), rng.uniform(-50, 50, (m, 3)), rng.uniform(1, 5, (m, 3)), rng.uniform(-3, 3, m),
        ]).astype(float))
    perfect = [np.column_stack([t[:, 0], rng.uniform(0.05, 1, len(t)), t[:, 1:]]) for t in truth]
    worse = [p.copy() for p in perfect]
    worse[0][:, 2] += 500.0
    return truth, perfect, worse


def _make_3d(rng, n):
    return (*_boxes_3d(rng, n), {})


def _make_3d_per_sample(rng, n):
    return (*_boxes_3d(rng, n), {"averaging": "per_sample"})


def _make_points(rng, n):
    truth, perfect = [], []
    for _ in range(n):
        m = int(rng.integers(0, 6))
        xy = rng.uniform(0, 100, (m, 2))
        wh = rng.uniform(2, 10, (m, 2))
        lab = rng.integers(0, 5, m).astype(float)
        truth.append(np.column_stack([lab, xy, wh]))
        perfect.append(np.column_stack([lab, xy + wh / 2]))
    truth[0] = np.r_[truth[0], [[1.0, 0.0, 0.0, 4.0, 4.0]]]
    perfect[0] = np.r_[perfect[0], [[1.0, 2.0, 2.0]]]
    worse = [p.copy() for p in perfect]
    worse[0][-1, 1] = -50.0  # one point leaves its box
    return truth, perfect, worse, {}


CASES = [
    Case("map_detection_3d", _make_3d, dtype_variant=_as_lists),
    Case("map_detection_3d", _make_3d_per_sample, dtype_variant=_as_lists),
    Case("map_detection_voc", _make_voc, dtype_variant=_as_lists),
    Case("map_detection_coco", _make_coco, dtype_variant=_as_lists),
    Case("map_detection_coco", _make_coco_mlebench, dtype_variant=_as_lists),
    Case("f1_detection_points", _make_points, dtype_variant=_as_lists),
]
