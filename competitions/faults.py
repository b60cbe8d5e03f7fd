"""Whose fault a grading error is: the submission's (the agent's: an invalid submission) or the host's (the
answers, the spec or the grader: a host error, counted apart and never held against the agent).

The one rule, :func:`fault_of`: an :class:`InvalidSubmission` is the submission's fault; a
``metrics.MetricInputError`` is the submission's fault when the argument it names came from the submission
(``y_pred``, and whatever else the grader lists as ``submitted``), and the host's otherwise (``y_true`` are
the answers, keyword parameters come from the spec or the grader); any other exception is a grader failure,
the host's. No decision reads an error's message.

>>> import metrics
>>> fault_of(InvalidSubmission("3 rows do not sum to 1"))
'submission'
>>> fault_of(metrics.MetricInputError("auc: y_score holds NaN", argument="y_score"))
'submission'
>>> fault_of(metrics.MetricInputError("auc: y_true holds only one class", argument="y_true"))
'host'
>>> fault_of(metrics.MetricInputError("osic: confidence holds NaN", argument="confidence"), submitted=("y_pred", "confidence"))
'submission'
>>> fault_of(KeyError("target"))
'host'
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Literal

from metrics import MetricInputError

__all__ = ["SUBMISSION", "HOST", "Fault", "InvalidSubmission", "fault_of"]

SUBMISSION: Literal["submission"] = "submission"
HOST: Literal["host"] = "host"
Fault = Literal["submission", "host"]


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


def fault_of(err: BaseException, submitted: Collection[str] = ("y_pred",)) -> Fault:
    """``"submission"`` when ``err`` is the submission's fault, else ``"host"`` (see the module's rule).

    ``submitted`` names the metric arguments the grader built from the submission (``y_pred`` always is).
    """
    if isinstance(err, InvalidSubmission):
        return SUBMISSION
    if isinstance(err, MetricInputError) and err.argument is not None and (
        err.argument == "y_pred" or err.argument in submitted
    ):
        return SUBMISSION
    return HOST
