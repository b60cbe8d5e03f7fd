"""Graders for the ranking and correlation competitions.

- ``binary_columns``: one or more score columns against 0/1 answer columns of the same names, scored with
  the spec's metric (``auc``, ``auc_mean_columnwise``, ``weighted_auc`` or ``lwlrap``). ``grader_params``:
  ``targets`` (submission columns, in order), ``answer_targets`` (answers columns, default ``targets``),
  ``require_probabilities`` (MLE-bench's ``prepare_for_auroc_metric`` range check),
  ``duplicate_ids: occurrence`` (ids may repeat: the k-th occurrence pairs with the k-th in the answers).
- ``numeric_columns``: the same for continuous answers (``pearson``, ``spearman_mean_columnwise``).
- ``map_at_k_strings``: one column of space-separated ranked predictions against the answers' labels;
  ``target``, ``answer_target``, and the contract's ``id_policy`` (H&M: ``superset``, extra submission ids are dropped).
- ``jigsaw_unintended``: one prediction column against toxicity and identity columns; ``target``,
  ``identity_columns``.
- ``kendall_orderings``: AI4Code's cell orderings; ``target``.

Their synthetic material is made by :mod:`competitions.synthetic.ranking`.

>>> import competitions
>>> from competitions.graders import get_grader
>>> comp = competitions.get("aerial-cactus-identification")
>>> answers = pd.DataFrame({"id": ["a.jpg", "b.jpg", "c.jpg", "d.jpg"], "has_cactus": [0, 0, 1, 1]})
>>> submission = pd.DataFrame({"id": ["d.jpg", "c.jpg", "b.jpg", "a.jpg"], "has_cactus": [0.8, 0.35, 0.4, 0.1]})
>>> float(get_grader("binary_columns").grade(submission, answers, comp))
0.75
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from competitions.graders import (
    Grader,
    InvalidSubmission,
    align_by_id,
    ids_in,
    register_grader,
    require_columns,
    score_metric,
)

__all__ = [
    "BinaryColumns",
    "NumericColumns",
    "MapAtKStrings",
    "JigsawUnintended",
    "KendallOrderings",
    "JIGSAW_IDENTITIES",
]


# ---------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------


def _numeric(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Submission columns as a float matrix; text or NaN/inf raise InvalidSubmission."""
    out = np.empty((len(frame), len(columns)))
    for j, col in enumerate(columns):
        values = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        bad = ~np.isfinite(values)
        if bad.any():
            examples = frame[col][bad].head(3).tolist()
            raise InvalidSubmission(
                f"column {col!r} holds {int(bad.sum())} missing, non-numeric or infinite value(s) "
                f"(e.g. {examples}); write a finite number in every row",
                column=col, check="finite", count=int(bad.sum()), examples=examples,
            )
        out[:, j] = values
    return out


def _check_probabilities(frame: pd.DataFrame, values: np.ndarray, columns: list[str]) -> None:
    bad = (values < 0) | (values > 1)
    if bad.any():
        j = int(np.flatnonzero(bad.any(axis=0))[0])
        examples = frame[columns[j]][bad[:, j]].head(3).tolist()
        raise InvalidSubmission(
            f"{int(bad.sum())} value(s) outside [0, 1] (e.g. {examples} in column {columns[j]!r}); "
            "submit probabilities between 0 and 1 inclusive",
            column=columns[j], check="probability", count=int(bad.sum()), examples=examples,
        )


def _with_occurrence(frame: pd.DataFrame, ids: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Add an occurrence number per id (0 for the first row of an id, 1 for the next...) as an id column."""
    frame = frame.copy()
    frame["__occurrence__"] = frame.groupby(ids, sort=False).cumcount().astype(str)
    return frame, [*ids, "__occurrence__"]


def _align(submission: pd.DataFrame, answers: pd.DataFrame, comp: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    ids = list(comp.id_columns)
    if comp.grader_params.get("duplicate_ids") == "occurrence":
        submission, keys = _with_occurrence(submission, ids)
        answers, _ = _with_occurrence(answers, ids)
        return align_by_id(submission, answers, keys)
    return align_by_id(submission, answers, ids)


JIGSAW_IDENTITIES = [
    "male", "female", "homosexual_gay_or_lesbian", "christian", "jewish", "muslim", "black", "white",
    "psychiatric_or_mental_illness",
]


# ---------------------------------------------------------------------------------------------
# binary_columns / numeric_columns
# ---------------------------------------------------------------------------------------------


class _Columns(Grader):
    """Score columns against answer columns of the same rows, with the spec's metric."""

    def _targets(self, comp: Any) -> tuple[list[str], list[str]]:
        params = comp.grader_params
        targets = list(params["targets"])
        return targets, list(params.get("answer_targets", targets))

    def grade(self, submission: pd.DataFrame, answers: Any, comp: Any) -> float:
        targets, answer_targets = self._targets(comp)
        ids = list(comp.id_columns)
        require_columns(submission, [*ids, *targets])
        require_columns(answers, [*ids, *answer_targets], what="answers file")
        sub, ans = _align(submission[[*ids, *targets]], answers[[*ids, *answer_targets]], comp)
        y_pred = _numeric(sub, targets)
        if comp.grader_params.get("require_probabilities"):
            _check_probabilities(sub, y_pred, targets)
        y_true = ans[answer_targets].to_numpy(dtype=np.float64, na_value=np.nan)
        if len(targets) == 1 and comp.metric in ("auc", "weighted_auc", "pearson"):
            y_true, y_pred = y_true[:, 0], y_pred[:, 0]
        return score_metric(comp, y_true, y_pred, column=targets[0] if len(targets) == 1 else ",".join(targets[:3]))


@register_grader
class BinaryColumns(_Columns):
    """Score columns against 0/1 answers: AUC, mean column-wise AUC, weighted AUC or LWLRAP."""

    name = "binary_columns"


@register_grader
class NumericColumns(_Columns):
    """Prediction columns against continuous answers: Pearson or mean column-wise Spearman."""

    name = "numeric_columns"


# ---------------------------------------------------------------------------------------------
# map_at_k_strings
# ---------------------------------------------------------------------------------------------


def _as_text(values: pd.Series) -> list[str]:
    """Values as text the way MLE-bench's ``astype(str)`` writes them (NaN becomes 'nan')."""
    return values.astype(object).where(values.notna(), "nan").astype(str).tolist()


@register_grader
class MapAtKStrings(Grader):
    """A column of space-separated ranked predictions against the answers' labels, by MAP@k."""

    name = "map_at_k_strings"

    def grade(self, submission: pd.DataFrame, answers: Any, comp: Any) -> float:
        params = comp.grader_params
        target = params["target"]
        answer_target = params.get("answer_target", target)
        ids = list(comp.id_columns)
        require_columns(submission, [*ids, target])
        require_columns(answers, [*ids, answer_target], what="answers file")
        submission = submission[[*ids, target]]
        if params.get("id_policy") == "superset":
            submission = self._restrict(submission, answers, ids)
        sub, ans = align_by_id(submission, answers[[*ids, answer_target]], ids)
        return score_metric(comp, _as_text(ans[answer_target]), _as_text(sub[target]), column=target)

    @staticmethod
    def _restrict(submission: pd.DataFrame, answers: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
        """Keep the submission rows whose id is in the answers (H&M scores buyers only)."""
        return submission[ids_in(submission, answers, ids)]


# ---------------------------------------------------------------------------------------------
# jigsaw_unintended
# ---------------------------------------------------------------------------------------------


@register_grader
class JigsawUnintended(Grader):
    """Jigsaw Unintended Bias: one prediction column against toxicity and identity columns."""

    name = "jigsaw_unintended"

    def grade(self, submission: pd.DataFrame, answers: Any, comp: Any) -> float:
        params = comp.grader_params
        target = params.get("target", "prediction")
        identities = list(params.get("identity_columns", JIGSAW_IDENTITIES))
        ids = list(comp.id_columns)
        require_columns(submission, [*ids, target])
        require_columns(answers, [*ids, "toxicity", *identities], what="answers file")
        sub, ans = align_by_id(submission[[*ids, target]], answers[[*ids, "toxicity", *identities]], ids)
        y_pred = _numeric(sub, [target])[:, 0]
        y_true = ans["toxicity"].to_numpy(dtype=np.float64, na_value=np.nan)
        groups = {name: ans[name].to_numpy(dtype=np.float64, na_value=np.nan) for name in identities}
        return score_metric(comp, y_true, y_pred, column=target, subgroups=groups)


# ---------------------------------------------------------------------------------------------
# kendall_orderings (AI4Code)
# ---------------------------------------------------------------------------------------------


@register_grader
class KendallOrderings(Grader):
    """AI4Code: each notebook's predicted cell order against the true one, by pooled Kendall tau."""

    name = "kendall_orderings"

    def grade(self, submission: pd.DataFrame, answers: Any, comp: Any) -> float:
        target = comp.grader_params.get("target", "cell_order")
        ids = list(comp.id_columns)
        require_columns(submission, [*ids, target])
        require_columns(answers, [*ids, target], what="answers file")
        sub, ans = align_by_id(submission[[*ids, target]], answers[[*ids, target]], ids)
        truth = [s.split() for s in _as_text(ans[target])]
        pred = [s.split() for s in _as_text(sub[target])]
        t_len = np.fromiter(map(len, truth), dtype=np.int64, count=len(truth))
        p_len = np.fromiter(map(len, pred), dtype=np.int64, count=len(pred))
        wrong = t_len != p_len
        if wrong.any():
            examples = sub[ids[0]][wrong].head(3).tolist()
            raise InvalidSubmission(
                f"{int(wrong.sum())} notebook(s) list a different number of cells than the notebook has "
                f"(e.g. ids {examples}); list every cell id of each notebook exactly once",
                column=target, check="cell_count", count=int(wrong.sum()), examples=examples,
            )
        return score_metric(comp, truth, pred, column=target)
