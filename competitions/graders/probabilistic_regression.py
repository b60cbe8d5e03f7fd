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
raises :class:`InvalidSubmission` with submission values only.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pandas as pd

import metrics
from competitions.graders import Grader, InvalidSubmission, SyntheticCase, align_by_id, register_grader
from metrics import MetricInputError

__all__ = [
    "OneHotLogLoss",
    "BinaryLogLoss",
    "RegressionColumns",
    "HmsKL",
    "OsicLaplace",
    "RsnaCervical",
    "value_columns",
]

# Words in a MetricInputError message that show the problem lies in the submission's values.
_SUBMISSION_SIDE = ("y_pred", "y_prob", "confidence")


def value_columns(comp) -> list[str]:
    """The submission's non-id columns, in the spec's order.

    >>> import competitions
    >>> value_columns(competitions.get("spooky-author-identification"))
    ['EAP', 'HPL', 'MWS']
    """
    return [c for c in comp.column_names if c not in comp.id_columns]


def _score(comp, y_true: Any, y_pred: Any, **extra: Any) -> float:
    """``metrics.score`` with the spec's metric and parameters; submission-side input errors become invalid."""
    try:
        return metrics.score(comp.metric, y_true, y_pred, **comp.metric_params, **extra)
    except MetricInputError as err:
        text = str(err)
        if any(word in text.split(":", 1)[-1].split(";")[0] for word in _SUBMISSION_SIDE):
            raise InvalidSubmission(f"the submission cannot be scored: {text}", check="metric") from None
        raise


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


def _check_row_sums(values: np.ndarray, columns: list[str], frame: pd.DataFrame, rule: str, atol: float) -> None:
    """Rows of class probabilities must sum to 1 by MLE-bench's rule for the competition.

    ``isclose``: ``np.isclose(sum, 1, atol=atol)``; ``round6``: ``sum.round(6) == 1``; ``round5``:
    ``round(sum, 5) == 1``.
    """
    sums = values.sum(axis=1)
    if rule == "isclose":
        ok = np.isclose(sums, 1.0, atol=atol)
    elif rule == "round6":
        ok = np.round(sums, 6) == 1.0
    elif rule == "round5":
        ok = np.round(sums, 5) == 1.0
    else:
        raise ValueError(f"unknown row-sum rule {rule!r}")
    if not ok.all():
        count = int((~ok).sum())
        raise InvalidSubmission(
            f"{count} row(s) of probabilities do not sum to 1 (columns {columns[0]!r}..{columns[-1]!r}); "
            "divide each row by its sum",
            column=",".join(columns), check="row_sum", count=count, examples=sums[~ok][:3].tolist(),
        )


def _synthetic(comp, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
    try:
        make = _SYNTHETIC[comp.id]
    except KeyError:
        raise KeyError(f"no synthetic data builder for {comp.id!r} in {__name__}") from None
    answers, sample, perfect = make(comp, max(int(n_rows), 4), rng)
    return SyntheticCase(answers=answers, sample_submission=sample, perfect_submission=perfect)


# ---------------------------------------------------------------------------------------------
# Generic graders
# ---------------------------------------------------------------------------------------------


@register_grader
class OneHotLogLoss(Grader):
    """Class-probability columns against one-hot answers: multiclass log loss.

    ``grader_params``: ``row_sum`` ("isclose" with ``atol``, or "round6"). The classes are the spec's
    non-id submission columns, in order; the answers hold the same columns one-hot (extra answer columns are
    ignored).
    """

    name = "onehot_logloss"

    def grade(self, submission: pd.DataFrame, answers: pd.DataFrame, comp) -> float:
        classes = value_columns(comp)
        params = comp.grader_params
        probs = _numeric(submission, classes)
        _require_range(probs, classes, submission, 0.0, 1.0)
        _check_row_sums(probs, classes, submission, params.get("row_sum", "isclose"), float(params.get("atol", 1e-6)))
        sub, ans = align_by_id(submission, answers, comp.id_columns)
        onehot = ans[classes].to_numpy(dtype=np.float64)
        return _score(comp, onehot, _numeric(sub, classes))

    def synthetic(self, comp, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
        return _synthetic(comp, n_rows, rng)


@register_grader
class BinaryLogLoss(Grader):
    """One probability column against 0/1 answers: binary log loss. ``grader_params``: ``target``."""

    name = "binary_logloss"

    def grade(self, submission: pd.DataFrame, answers: pd.DataFrame, comp) -> float:
        target = comp.grader_params["target"]
        probs = _numeric(submission, [target])
        _require_range(probs, [target], submission, 0.0, 1.0)
        sub, ans = align_by_id(submission, answers, comp.id_columns)
        return _score(comp, ans[target].to_numpy(dtype=np.float64), _numeric(sub, [target])[:, 0])

    def synthetic(self, comp, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
        return _synthetic(comp, n_rows, rng)


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
    - ``value_range``: ``[lo, hi]`` every scored prediction must lie in (petfinder 1..100);
    - ``nonnegative``: reject negative predictions (RMSLE, as scikit-learn 1.5 does);
    - ``round_to_int``: return ``int(round(score))`` (predict-volcanic).
    """

    name = "regression_columns"

    def grade(self, submission: pd.DataFrame, answers: pd.DataFrame, comp) -> float:
        params = comp.grader_params
        targets = list(params["targets"])
        values = _numeric(submission, targets)
        _require_finite(values, targets, submission)
        if "value_range" in params:
            lo, hi = params["value_range"]
            _require_range(values, targets, submission, float(lo), float(hi))
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
        result = _score(comp, y_true, y_pred, **extra)
        if params.get("round_to_int"):
            return float(int(round(result)))
        return result

    def synthetic(self, comp, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
        return _synthetic(comp, n_rows, rng)


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
        _check_row_sums(_numeric(submission, targets), targets, submission, "round5", 0.0)
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
        return _score(comp, ans[targets].to_numpy(dtype=np.float64), _numeric(sub, targets))

    def synthetic(self, comp, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
        return _synthetic(comp, n_rows, rng)


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
        return _score(comp, y_true, fvc[pos, 0], confidence=confidence[pos])

    def synthetic(self, comp, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
        return _synthetic(comp, n_rows, rng)


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
        return _score(
            comp,
            ans[target].to_numpy(dtype=np.float64),
            _numeric(sub, [target])[:, 0],
            groups=ans[params["study_column"]].astype(str).to_numpy(),
            positive_weights=pos,
            negative_weights=neg,
        )

    def synthetic(self, comp, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
        return _synthetic(comp, n_rows, rng)


def _type_weights(types: pd.Series, table: dict[str, float]) -> np.ndarray:
    default = float(table["default"])
    specific = {k: float(v) for k, v in table.items() if k != "default"}
    return types.map(specific).fillna(default).to_numpy(dtype=np.float64)


# ---------------------------------------------------------------------------------------------
# Synthetic data in each competition's formats (answers, MLE-bench's sample submission, a perfect one)
# ---------------------------------------------------------------------------------------------

Builder = Callable[[Any, int, np.random.Generator], tuple[Any, pd.DataFrame, pd.DataFrame]]


def _hex_ids(rng: np.random.Generator, n: int, width: int) -> list[str]:
    """``n`` distinct random lowercase hex strings of ``width`` characters."""
    out: list[str] = []
    seen: set[str] = set()
    chunks = -(-width // 8)
    while len(out) < n:
        draws = rng.integers(0, 16**8, size=(n, chunks))
        for row in draws:  # synthetic test data only
            text = "".join(f"{v:08x}" for v in row)[:width]
            if text not in seen:
                seen.add(text)
                out.append(text)
                if len(out) == n:
                    break
    return out


def _int_ids(rng: np.random.Generator, n: int, lo: int, hi: int) -> list[str]:
    """``n`` distinct random integers in [lo, hi), as strings."""
    return [str(v) for v in rng.choice(hi - lo, size=n, replace=False) + lo]


def _onehot_case(comp, n: int, rng, ids: list[str], sample_probs: list[float] | None = None,
                 extra: dict[str, Any] | None = None):
    classes = value_columns(comp)
    k = len(classes)
    labels = rng.integers(0, k, size=n)
    labels[: min(n, k)] = rng.permutation(k)[: min(n, k)]
    onehot = np.zeros((n, k), dtype=np.int64)
    onehot[np.arange(n), labels] = 1
    id_col = comp.id_columns[0]
    answers = pd.DataFrame({id_col: ids})
    for name, values in (extra or {}).items():
        answers[name] = values
    answers = pd.concat([answers, pd.DataFrame(onehot, columns=classes)], axis=1)
    probs = np.tile(np.asarray(sample_probs if sample_probs else [1.0 / k] * k), (n, 1))
    sample = pd.concat([pd.DataFrame({id_col: ids}), pd.DataFrame(probs, columns=classes)], axis=1)
    perfect = pd.concat([pd.DataFrame({id_col: ids}), pd.DataFrame(onehot.astype(float), columns=classes)], axis=1)
    return answers, sample, perfect


def _dog_breed(comp, n, rng):
    return _onehot_case(comp, n, rng, _hex_ids(rng, n, 32))


def _leaf(comp, n, rng):
    return _onehot_case(comp, n, rng, _int_ids(rng, n, 1, 1585))


def _spooky(comp, n, rng):
    ids = [f"id{v:05d}" for v in rng.choice(np.arange(0, 28000), size=n, replace=False)]
    priors = [0.403493538995863, 0.287808366106543, 0.308698094897594]
    return _onehot_case(comp, n, rng, ids, sample_probs=priors)


def _lmsys(comp, n, rng):
    ids = _int_ids(rng, n, 30_000, 4_294_967_295)
    models = np.array(["gpt-4-1106-preview", "claude-2.1", "llama-2-70b-chat", "mixtral-8x7b-instruct-v0.1"])
    extra = {
        "model_a": models[rng.integers(0, len(models), n)],
        "model_b": models[rng.integers(0, len(models), n)],
        "prompt": ['["Say hello"]'] * n,
        "response_a": ['["Hello!"]'] * n,
        "response_b": ['["Hi there."]'] * n,
    }
    return _onehot_case(comp, n, rng, ids, extra=extra)


def _binary_case(comp, n, rng, ids):
    target = comp.grader_params["target"]
    id_col = comp.id_columns[0]
    labels = rng.integers(0, 2, size=n)
    labels[:2] = [0, 1]
    answers = pd.DataFrame({id_col: ids, target: labels})
    sample = pd.DataFrame({id_col: ids, target: 0.5})
    perfect = pd.DataFrame({id_col: ids, target: labels.astype(float)})
    return answers, sample, perfect


def _dogs_vs_cats(comp, n, rng):
    return _binary_case(comp, n, rng, [str(i) for i in range(1, n + 1)])


def _statoil(comp, n, rng):
    return _binary_case(comp, n, rng, _hex_ids(rng, n, 8))


def _regression_case(answers: pd.DataFrame, comp, sample_values: dict[str, Any]):
    """Sample = ids + constant (or given) values; perfect = ids + the answers' targets."""
    cols = value_columns(comp)
    ids = list(comp.id_columns)
    sample = answers[ids].copy()
    perfect = answers[ids].copy()
    for col in cols:
        value = sample_values[col]
        sample[col] = value if np.ndim(value) else float(value)
        perfect[col] = answers[col].astype(float).to_numpy() if col in answers else 0.0
    return answers, sample, perfect


def _denoising(comp, n, rng):
    height = 4
    n_images = min(216, max(1, n // 20))
    width = max(5, n // (n_images * height))
    images = sorted(rng.choice(np.arange(1, 217), size=n_images, replace=False).tolist(), key=str)
    img = np.repeat(images, width * height)
    row = np.tile(np.repeat(np.arange(1, height + 1), width), n_images)
    col = np.tile(np.arange(1, width + 1), height * n_images)
    ids = [f"{i}_{r}_{c}" for i, r, c in zip(img, row, col)]
    values = rng.integers(0, 256, size=len(ids)) / 255.0
    return _regression_case(pd.DataFrame({"id": ids, "value": values}), comp, {"value": 1.0})


def _nyc_taxi(comp, n, rng):
    seconds = rng.integers(0, 6 * 365 * 86400, size=n)
    times = pd.Timestamp("2009-01-01") + pd.to_timedelta(seconds, unit="s")
    stamps = times.strftime("%Y-%m-%d %H:%M:%S")
    keys = [f"{t}.{v}" for t, v in zip(stamps, rng.permutation(10 * n)[:n] + 1)]
    answers = pd.DataFrame({
        "key": keys,
        "fare_amount": np.round(rng.gamma(2.0, 5.0, size=n) + 2.5, 2),
        "pickup_datetime": [f"{t} UTC" for t in stamps],
        "pickup_longitude": np.round(-73.98 + rng.normal(0, 0.03, n), 6),
        "pickup_latitude": np.round(40.75 + rng.normal(0, 0.03, n), 6),
        "dropoff_longitude": np.round(-73.98 + rng.normal(0, 0.03, n), 6),
        "dropoff_latitude": np.round(40.75 + rng.normal(0, 0.03, n), 6),
        "passenger_count": rng.integers(1, 7, size=n),
    })
    return _regression_case(answers, comp, {"fare_amount": 11.35})


_PETFINDER_FEATURES = ["Subject Focus", "Eyes", "Face", "Near", "Action", "Accessory", "Group", "Collage",
                       "Human", "Occlusion", "Info", "Blur"]


def _petfinder(comp, n, rng):
    answers = pd.DataFrame({"Id": _hex_ids(rng, n, 32)})
    for feature in _PETFINDER_FEATURES:
        answers[feature] = rng.integers(0, 2, size=n)
    answers["Pawpularity"] = rng.integers(1, 101, size=n)
    # MLE-bench's preparer: uniform draws in [1, 100] from default_rng(0), rounded to 2 decimals.
    sample_values = np.random.default_rng(0).uniform(1, 100, n).round(2)
    return _regression_case(answers, comp, {"Pawpularity": sample_values})


def _volcanic(comp, n, rng):
    answers = pd.DataFrame({
        "segment_id": _int_ids(rng, n, 100_000_000, 2_147_483_647),
        "time_to_eruption": rng.integers(6_000, 49_000_000, size=n),
    })
    return _regression_case(answers, comp, {"time_to_eruption": 0})


def _ventilator(comp, n, rng):
    steps = 80
    n_breaths = max(1, n // steps)
    m = n_breaths * steps
    breath_ids = np.repeat(np.sort(rng.choice(np.arange(1, 125_750), size=n_breaths, replace=False)), steps)
    step = np.tile(np.arange(steps), n_breaths)
    time_step = step * 0.0335 + rng.uniform(0, 0.001, size=m)
    u_out = (step >= 30).astype(np.int64)
    answers = pd.DataFrame({
        "id": [str(i) for i in range(1, m + 1)],
        "breath_id": breath_ids,
        "R": np.repeat(rng.choice([5, 20, 50], size=n_breaths), steps),
        "C": np.repeat(rng.choice([10, 20, 50], size=n_breaths), steps),
        "time_step": time_step,
        "u_in": np.where(u_out == 0, rng.uniform(0, 100, size=m), 0.0),
        "u_out": u_out,
        "pressure": rng.uniform(-2, 65, size=m),
    })
    return _regression_case(answers, comp, {"pressure": 0})


_NOMAD_COLUMNS = ["spacegroup", "number_of_total_atoms", "percent_atom_al", "percent_atom_ga", "percent_atom_in",
                  "lattice_vector_1_ang", "lattice_vector_2_ang", "lattice_vector_3_ang",
                  "lattice_angle_alpha_degree", "lattice_angle_beta_degree", "lattice_angle_gamma_degree"]


def _nomad(comp, n, rng):
    shares = rng.dirichlet([1, 1, 1], size=n)
    answers = pd.DataFrame({"id": [str(i) for i in range(1, n + 1)]})
    answers["spacegroup"] = rng.choice([12, 33, 167, 194, 206, 227], size=n)
    answers["number_of_total_atoms"] = rng.choice([10.0, 20.0, 30.0, 40.0, 60.0, 80.0], size=n)
    answers["percent_atom_al"], answers["percent_atom_ga"], answers["percent_atom_in"] = shares.T
    for col in _NOMAD_COLUMNS[5:8]:
        answers[col] = rng.uniform(3, 25, size=n)
    for col in _NOMAD_COLUMNS[8:]:
        answers[col] = rng.uniform(85, 125, size=n)
    answers["formation_energy_ev_natom"] = rng.uniform(0, 0.66, size=n)
    answers["bandgap_energy_ev"] = rng.uniform(0, 5.3, size=n)
    return _regression_case(answers, comp, {"formation_energy_ev_natom": 0.1779, "bandgap_energy_ev": 1.8892})


_STANFORD_TARGETS = ["reactivity", "deg_Mg_pH10", "deg_pH10", "deg_Mg_50C", "deg_50C"]


def _stanford(comp, n, rng):
    seq_length, seq_scored = 107, 68
    n_seq = max(1, -(-n // seq_length))
    seqs = [f"id_{v}" for v in _hex_ids(rng, n_seq, 9)]
    pos = np.tile(np.arange(seq_length), n_seq)
    keep = pos < seq_scored
    answers = pd.DataFrame({"id_seqpos": [f"{s}_{p}" for s in seqs for p in range(seq_length)]})
    for col in _STANFORD_TARGETS:
        answers[col] = np.where(keep, np.round(rng.gamma(1.5, 0.3, size=len(pos)), 10), 0.0)
    answers["keep"] = keep
    return _regression_case(answers, comp, {c: 0.0 for c in _STANFORD_TARGETS})


_COUPLING_TYPES = ["1JHC", "1JHN", "2JHH", "2JHC", "2JHN", "3JHH", "3JHC", "3JHN"]


def _champs(comp, n, rng):
    n = max(n, len(_COUPLING_TYPES))
    types = np.array(_COUPLING_TYPES)[np.concatenate([np.arange(8), rng.integers(0, 8, size=n - 8)])]
    molecules = np.sort(rng.choice(np.arange(1, 133_886), size=max(1, n // 5), replace=False))
    answers = pd.DataFrame({
        "id": [str(v) for v in 4_000_000 + np.arange(n)],
        "molecule_name": [f"dsgdb9nsd_{m:06d}" for m in np.sort(rng.choice(molecules, size=n))],
        "atom_index_0": rng.integers(0, 29, size=n),
        "atom_index_1": rng.integers(0, 29, size=n),
        "type": types,
        "scalar_coupling_constant": np.round(rng.uniform(-40, 205, size=n), 4),
    })
    return _regression_case(answers, comp, {"scalar_coupling_constant": 0})


def _icecube(comp, n, rng):
    answers = pd.DataFrame({
        "event_id": [str(v) for v in np.sort(rng.choice(10**7, size=n, replace=False) + 1)],
        "azimuth": rng.uniform(0, 2 * np.pi, size=n),
        "zenith": np.arccos(rng.uniform(-1, 1, size=n)),
    })
    return _regression_case(answers, comp, {"azimuth": 1.0, "zenith": 1.0})


def _smartphone(comp, n, rng):
    phones = ["GooglePixel4", "GooglePixel5", "SamsungGalaxyS20Ultra", "XiaomiMi8"]
    n_trips = max(2, min(4, n // 10))
    per_trip = max(2, n // n_trips)
    frames = []
    for t in range(n_trips):  # a handful of trips
        trip = f"2021-0{t + 1}-1{t}-US-MTV-{t + 1}-{phones[t % len(phones)]}"
        start = 1_610_000_000_000 + t * 10**8
        frames.append(pd.DataFrame({
            "tripId": trip,
            "UnixTimeMillis": [str(start + 1000 * k) for k in range(per_trip)],
            "LatitudeDegrees": 37.4 + np.cumsum(rng.normal(0, 1e-4, per_trip)),
            "LongitudeDegrees": -122.1 + np.cumsum(rng.normal(0, 1e-4, per_trip)),
        }))
    answers = pd.concat(frames, ignore_index=True)
    return _regression_case(answers, comp, {"LatitudeDegrees": 37.904611315634504,
                                           "LongitudeDegrees": -86.48107806249548})


def _osic(comp, n, rng):
    n_patients = max(2, n // 20)
    weeks = np.arange(-5, 15)
    patients = [f"ID{a:011d}{b:012d}" for a, b in zip(rng.integers(10**10, 10**11, size=n_patients),
                                                       rng.choice(10**12, size=n_patients, replace=False))]
    rows = []
    for p in patients:  # a handful of patients
        measured = set(rng.choice(weeks, size=5, replace=False).tolist())
        for w in weeks:
            rows.append((p, int(w), w in measured))
    grid = pd.DataFrame(rows, columns=["Patient", "Weeks", "measured"])
    m = len(grid)
    fvc = np.where(grid["measured"], rng.integers(1500, 4000, size=m), np.nan)
    answers = pd.DataFrame({
        "Patient": grid["Patient"],
        "Weeks": grid["Weeks"],
        "FVC": fvc,
        "Percent": np.where(grid["measured"], rng.uniform(50, 110, size=m), np.nan),
        "Age": np.repeat(rng.integers(50, 85, size=n_patients), len(weeks)),
        "Sex": np.repeat(rng.choice(["Male", "Female"], size=n_patients), len(weeks)),
        "SmokingStatus": np.repeat(rng.choice(["Ex-smoker", "Never smoked", "Currently smokes"], size=n_patients),
                                   len(weeks)),
        "Patient_Week": grid["Patient"] + "_" + grid["Weeks"].astype(str),
        "Confidence": 100,
    })
    sample = pd.DataFrame({"Patient_Week": answers["Patient_Week"], "FVC": 2000.0, "Confidence": 100.0})
    perfect = pd.DataFrame({
        "Patient_Week": answers["Patient_Week"],
        "FVC": np.where(np.isnan(fvc), 2000.0, fvc),
        "Confidence": 70.0,
    })
    return answers, sample, perfect


_HMS_VOTES = ["seizure_vote", "lpd_vote", "gpd_vote", "lrda_vote", "grda_vote", "other_vote"]
_HMS_NAMES = ["Seizure", "LPD", "GPD", "LRDA", "GRDA", "Other"]


def _hms(comp, n, rng):
    n_eegs = max(2, n // 3)
    eeg_ids = rng.choice(4 * 10**9, size=n_eegs, replace=False) + 10**6
    per_eeg = rng.integers(1, 5, size=n_eegs)
    eeg = np.repeat(eeg_ids, per_eeg)
    m = len(eeg)
    votes = rng.integers(0, 4, size=(m, 6))
    votes[np.arange(m), rng.integers(0, 6, size=m)] += 1  # every row has at least one vote
    spectrogram = np.repeat(rng.integers(10**5, 2 * 10**9, size=n_eegs), per_eeg)
    answers = pd.DataFrame({
        "eeg_id": eeg.astype(str),
        "eeg_sub_id": np.concatenate([np.arange(k) for k in per_eeg]),
        "eeg_label_offset_seconds": np.concatenate([np.arange(k) * 2.0 for k in per_eeg]),
        "spectrogram_id": spectrogram,
        "spectrogram_sub_id": np.concatenate([np.arange(k) for k in per_eeg]),
        "spectrogram_label_offset_seconds": np.concatenate([np.arange(k) * 2.0 for k in per_eeg]),
        "label_id": rng.choice(4 * 10**9, size=m, replace=False) + 10**6,
        "patient_id": np.repeat(rng.integers(1, 65_000, size=n_eegs), per_eeg),
        "expert_consensus": np.array(_HMS_NAMES)[votes.argmax(axis=1)],
    })
    for j, col in enumerate(_HMS_VOTES):
        answers[col] = votes[:, j]
    sample = pd.DataFrame({"eeg_id": answers["eeg_id"]})
    perfect = pd.DataFrame({"eeg_id": answers["eeg_id"]})
    gold = votes / votes.sum(axis=1, keepdims=True)
    for j, col in enumerate(_HMS_VOTES):
        sample[col] = 1.0 / 6.0
        perfect[col] = gold[:, j]
    return answers, sample, perfect


_RSNA_TYPES = ["patient_overall", "C1", "C2", "C3", "C4", "C5", "C6", "C7"]


def _rsna(comp, n, rng):
    n_studies = max(2, n // 8)
    studies = [f"1.2.826.0.1.3680043.{v}" for v in rng.choice(np.arange(1, 32_000), size=n_studies, replace=False)]
    vertebrae = (rng.random((n_studies, 7)) < 0.15).astype(np.int64)
    overall = vertebrae.max(axis=1, keepdims=True)
    wide = np.hstack([overall, vertebrae])
    # The preparer melts the wide table: all studies for patient_overall, then all for C1, and so on.
    answers = pd.DataFrame({
        "StudyInstanceUID": np.tile(studies, len(_RSNA_TYPES)),
        "prediction_type": np.repeat(_RSNA_TYPES, n_studies),
        "fractured": wide.T.ravel(),
    })
    answers["row_id"] = answers["StudyInstanceUID"] + "_" + answers["prediction_type"]
    sample = pd.DataFrame({"row_id": answers["row_id"], "fractured": 0.5})
    perfect = pd.DataFrame({"row_id": answers["row_id"], "fractured": answers["fractured"].astype(float)})
    return answers, sample, perfect


_SYNTHETIC: dict[str, Builder] = {
    "dog-breed-identification": _dog_breed,
    "leaf-classification": _leaf,
    "spooky-author-identification": _spooky,
    "lmsys-chatbot-arena": _lmsys,
    "dogs-vs-cats-redux-kernels-edition": _dogs_vs_cats,
    "statoil-iceberg-classifier-challenge": _statoil,
    "denoising-dirty-documents": _denoising,
    "new-york-city-taxi-fare-prediction": _nyc_taxi,
    "petfinder-pawpularity-score": _petfinder,
    "predict-volcanic-eruptions-ingv-oe": _volcanic,
    "ventilator-pressure-prediction": _ventilator,
    "nomad2018-predict-transparent-conductors": _nomad,
    "stanford-covid-vaccine": _stanford,
    "champs-scalar-coupling": _champs,
    "icecube-neutrinos-in-deep-ice": _icecube,
    "smartphone-decimeter-2022": _smartphone,
    "osic-pulmonary-fibrosis-progression": _osic,
    "hms-harmful-brain-activity-classification": _hms,
    "rsna-2022-cervical-spine-fracture-detection": _rsna,
}
