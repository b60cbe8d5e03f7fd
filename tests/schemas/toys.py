"""Toy competitions and graders for the pipeline tests, so they do not wait on the real specs and graders.

Each toy is a spec parsed with ``parse_spec`` and a tiny grader registered under a ``toy-`` name.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from competitions.graders import Grader, InvalidSubmission, align_by_id, grader_names, register_grader
from competitions.spec import Competition, parse_spec
from competitions.synthetic import SyntheticCase, builder_names, register_synthetic, synthetic_case

BASE = {
    "category": "tabular", "split": "dev", "awards_medals": True, "answers": "private/answers.csv",
    "sample_submission": "public/sample_submission.csv", "version": "1.0.0",
    "description": "a toy competition for tests",
}


def spec(cid: str, grader: str, columns: list[dict[str, Any]], *, id_columns=("id",), lower_is_better=False,
         metric="auc", rounding="numpy", **extra: Any) -> Competition:
    data = {**BASE, "id": cid, "name": cid, "grader": grader, "metric": metric, "lower_is_better": lower_is_better,
            "id_columns": list(id_columns), "submission_columns": columns, "score_rounding": rounding, **extra}
    return parse_spec(data, source=cid)


class ToyAUC(Grader):
    """Binary AUC on column p against answers column y (scikit-learn, np.float64)."""

    name = "toy-auc"

    def grade(self, submission: pd.DataFrame, answers: Any, comp: Competition) -> float:
        sub, ans = align_by_id(submission, answers, comp.id_columns)
        return roc_auc_score(ans["y"].to_numpy(), sub["p"].to_numpy())


def auc_case(comp: Competition, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
    """Binary answers ``y``; sample ``p = 0.5``; perfect ``p = y``."""
    ids = [f"{i:05d}" for i in range(n_rows)]
    y = rng.integers(0, 2, n_rows)
    y[:2] = [0, 1]
    answers = pd.DataFrame({"id": ids, "y": y})
    sample = pd.DataFrame({"id": ids, "p": 0.5})
    perfect = pd.DataFrame({"id": ids, "p": y.astype(float)})
    return SyntheticCase(answers, sample, perfect)


class ToyExact(Grader):
    """Fraction of rows whose text column equals the answer's (for RLE, label lists, prediction strings)."""

    name = "toy-exact"

    def grade(self, submission: pd.DataFrame, answers: Any, comp: Competition) -> float:
        sub, ans = align_by_id(submission, answers, comp.id_columns)
        col = comp.submission_columns[-1].name
        return float((sub[col].astype(str).to_numpy() == ans[col].astype(str).to_numpy()).mean())


def exact_case(comp: Competition, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
    """Well-formed values of the last column's domain (RLE, prediction strings, label lists)."""
    col = comp.submission_columns[-1]
    ids = [f"r{i}" for i in range(n_rows)]
    if col.domain == "rle":
        starts = rng.integers(1, 50, n_rows)
        values = [f"{s} 3 {s + 10} 2" for s in starts]
        blank = col.empty or ""
    elif col.domain == "prediction_string":
        values = [" ".join(f"{v:.2f}" for v in rng.random(col.group_size)) for _ in range(n_rows)]
        blank = ""
    else:
        allowed = list(col.allowed)
        values = [" ".join(rng.choice(allowed, 2, replace=False)) for _ in range(n_rows)]
        blank = allowed[0]
    answers = pd.DataFrame({"id": ids, col.name: values})
    return SyntheticCase(answers, pd.DataFrame({"id": ids, col.name: blank}), answers.copy())


class ToyCrash(Grader):
    """Fails with an exception whose message holds an answer value (which must not leak)."""

    name = "toy-crash"

    def grade(self, submission: pd.DataFrame, answers: Any, comp: Competition) -> float:
        raise KeyError(f"secret answer {answers['y'].iloc[0]!r} not found")


class ToyNaN(Grader):
    """Returns NaN, as Pearson does on constant predictions."""

    name = "toy-nan"

    def grade(self, submission: pd.DataFrame, answers: Any, comp: Competition) -> float:
        return float("nan")


class ToyInvalid(Grader):
    """Rejects every submission the way a grader-specific check does."""

    name = "toy-invalid"

    def grade(self, submission: pd.DataFrame, answers: Any, comp: Competition) -> float:
        raise InvalidSubmission("rows must sum to 1 (3 rows do not)", column="p", check="row_sum", count=3)


_known, _built = set(grader_names()), set(builder_names())
for _cls, _builder in ((ToyAUC, auc_case), (ToyExact, exact_case), (ToyCrash, auc_case), (ToyNaN, auc_case),
                       (ToyInvalid, auc_case)):
    if _cls.name not in _known:
        register_grader(_cls)
    if _cls.name not in _built:
        register_synthetic(_cls.name)(_builder)

PROB = [{"name": "id"}, {"name": "p", "dtype": "float", "domain": "probability"}]
AUC = spec("toy-auc", "toy-auc", PROB)
CRASH = spec("toy-crash", "toy-crash", PROB)
NAN = spec("toy-nan", "toy-nan", PROB)
INVALID = spec("toy-invalid", "toy-invalid", PROB)
RLE = spec("toy-rle", "toy-exact", [{"name": "id"}, {"name": "EncodedPixels", "domain": "rle", "empty": "-"}])
PREDSTR = spec("toy-predstr", "toy-exact", [{"name": "id"},
                                            {"name": "PredictionString", "domain": "prediction_string",
                                             "group_size": 5, "nullable": True}])
LABELS = spec("toy-labels", "toy-exact", [{"name": "id"},
                                          {"name": "labels", "domain": "label_list",
                                           "allowed": ["cat", "dog", "owl", "fox"]}])
TOYS = [AUC, RLE, PREDSTR, LABELS]


def write_leaderboard(folder: Path, cid: str, scores: list[float]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{cid}.csv"
    pd.DataFrame({"rank": range(1, len(scores) + 1), "score": scores}).to_csv(path, index=False)
    return path


def toy_leaderboards(folder: Path) -> Path:
    """Leaderboards for every toy: 20 teams, higher is better, gold at 0.95."""
    scores = list(np.linspace(1.0, 0.5, 20))
    for comp in TOYS + [CRASH, NAN, INVALID]:
        write_leaderboard(folder, comp.id, scores)
    return folder


@lru_cache(maxsize=None)
def real_case(cid: str, n_rows: int = 30):
    """The (cached) synthetic case of a catalogue competition: (spec, SyntheticCase)."""
    import competitions

    comp = competitions.get(cid)
    return comp, synthetic_case(comp, n_rows, np.random.default_rng(0))
