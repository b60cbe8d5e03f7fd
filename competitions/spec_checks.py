"""Checks of a spec's references, run when the catalogue loads (in the spirit of scikit-learn's
``@validate_params``): its grader is registered, its metric exists, and every ``metric_params`` key is a
parameter of the metric's function. A typo fails at load, naming the spec file and the key, instead of at
grading time as a host error.

>>> import competitions
>>> check_references(competitions.get("spooky-author-identification"), "spooky.yaml")
>>> import dataclasses
>>> bad = dataclasses.replace(competitions.get("spooky-author-identification"), metric_params={"epsilon": 1e-15})
>>> check_references(bad, "spooky.yaml")
Traceback (most recent call last):
...
competitions.spec.SpecError: spooky.yaml: metric_params.epsilon: logloss_multiclass has no parameter 'epsilon'; its parameters are ['eps', 'labels', 'renormalize']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import metrics
from competitions.spec import SpecError
from schemas.columns import re2_error

if TYPE_CHECKING:
    from competitions.spec import Competition

__all__ = ["check_references"]


def check_references(spec: Competition, source: str) -> None:
    """Raise :class:`~competitions.spec.SpecError` (naming ``source`` and the key) unless the spec's grader is
    registered, its metric is known, its column patterns compile as pyarrow compiles them, and each of its ``metric_params`` is a parameter of that metric."""
    from competitions.graders import grader_names

    graders = grader_names()
    if spec.grader not in graders:
        raise SpecError(source, f"unknown grader {spec.grader!r}; registered graders: {', '.join(graders)}",
                        key="grader")
    try:
        metric = metrics.get(spec.metric)
    except metrics.MetricInputError:
        raise SpecError(source, f"unknown metric {spec.metric!r}; known metrics: {', '.join(metrics.names())}",
                        key="metric") from None
    for column in spec.submission_columns:
        problem = column.pattern and re2_error(column.pattern)
        if problem:
            raise SpecError(source, f"column {column.name!r} has pattern {column.pattern!r}, which pyarrow cannot "
                            f"compile: {problem}", key=f"submission_columns.{column.name}.pattern")
    known = metrics.parameters(metric.name)
    for key in spec.metric_params:
        if key not in known:
            raise SpecError(source, f"{metric.name} has no parameter {key!r}; its parameters are {sorted(known)}",
                            key=f"metric_params.{key}")
