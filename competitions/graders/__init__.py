"""Graders: how a competition turns a (validated) submission and its answers into metric inputs.

A grader is a small class registered by name; a spec names its grader and gives it ``grader_params``.
Competitions that fit a generic rule share a grader (data, not code); a grader of its own exists only
where no generic rule fits. Each grader can also make a synthetic case (answers, the sample submission
MLE-bench would write, and a perfect submission) so every competition can be tested without Kaggle data.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from schemas.submission import id_key

if TYPE_CHECKING:
    from competitions.spec import Competition

__all__ = [
    "Grader",
    "InvalidSubmission",
    "SyntheticCase",
    "register_grader",
    "get_grader",
    "grader_names",
    "align_by_id",
    "require_columns",
]


class InvalidSubmission(ValueError):
    """A submission that cannot be graded. The message names the problem and never contains answer values.

    ``column``, ``check``, ``count`` and ``examples`` (submission values only) make the structured report.
    """

    def __init__(
        self,
        message: str,
        *,
        column: str | None = None,
        check: str = "grader",
        count: int | None = None,
        examples: list[Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.column = column
        self.check = check
        self.count = count
        self.examples = list(examples or [])


@dataclass
class SyntheticCase:
    """Synthetic grading material in a competition's formats.

    ``answers`` is what ``private/`` holds (a DataFrame, or a list of dicts for JSONL answers);
    ``sample_submission`` is what MLE-bench's preparer writes to ``public/``; ``perfect_submission`` scores
    the metric's best value.
    """

    answers: pd.DataFrame | list[dict[str, Any]]
    sample_submission: pd.DataFrame
    perfect_submission: pd.DataFrame
    extra: dict[str, Any] = field(default_factory=dict)


class Grader(ABC):
    """Base class. Subclasses set ``name`` and implement :meth:`grade` and :meth:`synthetic`."""

    name: ClassVar[str] = ""

    @abstractmethod
    def grade(self, submission: pd.DataFrame, answers: Any, comp: Competition) -> float:
        """Return the unrounded score. Raise :class:`InvalidSubmission` for a submission MLE-bench rejects.

        ``submission`` has passed the competition's contract (columns present, dtypes coerced, ids unique
        and equal as a set to the sample submission's); ``answers`` is read from the private answers file
        with the id columns as strings.
        """

    @abstractmethod
    def synthetic(self, comp: Competition, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
        """Make answers, the sample submission and a perfect submission with about ``n_rows`` rows."""


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


def require_columns(frame: pd.DataFrame, columns: list[str], what: str = "submission") -> None:
    """Raise :class:`InvalidSubmission` naming the columns ``frame`` lacks (at most five) and the ones it has.

    >>> require_columns(pd.DataFrame({"id": [1]}), ["id", "p"])
    Traceback (most recent call last):
    ...
    competitions.graders.InvalidSubmission: the submission lacks column(s) ['p']; add them (columns found: ['id'])
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
    Ids are matched with one hash pass (pyarrow) over both id lists, then integer work.

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
    if len(sub_key) == len(ans_key) and pc.all(pc.equal(sub_key, ans_key)).as_py():
        return submission.reset_index(drop=True), answers.reset_index(drop=True)  # already in answers order
    n_sub = len(sub_key)
    both = pa.chunked_array([sub_key, ans_key], type=pa.string())
    codes = pc.dictionary_encode(both).combine_chunks().indices.to_numpy(zero_copy_only=False)
    sub_codes, ans_codes = codes[:n_sub], codes[n_sub:]
    n_codes = int(codes.max()) + 1 if len(codes) else 0
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
