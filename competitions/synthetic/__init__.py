"""Synthetic grading material: for any competition, answers, the sample submission MLE-bench's preparer would
write, and a perfect submission, in the competition's own formats, so that every grader can be tested without
Kaggle data. Graders only grade; the builders live here, one function per grader name, registered with
:func:`register_synthetic` (the modules of this package mirror ``competitions.graders``).

>>> import numpy as np, competitions
>>> case = synthetic_case(competitions.get("aerial-cactus-identification"), 10, np.random.default_rng(0))
>>> sorted(case.sample_submission.columns), len(case.perfect_submission)
(['has_cactus', 'id'], 10)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

__all__ = ["SyntheticCase", "Builder", "register_synthetic", "synthetic_case", "builder_names"]


@dataclass
class SyntheticCase:
    """Synthetic grading material in a competition's formats.

    ``answers`` is what ``private/`` holds (a DataFrame, or a list of dicts for JSONL answers);
    ``sample_submission`` is what MLE-bench's preparer writes to ``public/``; ``perfect_submission`` scores
    the metric's best value; ``extra`` holds builder-specific facts (an expected sample score, notes).
    """

    answers: pd.DataFrame | list[dict[str, Any]]
    sample_submission: pd.DataFrame
    perfect_submission: pd.DataFrame
    extra: dict[str, Any] = field(default_factory=dict)


#: ``builder(comp, n_rows, rng) -> SyntheticCase`` with about ``n_rows`` rows
Builder = Callable[[Any, int, np.random.Generator], SyntheticCase]

_BUILDERS: dict[str, Builder] = {}


def register_synthetic(grader: str) -> Callable[[Builder], Builder]:
    """Decorator: register ``fn`` as the builder of the competitions graded by ``grader``."""

    def decorate(fn: Builder) -> Builder:
        if grader in _BUILDERS:
            raise RuntimeError(f"synthetic builder for grader {grader!r} registered twice")
        _BUILDERS[grader] = fn
        return fn

    return decorate


def _load_all() -> None:
    # Importing the family modules registers their builders.
    from competitions.synthetic import (  # noqa: F401
        classification,
        detection,
        probabilistic_regression,
        ranking,
        text_segmentation,
    )


def builder_names() -> list[str]:
    """The grader names that have a synthetic builder, sorted.

    >>> "label_column" in builder_names()
    True
    """
    _load_all()
    return sorted(_BUILDERS)


def synthetic_case(comp: Any, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
    """The synthetic case of ``comp`` (its spec), made by the builder of ``comp.grader``, about ``n_rows``
    rows, drawn from ``rng``. ``KeyError`` when the grader has no builder."""
    _load_all()
    try:
        build = _BUILDERS[comp.grader]
    except KeyError:
        raise KeyError(f"no synthetic builder for grader {comp.grader!r} (competition {comp.id!r}); "
                       f"known: {', '.join(sorted(_BUILDERS))}") from None
    return build(comp, n_rows, rng)


