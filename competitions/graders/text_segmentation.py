"""Graders for the competitions scored on text (edit distance, word Jaccard) and on segmentation masks.

Two generic graders, driven by ``grader_params``:

- ``text_column``: one text column of the submission against one column of the answers
  (billion-word-imputation, bms-molecular-translation, chaii, tweet-sentiment-extraction,
  multi-modal-gesture-recognition). ``missing`` says what a missing (NaN) prediction is: ``invalid``,
  ``empty`` (MLE-bench's ``fillna("")``) or ``nan`` (MLE-bench's ``astype(str)``, giving "nan");
  ``int_tokens`` requires space-separated integers.
- ``rle_masks``: one RLE column against the answers' RLE column, decoded with the image size from the
  answers (or a fixed size) (contrails, HuBMAP, TGS, UW-Madison, Vesuvius). The metric and its
  parameters (reduction, pixel order, run clipping, quirks) come from the spec; ``volumes`` adds the slice
  and volume keys the UW-Madison score needs.

Rows are paired by id, never by position. Messages never contain answer values; an error about the answers
propagates to grading as a host error. Their synthetic material is made by
:mod:`competitions.synthetic.text_segmentation`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from competitions.graders import Grader, InvalidSubmission, align_by_id, register_grader, score_metric
from metrics import MetricInputError
from metrics.segmentation import parse_rles
from metrics.text import int_rows

__all__ = ["TextColumn", "RleMasks"]

_MISSING_RULES = ("invalid", "empty", "nan")


def _examples(values: list[Any], rows: np.ndarray, limit: int = 3) -> list[Any]:
    return [values[int(i)] for i in np.asarray(rows)[:limit]]


def _fill_missing(column: pd.Series, rule: str, name: str, *, submission: bool) -> list[str]:
    """The column as a list of str, missing values handled by ``rule``."""
    if rule not in _MISSING_RULES:
        raise ValueError(f"grader parameter missing={rule!r} is not one of {_MISSING_RULES}")
    missing = column.isna().to_numpy()
    if missing.any():
        if rule == "invalid" and submission:
            raise InvalidSubmission(
                f"{int(missing.sum())} missing or empty value(s) in column {name!r}; "
                "write a non-empty value in every row",
                column=name, check="missing", count=int(missing.sum()),
            )
    if isinstance(column.dtype, pd.StringDtype):  # text already (the contract's typed read): no object round trip
        if missing.any() and rule in ("empty", "nan"):
            column = column.fillna("" if rule == "empty" else "nan")
        return column.tolist()
    values = column.astype(object).to_numpy(copy=True)
    # pandas may have parsed a text column as numbers; MLE-bench casts such values with str()
    is_text = np.fromiter(map(isinstance, values, [str] * len(values)), dtype=bool, count=len(values))
    cast = ~is_text & ~missing
    if cast.any():
        values[cast] = [str(v) for v in values[cast]]
    if rule in ("empty", "nan"):
        values[missing] = "" if rule == "empty" else "nan"
    return values.tolist()


@register_grader
class TextColumn(Grader):
    """A text column scored against the answers' text column by a text metric.

    grader_params: ``target`` (submission column), ``answer_column`` (default: ``target``), ``missing``
    (``invalid`` | ``empty`` | ``nan``), ``int_tokens`` (bool), ``synthetic`` (the data generator:
    ``sentence``, ``inchi``, ``answer_text``, ``tweet`` or ``gestures``).
    """

    name = "text_column"

    def grade(self, submission: pd.DataFrame, answers: pd.DataFrame, comp) -> float:
        p = comp.grader_params
        target = p["target"]
        answer_column = p.get("answer_column", target)
        rule = p.get("missing", "invalid")
        sub, ans = align_by_id(submission, answers, comp.id_columns)
        y_pred = _fill_missing(sub[target], rule, target, submission=True)
        y_true = _fill_missing(ans[answer_column], rule, answer_column, submission=False)
        if p.get("int_tokens"):
            try:
                int_rows(y_pred, comp.metric, "y_pred")
            except MetricInputError as err:
                raise InvalidSubmission(
                    f"column {target!r} must hold integers separated by spaces; a row holds something else",
                    column=target, check="int_tokens", count=len(err.rows), examples=_examples(y_pred, err.rows),
                ) from None
        return score_metric(comp, y_true, y_pred, column=target)


# ---------------------------------------------------------------------------------------------
# RLE masks
# ---------------------------------------------------------------------------------------------


@register_grader
class RleMasks(Grader):
    """An RLE mask column scored against the answers' masks by a segmentation metric.

    grader_params: ``target`` (submission RLE column), ``answer_column``, ``height`` and ``width`` (answer
    column names, or fixed ints), ``empty_token`` (a cell meaning "empty mask" on both sides, e.g. "-"),
    ``missing`` (``empty``: a missing cell is an empty mask; ``invalid``), ``exact_columns`` (reject extra
    columns), ``volumes`` (``{separator: "_slice_"}``: slice ids are the id column, volume ids the part
    before the separator), ``synthetic`` (generator settings: ``ids``, ``height``, ``width``, ``sample``).
    """

    name = "rle_masks"

    def grade(self, submission: pd.DataFrame, answers: pd.DataFrame, comp) -> float:
        p = comp.grader_params
        target, answer_column = p["target"], p["answer_column"]
        if p.get("exact_columns"):
            extra = sorted(set(submission.columns) - set(comp.column_names))
            if extra:
                raise InvalidSubmission(
                    f"unexpected column(s) {extra}; the submission must have exactly the columns "
                    f"{list(comp.column_names)}",
                    column=",".join(extra), check="columns", count=len(extra), examples=extra[:3],
                )
        sub, ans = align_by_id(submission, answers, comp.id_columns)
        shapes = np.column_stack([_sizes(ans, p["height"], "height"), _sizes(ans, p["width"], "width")])
        y_pred = self._rles(sub[target], p, target, submission=True)
        y_true = self._rles(ans[answer_column], p, answer_column, submission=False)
        params = dict(comp.metric_params)
        try:
            parse_rles(y_pred, shapes[:, 0] * shapes[:, 1], clip=bool(params.get("clip_runs", False)),
                       metric=comp.metric, what="y_pred")
        except MetricInputError as err:
            problem = err.problem
            raise InvalidSubmission(
                f"{len(err.rows)} malformed RLE value(s) in column {target!r}: {problem}",
                column=target, check="rle", count=len(err.rows), examples=_examples(y_pred, err.rows),
            ) from None
        if "volumes" in p:
            slice_ids = sub[comp.id_columns[0]].astype(str)
            params["slice_ids"] = slice_ids.to_numpy()
            params["volume_ids"] = slice_ids.str.split(p["volumes"]["separator"], n=1).str[0].to_numpy()
        return score_metric(comp, y_true, y_pred, column=target, shape=shapes, **params)

    @staticmethod
    def _rles(column: pd.Series, p: dict[str, Any], name: str, *, submission: bool) -> list[str]:
        token = p.get("empty_token")
        if token:
            column = column.where(column != token, "")
        return _fill_missing(column, p.get("missing", "empty"), name, submission=submission)


def _sizes(answers: pd.DataFrame, spec: Any, what: str) -> np.ndarray:
    if isinstance(spec, (int, np.integer)):
        return np.full(len(answers), int(spec), dtype=np.int64)
    values = pd.to_numeric(answers[spec], errors="raise").to_numpy(dtype=np.float64)
    return values.astype(np.int64)
