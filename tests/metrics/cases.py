"""Random-input cases for the shared metric property suite (``test_common.py``).

Each family's test module ``cases_<family>.py`` exposes ``CASES: list[Case]``, one per metric (more are welcome
for metrics with several input forms). A case makes a random problem of ``n`` rows:
``(y_true, y_perfect, y_worse, params)``: ``y_perfect`` must score the metric's best value (or ``perfect_value``
when clipping keeps it off the bound) and ``y_worse`` must score strictly worse than ``y_perfect``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

Problem = tuple[Any, Any, Any, dict[str, Any]]


@dataclass
class Case:
    metric: str
    make: Callable[[np.random.Generator, int], Problem]
    #: value a perfect prediction scores when it is not the metric's bound (e.g. log loss after clipping)
    perfect_value: float | None = None
    #: reorder rows jointly; default: take rows of y_true, y_pred and of every params array with n rows
    permute: Callable[[Any, Any, dict[str, Any], np.ndarray], tuple[Any, Any, dict[str, Any]]] | None = None
    #: an equivalent encoding of the same problem (ints as floats, labels as strings...) scoring the same
    dtype_variant: Callable[[Any, Any, dict[str, Any]], tuple[Any, Any, dict[str, Any]]] | None = None
    #: smallest n the case supports
    min_rows: int = 4
    #: False when the metric is not row-order invariant by definition (say why in a comment)
    order_invariant: bool = True

    def __str__(self) -> str:
        return self.metric


def take_rows(values: Any, perm: np.ndarray) -> Any:
    """Rows of an array or a list in the order ``perm``."""
    if isinstance(values, np.ndarray):
        return values[perm]
    if isinstance(values, (list, tuple)):
        return [values[i] for i in perm]
    return np.asarray(values)[perm]


def default_permute(y_true: Any, y_pred: Any, params: dict[str, Any], perm: np.ndarray):
    n = len(perm)
    new_params = {
        k: take_rows(v, perm) if isinstance(v, (np.ndarray, list)) and len(v) == n else v
        for k, v in params.items()
    }
    return take_rows(y_true, perm), take_rows(y_pred, perm), new_params
