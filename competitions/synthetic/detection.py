"""Synthetic material for the detection graders (``lyft_3d_boxes``, ``siim_study_image_boxes``,
``vinbigdata_coco_boxes``, ``kuzushiji_points``): answers and prediction strings in each competition's own
formats, MLE-bench's sample submission and a gold submission.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from competitions.graders.detection import LYFT_CLASSES, SIIM_STUDY_LABELS, VINBIG_CLASSES
from competitions.synthetic import SyntheticCase, register_synthetic

__all__ = ["lyft_3d_boxes", "siim_study_image_boxes", "vinbigdata_coco_boxes", "kuzushiji_points"]


def _hex(rng: np.random.Generator, n: int, length: int) -> list[str]:
    digits = np.array(list("0123456789abcdef"))
    return ["".join(row) for row in digits[rng.integers(0, 16, (n, length))]]


def _unique_hex(rng: np.random.Generator, n: int, length: int) -> list[str]:
    ids = list(dict.fromkeys(_hex(rng, n * 2, length)))[:n]
    return ids


def _fmt(values: np.ndarray) -> np.ndarray:
    return np.array([repr(float(v)) for v in values.ravel()], dtype=object).reshape(values.shape)


@register_synthetic("lyft_3d_boxes")
def lyft_3d_boxes(comp: Any, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
    """Lyft 3-D boxes as prediction strings (confidence 1.0), a blank sample, the answers as gold."""
    target = comp.grader_params.get("target", "PredictionString")
    ids = _unique_hex(rng, n_rows, 64)
    strings = []
    for _ in ids:
        m = int(rng.integers(1, 6))
        centre = np.column_stack([rng.uniform(600, 2800, m), rng.uniform(600, 2800, m), rng.uniform(-25, -15, m)])
        size = np.column_stack([rng.uniform(0.5, 3, m), rng.uniform(0.5, 12, m), rng.uniform(0.5, 4, m)])
        yaw = rng.uniform(-np.pi, np.pi, (m, 1))
        fields = np.column_stack([np.full((m, 1), "1.0", dtype=object), _fmt(np.c_[centre, size, yaw]),
                                  np.array(LYFT_CLASSES, dtype=object)[rng.integers(0, 9, m)][:, None]])
        strings.append(" ".join(fields.ravel()))
    answers = pd.DataFrame({"Id": ids, target: strings})
    sample = pd.DataFrame({"Id": ids, target: [""] * len(ids)})
    return SyntheticCase(answers=answers, sample_submission=sample, perfect_submission=answers.copy())


@register_synthetic("siim_study_image_boxes")
def siim_study_image_boxes(comp: Any, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
    """SIIM-COVID19 study and image rows, MLE-bench's constant sample, the answers as gold."""
    target = comp.grader_params.get("target", "PredictionString")
    n_studies = max(2, n_rows // 2)
    studies = sorted(_unique_hex(rng, n_studies, 12))
    images = sorted(_unique_hex(rng, max(2, n_rows - n_studies), 12))
    labels = np.array(SIIM_STUDY_LABELS, dtype=object)[rng.integers(0, 4, n_studies)]
    labels[:2] = ["negative", "typical"]
    study_rows = [f"{lab} 1 0 0 1 1" for lab in labels]
    image_rows = []
    for i in range(len(images)):
        m = 0 if i == 0 else int(rng.integers(0, 3))
        if m == 0 and i != 1:
            image_rows.append("none 1 0 0 1 1")
            continue
        m = max(m, 1)
        xy = rng.uniform(0, 2000, (m, 2))
        box = _fmt(np.c_[xy, xy + rng.uniform(200, 1500, (m, 2))])
        image_rows.append(" ".join(f"opacity 1 {' '.join(b)}" for b in box))
    answers = pd.DataFrame({
        "id": [f"{s}_study" for s in studies] + [f"{s}_image" for s in images],
        target: study_rows + image_rows,
    })
    sample = pd.DataFrame({
        "id": answers["id"],
        target: ["negative 1 0 0 1 1"] * len(studies) + ["none 1 0 0 1 1"] * len(images),
    })
    return SyntheticCase(answers=answers, sample_submission=sample, perfect_submission=answers.copy())


@register_synthetic("vinbigdata_coco_boxes")
def vinbigdata_coco_boxes(comp: Any, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
    """VinBigData's long table of answer boxes, MLE-bench's "No finding" sample, a gold submission."""
    target = comp.grader_params.get("target", "PredictionString")
    ids = _unique_hex(rng, max(n_rows, 3), 32)
    rows = []
    for i, image in enumerate(ids):
        if i % 3 == 0:
            rows.append((image, 14, "No finding", f"R{rng.integers(1, 18)}", 0.0, 0.0, 1.0, 1.0))
            continue
        for c in sorted(set(rng.integers(0, 14, int(rng.integers(1, 4))).tolist()) | {3}):
            x0, y0 = (float(v) for v in rng.integers(0, 2000, 2))
            x1, y1 = x0 + float(rng.integers(50, 900)), y0 + float(rng.integers(50, 900))
            rows.append((image, c, VINBIG_CLASSES[c], f"R{rng.integers(1, 18)}", x0, y0, x1, y1))
    answers = pd.DataFrame(rows, columns=["image_id", "class_id", "class_name", "rad_id",
                                          "x_min", "y_min", "x_max", "y_max"])
    answers = answers.sort_values(["image_id", "class_id"], kind="stable").reset_index(drop=True)
    gold = (
        answers.class_id.astype(str) + " 1.0 " + answers.x_min.astype(str) + " " + answers.y_min.astype(str)
        + " " + answers.x_max.astype(str) + " " + answers.y_max.astype(str)
    ).groupby(answers.image_id).agg(" ".join)
    perfect = pd.DataFrame({"image_id": gold.index.astype(str), target: gold.to_numpy()})
    shuffled = [ids[i] for i in rng.permutation(len(ids))]
    sample = pd.DataFrame({"image_id": shuffled, target: ["14 1 0 0 1 1"] * len(ids)})
    note = ("with zero_id_quirk (MLE-bench v1) the answers' first box can never be recalled, so even the "
            "gold submission scores slightly below 1")
    extra = {"perfect_scores_best": not comp.metric_params.get("zero_id_quirk", False), "note": note}
    return SyntheticCase(answers=answers, sample_submission=sample, perfect_submission=perfect, extra=extra)


@register_synthetic("kuzushiji_points")
def kuzushiji_points(comp: Any, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
    """Kuzushiji character boxes and their centre points, a constant sample, the gold points."""
    target = comp.grader_params.get("target", "labels")
    # page ids as in the data: "{book}_{page:05d}_{side}" for numbered books, "{book}-{page:03d}" for others
    numbered = [f"{b}_{p:05d}_{rng.integers(1, 3)}" for b, p in
                zip(rng.choice(["100241706", "200003076", "200014685"], n_rows), rng.integers(1, 99999, n_rows))]
    named = [f"{b}-{p:03d}" for b, p in zip(rng.choice(["umgy001", "hnsd006", "brsk001"], n_rows),
                                             rng.integers(1, 999, n_rows))]
    ids = list(dict.fromkeys(x for pair in zip(numbered, named) for x in pair))[:n_rows]
    labels, gold = [], []
    for i in range(len(ids)):
        if i == len(ids) - 1 and len(ids) > 2:
            labels.append(np.nan)  # a page without characters
            gold.append(np.nan)
            continue
        m = int(rng.integers(1, 8))
        codes = [f"U+{c:04X}" for c in rng.integers(0x3041, 0x3097, m)]
        xy = rng.integers(10, 2500, (m, 2))
        wh = rng.integers(20, 150, (m, 2))
        labels.append(" ".join(f"{c} {x} {y} {w} {h}" for c, (x, y), (w, h) in zip(codes, xy, wh)))
        gold.append(" ".join(f"{c} {x + 1} {y + 1}" for c, (x, y) in zip(codes, xy)))
    answers = pd.DataFrame({"image_id": ids, target: labels})
    sample = pd.DataFrame({"image_id": ids, target: ["U+003F 1 1 U+FF2F 2 2"] * len(ids)})
    perfect = pd.DataFrame({"image_id": ids, target: gold})
    return SyntheticCase(answers=answers, sample_submission=sample, perfect_submission=perfect)
