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

Rows are paired by id, never by position. Messages never contain answer values.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

import metrics
from competitions.graders import Grader, InvalidSubmission, SyntheticCase, align_by_id, register_grader
from metrics import MetricInputError
from metrics.segmentation import parse_rles, rle_encode
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
    values = column.astype(object).to_numpy(copy=True)
    # pandas may have parsed a text column as numbers; MLE-bench casts such values with str()
    is_text = np.fromiter(map(isinstance, values, [str] * len(values)), dtype=bool, count=len(values))
    cast = ~is_text & ~missing
    if cast.any():
        values[cast] = [str(v) for v in values[cast]]
    if rule in ("empty", "nan"):
        values[missing] = "" if rule == "empty" else "nan"
    return values.tolist()


def _score_or_invalid(comp, y_true: list[str], y_pred: list[str], **params: Any) -> float:
    """The spec's metric; an input error that does not concern the answers alone makes the submission invalid.

    (MLE-bench v1 reports any error inside grading as an invalid submission. Errors about the answers are
    re-raised as they are: they are the operator's problem, and their messages may quote answer values.)
    """
    merged = {**comp.metric_params, **params}
    try:
        return metrics.score(comp.metric, y_true, y_pred, **merged)
    except MetricInputError as err:
        if "y_true" in str(err):
            raise
        raise InvalidSubmission(f"the submission cannot be scored: {err}", check="metric") from None


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
        return _score_or_invalid(comp, y_true, y_pred)

    def synthetic(self, comp, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
        p = comp.grader_params
        kind = p["synthetic"]
        target = p["target"]
        id_col = comp.id_columns[0]
        n = max(n_rows, 2)
        ids, truth, sample = _TEXT_MAKERS[kind](rng, n)
        answer_column = p.get("answer_column", target)
        answers = pd.DataFrame({id_col: ids, answer_column: truth})
        if kind == "tweet":  # the answers file keeps the tweet and its sentiment too
            answers = pd.DataFrame(
                {
                    id_col: ids,
                    "text": [f"so {t} today" for t in truth],
                    answer_column: truth,
                    "sentiment": rng.choice(["positive", "negative", "neutral"], n),
                }
            )
        sample_df = pd.DataFrame({id_col: ids, target: sample})
        perfect = pd.DataFrame({id_col: ids, target: truth})
        return SyntheticCase(answers=answers, sample_submission=sample_df, perfect_submission=perfect)


def _hex_ids(rng: np.random.Generator, n: int, width: int) -> list[str]:
    ids: set[str] = set()
    while len(ids) < n:
        ids.update("".join(rng.choice(list("0123456789abcdef"), width)) for _ in range(n - len(ids)))
    return sorted(ids)


_ENGLISH = "the a of to and in was he that it for on with as his is at by said from".split() + [
    ",", ".", "''", "``", "council", "market", "season", "votes", "Tuesday", "prices",
]


def _sentences(rng, n):
    truth = [" ".join(rng.choice(_ENGLISH, int(rng.integers(4, 18)))) + " ." for _ in range(n)]
    sample = []
    for sentence in truth:  # MLE-bench's public test: one interior word removed
        words = sentence.split()
        k = int(rng.integers(1, len(words) - 1))
        sample.append(" ".join(words[:k] + words[k + 1 :]))
    return [str(i) for i in range(n)], truth, sample


def _inchi(rng, n):
    def one() -> str:
        c, h, o = (int(v) for v in rng.integers(1, 30, 3))
        chain_ = "-".join(str(v) for v in rng.integers(1, 25, int(rng.integers(3, 12))))
        return f"InChI=1S/C{c}H{h}N{o % 4}O{o % 5}/c{chain_}/h{int(rng.integers(1, 9))}-{int(rng.integers(9, 20))}H"

    return _hex_ids(rng, n, 12), [one() for _ in range(n)], ["InChI=1S/H2O/h1H2"] * n


_INDIC = ["भारत", "की", "राजधानी", "नई", "दिल्ली", "है", "சென்னை", "தமிழ்நாடு", "1947", "गंगा", "இந்தியா"]


def _answer_text(rng, n):
    truth = [" ".join(rng.choice(_INDIC, int(rng.integers(1, 4)))) for _ in range(n)]
    return _hex_ids(rng, n, 9), truth, ["dummy text"] * n


_TWEET_WORDS = ["happy", "sad", "so", "good", "bad", "day", "love", "hate", "it", "this", "!", "soo"]


def _tweet(rng, n):
    truth = [" ".join(rng.choice(_TWEET_WORDS, int(rng.integers(1, 6)))) for _ in range(n)]
    return _hex_ids(rng, n, 10), truth, [""] * n


def _gestures(rng, n):
    truth = [" ".join(map(str, rng.permutation(np.arange(1, 21))[: int(rng.integers(8, 21))])) for _ in range(n)]
    sample = [" ".join(map(str, rng.permutation(np.arange(1, 21)))) for _ in range(n)]
    ids = [f"{300 + i:04d}" for i in range(n)]
    return ids, truth, sample


_TEXT_MAKERS = {
    "sentence": _sentences,
    "inchi": _inchi,
    "answer_text": _answer_text,
    "tweet": _tweet,
    "gestures": _gestures,
}


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
            problem = str(err).split("): ", 1)[-1]
            raise InvalidSubmission(
                f"{len(err.rows)} malformed RLE value(s) in column {target!r}: {problem}",
                column=target, check="rle", count=len(err.rows), examples=_examples(y_pred, err.rows),
            ) from None
        if "volumes" in p:
            slice_ids = sub[comp.id_columns[0]].astype(str)
            params["slice_ids"] = slice_ids.to_numpy()
            params["volume_ids"] = slice_ids.str.split(p["volumes"]["separator"], n=1).str[0].to_numpy()
        return _score_or_invalid(comp, y_true, y_pred, shape=shapes, **params)

    @staticmethod
    def _rles(column: pd.Series, p: dict[str, Any], name: str, *, submission: bool) -> list[str]:
        token = p.get("empty_token")
        if token:
            column = column.where(column.astype(object) != token, "")
        return _fill_missing(column, p.get("missing", "empty"), name, submission=submission)

    def synthetic(self, comp, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
        p = comp.grader_params
        s = p["synthetic"]
        order = comp.metric_params.get("order", "F")
        id_col = comp.id_columns[0]
        ids, extra_cols = _mask_ids(s["ids"], rng, max(n_rows, 1))
        n = len(ids)
        h, w = int(s["height"]), int(s["width"])
        masks = _blob_masks(rng, n, h, w, empty_share=s.get("empty_share", 0.3))
        truth = [rle_encode(m, order=order) for m in masks]
        token = p.get("empty_token")
        if token:
            truth = [r or token for r in truth]
        answers = pd.DataFrame({id_col: ids, **extra_cols, p["answer_column"]: truth})
        for key in ("height", "width"):
            if isinstance(p[key], str):
                answers[p[key]] = h if key == "height" else w
        answers = answers[[c for c in s.get("answer_columns", answers.columns)]]
        base = pd.DataFrame({id_col: ids, **extra_cols})
        sample = base.assign(**{p["target"]: _sample_rles(s["sample"], rng, n)})
        for column in s.get("sample_extra_columns", []):
            sample[column] = answers[column].to_numpy()
        perfect = base.assign(**{p["target"]: truth})
        return SyntheticCase(answers=answers, sample_submission=sample, perfect_submission=perfect)


def _sizes(answers: pd.DataFrame, spec: Any, what: str) -> np.ndarray:
    if isinstance(spec, (int, np.integer)):
        return np.full(len(answers), int(spec), dtype=np.int64)
    values = pd.to_numeric(answers[spec], errors="raise").to_numpy(dtype=np.float64)
    return values.astype(np.int64)


def _mask_ids(kind: str, rng: np.random.Generator, n: int) -> tuple[list[str], dict[str, list[str]]]:
    if kind == "record_id":  # contrails: 19-digit record ids
        return [str(v) for v in sorted(set(rng.integers(10**18, 9 * 10**18, n).tolist()))], {}
    if kind.startswith("hex"):
        return _hex_ids(rng, n, int(kind[3:])), {}
    if kind == "fragment":  # vesuvius: the single test fragment
        return ["a"], {}
    if kind == "uw":  # three classes per slice, slices of two case-days
        classes = ["large_bowel", "small_bowel", "stomach"]
        n_slices = max(2, n // 3)
        ids = [f"case{c}_day{d}_slice_{s:04d}" for c, d in ((7, 0), (123, 20)) for s in range(1, n_slices // 2 + 2)]
        return [i for i in ids for _ in classes], {"class": classes * len(ids)}
    raise ValueError(f"unknown synthetic id kind {kind!r}")


def _blob_masks(rng: np.random.Generator, n: int, h: int, w: int, empty_share: float) -> np.ndarray:
    """Masks of one or two rectangles each; about ``empty_share`` of them empty (never the first)."""
    masks = np.zeros((n, h, w), dtype=bool)
    for i in range(n):
        if i > 0 and rng.random() < empty_share:
            continue
        for _ in range(int(rng.integers(1, 3))):
            # row 0 and column 0 stay empty: the fixed sample masks ("1 1", "1 1 5 1"...) live there
            r, c = int(rng.integers(1, h - 2)), int(rng.integers(1, w - 2))
            masks[i, r : r + int(rng.integers(2, max(3, h // 3))), c : c + int(rng.integers(2, max(3, w // 3)))] = True
    return masks


def _sample_rles(rule: str, rng: np.random.Generator, n: int) -> list[str]:
    if rule == "contrails":  # MLE-bench's random choice between a fixed mask and "-"
        return list(rng.choice(["1 3 10 5", "-"], n))
    return [rule] * n
