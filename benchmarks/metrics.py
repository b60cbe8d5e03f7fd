"""Every metric at a realistic size beside every reference a user could call instead, timed in the same run.

References: scikit-learn or scipy where they implement the metric, plain numpy where the metric is a line
of it, the C/C++ libraries (Levenshtein, rapidfuzz, pycocotools), and the straightforward Python loop of
the Kaggle/MLE-bench grader. Times are best-of-N (timeit style), ours and each reference taken in turn
within one round so that load on the machine hits both alike; where a ratio lands within noise
(0.95-1.05) more rounds run and the median of the rounds' bests is kept. A reference too slow for the full
size is timed once on a slice of the rows and scaled linearly (``name@rows``). ``ratio`` = the fastest
reference's time / ours (>= 1: ours is at least as fast).

    python -m benchmarks.metrics [--repeats 5] [--scale 1.0] [--only auc,map_at_k] [--markdown]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

import metrics


@dataclass
class Reference:
    name: str
    fn: Callable[[Any, Any, dict[str, Any]], float]
    #: rows the reference is timed on (its time is scaled to the bench's rows); None: the full size
    rows: int | None = None


@dataclass
class Bench:
    metric: str
    rows: int
    make: Callable[[np.random.Generator, int], tuple[Any, Any, dict[str, Any]]]
    references: list[Reference]


def _take(values: Any, n: int) -> Any:
    if isinstance(values, dict):
        return {k: _take(v, n) for k, v in values.items()}
    if isinstance(values, (list, tuple, np.ndarray)) and not isinstance(values, str):
        return values[:n]
    return values


# ------------------------------------------------------------------------------------------------
# Input generators (realistic sizes and formats)
# ------------------------------------------------------------------------------------------------


def labels(rng, n, k=10):
    y = rng.integers(0, k, n)
    p = np.where(rng.random(n) < 0.7, y, rng.integers(0, k, n))
    return y, p, {}


def binary_scores(rng, n):
    y = rng.integers(0, 2, n)
    s = np.round(np.clip(y * 0.3 + rng.random(n) * 0.7, 0, 1), 4)
    return y, s, {}


def probabilities(rng, n, k):
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += 2
    p = np.exp(logits)
    return y, p / p.sum(axis=1, keepdims=True), {}


def regression(rng, n):
    y = rng.normal(10, 3, n)
    return y, y + rng.normal(0, 1, n), {}


def label_strings(rng, n, vocab=5000, k=12):
    items = np.array([f"{i:010d}" for i in range(vocab)])
    truth = [" ".join(rng.choice(items, int(rng.integers(1, 8)), replace=False)) for _ in range(n)]
    pred = [" ".join(rng.choice(items, k, replace=False)) for _ in range(n)]
    return truth, pred, {"k": k}


def random_text(rng, n, low, high, alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789()=/,-+"):
    chars = np.array(list(alphabet))
    lengths = rng.integers(low, high, n)
    flat = rng.choice(chars, int(lengths.sum()))
    cuts = np.cumsum(lengths)[:-1]
    return ["".join(part) for part in np.split(flat, cuts)]


def edited(rng, texts):
    out = []
    for t in texts:
        i = int(rng.integers(len(t)))
        out.append(t[:i] + "X" + t[i + 2:])
    return out


def rle_masks(rng, n, h=256, w=256):
    from metrics.segmentation import rle_encode

    truth, pred = [], []
    for _ in range(n):
        mask = np.zeros((h, w), dtype=bool)
        y0, x0 = rng.integers(0, h - 64, 2)
        mask[y0:y0 + rng.integers(8, 64), x0:x0 + rng.integers(8, 64)] = True
        shifted = np.roll(mask, int(rng.integers(-4, 5)), axis=0)
        truth.append(rle_encode(mask))
        pred.append(rle_encode(shifted))
    return truth, pred, {"shape": (h, w)}


def boxes_2d(rng, n_images, per_image=6, n_classes=14):
    truth, pred = [], []
    for _ in range(n_images):
        m = int(rng.integers(1, per_image))
        xy = rng.uniform(0, 900, (m, 2))
        gt = np.column_stack([rng.integers(0, n_classes, m), xy, xy + rng.uniform(20, 120, (m, 2))])
        jitter = gt[:, 1:] + rng.normal(0, 8, (m, 4))
        extra = int(rng.integers(0, 4))
        exy = rng.uniform(0, 900, (extra, 2))
        fp = np.column_stack([rng.integers(0, n_classes, extra), exy, exy + 50])
        boxes = np.vstack([np.column_stack([gt[:, 0], jitter]), fp])
        pred.append(np.column_stack([boxes[:, 0], rng.random(len(boxes)), boxes[:, 1:]]))
        truth.append(gt.astype(float))
    return truth, pred, {}


def boxes_3d(rng, n_samples, per_sample=8, n_classes=9):
    truth, pred = [], []
    for _ in range(n_samples):
        m = int(rng.integers(1, per_sample))
        gt = np.column_stack([
            rng.integers(0, n_classes, m), rng.uniform(-60, 60, (m, 2)), rng.uniform(-2, 2, m),
            rng.uniform(1.5, 5, (m, 3)), rng.uniform(-3.1, 3.1, m),
        ]).astype(float)
        noisy = gt.copy()
        noisy[:, 1:4] += rng.normal(0, 0.3, (m, 3))
        pred.append(np.column_stack([noisy[:, 0], rng.random(m), noisy[:, 1:]]))
        truth.append(gt)
    return truth, pred, {}


def pages(rng, n_pages, chars=120, n_labels=400):
    truth, pred = [], []
    for _ in range(n_pages):
        xy = rng.uniform(0, 2000, (chars, 2))
        wh = rng.uniform(20, 60, (chars, 2))
        lab = rng.integers(0, n_labels, chars).astype(float)
        truth.append(np.column_stack([lab, xy, wh]))
        centre = xy + wh / 2 + rng.normal(0, 8, (chars, 2))
        pred.append(np.column_stack([np.where(rng.random(chars) < 0.9, lab, 0.0), centre]))
    return truth, pred, {}


# ------------------------------------------------------------------------------------------------
# References
# ------------------------------------------------------------------------------------------------


def sk(name: str, **kwargs) -> Callable:
    def ref(y, p, params):
        import sklearn.metrics as skm

        return float(getattr(skm, name)(y, p, **kwargs))

    return ref


def python_map_at_k(y, p, params):
    k = params["k"]
    total = 0.0
    for actual, predicted in zip(y, p):
        actual, predicted = actual.split(), predicted.split()[:k]
        hits, score = 0, 0.0
        for i, item in enumerate(predicted):
            if item in actual and item not in predicted[:i]:
                hits += 1
                score += hits / (i + 1)
        total += score / min(len(actual), k) if actual else 0.0
    return total / len(y)


def python_levenshtein(a, b) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def c_levenshtein_mean(y, p, params):
    import Levenshtein

    return float(np.mean([Levenshtein.distance(a, b) for a, b in zip(y, p)]))


def python_jaccard(y, p, params):
    total = 0.0
    for a, b in zip(y, p):
        sa, sb = set(a.lower().split()), set(b.lower().split())
        inter = len(sa & sb)
        total += inter / (len(sa) + len(sb) - inter)
    return total / len(y)


def python_dice(y, p, params):
    h, w = params["shape"]

    def decode(rle):
        mask = np.zeros(h * w, dtype=bool)
        values = [int(v) for v in rle.split()]
        for start, length in zip(values[0::2], values[1::2]):
            mask[start - 1:start - 1 + length] = True
        return mask

    scores = []
    for a, b in zip(y, p):
        ma, mb = decode(a), decode(b)
        denom = ma.sum() + mb.sum()
        scores.append(1.0 if denom == 0 else 2 * (ma & mb).sum() / denom)
    return float(np.mean(scores))


def python_qwk(y, p, params):
    from sklearn.metrics import cohen_kappa_score

    return float(cohen_kappa_score(y, p, weights="quadratic"))


def python_pf1(y, p, params):
    ctp = cfp = 0.0
    y_true_count = 0
    for label, prob in zip(y, p):
        prob = min(max(prob, 0), 1)
        if label:
            y_true_count += 1
            ctp += prob
        else:
            cfp += prob
    precision, recall = ctp / (ctp + cfp), ctp / y_true_count
    return 2 * precision * recall / (precision + recall)


def pycocotools_ap(y, p, params):
    from tests.metrics.test_detection import coco_reference

    return coco_reference(y, p, thr=0.4)


def lyft_reference(y, p, params):
    from tests.metrics.test_detection import lyft_map

    return float(np.mean([lyft_map(y, p, t) for t in np.arange(0.5, 1.0, 0.05)]))


def siim_reference(y, p, params):
    from tests.metrics.test_detection import siim_reference as ref

    return ref(y, p)


def kuzushiji_reference(y, p, params):
    from tests.metrics.test_detection import kuzushiji_reference as ref

    return ref(y, p)


def kendall_reference(y, p, params):
    inversions = total = 0
    for truth, pred in zip(y, p):
        rank = {c: i for i, c in enumerate(truth)}
        ranks = [rank[c] for c in pred]
        n = len(ranks)
        inversions += sum(ranks[i] > ranks[j] for i in range(n) for j in range(i + 1, n))
        total += n * (n - 1)
    return 1 - 4 * inversions / total


def python_laplace(y, p, params):
    total = 0.0
    for truth, pred, conf in zip(y, p, params["confidence"]):
        sigma = max(conf, 70.0)
        delta = min(abs(truth - pred), 1000.0)
        total += -math.sqrt(2) * delta / sigma - math.log(math.sqrt(2) * sigma)
    return total / len(y)


def pandas_log_mae(y, p, params):
    import pandas as pd

    frame = pd.DataFrame({"g": params["groups"], "e": np.abs(np.asarray(y) - np.asarray(p))})
    return float(np.log(frame.groupby("g")["e"].mean()).mean())


def pandas_haversine(y, p, params):
    import pandas as pd

    lat1, lon1, lat2, lon2 = map(np.radians, (y[:, 0], y[:, 1], p[:, 0], p[:, 1]))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    d = pd.Series(2 * 6_371_000 * np.arcsin(np.sqrt(a)))
    per_trip = d.groupby(params["groups"]).agg(lambda v: (np.quantile(v, 0.5) + np.quantile(v, 0.95)) / 2)
    return float(per_trip.mean())


def python_angular(y, p, params):
    total = 0.0
    for (az1, ze1), (az2, ze2) in zip(y, p):
        v1 = (math.sin(ze1) * math.cos(az1), math.sin(ze1) * math.sin(az1), math.cos(ze1))
        v2 = (math.sin(ze2) * math.cos(az2), math.sin(ze2) * math.sin(az2), math.cos(ze2))
        total += math.acos(max(-1.0, min(1.0, sum(a * b for a, b in zip(v1, v2)))))
    return total / len(y)


def per_column(name: str, **kwargs) -> Callable:
    def ref(y, p, params):
        import sklearn.metrics as skm

        fn = getattr(skm, name)
        return float(np.mean([fn(y[:, j], p[:, j], **kwargs) for j in range(y.shape[1])]))

    return ref


def scipy_pearson(y, p, params):
    from scipy.stats import pearsonr

    return float(pearsonr(y, p)[0])


def scipy_spearman_columns(y, p, params):
    from scipy.stats import spearmanr

    return float(np.mean([spearmanr(y[:, j], p[:, j])[0] for j in range(y.shape[1])]))


def pandas_kl(y, p, params):
    import pandas as pd

    truth = pd.DataFrame(y / y.sum(axis=1, keepdims=True))
    pred = pd.DataFrame(np.clip(p, 1e-15, 1 - 1e-15))
    values = truth * np.log(truth / pred)
    return float(values.where(truth != 0, 0).sum(axis=1).mean())


def python_token_levenshtein(y, p, params):
    total = sum(python_levenshtein(a.split(), b.split()) for a, b in zip(y, p))
    return total / sum(len(a.split()) for a in y)


def mlebench_gesture(y, p, params):
    import Levenshtein

    truth = [list(map(int, s.split())) for s in y]
    pred = [list(map(int, s.split())) for s in p]
    return float(np.sum([Levenshtein.distance(a, b) for a, b in zip(truth, pred)]) / sum(map(len, truth)))


def python_weighted_auc(y, p, params):
    from tests.metrics.test_ranking import _weighted_auc_reference

    return _weighted_auc_reference(np.asarray(y), np.asarray(p))


def python_jigsaw(y, p, params):
    from tests.metrics.test_ranking import _jigsaw_reference

    return _jigsaw_reference(y, p, params["subgroups"], False)


def python_iou_map(y, p, params):
    from metrics.segmentation import rle_decode
    from tests.metrics.test_segmentation import ref_iou_image

    h, w = params["shape"]
    return float(np.mean([ref_iou_image(rle_decode(a, (h, w)), rle_decode(b, (h, w)), False) for a, b in zip(y, p)]))


def uw_madison_volumes(rng, n, h=128, w=128, slices=48):
    """RLE rows of UW-Madison's layout: volumes of ``slices`` slices x 3 organ classes, a blob per organ that
    drifts across slices, predicted shifted by a few pixels; slice and volume ids per row."""
    truth, pred, slice_ids, volume_ids = [], [], [], []
    from metrics.segmentation import rle_encode

    for row in range(n):
        volume, rest = divmod(row, slices * 3)
        z, organ = divmod(rest, 3)
        mask = np.zeros((h, w), dtype=bool)
        y0, x0 = 10 + 30 * organ + z % 7, 20 + (volume * 5 + z) % 40
        mask[y0:y0 + 20, x0:x0 + 24] = rng.random() < 0.8
        truth.append(rle_encode(mask))
        pred.append(rle_encode(np.roll(mask, int(rng.integers(-3, 4)), axis=int(rng.integers(0, 2)))))
        slice_ids.append(f"case{volume}_day0_slice_{z:04d}")
        volume_ids.append(f"case{volume}_day0")
    return truth, pred, {"shape": (h, w), "slice_ids": slice_ids, "volume_ids": volume_ids, "max_volume_ratio": 10.0}


def python_dice_hausdorff(y, p, params):
    from metrics.segmentation import rle_decode
    from tests.metrics.test_segmentation import ref_dice_hausdorff

    h, w = params["shape"]
    return ref_dice_hausdorff([rle_decode(a, (h, w)) for a in y], [rle_decode(b, (h, w)) for b in p],
                              params["slice_ids"], params["volume_ids"], params["max_volume_ratio"])


def python_weighted_logloss(y, p, params):
    import pandas as pd

    groups = params["groups"]
    pos, neg = params["positive_weights"], params["negative_weights"]
    pc = np.clip(p, 1e-15, 1 - 1e-15)
    loss = -(y * np.log(pc) * pos + (1 - y) * np.log(1 - pc) * neg)
    weight = np.where(y == 1, pos, neg)
    frame = pd.DataFrame({"g": groups, "l": loss, "w": weight})
    sums = frame.groupby("g")[["l", "w"]].sum()
    return float((sums["l"] / sums["w"]).mean())


def orders(rng, n_notebooks, cells=(10, 60)):
    truth, pred = [], []
    for i in range(n_notebooks):
        m = int(rng.integers(*cells))
        cells_ids = [f"{i:05x}{j:03x}" for j in range(m)]
        truth.append(cells_ids)
        perm = list(cells_ids)
        a, b = rng.integers(0, m, 2)
        perm[a], perm[b] = perm[b], perm[a]
        pred.append(perm)
    return truth, pred, {}


def numpy_refs(fn: Callable[[np.ndarray, np.ndarray], Any], name: str) -> Reference:
    """A plain numpy one-liner on the arrays (no input checks), the floor a metric with checks must meet."""
    return Reference(f"numpy {name}", lambda y, p, _: float(fn(np.asarray(y), np.asarray(p))))


def rapidfuzz_loop(y, p, params):
    from rapidfuzz.distance import Levenshtein

    return float(np.mean(np.fromiter(map(Levenshtein.distance, y, p), dtype=np.int64, count=len(y))))


def rapidfuzz_cpdist(y, p, params):
    from rapidfuzz.distance import Levenshtein
    from rapidfuzz.process import cpdist

    return float(np.mean(cpdist(y, p, scorer=Levenshtein.distance, workers=-1)))


def scipy_spearman_matrix(y, p, params):
    from scipy.stats import spearmanr

    k = y.shape[1]
    rho = spearmanr(y, p).statistic  # one call: ranks every column, then the full correlation matrix
    return float(np.mean(np.diagonal(rho[:k, k:])))


def scipy_rel_entr(y, p, params):
    from scipy.special import rel_entr

    return float(np.mean(rel_entr(y / y.sum(axis=1, keepdims=True), np.clip(p, 1e-15, 1 - 1e-15)).sum(axis=1)))


R = Reference
BENCHES: list[Bench] = [
    Bench("accuracy", 1_000_000, labels, [R("sklearn accuracy_score", sk("accuracy_score")),
                                          numpy_refs(lambda y, p: np.mean(y == p), "mean(y == p)")]),
    Bench("top1_error", 1_000_000, labels, [R("1 - sklearn accuracy", lambda y, p, _: 1 - sk("accuracy_score")(y, p, _)),
                                            numpy_refs(lambda y, p: 1 - np.mean(y == p), "1 - mean(y == p)")]),
    Bench("f1_macro", 1_000_000, labels, [R("sklearn f1_score macro", sk("f1_score", average="macro"))]),
    Bench("f1_micro", 1_000_000, labels, [R("sklearn f1_score micro", sk("f1_score", average="micro"))]),
    Bench("mcc", 1_000_000, lambda r, n: labels(r, n, 2), [R("sklearn matthews_corrcoef", sk("matthews_corrcoef"))]),
    Bench("qwk", 1_000_000, lambda r, n: (*labels(r, n, 5)[:2], {"labels": "observed"}),
          [R("sklearn cohen_kappa_score", python_qwk)]),
    Bench("pf1", 1_000_000, lambda r, n: binary_scores(r, n), [R("Kaggle pfbeta (Python loop)", python_pf1, 100_000)]),
    Bench("auc", 1_000_000, binary_scores, [R("sklearn roc_auc_score", sk("roc_auc_score"))]),
    Bench("lwlrap", 10_000,
          lambda r, n: ((r.random((n, 80)) < 0.03).astype(int) | np.eye(80, dtype=int)[r.integers(0, 80, n)],
                        r.random((n, 80)), {}),
          [R("sklearn LRAP, weighted",
             lambda y, p, _: sk("label_ranking_average_precision_score", sample_weight=y.sum(axis=1))(y, p, _))]),
    Bench("map_at_k", 100_000, label_strings, [R("Python loop (Kaggle apk)", python_map_at_k)]),
    Bench("kendall_tau", 20_000, orders, [R("Python O(n^2) per notebook", kendall_reference, 2_000)]),
    Bench("logloss_binary", 1_000_000, lambda r, n: (binary_scores(r, n)[0], np.clip(binary_scores(r, n)[1], .01, .99),
                                                     {"eps": "float64"}), [R("sklearn log_loss", sk("log_loss"))]),
    Bench("logloss_multiclass", 100_000, lambda r, n: (*probabilities(r, n, 120)[:2], {"eps": "float64",
                                                                                       "renormalize": False}),
          [R("sklearn log_loss (120 classes)", lambda y, p, _: sk("log_loss", labels=list(range(120)))(y, p, _))]),
    Bench("rmse", 1_000_000, regression, [R("sklearn", sk("root_mean_squared_error")),
                                          numpy_refs(lambda y, p: np.sqrt(np.mean((y - p) ** 2)), "sqrt(mean(d**2))")]),
    Bench("mae", 1_000_000, regression, [R("sklearn", sk("mean_absolute_error")),
                                         numpy_refs(lambda y, p: np.mean(np.abs(y - p)), "mean(abs(d))")]),
    Bench("auc_mean_columnwise", 200_000,
          lambda r, n: ((r.random((n, 6)) < 0.2).astype(int), r.random((n, 6)), {}),
          [R("sklearn roc_auc_score macro", sk("roc_auc_score", average="macro"))]),
    Bench("weighted_auc", 1_000_000, binary_scores, [R("sklearn roc_curve + auc per band", python_weighted_auc)]),
    Bench("jigsaw_bias_auc", 100_000,
          lambda r, n: (r.random(n), r.random(n), {"subgroups": (r.random((n, 9)) < 0.1).astype(float)}),
          [R("sklearn AUC per subgroup (Kaggle)", python_jigsaw)]),
    Bench("pearson", 1_000_000, regression, [R("scipy pearsonr", scipy_pearson),
                                             numpy_refs(lambda y, p: np.corrcoef(y, p)[0, 1], "corrcoef")]),
    Bench("spearman_mean_columnwise", 100_000,
          lambda r, n: ((y := r.random((n, 30))), y + r.normal(0, .1, (n, 30)), {}),
          [R("scipy spearmanr per column", scipy_spearman_columns),
           R("scipy spearmanr, one 2-D call", scipy_spearman_matrix)]),
    Bench("logloss_weighted_multilabel", 200_000,
          lambda r, n: ((y := (r.random(n) < 0.2).astype(float)), np.clip(y * .6 + r.random(n) * .4, 0, 1),
                        {"groups": np.repeat(np.arange(n // 8 + 1), 8)[:n],
                         "positive_weights": np.resize([14.0, 2, 2, 2, 2, 2, 2, 2], n),
                         "negative_weights": np.resize([7.0, 1, 1, 1, 1, 1, 1, 1], n)}),
          [R("pandas groupby", python_weighted_logloss)]),
    Bench("kl_divergence", 100_000,
          lambda r, n: ((v := r.integers(0, 5, (n, 6)).astype(float) + np.eye(6)[r.integers(0, 6, n)]),
                        (q := r.random((n, 6))) / q.sum(axis=1, keepdims=True), {}),
          [R("pandas (Kaggle reference style)", pandas_kl), R("scipy rel_entr", scipy_rel_entr)]),
    Bench("rmsle_mean_columnwise", 1_000_000, lambda r, n: ((y := r.random((n, 2)) * 5), y * 1.1, {}),
          [R("sklearn per column", per_column("root_mean_squared_log_error")),
           numpy_refs(lambda y, p: np.mean(np.sqrt(np.mean((np.log1p(y) - np.log1p(p)) ** 2, axis=0))), "log1p")]),
    Bench("mcrmse", 1_000_000, lambda r, n: ((y := r.normal(size=(n, 3))), y + 0.1, {}),
          [R("sklearn per column", per_column("root_mean_squared_error")),
           numpy_refs(lambda y, p: np.mean(np.sqrt(np.mean((y - p) ** 2, axis=0))), "per-column")]),
    Bench("log_mae_grouped", 1_000_000,
          lambda r, n: (*regression(r, n)[:2], {"groups": r.integers(0, 8, n).astype(str)}),
          [R("pandas groupby + mean", pandas_log_mae)]),
    Bench("mean_angular_error", 1_000_000,
          lambda r, n: ((y := np.column_stack([r.uniform(0, 6.28, n), r.uniform(0, 3.14, n)])), y + 0.1, {}),
          [R("Python loop", python_angular, 100_000)]),
    Bench("haversine_p50_p95", 1_000_000,
          lambda r, n: ((y := np.column_stack([r.uniform(37, 38, n), r.uniform(-122, -121, n)])),
                        y + r.normal(0, 1e-5, (n, 2)), {"groups": np.repeat(np.arange(100), n // 100 + 1)[:n]}),
          [R("pandas groupby quantiles", pandas_haversine)]),
    Bench("laplace_log_likelihood", 1_000_000,
          lambda r, n: ((y := r.normal(2500, 500, n)), y + r.normal(0, 100, n),
                        {"confidence": r.uniform(50, 400, n)}),
          [R("Python loop", python_laplace, 100_000)]),
    Bench("levenshtein_normalized", 10_000,
          lambda r, n: ((t := [" ".join(map(str, r.integers(1, 21, 20))) for _ in range(n)]),
                        [s.rsplit(" ", 3)[0] for s in t], {}),
          [R("pure-Python token DP", python_token_levenshtein),
           R("MLE-bench: int() parse + Levenshtein (C)", mlebench_gesture)]),
    Bench("fbeta", 10_000_000, lambda r, n: ((y := r.integers(0, 2, n)), np.where(r.random(n) < .9, y, 1 - y),
                                            {"beta": 0.5}),
          [R("sklearn fbeta_score (pixels)", sk("fbeta_score", beta=0.5))]),
    Bench("iou_map", 4_000, lambda r, n: rle_masks(r, n, 101, 101), [R("decode + Python per image", python_iou_map)]),
    Bench("levenshtein_mean", 100_000, lambda r, n: ((t := random_text(r, n, 40, 120)), edited(r, t), {}),
          [R("Levenshtein (C) loop, what MLE-bench calls", c_levenshtein_mean),
           R("rapidfuzz Levenshtein.distance loop", rapidfuzz_loop),
           R("rapidfuzz cpdist, all cores", rapidfuzz_cpdist),
           R("pure-Python DP",
             lambda y, p, _: float(np.mean([python_levenshtein(a, b) for a, b in zip(y, p)])), 500)]),
    Bench("jaccard_word", 100_000,
          lambda r, n: ((t := [" ".join(w) for w in np.array(random_text(r, n * 8, 2, 8)).reshape(n, 8)]),
                        [s.rsplit(" ", 2)[0] for s in t], {}),
          [R("Python sets (Kaggle function)", python_jaccard)]),
    Bench("dice", 2_000, rle_masks, [R("decode each RLE + numpy per image", python_dice)]),
    Bench("dice_hausdorff", 1_440, uw_madison_volumes,
          [R("decode each RLE, volumes by list, directed_hausdorff on every voxel", python_dice_hausdorff)]),
    Bench("map_detection_coco", 1_500, lambda r, n: boxes_2d(r, n), [R("pycocotools COCOeval", pycocotools_ap)]),
    Bench("map_detection_voc", 1_500, lambda r, n: boxes_2d(r, n, n_classes=4),
          [R("Python matching + sklearn AP (MLE-bench)", siim_reference)]),
    Bench("map_detection_3d", 2_000, lambda r, n: boxes_3d(r, n), [R("shapely loops (Lyft)", lyft_reference, 200)]),
    Bench("f1_detection_points", 400, lambda r, n: pages(r, n), [R("Python loops (Kaggle)", kuzushiji_reference, 40)]),
]

#: ratios this close to 1 are within the machine's noise: more rounds decide them
NOISE = (0.95, 1.05)
EXTRA_ROUNDS = 4


def _once(fn: Callable[[], float]) -> tuple[float, float]:
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


@dataclass
class Timed:
    name: str
    seconds: float
    value: float
    #: rows it ran on, when a slice
    rows: int | None = None


def run_bench(bench: Bench, scale: float, repeats: int) -> tuple[Timed, list[Timed]]:
    """Time one metric and each of its references in the same rounds; return ours and the references."""
    n = max(10, int(bench.rows * scale))
    y, p, params = bench.make(np.random.default_rng(0), n)
    ours_fn = lambda: metrics.score(bench.metric, y, p, **params)  # noqa: E731
    full, sliced = [], []
    for ref in bench.references:
        try:  # warm-up (imports, caches); a slice this small may be undefined for the metric
            ref.fn(_take(y, 500), _take(p, 500), _take(params, 500))
        except Exception:  # noqa: BLE001
            pass
        ref_n = min(n, ref.rows or n)
        ry, rp, rparams = _take(y, ref_n), _take(p, ref_n), _take(params, ref_n)
        call = (lambda f, a, b, c: lambda: f(a, b, c))(ref.fn, ry, rp, rparams)
        (full if ref_n == n else sliced).append((ref, call, ref_n))
    ours_fn()

    def round_of(k: int) -> list[list[float]]:
        """Best of k runs for ours and each full-size reference, taken in turn."""
        best = [math.inf] * (1 + len(full))
        for _ in range(k):
            for i, fn in enumerate([ours_fn] + [c for _, c, _ in full]):
                best[i] = min(best[i], _once(fn)[0])
        return best

    rounds = [round_of(repeats)]
    ratios = [b / rounds[0][0] for b in rounds[0][1:]]
    if ratios and NOISE[0] <= min(ratios) <= NOISE[1]:
        rounds += [round_of(repeats) for _ in range(EXTRA_ROUNDS)]
    times = [statistics.median(r[i] for r in rounds) for i in range(1 + len(full))]
    ours = Timed("ours", times[0], ours_fn())
    refs = [Timed(ref.name, t, call()) for (ref, call, _), t in zip(full, times[1:])]
    for ref, call, ref_n in sliced:
        seconds, value = _once(call)
        refs.append(Timed(ref.name, seconds * n / ref_n, value, ref_n))
    return ours, refs


def _same(ours: float, ref: Timed) -> str:
    if ref.rows is not None:
        return "-"
    if math.isclose(ours, ref.value, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(ours) and math.isnan(ref.value)):
        return "yes"
    return f"no ({ref.value:.6g})"


HEAD = ("metric", "rows", "ours s", "fastest reference", "ref s", "ratio", "every reference: s (ratio)", "same value")


def row_of(bench: Bench, n: int, ours: Timed, refs: list[Timed]) -> tuple[str, ...]:
    fastest = min(refs, key=lambda r: r.seconds)
    every = "; ".join(
        f"{r.name}{f'@{r.rows:,}' if r.rows else ''}: {r.seconds:.4f} ({r.seconds / ours.seconds:.2f}x)" for r in refs
    )
    same = ", ".join(sorted({_same(ours.value, r) for r in refs}))
    return (bench.metric, f"{n:,}", f"{ours.seconds:.4f}", fastest.name, f"{fastest.seconds:.4f}",
            f"{fastest.seconds / ours.seconds:.2f}x", every, same)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="best of this many runs per round")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every size (e.g. 0.1 for a quick run)")
    parser.add_argument("--only", help="comma-separated metric names")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else None
    if args.markdown:
        print("| " + " | ".join(HEAD) + " |")
        print("|" + "---|" * len(HEAD), flush=True)
    for bench in BENCHES:
        if only and bench.metric not in only:
            continue
        n = max(10, int(bench.rows * args.scale))
        try:
            row = row_of(bench, n, *run_bench(bench, args.scale, args.repeats))
        except Exception as err:  # noqa: BLE001 - one failing bench is reported, the others still run
            row = (bench.metric, f"{n:,}", "-", "-", "-", "-", "-", f"error: {err}")
        print(("| " + " | ".join(row) + " |") if args.markdown else " | ".join(row), flush=True)


if __name__ == "__main__":
    main()
