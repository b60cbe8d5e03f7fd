"""Graders for the competitions scored with probabilistic metrics (log losses, KL) and regression metrics.

Generic graders, driven by ``grader_params``:

- ``onehot_logloss``: class-probability columns against one-hot answers (dog-breed, leaf, spooky, lmsys).
- ``binary_logloss``: one probability column against 0/1 answers (dogs-vs-cats, statoil).
- ``regression_columns``: numeric target columns against the same answer columns, with an optional row mask,
  group column, value range and integer rounding (rmse, mae, rmsle, mcrmse, log-MAE, angular and haversine).

Graders of their own, where no generic rule fits: ``hms_kl`` (repeated ``eeg_id`` rows, vote normalisation),
``osic_laplace`` (last three measured weeks per patient, subset submissions) and ``rsna_cervical``
(per-study weighted multi-label log loss).

Rows are always paired by id (never by position). Each grader re-checks what MLE-bench's grader checks and
raises :class:`InvalidSubmission` with submission values only. Their synthetic material is made by
:mod:`competitions.synthetic.probabilistic_regression`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from competitions.graders import (
    Grader,
    InvalidSubmission,
    align_by_id,
    raise_first,
    register_grader,
    require_contract,
    score_metric,
)
from schemas.submission import row_sum_error, row_sum_groups

__all__ = [
    "OneHotLogLoss",
    "BinaryLogLoss",
    "RegressionColumns",
    "HmsKL",
    "OsicLaplace",
    "RsnaCervical",
    "value_columns",
]

def value_columns(comp) -> list[str]:
    """The submission's non-id columns, in the spec's order.

    >>> import competitions
    >>> value_columns(competitions.get("spooky-author-identification"))
    ['EAP', 'HPL', 'MWS']
    """
    return [c for c in comp.column_names if c not in comp.id_columns]


def _numeric(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """The columns as a float64 matrix; text raises InvalidSubmission."""
    block = frame[columns]
    if all(pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t) for t in block.dtypes):
        return block.to_numpy(dtype=np.float64, na_value=np.nan)
    out = np.empty((len(frame), len(columns)), dtype=np.float64)
    for j, col in enumerate(columns):  # slow path, only when some column is not numeric
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = values.isna() & frame[col].notna()
        if bad.any():
            examples = frame[col][bad].head(3).tolist()
            raise InvalidSubmission(
                f"column {col!r} holds {int(bad.sum())} value(s) that are not numbers (e.g. {examples}); "
                "write numbers only",
                column=col, check="dtype", count=int(bad.sum()), examples=examples,
            )
        out[:, j] = values.to_numpy(dtype=np.float64, na_value=np.nan)
    return out


def _require_finite(values: np.ndarray, columns: list[str], frame: pd.DataFrame) -> None:
    bad = ~np.isfinite(values)
    if bad.any():
        j = int(np.flatnonzero(bad.any(axis=0))[0])
        count = int(bad.sum())
        raise InvalidSubmission(
            f"column {columns[j]!r} holds {count} missing or infinite value(s); predict a finite number for every row",
            column=columns[j], check="finite", count=count, examples=frame[columns[j]][bad[:, j]].head(3).tolist(),
        )


def _require_range(values: np.ndarray, columns: list[str], frame: pd.DataFrame, lo: float, hi: float) -> None:
    """Every value in [lo, hi]; NaN fails, as pandas comparisons do in MLE-bench's checks."""
    bad = ~((values >= lo) & (values <= hi))
    if bad.any():
        j = int(np.flatnonzero(bad.any(axis=0))[0])
        count = int(bad.sum())
        raise InvalidSubmission(
            f"{count} value(s) outside [{lo:g}, {hi:g}] (or missing) in column {columns[j]!r}; "
            f"predict values in [{lo:g}, {hi:g}]",
            column=columns[j], check="range", count=count, examples=frame[columns[j]][bad[:, j]].head(3).tolist(),
        )


def _check_row_sums(frame: pd.DataFrame, comp) -> None:
    """Each group of columns the spec declares with a ``row_sum`` rule sums to 1 per row (the contract's check)."""
    raise_first([row_sum_error(_numeric(frame, cols), cols, rule) for rule, cols in row_sum_groups(comp).items()])


# ---------------------------------------------------------------------------------------------
# Generic graders
# ---------------------------------------------------------------------------------------------


@register_grader
class OneHotLogLoss(Grader):
    """Class-probability columns against one-hot answers: multiclass log loss.

    The classes are the spec's non-id submission columns, in order, whose ``row_sum`` declares MLE-bench's
    rule for their sum; the answers hold the same columns one-hot (extra answer columns are ignored).
    """

    name = "onehot_logloss"

    def grade(self, submission: pd.DataFrame, answers: pd.DataFrame, comp) -> float:
        classes = value_columns(comp)
        probs = _numeric(submission, classes)
        _require_range(probs, classes, submission, 0.0, 1.0)
        _check_row_sums(submission, comp)
        sub, ans = align_by_id(submission, answers, comp.id_columns)
        onehot = ans[classes].to_numpy(dtype=np.float64)
        return score_metric(comp, onehot, _numeric(sub, classes))


@register_grader
class BinaryLogLoss(Grader):
    """One probability column against 0/1 answers: binary log loss. ``grader_params``: ``target``."""

    name = "binary_logloss"

    def grade(self, submission: pd.DataFrame, answers: pd.DataFrame, comp) -> float:
        target = comp.grader_params["target"]
        probs = _numeric(submission, [target])
        _require_range(probs, [target], submission, 0.0, 1.0)
        sub, ans = align_by_id(submission, answers, comp.id_columns)
        return score_metric(comp, ans[target].to_numpy(dtype=np.float64), _numeric(sub, [target])[:, 0])


def _mask(answers: pd.DataFrame, spec: dict[str, Any]) -> np.ndarray:
    """Boolean mask of answer rows whose ``spec['column']`` equals ``spec['equals']``."""
    column, wanted = spec["column"], spec["equals"]
    values = answers[column]
    if isinstance(wanted, bool) and values.dtype != bool:
        return values.astype(str).str.strip().str.lower().eq(str(wanted).lower()).to_numpy()
    return (values == wanted).to_numpy()


@register_grader
class RegressionColumns(Grader):
    """Numeric target columns against the same answer columns, scored by the spec's metric.

    ``grader_params``:

    - ``targets``: the scored columns (one column gives 1-D inputs, several a matrix in this order);
    - ``mask``: ``{column, equals}``, score only answer rows where the answer column equals the value
      (ventilator ``u_out == 0``, stanford ``keep == True``);
    - ``group_column``: an answers column passed to the metric as ``groups`` (champs ``type``, smartphone
      ``tripId``);
    - the columns' ``min`` / ``max`` in the spec: bounds every prediction must lie in (petfinder 1..100,
      latitudes -90..90), the contract's check;
    - ``nonnegative``: reject negative predictions (RMSLE, as scikit-learn 1.5 does);
    - ``round_to_int``: return ``int(round(score))`` (predict-volcanic).
    """

    name = "regression_columns"

    def grade(self, submission: pd.DataFrame, answers: pd.DataFrame, comp) -> float:
        params = comp.grader_params
        targets = list(params["targets"])
        values = _numeric(submission, targets)
        _require_finite(values, targets, submission)
        require_contract(comp, submission, targets)
        if params.get("nonnegative") and (values < 0).any():
            bad = values < 0
            j = int(np.flatnonzero(bad.any(axis=0))[0])
            raise InvalidSubmission(
                f"{int(bad.sum())} negative prediction(s) in column {targets[j]!r}; this metric (RMSLE) needs "
                "values >= 0: clip predictions at 0",
                column=targets[j], check="nonnegative", count=int(bad.sum()),
                examples=submission[targets[j]][bad[:, j]].head(3).tolist(),
            )
        sub, ans = align_by_id(_single_key(submission, comp), _single_key(answers, comp), _key_columns(comp))
        y_pred = _numeric(sub, targets)
        y_true = ans[targets].to_numpy(dtype=np.float64)
        extra: dict[str, Any] = {}
        if "group_column" in params:
            extra["groups"] = ans[params["group_column"]].astype(str).to_numpy()
        if "mask" in params:
            keep = _mask(ans, params["mask"])
            y_true, y_pred = y_true[keep], y_pred[keep]
            if "groups" in extra:
                extra["groups"] = extra["groups"][keep]
        if len(targets) == 1:
            y_true, y_pred = y_true[:, 0], y_pred[:, 0]
        result = score_metric(comp, y_true, y_pred, **extra)
        if params.get("round_to_int"):
            return float(int(round(result)))
        return result


def _key_columns(comp) -> tuple[str, ...]:
    return comp.id_columns if len(comp.id_columns) == 1 else ("__key__",)


def _single_key(frame: pd.DataFrame, comp) -> pd.DataFrame:
    """Join a composite id into one string column, vectorised (``align_by_id`` then compares one column)."""
    if len(comp.id_columns) == 1:
        return frame
    key = frame[comp.id_columns[0]].astype(str)
    for col in comp.id_columns[1:]:
        key = key + "\x1f" + frame[col].astype(str)
    return frame.assign(__key__=key.to_numpy())


# ---------------------------------------------------------------------------------------------
# Competition-specific graders
# ---------------------------------------------------------------------------------------------


def _with_occurrence(frame: pd.DataFrame, id_col: str) -> pd.DataFrame:
    """Add ``__key__`` = id + its occurrence number, so repeated ids pair k-th with k-th in file order."""
    ids = frame[id_col].astype(str)
    occurrence = ids.groupby(ids, sort=False).cumcount().astype(str)
    return frame.assign(__key__=(ids + "\x1f" + occurrence).to_numpy())


@register_grader
class HmsKL(Grader):
    """HMS brain activity: KL divergence of the six vote columns against the normalised expert votes.

    ``eeg_id`` repeats (several labelled windows per EEG, and the public test gives no offsets); the k-th
    submission row of an ``eeg_id`` is paired with its k-th answer row in file order. ``grader_params``:
    ``targets`` (the vote columns).
    """

    name = "hms_kl"

    def grade(self, submission: pd.DataFrame, answers: pd.DataFrame, comp) -> float:
        targets = list(comp.grader_params["targets"])
        id_col = comp.id_columns[0]
        # Kaggle's verify_valid_probabilities runs over every non-id column of the submission.
        prob_cols = [c for c in submission.columns if c != id_col]
        probs = _numeric(submission, prob_cols)
        _check_row_sums(submission, comp)
        _require_range(probs, prob_cols, submission, 0.0, 1.0)
        sums = probs.sum(axis=1)
        if not np.allclose(sums, 1.0):
            raise InvalidSubmission(
                "the probability columns of some rows do not add to 1 (Kaggle's check covers every non-id "
                "column); submit only the id and the six vote columns",
                check="row_sum", count=int((~np.isclose(sums, 1.0)).sum()),
            )
        n_sub, n_ans = len(submission), len(answers)
        if n_sub != n_ans:
            raise InvalidSubmission(
                f"the submission has {n_sub} rows but {n_ans} are expected (one per row of the sample submission)",
                check="row_count", count=abs(n_sub - n_ans),
            )
        sub, ans = align_by_id(_with_occurrence(submission, id_col), _with_occurrence(answers, id_col), ["__key__"])
        return score_metric(comp, ans[targets].to_numpy(dtype=np.float64), _numeric(sub, targets))


@register_grader
class OsicLaplace(Grader):
    """OSIC pulmonary fibrosis: Laplace log-likelihood on each patient's last three measured weeks.

    Answer rows without an FVC (the week grid's filler rows) are dropped; per patient the three latest
    remaining weeks are scored. As in MLE-bench v1, a submission may hold a subset of the ids: it is scored
    on the scored rows it contains; ids outside the answers are rejected. A missing Confidence counts as 0
    (so sigma = 70).
    """

    name = "osic_laplace"

    def grade(self, submission: pd.DataFrame, answers: pd.DataFrame, comp) -> float:
        id_col = comp.id_columns[0]
        fvc = _numeric(submission, ["FVC"])
        _require_finite(fvc, ["FVC"], submission)
        confidence = _numeric(submission, ["Confidence"])[:, 0]
        confidence = np.where(np.isnan(confidence), 0.0, confidence)
        if np.isinf(confidence).any():
            raise InvalidSubmission("column 'Confidence' holds infinite values; predict a finite number",
                                    column="Confidence", check="finite", count=int(np.isinf(confidence).sum()))
        sub_ids = submission[id_col].astype(str)
        if sub_ids.duplicated().any():
            dup = sub_ids[sub_ids.duplicated()]
            raise InvalidSubmission(f"{len(dup)} duplicated id(s), e.g. {dup.head(3).tolist()}; submit each once",
                                    column=id_col, check="ids_unique", count=len(dup), examples=dup.head(3).tolist())
        ans_ids = pd.Index(answers[id_col].astype(str))
        unknown = ~pd.Index(sub_ids).isin(ans_ids)
        if unknown.any():
            examples = sub_ids[unknown].head(3).tolist()
            raise InvalidSubmission(
                f"{int(unknown.sum())} id(s) do not exist in the test set (e.g. {examples}); "
                "use the ids of the sample submission",
                column=id_col, check="ids_known", count=int(unknown.sum()), examples=examples,
            )
        scored = _osic_scored_rows(answers, id_col)
        position = pd.Index(sub_ids).get_indexer(pd.Index(scored[id_col].astype(str)))
        present = position >= 0
        if not present.any():
            raise InvalidSubmission(
                "the submission holds none of the scored rows (each patient's last three measured weeks); "
                "submit every id of the sample submission",
                column=id_col, check="ids_match", count=0,
            )
        pos = position[present]
        y_true = scored["FVC"].to_numpy(dtype=np.float64)[present]
        return score_metric(comp, y_true, fvc[pos, 0], submitted=("y_pred", "confidence"),
                            confidence=confidence[pos])


def _osic_scored_rows(answers: pd.DataFrame, id_col: str) -> pd.DataFrame:
    """Answer rows with an FVC, keeping each patient's three latest weeks (week parsed from the id)."""
    measured = answers[pd.to_numeric(answers["FVC"], errors="coerce").notna()].copy()
    week = pd.to_numeric(measured[id_col].astype(str).str.rsplit("_", n=1).str[-1])
    patient = measured[id_col].astype(str).str.rsplit("_", n=1).str[0]
    measured = measured.assign(__week__=week.to_numpy(), __patient__=patient.to_numpy())
    measured = measured.sort_values(["__patient__", "__week__"], kind="stable")
    from_end = measured.groupby("__patient__", sort=False).cumcount(ascending=False)
    return measured[from_end.to_numpy() < 3].reset_index(drop=True)


@register_grader
class RsnaCervical(Grader):
    """RSNA 2022 cervical spine: weighted multi-label log loss per study, averaged over studies.

    ``grader_params``: ``target`` (the probability column), ``study_column`` and ``type_column`` (answers
    columns), ``positive_weights`` / ``negative_weights``: a weight per prediction type with a ``default``.
    """

    name = "rsna_cervical"

    def grade(self, submission: pd.DataFrame, answers: pd.DataFrame, comp) -> float:
        params = comp.grader_params
        target = params["target"]
        probs = _numeric(submission, [target])
        _require_range(probs, [target], submission, 0.0, 1.0)
        sub, ans = align_by_id(submission, answers, comp.id_columns)
        types = ans[params["type_column"]].astype(str)
        pos = _type_weights(types, params["positive_weights"])
        neg = _type_weights(types, params["negative_weights"])
        return score_metric(
            comp,
            ans[target].to_numpy(dtype=np.float64),
            _numeric(sub, [target])[:, 0],
            groups=ans[params["study_column"]].astype(str).to_numpy(),
            positive_weights=pos,
            negative_weights=neg,
        )


def _type_weights(types: pd.Series, table: dict[str, float]) -> np.ndarray:
    default = float(table["default"])
    specific = {k: float(v) for k, v in table.items() if k != "default"}
    return types.map(specific).fillna(default).to_numpy(dtype=np.float64)
