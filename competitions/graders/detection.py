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
position. Messages quote submission values only. Their synthetic material is made by
:mod:`competitions.synthetic.detection`.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from competitions.graders import Grader, InvalidSubmission, align_by_id, register_grader, score_metric

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
        return score_metric(comp, y_true, y_pred)


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
        return score_metric(comp, y_true, y_pred)


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
    keeps_submission_order = True  # the zero-id quirk reads the submission's first row

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
        return score_metric(comp, y_true, y_pred, **extra)


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
        return score_metric(comp, y_true, y_pred)
