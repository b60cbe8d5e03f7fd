"""Segmentation metrics and RLE helpers against straightforward references written here (loops over
images and runs, scipy's directed_hausdorff on every voxel, numpy's histogram2d as in the TGS kernel)
and scikit-learn's fbeta_score."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy.spatial.distance import directed_hausdorff
from sklearn.metrics import fbeta_score

import metrics
from metrics import MetricInputError
from metrics.segmentation import parse_rles, rle_decode, rle_encode, validate_rle

# ------------------------------------------------------------------------------------------------
# References
# ------------------------------------------------------------------------------------------------


def ref_decode(rle: str, h: int, w: int, order: str = "F") -> np.ndarray:
    """Pair-by-pair decoding; runs past the end are cut by slicing (MLE-bench's behaviour)."""
    flat = np.zeros(h * w, dtype=bool)
    values = [int(v) for v in rle.split()]
    for start, length in zip(values[0::2], values[1::2]):
        assert not flat[start - 1 : start - 1 + length].any()
        flat[start - 1 : start - 1 + length] = True
    return flat.reshape((w, h)).T if order == "F" else flat.reshape((h, w))


def ref_dice(t: np.ndarray, p: np.ndarray, empty: float) -> float:
    total = int(t.sum()) + int(p.sum())
    return empty if total == 0 else 2 * int((t & p).sum()) / total


def ref_iou_image(t: np.ndarray, p: np.ndarray, quirk: bool) -> float:
    if t.sum() == 0:
        return 1.0 if p.sum() == 0 else 0.0
    if quirk:  # the kernel's histogram route, bins and all (numpy warns that it converts the bools)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            inter = np.histogram2d(t.ravel(), p.ravel(), bins=(2, 2))[0]
            area_t = np.histogram(t, bins=2)[0][:, None]
            area_p = np.histogram(p, bins=2)[0][None, :]
        iou = inter[1, 1] / (area_t + area_p - inter)[1, 1]
    else:
        iou = (t & p).sum() / (t | p).sum()
    return float(np.mean([1.0 if iou > th else 0.0 for th in np.arange(0.5, 1.0, 0.05)]))


def ref_dice_hausdorff(t_masks, p_masks, slice_ids, volume_ids, max_ratio) -> float:
    dices = [ref_dice(t, p, np.nan) for t, p in zip(t_masks, p_masks)]
    distances = []
    for vol in sorted(set(volume_ids)):
        keys = sorted({s for s, v in zip(slice_ids, volume_ids) if v == vol})
        t_vol = np.stack([np.logical_or.reduce([t_masks[i] for i, s in enumerate(slice_ids) if s == k]) for k in keys])
        p_vol = np.stack([np.logical_or.reduce([p_masks[i] for i, s in enumerate(slice_ids) if s == k]) for k in keys])
        if t_vol.sum() == 0 and p_vol.sum() == 0:
            distances.append(np.nan)
        elif np.array_equal(t_vol, p_vol):
            distances.append(0.0)
        elif t_vol.sum() == 0 or p_vol.sum() == 0:
            distances.append(1.0)
        elif max_ratio is not None and p_vol.sum() > max_ratio * t_vol.sum():
            distances.append(1.0)
        else:
            a, b = np.argwhere(t_vol) / t_vol.shape, np.argwhere(p_vol) / t_vol.shape
            distances.append(max(directed_hausdorff(a, b)[0], directed_hausdorff(b, a)[0]) / np.sqrt(3))
    return 0.4 * np.nanmean(dices) + 0.6 * (1 - np.nanmean(distances))


def random_masks(rng, n, h, w, p=0.3, blobs=False):
    masks = rng.random((n, h, w)) < p
    if blobs:  # solid rectangles give long runs
        for m in masks:
            r, c = rng.integers(0, h), rng.integers(0, w)
            m[r : r + h // 2, c : c + w // 2] = True
    masks[rng.random(n) < 0.2] = False  # some empty masks
    return masks


# ------------------------------------------------------------------------------------------------
# RLE helpers
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("order", ["F", "C"])
def test_rle_round_trip_and_reference_decoding(order):
    rng = np.random.default_rng(0)
    for mask in random_masks(rng, 30, 7, 9, blobs=True):
        rle = rle_encode(mask, order=order)
        assert np.array_equal(rle_decode(rle, (7, 9), order=order), mask)
        assert np.array_equal(ref_decode(rle, 7, 9, order), mask)


def test_rle_order_conventions_by_hand():
    # column-major: pixel 2 is the second row of the first column; row-major: the second column
    assert rle_decode("2 1", (2, 2), order="F").tolist() == [[False, False], [True, False]]
    assert rle_decode("2 1", (2, 2), order="C").tolist() == [[False, True], [False, False]]
    assert rle_decode("-", (1, 2), empty="-").tolist() == [[False, False]]
    assert rle_decode("  ", (1, 2)).tolist() == [[False, False]]
    assert rle_encode(np.zeros((3, 3))) == ""


def test_clipping_matches_slice_semantics():
    # 3 5 on a 2x3 image runs past the end: MLE-bench's slicing keeps pixels 3..6; 9 2 falls outside
    rle = "3 5 9 2"
    assert np.array_equal(rle_decode(rle, (2, 3), clip=True), ref_decode(rle, 2, 3))
    with pytest.raises(MetricInputError, match="past the last pixel"):
        rle_decode(rle, (2, 3))


def test_parse_rles_batches_rows():
    runs = parse_rles(["1 2 5 1", "", "3 3"], n_pixels=[6, 6, 6])
    assert runs.row.tolist() == [0, 0, 2]
    assert runs.sizes().tolist() == [3, 0, 3]


@pytest.mark.parametrize(
    "rle, message",
    [
        ("1 2 3", "odd number of values"),
        ("5 1 2 1", "not in increasing order"),
        ("0 2", "positive"),
        ("1 0", "positive"),
        ("-1 2", "positive"),
        ("1 3 2 2", "overlap"),
        ("1 2 3 x", "not an integer"),
        ("1.5 2", "not an integer"),
    ],
)
def test_malformed_rle_is_rejected(rle, message):
    with pytest.raises(MetricInputError, match=message):
        validate_rle(rle, shape=(10, 10))


def test_non_string_rle_names_the_row():
    with pytest.raises(MetricInputError, match=r"first at row 1\): a value is not a string"):
        parse_rles(["1 1", float("nan")], n_pixels=4)


# ------------------------------------------------------------------------------------------------
# Dice
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(3))
def test_dice_reductions_match_reference(seed):
    rng = np.random.default_rng(seed)
    t, p = random_masks(rng, 40, 8, 6), random_masks(rng, 40, 8, 6)
    p[:3] = t[:3]
    t[5] = p[5] = False  # both empty
    per_image = [ref_dice(a, b, 1.0) for a, b in zip(t, p)]
    assert metrics.score("dice", t, p) == np.mean(per_image)
    assert metrics.score("dice", t, p, reduction="global") == 2 * (t & p).sum() / (t.sum() + p.sum())
    nan_rows = [ref_dice(a, b, np.nan) for a, b in zip(t, p)]
    assert metrics.score("dice", t, p, reduction="nanmean") == np.nanmean(nan_rows)


@pytest.mark.parametrize("seed", range(3))
def test_dice_on_runs_equals_dice_on_decoded_masks(seed):
    rng = np.random.default_rng(seed)
    shapes = rng.integers(3, 12, (25, 2))
    t = [random_masks(rng, 1, h, w, blobs=True)[0] for h, w in shapes]
    p = [random_masks(rng, 1, h, w, blobs=True)[0] for h, w in shapes]
    t_rle = [rle_encode(m) for m in t]
    p_rle = [rle_encode(m) for m in p]
    for reduction in ("mean", "global", "nanmean"):
        dense = metrics.score("dice", t, p, reduction=reduction)
        assert metrics.score("dice", t_rle, p_rle, reduction=reduction, shape=shapes) == dense
        assert metrics.score("dice", t_rle, p, reduction=reduction, shape=shapes) == dense  # one side dense
    expected = np.mean([ref_dice(a, b, 1.0) for a, b in zip(t, p)])
    assert math.isclose(metrics.score("dice", t_rle, p_rle, shape=shapes), expected, rel_tol=1e-12)


def test_dice_runs_touching_image_borders():
    # runs that end on one image's last pixel next to runs starting on the next image's first pixel
    shape = (2, 2)
    assert metrics.score("dice", ["3 2", "1 4"], ["3 2", "1 2"], shape=shape) == (1.0 + 2 * 2 / 6) / 2
    assert metrics.score("dice", ["1 4", "1 4"], ["1 4", "1 4"], shape=shape, reduction="global") == 1.0


def test_dice_empty_rules():
    empty = np.zeros((2, 2, 2), dtype=bool)
    assert metrics.score("dice", empty, empty) == 1.0
    assert math.isnan(metrics.score("dice", empty, empty, reduction="global", empty_score=float("nan")))
    assert math.isnan(metrics.score("dice", empty, empty, reduction="nanmean"))


# ------------------------------------------------------------------------------------------------
# F-beta
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0])
def test_fbeta_matches_sklearn_on_labels(beta):
    rng = np.random.default_rng(int(beta * 10))
    for _ in range(5):
        t, p = rng.integers(0, 2, 200), rng.integers(0, 2, 200)
        assert math.isclose(metrics.score("fbeta", t, p, beta=beta), fbeta_score(t, p, beta=beta), rel_tol=1e-12)


def test_fbeta_on_rle_rows_is_the_mean_of_per_row_scores():
    rng = np.random.default_rng(3)
    t, p = random_masks(rng, 4, 9, 7, blobs=True), random_masks(rng, 4, 9, 7, blobs=True)
    t[0] = p[0] = False
    with np.errstate(all="ignore"), pytest.warns(Warning):
        expected = np.mean([fbeta_score(a.ravel(), b.ravel(), beta=0.5) for a, b in zip(t, p)])
    t_rle, p_rle = [rle_encode(m, "C") for m in t], [rle_encode(m, "C") for m in p]
    got = metrics.score("fbeta", t_rle, p_rle, shape=(9, 7), order="C")
    assert math.isclose(got, expected, rel_tol=1e-12)


def test_fbeta_without_positives_is_zero_like_sklearn():
    assert metrics.score("fbeta", [0, 0], [0, 0]) == 0.0
    assert metrics.score("fbeta", [1, 0], [0, 0]) == 0.0


# ------------------------------------------------------------------------------------------------
# TGS IoU mAP
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("quirk", [False, True])
def test_iou_map_matches_reference(quirk):
    rng = np.random.default_rng(int(quirk))
    t, p = random_masks(rng, 60, 10, 10, p=0.5, blobs=True), random_masks(rng, 60, 10, 10, p=0.5, blobs=True)
    p[:10] = t[:10]
    p[10:20] = False  # empty predictions: where the quirk bites
    t[20:25] = False
    expected = np.mean([ref_iou_image(a, b, quirk) for a, b in zip(t, p)])
    assert metrics.score("iou_map", t, p, empty_prediction_quirk=quirk) == expected
    rle = metrics.score(
        "iou_map", [rle_encode(m) for m in t], [rle_encode(m) for m in p], shape=(10, 10),
        empty_prediction_quirk=quirk,
    )
    assert rle == expected


def test_iou_map_quirk_by_hand():
    # 80% coverage and an empty prediction: IoU 0.8 beats 6 of the 10 thresholds (MLE-bench's 0.6)
    truth = np.zeros((10, 10), dtype=bool)
    truth[:8] = True
    empty = np.zeros((10, 10), dtype=bool)
    assert metrics.score("iou_map", [truth], [empty]) == 0.0
    assert metrics.score("iou_map", [truth], [empty], empty_prediction_quirk=True) == 0.6
    assert metrics.score("iou_map", [truth], [truth], thresholds=[0.5]) == 1.0


# ------------------------------------------------------------------------------------------------
# UW-Madison Dice + Hausdorff
# ------------------------------------------------------------------------------------------------


def uw_problem(rng, n_slices=6, n_volumes=3, h=7, w=6):
    classes = 3
    slice_ids, volume_ids = [], []
    for v in range(n_volumes):
        for s in rng.permutation(n_slices):
            for _ in range(classes):
                slice_ids.append(f"case{v}_day1_slice_{s:04d}")
                volume_ids.append(f"case{v}_day1")
    n = len(slice_ids)
    t = random_masks(rng, n, h, w, p=0.15, blobs=False)
    p = random_masks(rng, n, h, w, p=0.15, blobs=False)
    return t, p, slice_ids, volume_ids


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("max_ratio", [None, 10.0, 1.5])
def test_dice_hausdorff_matches_reference(seed, max_ratio):
    rng = np.random.default_rng(seed)
    t, p, slices, volumes = uw_problem(rng)
    v0 = [i for i, v in enumerate(volumes) if v == "case0_day1"]
    p[v0] = t[v0]  # an identical volume
    v1 = [i for i, v in enumerate(volumes) if v == "case1_day1"]
    p[v1] = False  # a volume predicted empty
    expected = ref_dice_hausdorff(list(t), list(p), slices, volumes, max_ratio)
    got = metrics.score("dice_hausdorff", t, p, slice_ids=slices, volume_ids=volumes, max_volume_ratio=max_ratio)
    assert math.isclose(got, expected, rel_tol=1e-12)
    rle = metrics.score(
        "dice_hausdorff", [rle_encode(m) for m in t], [rle_encode(m) for m in p], shape=(7, 6),
        slice_ids=slices, volume_ids=volumes, max_volume_ratio=max_ratio,
    )
    assert math.isclose(rle, expected, rel_tol=1e-12)


def test_volume_ratio_counts_voxels_after_the_classes_are_merged():
    # three classes marking the same 2 pixels: 6 row pixels but 2 voxels; the prediction has 12 voxels,
    # 6 times the true ones, so a ratio of 5 gives HD 1 and a ratio of 7 (6 < 7 x 2) computes it
    t = np.zeros((3, 4, 4), dtype=bool)
    t[:, 0, :2] = True
    p = np.zeros((3, 4, 4), dtype=bool)
    p[0, :3, :] = True
    slices, volumes = ["s1"] * 3, ["v"] * 3
    for ratio in (5.0, 7.0):
        expected = ref_dice_hausdorff(list(t), list(p), slices, volumes, ratio)
        got = metrics.score("dice_hausdorff", t, p, slice_ids=slices, volume_ids=volumes, max_volume_ratio=ratio)
        assert math.isclose(got, expected, rel_tol=1e-12)
    assert metrics.score("dice_hausdorff", t, p, slice_ids=slices, volume_ids=volumes, max_volume_ratio=5.0) < \
        metrics.score("dice_hausdorff", t, p, slice_ids=slices, volume_ids=volumes, max_volume_ratio=7.0)


def test_dice_hausdorff_all_empty_is_nan():
    empty = np.zeros((2, 3, 3), dtype=bool)
    assert math.isnan(metrics.score("dice_hausdorff", empty, empty, slice_ids=["a", "b"], volume_ids=["v", "v"]))


# ------------------------------------------------------------------------------------------------
# Bad inputs
# ------------------------------------------------------------------------------------------------

M = np.zeros((2, 3, 3), dtype=int)


@pytest.mark.parametrize(
    "name, y_true, y_pred, params, message",
    [
        ("dice", M, M[:1], {}, "2 rows but y_pred has 1"),
        ("dice", ["1 1"], ["1 1"], {}, "need shape"),
        ("dice", ["1 1"], ["1 1"], {"shape": (2, 2, 2)}, "shape must be"),
        ("dice", ["1 1"], ["1 9"], {"shape": (2, 2)}, "y_pred has 1 malformed RLE row.*past the last pixel"),
        ("dice", ["1 1"], [float("nan")], {"shape": (2, 2)}, "not a 2-D mask or an RLE string"),
        ("dice", ["1 1", float("nan")], ["1 1", ""], {"shape": (2, 2)}, "row 1.*not a string"),
        ("dice", M, M + 2, {}, "values other than 0 and 1"),
        ("dice", M, np.full((2, 3, 3), np.nan), {}, "values other than 0 and 1"),
        ("dice", M, np.zeros((2, 3, 4)), {}, "has shape"),
        ("dice", [np.zeros(3)], [np.zeros(3)], {}, "must be 2-D"),
        ("dice", [], [], {}, "empty"),
        ("dice", M, M, {"reduction": "median"}, "reduction must be"),
        ("dice", ["1 1"], ["1 1"], {"shape": (2, 2), "order": "X"}, "order must be"),
        ("dice", ["1 1"], [np.zeros((3, 3))], {"shape": (2, 2)}, "shape says"),
        ("fbeta", [0, 1], [0, 1, 1], {}, "2 rows but y_pred has 3"),
        ("fbeta", [0, 2], [0, 1], {}, "only 0 and 1"),
        ("fbeta", [0, 1], [0, np.nan], {}, "only 0 and 1"),
        ("fbeta", [], [], {}, "empty"),
        ("fbeta", [0, 1], [0, 1], {"beta": 0}, "beta must be"),
        ("fbeta", ["a", "b"], ["1 1", ""], {"shape": (1, 2)}, "not an integer"),
        ("iou_map", M, M, {"thresholds": []}, "thresholds"),
        ("iou_map", M, M[:1], {}, "2 rows"),
        ("dice_hausdorff", M, M, {"slice_ids": ["a"], "volume_ids": ["v", "v"]}, "slice_ids has 1 values"),
        ("dice_hausdorff", M, M, {"slice_ids": ["a", "b"], "volume_ids": ["v", "v"], "dice_weight": 2}, "dice_weight"),
        (
            "dice_hausdorff", [np.ones((2, 2)), np.ones((3, 3))], [np.ones((2, 2)), np.zeros((3, 3))],
            {"slice_ids": ["a", "b"], "volume_ids": ["v", "v"]}, "different image sizes",
        ),
    ],
)
def test_bad_inputs_raise_a_clear_error(name, y_true, y_pred, params, message):
    with pytest.raises(MetricInputError, match=message):
        metrics.score(name, y_true, y_pred, **params)


def test_surface_points_on_the_bounding_box_equal_the_whole_volume():
    from scipy.ndimage import binary_erosion

    from metrics.segmentation import _surface_points

    rng = np.random.default_rng(3)
    for _ in range(30):
        mask = np.zeros(tuple(rng.integers(1, 12, size=3)), dtype=bool)
        lo = [int(rng.integers(0, n)) for n in mask.shape]
        hi = [int(rng.integers(a, n)) + 1 for a, n in zip(lo, mask.shape)]
        box = tuple(slice(a, b) for a, b in zip(lo, hi))
        mask[box] = rng.random(mask[box].shape) < 0.7  # blobs touching the borders too
        if not mask.any():
            continue
        whole = np.argwhere(mask & ~binary_erosion(mask))
        assert np.array_equal(_surface_points(mask), whole)
