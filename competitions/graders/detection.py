"""Graders for the detection competitions: prediction strings parsed exactly as MLE-bench v1 parses them,
turned into the per-image box arrays of :mod:`metrics.detection`.

- ``lyft_3d_boxes``: 3d-object-detection-for-autonomous-vehicles (``conf cx cy cz w l h yaw class`` x N).
- ``siim_study_image_boxes``: siim-covid19-detection (``label conf x0 y0 x1 y1`` x N on study and image rows).
- ``vinbigdata_coco_boxes``: vinbigdata-chest-xray-abnormalities-detection (``class conf x0 y0 x1 y1`` x N
  against a long table of answer boxes).
- ``kuzushiji_points``: kuzushiji-recognition (``label x y`` x N against ``label x y w h`` boxes).

Each competition has its own token rules and answers format, so each has its own grader; they share the
vectorised parser :func:`split_prediction_strings` (pyarrow string kernels, no Python loop over rows) and
:func:`tokens_to_float` (Python's ``float`` semantics, as MLE-bench parses). Rows are paired by id, never by
position. Messages quote submission values only.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

import metrics
from competitions.graders import Grader, InvalidSubmission, SyntheticCase, align_by_id, register_grader
from metrics import MetricInputError

__all__ = [
    "LyftBoxes3D",
    "SiimStudyImageBoxes",
    "VinBigDataCocoBoxes",
    "KuzushijiPoints",
    "split_prediction_strings",
    "group_fields",
    "tokens_to_float",
    "label_codes",
    "per_image",
]


# ---------------------------------------------------------------------------------------------
# Parsing helpers
# ---------------------------------------------------------------------------------------------


def split_prediction_strings(
    strings: Sequence[Any],
    group_size: int,
    *,
    column: str,
    whitespace: bool = False,
    blank_is_empty: bool = True,
    source: str = "submission",
) -> tuple[np.ndarray, pa.Array]:
    """Split prediction strings into groups of ``group_size`` tokens.

    ``whitespace=False`` splits on single spaces like ``str.split(" ")`` (a double space makes an empty token);
    ``whitespace=True`` like ``str.split()``. Missing values (None/NaN) have no groups; so does a blank
    string when ``blank_is_empty``. Returns ``(row, tokens)``: the row of each group and every token, group
    after group, as a pyarrow string array (read fields with :func:`group_fields`). A row whose token count
    is not a multiple raises :class:`InvalidSubmission` (``source="submission"``) or ``ValueError`` (answers).

    >>> row, tokens = split_prediction_strings(["a 1 2 b 3 4", None, ""], 3, column="labels")
    >>> row.tolist(), tokens.to_pylist()
    ([0, 0], ['a', '1', '2', 'b', '3', '4'])
    """
    values = pd.Series(strings, dtype=object).reset_index(drop=True)
    present = values.notna()
    values = values.where(present, None)
    values[present] = values[present].astype(str)
    arr = pa.array(values, type=pa.string())
    trimmed = pc.utf8_trim_whitespace(arr)
    skip = arr.is_null().to_numpy(zero_copy_only=False)
    if blank_is_empty:
        skip |= pc.fill_null(pc.equal(trimmed, ""), True).to_numpy(zero_copy_only=False)
    parts = pc.utf8_split_whitespace(trimmed) if whitespace else pc.split_pattern(arr, " ")
    counts = pc.fill_null(pc.list_value_length(parts), 0).to_numpy(zero_copy_only=False).astype(np.int64)
    counts[skip] = 0
    bad = np.flatnonzero(counts % group_size)
    if len(bad):
        message = f"{len(bad)} {column} value(s) do not hold a multiple of {group_size} tokens"
        if source != "submission":  # never quote answer values
            raise ValueError(f"answers: {message}")
        examples = [str(values.iloc[i])[:80] for i in bad[:3]]
        raise InvalidSubmission(
            f"{message} (e.g. {examples}); write {group_size} space-separated tokens per object",
            column=column, check="prediction_string", count=len(bad), examples=examples,
        )
    tokens = pc.list_flatten(pc.filter(parts, pa.array(counts > 0)))
    if isinstance(tokens, pa.ChunkedArray):
        tokens = tokens.combine_chunks()
    row = np.repeat(np.arange(len(counts)), counts // group_size)
    return row, tokens


def group_fields(tokens: pa.Array, group_size: int, fields: Sequence[int]) -> pa.Array:
    """The tokens at positions ``fields`` of every group, group after group.

    >>> group_fields(pa.array(["a", "1", "2", "b", "3", "4"]), 3, [1, 2]).to_pylist()
    ['1', '2', '3', '4']
    """
    n_groups = len(tokens) // group_size
    index = (np.arange(n_groups)[:, None] * group_size + np.asarray(fields)[None, :]).ravel()
    return tokens.take(pa.array(index, type=pa.int64()))


def tokens_to_float(tokens: pa.Array, width: int, *, column: str, what: str, source: str = "submission") -> np.ndarray:
    """Token strings as a float64 matrix of ``width`` columns, with Python's ``float`` rules (as MLE-bench
    parses); non-numbers and NaN/inf are rejected.

    >>> tokens_to_float(pa.array(["1", "2.5e1", "1_0", " 3"]), 2, column="c", what="x").tolist()
    [[1.0, 25.0], [10.0, 3.0]]
    """
    try:
        values = np.array(pc.cast(tokens, pa.float64()).to_numpy(zero_copy_only=False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        # Arrow parses a subset of what Python's float accepts ("1_0", " 2"): fall back to float itself.
        flat = np.asarray(tokens.to_pylist(), dtype=object)
        try:
            values = flat.astype(np.float64)
        except (ValueError, TypeError):
            bad = []
            for token in flat:
                try:
                    float(token)
                except (ValueError, TypeError):
                    bad.append(str(token)[:30])
                    if len(bad) == 3:
                        break
            if source != "submission":  # never quote answer values
                raise ValueError(f"answers: {column}: {what} must be numbers") from None
            raise InvalidSubmission(
                f"{column}: {what} must be numbers, found {bad}; write plain decimal numbers",
                column=column, check="prediction_string", examples=bad,
            ) from None
    finite = np.isfinite(values)
    if not finite.all():
        count = int((~finite).sum())
        if source != "submission":
            raise ValueError(f"answers: {column}: {count} {what} value(s) are NaN or infinite")
        bad = [str(tokens[int(i)]) for i in np.flatnonzero(~finite)[:3]]
        raise InvalidSubmission(
            f"{column}: {count} {what} value(s) are NaN or infinite (e.g. {bad}); write finite numbers",
            column=column, check="finite", count=count, examples=bad,
        )
    return values.reshape(-1, width)


def label_codes(*labels: pa.Array) -> list[np.ndarray]:
    """Label tokens as float codes over their sorted union (code order = string order), one array per input.

    >>> [c.tolist() for c in label_codes(pa.array(["b", "a"]), pa.array(["c", "a"]))]
    [[1.0, 0.0], [2.0, 0.0]]
    """
    joined = pa.concat_arrays([pa.array(a, type=pa.string()) for a in labels]).dictionary_encode()
    names = np.asarray(joined.dictionary.to_pylist(), dtype=object)
    rank = np.empty(len(names), dtype=np.float64)
    rank[np.argsort(names.astype(str), kind="stable")] = np.arange(len(names))
    codes = rank[joined.indices.to_numpy(zero_copy_only=False)] if len(joined) else np.zeros(0)
    cuts = np.cumsum([len(a) for a in labels])[:-1]
    return np.split(codes, cuts)


def per_image(row: np.ndarray, columns: np.ndarray, n_images: int) -> list[np.ndarray]:
    """Boxes grouped by image: a list of ``n_images`` arrays (``row``, each box's image, must be sorted).

    >>> [b.tolist() for b in per_image(np.array([0, 0, 2]), np.array([[1.0], [2.0], [3.0]]), 3)]
    [[[1.0], [2.0]], [], [[3.0]]]
    """
    cuts = np.searchsorted(row, np.arange(1, n_images))
    return np.split(columns, cuts)


def _score(comp, y_true: Any, y_pred: Any, **extra: Any) -> float:
    try:
        return metrics.score(comp.metric, y_true, y_pred, **comp.metric_params, **extra)
    except MetricInputError as err:
        if "y_pred" in str(err):
            raise InvalidSubmission(f"the submission cannot be scored: {err}", check="metric") from None
        raise


def _strings(frame: pd.DataFrame, column: str) -> pd.Series:
    """The column as Python objects, None where missing."""
    values = frame[column].astype(object)
    return values.where(values.notna(), None).reset_index(drop=True)


def _blank_as_missing(column: pd.Series) -> pd.Series:
    """The column as Python objects with missing values and "" as None (a CSV cannot tell them apart)."""
    values = column.astype(object).reset_index(drop=True)
    return values.where(values.notna() & (values != ""), None)


def _require_strings(values: pd.Series, column: str) -> None:
    missing = int(values.isna().sum())
    if missing:
        raise InvalidSubmission(
            f"{missing} {column} value(s) are missing; MLE-bench cannot parse an empty prediction string here, "
            "write at least one object per row",
            column=column, check="not_null", count=missing,
        )


def _hex(rng: np.random.Generator, n: int, length: int) -> list[str]:
    digits = np.array(list("0123456789abcdef"))
    return ["".join(row) for row in digits[rng.integers(0, 16, (n, length))]]


def _unique_hex(rng: np.random.Generator, n: int, length: int) -> list[str]:
    ids = list(dict.fromkeys(_hex(rng, n * 2, length)))[:n]
    return ids


def _fmt(values: np.ndarray) -> np.ndarray:
    return np.array([repr(float(v)) for v in values.ravel()], dtype=object).reshape(values.shape)


# ---------------------------------------------------------------------------------------------
# 3d-object-detection-for-autonomous-vehicles
# ---------------------------------------------------------------------------------------------

LYFT_CLASSES = ("animal", "bicycle", "bus", "car", "emergency_vehicle", "motorcycle", "other_vehicle",
                "pedestrian", "truck")


@register_grader
class LyftBoxes3D(Grader):
    """Lyft 3-D boxes, one ``PredictionString`` per sample ``Id``: ``conf cx cy cz w l h yaw class`` x N.

    As MLE-bench: split on single spaces, a multiple of 9 tokens, a missing or blank string is no boxes,
    sizes must be positive. Answers hold the same format (confidence 1.0). ``grader_params``: ``target``.
    """

    name = "lyft_3d_boxes"

    def _parse(self, strings, column, source):
        row, tokens = split_prediction_strings(strings, 9, column=column, source=source)
        values = tokens_to_float(group_fields(tokens, 9, range(8)), 8, column=column,
                                 what="confidence, centre, size and yaw", source=source)
        sizes = values[:, 4:7]
        if (sizes <= 0).any():
            bad = int((sizes <= 0).any(axis=1).sum())
            message = f"{column}: {bad} box(es) have a width, length or height <= 0; sizes must be positive"
            if source != "submission":
                raise ValueError(f"answers: {message}")
            raise InvalidSubmission(message, column=column, check="box_size", count=bad)
        return row, group_fields(tokens, 9, [8]), values

    def grade(self, submission: pd.DataFrame, answers: Any, comp) -> float:
        target = comp.grader_params.get("target", "PredictionString")
        sub, ans = align_by_id(submission, answers, comp.id_columns)
        n = len(ans)
        s_row, s_cls, s_val = self._parse(_strings(sub, target), target, "submission")
        a_row, a_cls, a_val = self._parse(_strings(ans, target), target, "answers")
        a_code, s_code = label_codes(a_cls, s_cls)
        y_true = per_image(a_row, np.column_stack([a_code, a_val[:, 1:8]]), n)
        y_pred = per_image(s_row, np.column_stack([s_code, s_val]), n)
        return _score(comp, y_true, y_pred)

    def synthetic(self, comp, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
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


# ---------------------------------------------------------------------------------------------
# siim-covid19-detection
# ---------------------------------------------------------------------------------------------

SIIM_STUDY_LABELS = ("negative", "typical", "indeterminate", "atypical")


@register_grader
class SiimStudyImageBoxes(Grader):
    """SIIM-COVID19 study and image rows: ``label conf x0 y0 x1 y1`` x N per ``id``.

    As MLE-bench: whitespace-split, a multiple of 6 tokens, numbers after the label, a missing string is
    invalid. ``grader_params``: ``target``.
    """

    name = "siim_study_image_boxes"

    def _parse(self, strings, column, source):
        row, tokens = split_prediction_strings(strings, 6, column=column, whitespace=True, source=source)
        values = tokens_to_float(group_fields(tokens, 6, range(1, 6)), 5, column=column,
                                 what="confidence and box", source=source)
        return row, group_fields(tokens, 6, [0]), values

    def grade(self, submission: pd.DataFrame, answers: Any, comp) -> float:
        target = comp.grader_params.get("target", "PredictionString")
        sub, ans = align_by_id(submission, answers, comp.id_columns)
        strings = _strings(sub, target)
        _require_strings(strings, target)
        n = len(ans)
        s_row, s_lab, s_val = self._parse(strings, target, "submission")
        a_row, a_lab, a_val = self._parse(_strings(ans, target), target, "answers")
        a_code, s_code = label_codes(a_lab, s_lab)
        y_true = per_image(a_row, np.column_stack([a_code, a_val[:, 1:]]), n)
        y_pred = per_image(s_row, np.column_stack([s_code, s_val]), n)
        return _score(comp, y_true, y_pred)

    def synthetic(self, comp, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
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


# ---------------------------------------------------------------------------------------------
# vinbigdata-chest-xray-abnormalities-detection
# ---------------------------------------------------------------------------------------------

VINBIG_CLASSES = (
    "Aortic enlargement", "Atelectasis", "Calcification", "Cardiomegaly", "Consolidation", "ILD", "Infiltration",
    "Lung Opacity", "Nodule/Mass", "Other lesion", "Pleural effusion", "Pleural thickening", "Pneumothorax",
    "Pulmonary fibrosis", "No finding",
)


@register_grader
class VinBigDataCocoBoxes(Grader):
    """VinBigData: ``class conf x0 y0 x1 y1`` x N per ``image_id`` against a long table of answer boxes.

    As MLE-bench: split on single spaces, every token a number, a multiple of 6, a missing string invalid;
    the class is ``int(float(token))``. Ground truth per image keeps the answers' row order and images
    keep the order of their first appearance in the answers (COCO's numbering). The detection MLE-bench numbers
    0 is the first box of the submission's first row, so ``zero_id_prediction_image`` is taken from the
    submission as given. ``grader_params``: ``target``, ``class_column``, ``box_columns``.
    """

    name = "vinbigdata_coco_boxes"

    def grade(self, submission: pd.DataFrame, answers: Any, comp) -> float:
        params = comp.grader_params
        target = params.get("target", "PredictionString")
        class_column = params.get("class_column", "class_id")
        box_columns = list(params.get("box_columns", ["x_min", "y_min", "x_max", "y_max"]))
        (id_column,) = comp.id_columns
        missing = [c for c in [id_column, class_column, *box_columns] if c not in answers.columns]
        if missing:
            raise ValueError(f"answers: missing column(s) {missing}")
        answer_ids = answers[id_column].astype(str)
        images = pd.DataFrame({id_column: pd.unique(answer_ids)})
        sub, _ = align_by_id(submission, images, comp.id_columns)
        strings = _strings(sub, target)
        _require_strings(strings, target)
        n = len(images)
        row, tokens = split_prediction_strings(strings, 6, column=target, blank_is_empty=False)
        values = tokens_to_float(tokens, 6, column=target, what="class, confidence and box")
        values[:, 0] = np.trunc(values[:, 0])
        image_index = pd.Index(images[id_column])
        a_row = image_index.get_indexer(answer_ids)
        order = np.argsort(a_row, kind="stable")
        boxes = answers[box_columns].to_numpy(dtype=np.float64)
        if not np.isfinite(boxes).all():
            raise ValueError("answers: box coordinates hold NaN; MLE-bench's preparer fills them with 0")
        a_cls = answers[class_column].to_numpy(dtype=np.float64)
        y_true = per_image(a_row[order], np.column_stack([a_cls, boxes])[order], n)
        y_pred = per_image(row, values, n)
        first = image_index.get_loc(str(submission[id_column].iloc[0])) if len(submission) else 0
        extra = {"zero_id_prediction_image": int(first)} if comp.metric_params.get("zero_id_quirk") else {}
        return _score(comp, y_true, y_pred, **extra)

    def synthetic(self, comp, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
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


# ---------------------------------------------------------------------------------------------
# kuzushiji-recognition
# ---------------------------------------------------------------------------------------------


@register_grader
class KuzushijiPoints(Grader):
    """Kuzushiji: ``label x y`` points per ``image_id`` against ``label x y w h`` boxes.

    As MLE-bench: split on single spaces, a multiple of 3 tokens, x and y numbers; a missing value means no
    predictions (every box a false negative). ``grader_params``: ``target``.
    """

    name = "kuzushiji_points"

    def grade(self, submission: pd.DataFrame, answers: Any, comp) -> float:
        target = comp.grader_params.get("target", "labels")
        sub, ans = align_by_id(submission, answers, comp.id_columns)
        n = len(ans)
        s_row, s_tok = split_prediction_strings(_blank_as_missing(sub[target]), 3, column=target,
                                                blank_is_empty=False)
        s_xy = tokens_to_float(group_fields(s_tok, 3, [1, 2]), 2, column=target, what="x and y")
        a_row, a_tok = split_prediction_strings(_blank_as_missing(ans[target]), 5, column=target,
                                                blank_is_empty=False, source="answers")
        a_box = tokens_to_float(group_fields(a_tok, 5, [1, 2, 3, 4]), 4, column=target, what="box", source="answers")
        a_code, s_code = label_codes(group_fields(a_tok, 5, [0]), group_fields(s_tok, 3, [0]))
        y_true = per_image(a_row, np.column_stack([a_code, a_box]), n)
        y_pred = per_image(s_row, np.column_stack([s_code, s_xy]), n)
        return _score(comp, y_true, y_pred)

    def synthetic(self, comp, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
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
