"""Graders: how a competition turns a (validated) submission and its answers into metric inputs.

A grader is a small class registered by name; a spec names its grader and gives it ``grader_params``.
Competitions that fit a generic rule share a grader (data, not code); a grader of its own exists only
where no generic rule fits. Graders only grade: the synthetic material each competition is tested with is
made by :mod:`competitions.synthetic`. Metric errors go through :func:`score_metric`, which decides by
:func:`competitions.faults.fault_of` whether they are the submission's (an :class:`InvalidSubmission`) or
the host's (re-raised, and reported as a host error by grading).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

import metrics
from competitions.faults import SUBMISSION, InvalidSubmission, fault_of
from schemas.ids import SubmissionIds, hash_key, joint_codes, positions_in
from schemas.report import ValidationError
from schemas.submission import id_key, value_errors

if TYPE_CHECKING:
    from competitions.spec import Competition

__all__ = [
    "Grader",
    "InvalidSubmission",
    "register_grader",
    "get_grader",
    "grader_names",
    "align_by_id",
    "order_like_answers",
    "ids_in",
    "require_columns",
    "score_metric",
    "raise_first",
    "require_contract",
]


class Grader(ABC):
    """Base class. Subclasses set ``name`` and implement :meth:`grade`."""

    name: ClassVar[str] = ""
    #: True when the score depends on the submission's own row order (then grading never reorders it)
    keeps_submission_order: ClassVar[bool] = False

    @abstractmethod
    def grade(self, submission: pd.DataFrame, answers: Any, comp: Competition) -> float:
        """Return the unrounded score. Raise :class:`InvalidSubmission` for a submission MLE-bench rejects.

        ``submission`` has passed the competition's contract (columns present, dtypes coerced, ids unique
        and equal as a set to the sample submission's); ``answers`` is read from the private answers file
        with the id columns as strings.
        """


_GRADERS: dict[str, Grader] = {}


def register_grader(cls: type[Grader]) -> type[Grader]:
    """Class decorator: register one instance of ``cls`` under ``cls.name``."""
    if not cls.name:
        raise RuntimeError(f"{cls.__name__} has no name")
    if cls.name in _GRADERS:
        raise RuntimeError(f"grader {cls.name!r} registered twice")
    _GRADERS[cls.name] = cls()
    return cls


def get_grader(name: str) -> Grader:
    """The grader registered as ``name``."""
    _load_all()
    try:
        return _GRADERS[name]
    except KeyError:
        raise KeyError(f"unknown grader {name!r}; known: {', '.join(sorted(_GRADERS))}") from None


def grader_names() -> list[str]:
    """Every registered grader name."""
    _load_all()
    return sorted(_GRADERS)


def _load_all() -> None:
    # Importing the group modules registers their graders.
    from competitions.graders import (  # noqa: F401
        classification,
        detection,
        probabilistic_regression,
        ranking,
        text_segmentation,
    )


def score_metric(
    comp: Competition,
    y_true: Any,
    y_pred: Any,
    *,
    column: str | None = None,
    submitted: Collection[str] = ("y_pred",),
    **extra: Any,
) -> float:
    """The spec's metric with its ``metric_params`` (and the grader's ``extra`` arguments, which win).

    A ``MetricInputError`` that is the submission's fault (``fault_of(err, submitted)``: its argument is
    ``y_pred`` or one of ``submitted``) becomes :class:`InvalidSubmission` naming ``column``; any other error
    is the host's (the answers, the spec, the grader) and propagates unchanged, never shown to the agent.

    >>> import competitions
    >>> comp = competitions.get("aerial-cactus-identification")
    >>> score_metric(comp, [0, 1, 1], [0.2, 0.9, 0.8])
    1.0
    >>> score_metric(comp, [0, 1, 1], [0.2, float("nan"), 0.8], column="has_cactus")
    Traceback (most recent call last):
    ...
    competitions.faults.InvalidSubmission: column 'has_cactus' cannot be scored: auc: y_score holds 1 NaN value(s) (first at row 1); fill or drop them before scoring
    """
    try:
        return metrics.score(comp.metric, y_true, y_pred, **{**comp.metric_params, **extra})
    except metrics.MetricInputError as err:
        if fault_of(err, submitted) != SUBMISSION:
            raise
        where = f"column {column!r}" if column else "the submission"
        raise InvalidSubmission(f"{where} cannot be scored: {err}", column=column, check="metric") from None


def raise_first(errors: list[ValidationError | None]) -> None:
    """Raise the first of the contract's ``errors`` (Nones skipped) as :class:`InvalidSubmission`, with its
    message, column, check, count and examples: a grader re-checking what the contract checks says the same.

    >>> raise_first([None])
    >>> raise_first([ValidationError("p", "range", 1, (7,), "p: 1 value(s) outside [0, 1], e.g. [7]")])
    Traceback (most recent call last):
    ...
    competitions.faults.InvalidSubmission: p: 1 value(s) outside [0, 1], e.g. [7]
    """
    for error in errors:
        if error is not None:
            raise InvalidSubmission(error.message, column=error.column, check=error.check, count=error.count,
                                    examples=list(error.examples))


def require_contract(comp: Competition, frame: pd.DataFrame, columns: list[str]) -> None:
    """Re-check ``columns`` of ``frame`` with the contract's value and row-sum rules (the spec's
    declarations, :func:`schemas.submission.value_errors`); the first failure raises :class:`InvalidSubmission`.

    >>> import competitions
    >>> comp = competitions.get("petfinder-pawpularity-score")
    >>> require_contract(comp, pd.DataFrame({"Id": ["a"], "Pawpularity": [150.0]}), ["Pawpularity"])
    Traceback (most recent call last):
    ...
    competitions.faults.InvalidSubmission: Pawpularity: 1 value(s) outside [1, 100], e.g. [150.0]
    """
    raise_first(value_errors(comp, frame, columns))


def require_columns(frame: pd.DataFrame, columns: list[str], what: str = "submission") -> None:
    """Raise :class:`InvalidSubmission` naming the columns ``frame`` lacks (at most five) and the ones it has.

    >>> require_columns(pd.DataFrame({"id": [1]}), ["id", "p"])
    Traceback (most recent call last):
    ...
    competitions.faults.InvalidSubmission: the submission lacks column(s) ['p']; add them (columns found: ['id'])
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidSubmission(
            f"the {what} lacks column(s) {missing[:5]}; add them (columns found: {list(frame.columns)[:10]})",
            column=",".join(missing[:5]), check="columns",
        )


def align_by_id(
    submission: pd.DataFrame, answers: pd.DataFrame, id_columns: tuple[str, ...] | list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return ``(submission, answers)`` with rows paired by id (answers order), never by position.

    Raises :class:`InvalidSubmission` when the id sets differ or an id repeats; the message counts the
    missing and unknown ids and shows unknown ones only (missing ids would reveal the answers' ids).
    Ids are matched with one vectorised hash pass (:mod:`schemas.ids`) over both id lists, then integer work;
    rows already in the answers' order (see :func:`order_like_answers`) cost one string comparison.

    >>> sub = pd.DataFrame({"id": ["b", "a"], "p": [0.2, 0.9]})
    >>> ans = pd.DataFrame({"id": ["a", "b"], "y": [1, 0]})
    >>> s, a = align_by_id(sub, ans, ["id"])
    >>> s["p"].tolist(), a["y"].tolist()
    ([0.9, 0.2], [1, 0])
    """
    cols = list(id_columns)
    for frame in (submission, answers):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise InvalidSubmission(f"missing id column(s) {missing}", column=",".join(missing), check="columns")
    sub_key, ans_key = id_key(submission, cols), id_key(answers, cols)
    if _same_ids(sub_key, ans_key):
        return submission.reset_index(drop=True), answers.reset_index(drop=True)  # already in answers order
    sub_hashed = hash_key(sub_key)
    sub_key = sub_hashed.key
    n_sub = len(sub_key)
    (sub_codes, ans_codes), n_codes = joint_codes(sub_hashed, hash_key(ans_key))
    sub_counts = np.bincount(sub_codes, minlength=n_codes)
    duplicated = sub_counts[sub_codes] > 1
    if duplicated.any():
        dup = pc.filter(sub_key, pa.array(duplicated)).to_pylist()
        examples = list(dict.fromkeys(dup))[:3]
        raise InvalidSubmission(
            f"{len(dup)} row(s) share an id with another row, e.g. {examples}; submit each id once",
            column=",".join(cols), check="ids_unique", count=len(dup), examples=examples,
        )
    in_answers = np.zeros(n_codes, dtype=bool)
    in_answers[ans_codes] = True
    unknown = ~in_answers[sub_codes]
    n_missing = int((sub_counts[ans_codes] == 0).sum())
    n_unknown = int(unknown.sum())
    if n_missing or n_unknown:
        examples = pc.filter(sub_key, pa.array(unknown)).to_pylist()[:3]
        raise InvalidSubmission(
            f"submission ids differ from the expected ids: {n_missing} missing, {n_unknown} unknown"
            + (f" (unknown e.g. {examples})" if examples else "")
            + "; submit exactly one row per id of the sample submission",
            column=",".join(cols), check="ids_match", count=n_missing + n_unknown, examples=examples,
        )
    row_of_code = np.empty(n_codes, dtype=np.int64)
    row_of_code[sub_codes] = np.arange(n_sub)
    return submission.iloc[row_of_code[ans_codes]].reset_index(drop=True), answers.reset_index(drop=True)


def _same_ids(a: pa.Array, b: pa.Array) -> bool:
    """Whether two id arrays hold the same ids in the same order (no null anywhere)."""
    return len(a) == len(b) and a.null_count == 0 and b.null_count == 0 and bool(pc.all(pc.equal(a, b)).as_py())


def ids_in(frame: pd.DataFrame, other: pd.DataFrame, id_columns: tuple[str, ...] | list[str]) -> np.ndarray:
    """Whether each row's id (``id_columns``) is also an id of ``other``, as a boolean mask.

    >>> ids_in(pd.DataFrame({"id": ["a", "b", "c"]}), pd.DataFrame({"id": ["c", "a"]}), ["id"]).tolist()
    [True, False, True]
    """
    cols = list(id_columns)
    key, other_key = id_key(frame, cols), id_key(other, cols)
    if _same_ids(key, other_key):
        return np.ones(len(frame), dtype=bool)
    (codes, other_codes), n_codes = joint_codes(hash_key(key), hash_key(other_key))
    known = np.zeros(n_codes, dtype=bool)
    known[other_codes] = True
    return known[codes]


def order_like_answers(submission: pd.DataFrame, ids: SubmissionIds | None, answers: Any,
                       comp: Competition) -> pd.DataFrame:
    """The submission's rows in the answers' order when the two pair one to one by the competition's id columns
    (each answer id once, each submission id once, the same set; under ``id_policy: superset`` the submission's
    ids the answers lack are dropped, as the graders do); otherwise the submission unchanged.

    ``ids`` are the submission's ids as the contract encoded them: when the answers list the expected ids in
    their order (the usual case) the contract's pairing is reused after one string comparison, otherwise the
    answers' ids are hashed once. A grader's :func:`align_by_id` then finds the rows in order and compares
    strings only.
    Under ``id_policy: any`` (rows paired by position), and for graders that read the submission's own row
    order (``Grader.keeps_submission_order``), nothing is reordered.

    >>> import competitions
    >>> from schemas.ids import hash_key
    >>> comp = competitions.get("aerial-cactus-identification")
    >>> sub = pd.DataFrame({"id": ["b", "a"], "has_cactus": [0.2, 0.9]})
    >>> ans = pd.DataFrame({"id": ["a", "b"], "has_cactus": [1, 0]})
    >>> order_like_answers(sub, SubmissionIds(hash_key(id_key(sub, ["id"]))), ans, comp)["id"].tolist()
    ['a', 'b']
    """
    cols = list(comp.id_columns)
    superset = comp.id_policy == "superset"
    if ids is None or comp.id_policy == "any" or get_grader(comp.grader).keeps_submission_order \
            or not isinstance(answers, pd.DataFrame) or any(c not in answers.columns for c in cols) \
            or not (len(answers) == len(ids.rows) or (superset and len(answers) < len(ids.rows))):
        return submission
    ans_key = id_key(answers, cols)
    if _same_ids(ids.rows.key, ans_key):
        return submission
    if ids.expected_rows is not None and ids.expected is not None and _same_ids(ids.expected, ans_key):
        rows = ids.expected_rows
    else:
        rows = positions_in(ids.rows, hash_key(ans_key), extra_rows=superset)
    if rows is None or (not superset and len(rows) != len(submission)):
        return submission
    return submission.take(rows).reset_index(drop=True)
