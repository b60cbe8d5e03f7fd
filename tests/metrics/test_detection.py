"""Detection metrics against reference implementations: brute-force loops written here from the published
rules (Lyft mAP_evaluation, MLE-bench's SIIM matching, the Kuzushiji reference), shapely for polygon
overlap, pycocotools COCOeval and scikit-learn's average_precision_score."""

from __future__ import annotations

import contextlib
import io
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import metrics
from metrics import MetricInputError
from metrics.detection import box_corners_bev, iou_3d, rectangle_intersection_area

shapely = pytest.importorskip("shapely.geometry")
Quaternion = pytest.importorskip("pyquaternion").Quaternion

SETTINGS = settings(max_examples=25, deadline=None)


def close(a: float, b: float, rel: float = 1e-12) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-14)


# ------------------------------------------------------------------------------------------------
# random problems
# ------------------------------------------------------------------------------------------------


def random_boxes_2d(rng, n_images, n_classes=3, jitter=0.3, max_gt=4, max_extra=3):
    """GT [class, x0, y0, x1, y1] and predictions [class, score, x0, y0, x1, y1] near them, plus noise."""
    truth, pred = [], []
    for _ in range(n_images):
        m = int(rng.integers(0, max_gt + 1))
        xy = rng.uniform(0, 50, (m, 2))
        wh = rng.uniform(2, 20, (m, 2))
        cls = rng.integers(0, n_classes, m).astype(float)
        gt = np.column_stack([cls, xy, xy + wh])
        keep = rng.random(m) < 0.8
        moved = gt[keep, 1:] + rng.normal(0, jitter * 5, (int(keep.sum()), 4))
        moved[:, 2:] = np.maximum(moved[:, 2:], moved[:, :2] + 0.5)
        k = int(rng.integers(0, max_extra + 1))
        junk_xy = rng.uniform(0, 50, (k, 2))
        junk = np.column_stack([junk_xy, junk_xy + rng.uniform(2, 20, (k, 2))])
        pcls = np.r_[gt[keep, 0], rng.integers(0, n_classes + 1, k)]
        boxes = np.r_[moved, junk]
        pr = np.column_stack([pcls, rng.random(len(pcls)), boxes])
        truth.append(gt)
        pred.append(pr[rng.permutation(len(pr))])
    return truth, pred


def random_boxes_3d(rng, n_samples, n_classes=3, origin=0.0):
    truth, pred = [], []
    for _ in range(n_samples):
        m = int(rng.integers(1, 5))
        centre = origin + rng.uniform(-10, 10, (m, 3))
        size = rng.uniform(1, 5, (m, 3))
        yaw = rng.uniform(-np.pi, np.pi, m)
        cls = rng.integers(0, n_classes, m).astype(float)
        gt = np.column_stack([cls, centre, size, yaw])
        keep = rng.random(m) < 0.8
        noisy = gt[keep].copy()
        noisy[:, 1:4] += rng.normal(0, 0.3, (len(noisy), 3))
        noisy[:, 4:7] *= rng.uniform(0.8, 1.2, (len(noisy), 3))
        noisy[:, 7] += rng.normal(0, 0.2, len(noisy))
        k = int(rng.integers(0, 3))
        junk = np.column_stack([
            rng.integers(0, n_classes + 1, k), origin + rng.uniform(-10, 10, (k, 3)), rng.uniform(1, 5, (k, 3)),
            rng.uniform(-np.pi, np.pi, k),
        ])
        boxes = np.r_[noisy, junk]
        pr = np.column_stack([boxes[:, 0], rng.random(len(boxes)), boxes[:, 1:]])
        truth.append(gt)
        pred.append(pr[rng.permutation(len(pr))])
    return truth, pred


# ------------------------------------------------------------------------------------------------
# geometry
# ------------------------------------------------------------------------------------------------


def ground_polygon(box):
    """The Lyft devkit's ground rectangle: yaw as a quaternion about z, length along its rotated x axis."""
    cx, cy, _, w, length, _, yaw = box
    rot = Quaternion(axis=[0, 0, 1], radians=yaw).rotation_matrix
    c, s = rot[0, 0], rot[1, 0]
    corners = [
        (cx + length / 2 * c + w / 2 * s, cy + length / 2 * s - w / 2 * c),
        (cx + length / 2 * c - w / 2 * s, cy + length / 2 * s + w / 2 * c),
        (cx - length / 2 * c - w / 2 * s, cy - length / 2 * s + w / 2 * c),
        (cx - length / 2 * c + w / 2 * s, cy - length / 2 * s - w / 2 * c),
    ]
    return shapely.Polygon(corners)


def shapely_iou_3d(a, b):
    area = ground_polygon(a).intersection(ground_polygon(b)).area
    h = max(0.0, min(a[2] + a[5] / 2, b[2] + b[5] / 2) - max(a[2] - a[5] / 2, b[2] - b[5] / 2))
    inter = area * h
    return float(np.clip(inter / (a[3] * a[4] * a[5] + b[3] * b[4] * b[5] - inter), 0, 1))


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_rectangle_intersection_matches_shapely(seed):
    rng = np.random.default_rng(seed)
    n = 200
    ca = box_corners_bev(rng.uniform(-3, 3, n), rng.uniform(-3, 3, n), rng.uniform(0.5, 6, n),
                         rng.uniform(0.5, 6, n), rng.uniform(-4, 4, n))
    cb = box_corners_bev(rng.uniform(-3, 3, n), rng.uniform(-3, 3, n), rng.uniform(0.5, 6, n),
                         rng.uniform(0.5, 6, n), rng.uniform(-4, 4, n))
    ours = rectangle_intersection_area(ca, cb)
    ref = np.array([shapely.Polygon(a).intersection(shapely.Polygon(b)).area for a, b in zip(ca, cb)])
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-12)


def test_rectangle_intersection_special_cases():
    unit = box_corners_bev([0.0], [0.0], [2.0], [2.0], [0.0])
    assert rectangle_intersection_area(unit, unit)[0] == pytest.approx(4.0, rel=1e-14)
    far = box_corners_bev([10.0], [0.0], [2.0], [2.0], [0.0])
    assert rectangle_intersection_area(unit, far)[0] == 0.0
    touching = box_corners_bev([2.0], [0.0], [2.0], [2.0], [0.0])
    assert rectangle_intersection_area(unit, touching)[0] == pytest.approx(0.0, abs=1e-12)
    inner = box_corners_bev([0.0], [0.0], [1.0], [1.0], [np.pi / 4])
    assert rectangle_intersection_area(unit, inner)[0] == pytest.approx(1.0, rel=1e-12)
    # 45-degree square over an axis-aligned one: an octagon, area 8 (sqrt 2 - 1) * 2 for side 2
    rotated = box_corners_bev([0.0], [0.0], [2.0], [2.0], [np.pi / 4])
    assert rectangle_intersection_area(unit, rotated)[0] == pytest.approx(8 * (math.sqrt(2) - 1), rel=1e-12)


def test_iou_3d_matches_shapely_at_world_coordinates():
    rng = np.random.default_rng(3)
    truth, pred = random_boxes_3d(rng, 30, origin=2700.0)
    a = np.concatenate(truth)[:, 1:]
    b = np.concatenate([p[:, 2:] for p in pred])[: len(a)]
    a = a[: len(b)]
    ref = [shapely_iou_3d(x, y) for x, y in zip(a, b)]
    np.testing.assert_allclose(iou_3d(a, b), ref, rtol=1e-9, atol=1e-9)


# ------------------------------------------------------------------------------------------------
# Lyft 3-D mAP: reference port of the Lyft evaluation loops
# ------------------------------------------------------------------------------------------------


def lyft_ap(gts, preds, thr):
    """gts: list of (sample, box7); preds: list of (sample, score, box7) of one class."""
    preds = sorted(preds, key=lambda p: p[1], reverse=True)
    checked = {}
    tp, fp = [], []
    for sample, _, box in preds:
        cands = [(j, g) for j, (s, g) in enumerate(gts) if s == sample]
        if cands:
            ious = [shapely_iou_3d(box, g) for _, g in cands]
            best = int(np.argmax(ious))
            if ious[best] > thr and not checked.get(cands[best][0]):
                checked[cands[best][0]] = True
                tp.append(1), fp.append(0)
                continue
        tp.append(0), fp.append(1)
    tp, fp = np.cumsum(tp), np.cumsum(fp)
    recalls = np.concatenate(([0.0], tp / float(len(gts)), [1.0]))
    precisions = np.concatenate(([0.0], tp / np.maximum(tp + fp, np.finfo(np.float64).eps), [0.0]))
    for i in range(len(precisions) - 1, 0, -1):
        precisions[i - 1] = max(precisions[i - 1], precisions[i])
    i = np.where(recalls[1:] != recalls[:-1])[0]
    return np.sum((recalls[i + 1] - recalls[i]) * precisions[i + 1])


def lyft_map(truth, pred, thr):
    gt = [(s, b[0], b[1:]) for s, boxes in enumerate(truth) for b in np.asarray(boxes).reshape(-1, 8)]
    pr = [(s, b[0], b[1], b[2:]) for s, boxes in enumerate(pred) for b in np.asarray(boxes).reshape(-1, 9)]
    classes = sorted({c for _, c, _ in gt})
    aps = []
    for c in classes:
        g = [(s, box) for s, cc, box in gt if cc == c]
        p = [(s, score, box) for s, cc, score, box in pr if cc == c]
        aps.append(lyft_ap(g, p, thr) if p else 0.0)
    return np.mean(aps)


THRESHOLDS = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_map_3d_global_matches_reference(seed):
    rng = np.random.default_rng(seed)
    truth, pred = random_boxes_3d(rng, 6)
    expected = np.mean([lyft_map(truth, pred, t) for t in THRESHOLDS])
    assert close(metrics.score("map_detection_3d", truth, pred), expected)


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_map_3d_per_sample_matches_mlebench_reference(seed):
    rng = np.random.default_rng(seed)
    truth, pred = random_boxes_3d(rng, 6)
    expected = np.mean([lyft_map([t], [p], thr) for t, p in zip(truth, pred) for thr in THRESHOLDS])
    got = metrics.score("map_detection_3d", truth, pred, averaging="per_sample")
    assert close(got, expected)


def test_map_3d_per_sample_empty_ground_truth_is_nan():
    box = [[0, 0, 0, 0, 2, 4, 2, 0]]
    got = metrics.score("map_detection_3d", [box, []], [[[0, 1.0, 0, 0, 0, 2, 4, 2, 0]], []], averaging="per_sample")
    assert math.isnan(got)
    assert metrics.score("map_detection_3d", [box, []], [[[0, 1.0, 0, 0, 0, 2, 4, 2, 0]], []]) == 1.0


def test_map_3d_threshold_is_strict_and_ties_keep_input_order():
    gt = [[[0, 0, 0, 0, 2, 2, 2, 0]]]
    half = [[[0, 1.0, 0, 0, 0, 2, 2, 1, 0]]]  # same base, half height: IoU exactly 0.5
    assert metrics.score("map_detection_3d", gt, half, iou_thresholds=[0.5]) == 0.0
    assert metrics.score("map_detection_3d", gt, half, iou_thresholds=[0.45]) == 1.0
    # two predictions with the same score: the first listed is processed first
    miss_then_hit = [[[0, 0.5, 9, 9, 9, 1, 1, 1, 0], [0, 0.5, 0, 0, 0, 2, 2, 2, 0]]]
    hit_then_miss = [[[0, 0.5, 0, 0, 0, 2, 2, 2, 0], [0, 0.5, 9, 9, 9, 1, 1, 1, 0]]]
    assert metrics.score("map_detection_3d", gt, miss_then_hit, iou_thresholds=[0.5]) == 0.5
    assert metrics.score("map_detection_3d", gt, hit_then_miss, iou_thresholds=[0.5]) == 1.0


def test_map_3d_duplicate_on_a_taken_box_is_a_false_positive():
    gt = [[[0, 0, 0, 0, 2, 2, 2, 0], [0, 1.5, 0, 0, 2, 2, 2, 0]]]
    # both predictions overlap box 0 best; the second is a false positive although box 1 is free
    pred = [[[0, 0.9, 0, 0, 0, 2, 2, 2, 0], [0, 0.8, 0.2, 0, 0, 2, 2, 2, 0]]]
    assert close(metrics.score("map_detection_3d", gt, pred, iou_thresholds=[0.3]), 0.5)


def test_map_3d_bad_inputs():
    gt = [[[0, 0, 0, 0, 2, 2, 2, 0]]]
    pred = [[[0, 1.0, 0, 0, 0, 2, 2, 2, 0]]]
    with pytest.raises(MetricInputError, match="images"):
        metrics.score("map_detection_3d", gt, pred + [[]])
    with pytest.raises(MetricInputError, match="shape"):
        metrics.score("map_detection_3d", gt, [[[0, 1.0, 0, 0, 0, 2, 2, 2]]])
    with pytest.raises(MetricInputError, match="NaN"):
        metrics.score("map_detection_3d", gt, [[[0, np.nan, 0, 0, 0, 2, 2, 2, 0]]])
    with pytest.raises(MetricInputError, match="positive"):
        metrics.score("map_detection_3d", gt, [[[0, 1.0, 0, 0, 0, 2, 0, 2, 0]]])
    with pytest.raises(MetricInputError, match="empty"):
        metrics.score("map_detection_3d", [], [])
    with pytest.raises(MetricInputError, match="no boxes"):
        metrics.score("map_detection_3d", [[]], pred)
    with pytest.raises(MetricInputError, match="averaging"):
        metrics.score("map_detection_3d", gt, pred, averaging="mean")
    with pytest.raises(MetricInputError, match="iou_thresholds"):
        metrics.score("map_detection_3d", gt, pred, iou_thresholds=[1.5])


# ------------------------------------------------------------------------------------------------
# SIIM (MLE-bench's VOC-style pair AP): reference loop with scikit-learn
# ------------------------------------------------------------------------------------------------


def siim_reference(truth, pred, thr=0.5):
    from sklearn.metrics import average_precision_score

    def iou(b1, b2):
        w = max(0, min(b1[2], b2[2]) - max(b1[0], b2[0]))
        h = max(0, min(b1[3], b2[3]) - max(b1[1], b2[1]))
        inter = w * h
        union = (b1[2] - b1[0]) * (b1[3] - b1[1]) + (b2[2] - b2[0]) * (b2[3] - b2[1]) - inter
        return inter / union if union > 0 else 0.0

    classes = sorted({b[0] for boxes in truth for b in boxes})
    aps = []
    for c in classes:
        pairs = []
        for gts, preds in zip(truth, pred):
            gt = [g[1:] for g in gts if g[0] == c]
            ps = sorted([p for p in preds if p[0] == c], key=lambda p: p[1], reverse=True)
            used = [False] * len(gt)
            mine = []
            for p in ps:
                best, best_i = 0, -1
                for i, g in enumerate(gt):
                    if used[i]:
                        continue
                    v = iou(p[2:], g)
                    if v > best and v > thr:
                        best, best_i = v, i
                if best_i >= 0:
                    used[best_i] = True
                    mine.append((1, p[1]))
                else:
                    mine.append((0, p[1]))
            mine += [(1, 0)] * used.count(False)
            pairs += mine or [(0, 0)]
        aps.append(average_precision_score([p[0] for p in pairs], [p[1] for p in pairs]))
    return float(np.mean(aps))


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1))
def test_map_voc_matches_mlebench_reference(seed):
    rng = np.random.default_rng(seed)
    truth, pred = random_boxes_2d(rng, 12)
    truth[0] = np.r_[truth[0], [[0, 1, 1, 9, 9]]]  # at least one box
    truth.append(np.empty((0, 5)))
    pred.append(np.empty((0, 6)))
    assert close(metrics.score("map_detection_voc", truth, pred), siim_reference(truth, pred))


def test_map_voc_tied_scores_and_mlebench_sample_pattern():
    # study-like rows: one box per row, the whole image; the sample guesses class 0 everywhere
    truth = [[[c, 0, 0, 1, 1]] for c in (0, 1, 1, 2)]
    sample = [[[0, 1, 0, 0, 1, 1]] for _ in truth]
    assert close(metrics.score("map_detection_voc", truth, sample), siim_reference(truth, sample))
    perfect = [[[t[0][0], 1, 0, 0, 1, 1]] for t in truth]
    assert metrics.score("map_detection_voc", truth, perfect) == 1.0


def test_map_voc_bad_inputs():
    with pytest.raises(MetricInputError, match="undefined"):
        metrics.score("map_detection_voc", [[[0, 0, 0, 1, 1]]], [[[0, 1, 0, 0, 1, 1]]])
    with pytest.raises(MetricInputError, match="no boxes"):
        metrics.score("map_detection_voc", [[]], [[]])
    with pytest.raises(MetricInputError, match="images"):
        metrics.score("map_detection_voc", [[[0, 0, 0, 1, 1]], []], [[]])
    with pytest.raises(MetricInputError, match="infinite"):
        metrics.score("map_detection_voc", [[[0, 0, 0, 1, 1]], []], [[[0, np.inf, 0, 0, 1, 1]], []])
    with pytest.raises(MetricInputError, match="numeric"):
        metrics.score("map_detection_voc", [[["a", 0, 0, 1, 1]], []], [[], []])


# ------------------------------------------------------------------------------------------------
# COCO AP at one threshold: pycocotools, built the way MLE-bench's VinBigData grader builds it
# ------------------------------------------------------------------------------------------------


def coco_reference(truth, pred, thr=0.4, quirk=False, first_id=1, pred_order=None):
    COCO = pytest.importorskip("pycocotools.coco").COCO
    COCOeval = pytest.importorskip("pycocotools.cocoeval").COCOeval

    def bbox(b):
        return np.array(b) if quirk else np.array([b[0], b[1], b[2] - b[0], b[3] - b[1]])

    classes = sorted({int(b[0]) for boxes in truth for b in boxes})
    images = [{"id": i} for i in range(len(truth))]
    cats = [{"id": c, "name": str(c), "supercategory": "none"} for c in classes]
    anns, k = [], first_id
    for i, boxes in enumerate(truth):
        for b in boxes:
            anns.append({"id": k, "image_id": i, "category_id": int(b[0]), "bbox": bbox(b[1:]), "segmentation": [],
                         "ignore": 0, "area": (b[3] - b[1]) * (b[4] - b[2]), "iscrowd": 0})
            k += 1
    dets, k = [], first_id
    for i in pred_order if pred_order is not None else range(len(pred)):
        for b in pred[i]:
            dets.append({"id": k, "image_id": i, "category_id": int(b[0]), "bbox": bbox(b[2:]), "segmentation": [],
                         "ignore": 0, "area": (b[4] - b[2]) * (b[5] - b[3]), "iscrowd": 0, "score": b[1]})
            k += 1
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = {"type": "instances", "images": images, "categories": cats, "annotations": anns}
        gt.createIndex()
        dt = COCO()
        dt.dataset = {"images": images, "categories": cats, "annotations": dets}
        dt.createIndex()
        ev = COCOeval(gt, dt, "bbox")
        ev.params.imgIds = sorted(gt.getImgIds())
        ev.params.iouThrs = np.array([thr])
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return float(ev.stats[0])


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), quirk=st.booleans())
def test_map_coco_matches_pycocotools(seed, quirk):
    rng = np.random.default_rng(seed)
    truth, pred = random_boxes_2d(rng, 10)
    truth[0] = np.r_[truth[0], [[0, 1, 1, 9, 9]]]
    got = metrics.score("map_detection_coco", truth, pred, boxes_as_xywh_quirk=quirk)
    assert close(got, coco_reference(truth, pred, quirk=quirk), rel=1e-12)


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), first=st.integers(0, 9))
def test_map_coco_zero_id_quirk_matches_pycocotools_with_ids_from_zero(seed, first):
    rng = np.random.default_rng(seed)
    truth, pred = random_boxes_2d(rng, 10, max_extra=2)
    truth[0] = np.r_[[[0, 1, 1, 9, 9]], truth[0]]
    # duplicates over the first boxes make the id-0 effects visible
    pred[0] = np.r_[[[0, 0.95, 1, 1, 9, 9], [0, 0.9, 1.2, 1, 9, 9]], pred[0]]
    pred[first] = np.r_[[[0, 0.97, 1, 1, 9, 9]], pred[first], [[0, 0.3, 1, 1, 9, 9]]]
    order = [first] + [i for i in range(10) if i != first]
    got = metrics.score("map_detection_coco", truth, pred, boxes_as_xywh_quirk=True, zero_id_quirk=True,
                        zero_id_prediction_image=first)
    ref = coco_reference(truth, pred, quirk=True, first_id=0, pred_order=order)
    assert close(got, ref, rel=1e-12)


def test_map_coco_max_100_detections_and_threshold_inclusive():
    gt = [[[0, 0, 0, 10, 10]]]
    # 100 junk detections scored above the true one push it past maxDets
    junk = [[0, 0.9, 50, 50, 60, 60]] * 100
    assert metrics.score("map_detection_coco", gt, [junk + [[0, 0.1, 0, 0, 10, 10]]]) == 0.0
    # IoU exactly 0.4 counts: [0,10]x[0,10] against [0,10]x[0,4]
    assert metrics.score("map_detection_coco", gt, [[[0, 1.0, 0, 0, 10, 4]]]) == pytest.approx(1.0)
    assert close(metrics.score("map_detection_coco", gt, [[[0, 1.0, 0, 0, 10, 4]]]),
                 coco_reference(gt, [[[0, 1.0, 0, 0, 10, 4]]]))


def test_map_coco_bad_inputs():
    gt = [[[0, 0, 0, 10, 10]]]
    with pytest.raises(MetricInputError, match="no boxes"):
        metrics.score("map_detection_coco", [[]], [[]])
    with pytest.raises(MetricInputError, match="NaN"):
        metrics.score("map_detection_coco", gt, [[[0, np.nan, 0, 0, 1, 1]]])
    with pytest.raises(MetricInputError, match="shape"):
        metrics.score("map_detection_coco", gt, [[[0, 0, 0, 1, 1]]])
    with pytest.raises(MetricInputError, match="iou_threshold"):
        metrics.score("map_detection_coco", gt, [[]], iou_threshold=2)
    with pytest.raises(MetricInputError, match="images"):
        metrics.score("map_detection_coco", gt, [[], []])
    with pytest.raises(MetricInputError, match="zero_id_prediction_image"):
        metrics.score("map_detection_coco", gt, [[[0, 1, 0, 0, 1, 1]]], zero_id_quirk=True, zero_id_prediction_image=3)


# ------------------------------------------------------------------------------------------------
# Kuzushiji points in boxes
# ------------------------------------------------------------------------------------------------


def kuzushiji_reference(truth, pred):
    tp = fp = fn = 0
    for gts, ps in zip(truth, pred):
        used = [False] * len(ps)
        for label, x, y, w, h in gts:
            for j, (pl, px, py) in enumerate(ps):
                if not used[j] and pl == label and x < px < x + w and y < py < y + h:
                    used[j] = True
                    tp += 1
                    break
            else:
                fn += 1
        fp += used.count(False)
    if tp + fp == 0 or tp + fn == 0:
        return 0.0
    p, r = tp / (tp + fp), tp / (tp + fn)
    return 2 * p * r / (p + r) if p > 0 and r > 0 else 0.0


def random_pages(rng, n_pages, n_labels=4):
    truth, pred = [], []
    for _ in range(n_pages):
        m = int(rng.integers(0, 12))
        xy = rng.integers(0, 40, (m, 2)).astype(float)
        wh = rng.integers(2, 15, (m, 2)).astype(float)
        lab = rng.integers(0, n_labels, m).astype(float)
        gt = np.column_stack([lab, xy, wh])
        k = int(rng.integers(0, 12))
        pts = np.column_stack([rng.integers(0, n_labels, k), rng.integers(0, 50, (k, 2))]).astype(float)
        truth.append(gt)
        pred.append(pts)
    return truth, pred


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1))
def test_f1_points_matches_reference(seed):
    rng = np.random.default_rng(seed)
    truth, pred = random_pages(rng, 15)
    assert metrics.score("f1_detection_points", truth, pred) == kuzushiji_reference(truth, pred)


def test_f1_points_edges_are_outside_and_boxes_take_first_unused_point():
    gt = [[[1, 0, 0, 10, 10], [1, 0, 0, 10, 10]]]
    assert metrics.score("f1_detection_points", gt, [[[1, 0, 5], [1, 10, 5], [1, 5, 10]]]) == 0.0
    # two identical boxes, two points inside: both match
    assert metrics.score("f1_detection_points", gt, [[[1, 5, 5], [1, 6, 6]]]) == 1.0
    # wrong label never matches
    assert metrics.score("f1_detection_points", gt, [[[2, 5, 5]]]) == 0.0
    # nothing predicted and nothing true: 0 by the reference's rule
    assert metrics.score("f1_detection_points", [[]], [[]]) == 0.0


def test_f1_points_bad_inputs():
    with pytest.raises(MetricInputError, match="images"):
        metrics.score("f1_detection_points", [[]], [[], []])
    with pytest.raises(MetricInputError, match="shape"):
        metrics.score("f1_detection_points", [[[1, 0, 0, 1]]], [[]])
    with pytest.raises(MetricInputError, match="NaN"):
        metrics.score("f1_detection_points", [[[1, 0, 0, 1, 1]]], [[[1, np.nan, 0]]])
    with pytest.raises(MetricInputError, match="sequence"):
        metrics.score("f1_detection_points", "1 2 3", [[]])


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), quirk=st.booleans())
def test_map_coco_area_range_ignoring_matches_pycocotools(seed, quirk):
    """Boxes with x1 < x0 have a negative area: COCO ignores such ground truth (matched last) and such
    unmatched detections."""
    rng = np.random.default_rng(seed)
    truth, pred = random_boxes_2d(rng, 8, n_classes=2)
    truth[0] = np.r_[truth[0], [[0, 1, 1, 9, 9]]]
    for boxes, offset in [(b, 1) for b in truth] + [(p, 2) for p in pred]:
        flip = rng.random(len(boxes)) < 0.3
        boxes[flip, offset], boxes[flip, offset + 2] = boxes[flip, offset + 2].copy(), boxes[flip, offset].copy()
    # duplicates of ground truth make ignored and regular candidates compete
    pred[0] = np.r_[pred[0], np.column_stack([truth[0][:, :1], rng.random(len(truth[0])), truth[0][:, 1:]])]
    expected = coco_reference(truth, pred, quirk=quirk)
    if expected == -1:  # every ground-truth box ignored: pycocotools' "no score"
        with pytest.raises(MetricInputError, match="area range"):
            metrics.score("map_detection_coco", truth, pred, boxes_as_xywh_quirk=quirk)
        return
    got = metrics.score("map_detection_coco", truth, pred, boxes_as_xywh_quirk=quirk)
    assert close(got, expected, rel=1e-12)
