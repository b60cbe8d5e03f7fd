"""MLE-bench's ``mlebench.utils`` helpers that scripts call: ``load_answers`` and ``read_jsonl``.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "answers.csv"
>>> _ = p.write_text("PassengerId,Transported\\n0013_01,True\\n")
>>> load_answers(p)["PassengerId"].tolist()
['0013_01']
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import competitions
from competitions.batch import read_jsonl
from schemas.csvio import read_csv

__all__ = ["load_answers", "read_jsonl"]


def load_answers(path_to_answers: str | os.PathLike, competition_id: str | None = None) -> Any:
    """Answers as MLE-bench's graders take them: a DataFrame for ``.csv``, a list of dicts for ``.jsonl``.

    Given ``competition_id``, its id columns stay text (``007`` keeps its zeros, as grading reads them);
    without it, column types are inferred as MLE-bench's ``read_csv`` does.
    """
    path = Path(path_to_answers)
    if path.suffix == ".csv":
        ids = list(competitions.get(competition_id).id_columns) if competition_id else []
        return read_csv(path, string_columns=ids)
    if path.suffix == ".jsonl":
        return read_jsonl(path)
    raise ValueError(f"answers must be .csv or .jsonl, not {path.name}")
