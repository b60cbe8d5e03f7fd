"""Graders for the classification competitions.

- ``label_column``: one prediction column per id (a class label, a space-separated label list or a
  probability), scored against one answers column with the spec's metric. ``grader_params``:
  ``target`` (submission column), ``answer_target`` (answers column, default ``target``),
  ``fill_missing`` (text that replaces empty cells on both sides, e.g. ``""``), ``first_token_int``
  (score the first whitespace-separated token as an integer: iNaturalist's top-1), ``text_na`` (both sides
  as text, every pandas NA token turned into ``"nan"``: text normalisation).
- ``tf2qa_spans``: TensorFlow 2.0 Question Answering, with JSONL answers (see :class:`QuestionAnsweringSpans`).

Their synthetic material is made by :mod:`competitions.synthetic.classification`.

>>> import competitions
>>> from competitions.graders import get_grader
>>> comp = competitions.get("cassava-leaf-disease-classification")
>>> answers = pd.DataFrame({"image_id": ["1.jpg", "2.jpg", "3.jpg", "4.jpg"], "label": [0, 3, 3, 4]})
>>> submission = pd.DataFrame({"image_id": ["4.jpg", "3.jpg", "2.jpg", "1.jpg"], "label": [4, 3, 1, 0]})
>>> get_grader("label_column").grade(submission, answers, comp)
0.75
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from competitions.graders import (
    Grader,
    InvalidSubmission,
    align_by_id,
    register_grader,
    require_columns,
    score_metric,
)
from schemas.submission import pattern_ok

__all__ = ["LabelColumn", "QuestionAnsweringSpans", "PANDAS_NA_TOKENS"]

#: The strings pandas ``read_csv`` reads as missing by default (MLE-bench reads both files that way).
PANDAS_NA_TOKENS = frozenset(
    {
        "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
        "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
    }
)
_INTEGER = r"[+-]?\d+"


def _examples(values: pd.Series, mask: np.ndarray) -> list[Any]:
    return values[mask].head(3).tolist()


def _text_with_na(values: pd.Series) -> np.ndarray:
    """Values as text the way ``read_csv`` then ``astype(str)`` makes them: NA tokens and NaN become 'nan'."""
    text = values.astype(object).where(values.notna(), "nan").astype(str)
    return text.where(~text.isin(PANDAS_NA_TOKENS), "nan").to_numpy(dtype=object)


@register_grader
class LabelColumn(Grader):
    """One prediction column per id against one answers column, scored with the spec's metric."""

    name = "label_column"

    def grade(self, submission: pd.DataFrame, answers: Any, comp: Any) -> float:
        params = comp.grader_params
        target = params["target"]
        answer_target = params.get("answer_target", target)
        ids = list(comp.id_columns)
        require_columns(submission, [*ids, target])
        require_columns(answers, [*ids, answer_target], what="answers file")
        sub, ans = align_by_id(submission[[*ids, target]], answers[[*ids, answer_target]], ids)
        y_pred = self._predictions(sub[target], params, target, comp)
        y_true = self._truth(ans[answer_target], params)
        return score_metric(comp, y_true, y_pred, column=target)

    @staticmethod
    def _predictions(values: pd.Series, params: dict[str, Any], column: str, comp: Any) -> Any:
        if params.get("text_na"):
            return _text_with_na(values)
        if "fill_missing" in params:
            values = values.astype(object).where(values.notna(), params["fill_missing"])
        if params.get("first_token_int"):
            return _first_token_int(values, column, _pattern(comp, column))
        return values.to_numpy(dtype=object) if values.dtype.kind not in "biuf" else values.to_numpy()

    @staticmethod
    def _truth(values: pd.Series, params: dict[str, Any]) -> Any:
        if params.get("text_na"):
            return _text_with_na(values)
        if "fill_missing" in params:
            filled = values.astype(object).where(values.notna(), params["fill_missing"])
            return filled.astype(str).to_numpy(dtype=object)
        return values.to_numpy(dtype=object) if values.dtype.kind not in "biuf" else values.to_numpy()



def _pattern(comp: Any, column: str) -> str:
    """The ``pattern`` the spec declares for ``column`` (the contract checks it too)."""
    (pattern,) = [c.pattern for c in comp.submission_columns if c.name == column]
    if pattern is None:
        raise ValueError(f"{comp.id}: the spec declares no pattern for column {column!r}")
    return pattern


def _first_token_int(values: pd.Series, column: str, pattern: str) -> np.ndarray:
    """The first whitespace-separated token of each cell, as int64 (iNaturalist's top-1 prediction); cells
    not matching ``pattern`` (the spec's: an integer first) are invalid."""
    if values.dtype.kind in "iu":
        return values.to_numpy(dtype=np.int64)
    text = values.astype(object).where(values.notna(), "").astype(str)
    first = text.str.strip().str.split(n=1).str[0].fillna("")
    bad = ~pattern_ok(text, pattern) | ~first.str.fullmatch(_INTEGER).to_numpy(dtype=bool)
    if bad.any():
        raise InvalidSubmission(
            f"{int(bad.sum())} row(s) of {column!r} do not start with an integer class id "
            f"(e.g. {_examples(text, bad)}); write the predicted category id first",
            column=column, check="first_token", count=int(bad.sum()), examples=_examples(text, bad),
        )
    return first.astype(np.int64).to_numpy()



# ---------------------------------------------------------------------------------------------
# TensorFlow 2.0 Question Answering
# ---------------------------------------------------------------------------------------------

_SPAN_KIND, _YES_KIND, _NO_KIND = 0, 1, 2  # a valid answer is (row, kind, start, end); YES/NO have 0, 0


@register_grader
class QuestionAnsweringSpans(Grader):
    """TensorFlow 2.0 QA as MLE-bench v1 grades it.

    Two rows per example, ``{example_id}_long`` and ``{example_id}_short``. A prediction is blank, ``YES``,
    ``NO`` or ``start:end``; anything else is invalid. The valid answers of a long row are the first
    annotation's long-answer span (when its start is not -1); of a short row its short-answer spans plus
    its yes/no answer (when not NONE). Each row gives y_pred = 1 for a non-blank prediction and y_true = 1
    when a non-blank prediction is valid or a blank one has valid answers; the score is micro F1 of these
    binary pairs (which equals accuracy).
    """

    name = "tf2qa_spans"

    def grade(self, submission: pd.DataFrame, answers: Any, comp: Any) -> float:
        require_columns(submission, ["example_id", "PredictionString"])
        records = list(answers)
        expected = _expected_rows(records)
        sub = submission[["example_id", "PredictionString"]].copy()
        sub["example_id"] = sub["example_id"].astype(str)
        if len(sub) != len(expected):
            raise InvalidSubmission(
                f"the submission has {len(sub)} rows but needs {len(expected)} (a _long and a _short row per "
                "example)", column="example_id", check="row_count", count=abs(len(sub) - len(expected)),
            )
        sub, exp = align_by_id(sub, expected, ["example_id"])
        prediction = sub["PredictionString"].astype(object).where(sub["PredictionString"].notna(), "")
        prediction = prediction.astype(str).str.strip()
        kind, start, end, filled = _parse_predictions(prediction, _pattern(comp, "PredictionString"))
        valid = _valid_answers(records)
        keys = exp[["row"]].assign(kind=kind, start=start, end=end)
        hit = keys.merge(valid, on=["row", "kind", "start", "end"], how="left", indicator=True)["_merge"].eq("both")
        has_answer = np.zeros(len(exp), dtype=bool)
        has_answer[valid["row"].to_numpy()] = True
        y_true = np.where(filled, hit.to_numpy(), has_answer).astype(np.int64)
        return score_metric(comp, y_true, filled.astype(np.int64), column="PredictionString")



def _expected_rows(records: list[dict[str, Any]]) -> pd.DataFrame:
    ids = [str(r["example_id"]) for r in records]
    example_id = [f"{i}_{kind}" for i in ids for kind in ("long", "short")]
    return pd.DataFrame({"example_id": example_id, "row": np.arange(len(example_id))})


def _parse_predictions(prediction: pd.Series, pattern: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(kind, start, end, non-blank) per row; a value that is not blank, YES, NO or 'start:end' (the spec's
    ``pattern``, which the contract checks too) is invalid."""
    parts = prediction.str.extract(r"^\s*([+-]?\d+)\s*:\s*([+-]?\d+)\s*$")
    span = parts[0].notna().to_numpy()
    yes, no = (prediction == "YES").to_numpy(), (prediction == "NO").to_numpy()
    blank = (prediction == "").to_numpy()
    bad = ~pattern_ok(prediction, pattern) | ~(span | yes | no | blank)
    if bad.any():
        raise InvalidSubmission(
            f"{int(bad.sum())} PredictionString value(s) are not blank, YES, NO or 'start:end' "
            f"(e.g. {_examples(prediction, bad)}); write token spans as two integers joined by ':'",
            column="PredictionString", check="format", count=int(bad.sum()), examples=_examples(prediction, bad),
        )
    kind = np.where(yes, _YES_KIND, np.where(no, _NO_KIND, _SPAN_KIND)).astype(np.int64)
    start = np.zeros(len(prediction), dtype=np.int64)
    end = np.zeros(len(prediction), dtype=np.int64)
    start[span] = parts.loc[span, 0].astype(np.int64).to_numpy()
    end[span] = parts.loc[span, 1].astype(np.int64).to_numpy()
    return kind, start, end, ~blank


def _valid_answers(records: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per valid answer: (row of the expected table, kind, start, end)."""
    found: list[tuple[int, int, int, int]] = []
    for i, record in enumerate(records):
        note = record["annotations"][0]
        long = note["long_answer"]
        if long["start_token"] != -1:
            found.append((2 * i, _SPAN_KIND, int(long["start_token"]), int(long["end_token"])))
        found.extend(
            (2 * i + 1, _SPAN_KIND, int(short["start_token"]), int(short["end_token"]))
            for short in note["short_answers"]
        )
        if note["yes_no_answer"] != "NONE":
            found.append((2 * i + 1, _YES_KIND if note["yes_no_answer"] == "YES" else _NO_KIND, 0, 0))
    frame = pd.DataFrame(found, columns=["row", "kind", "start", "end"], dtype=np.int64)
    return frame.drop_duplicates()
