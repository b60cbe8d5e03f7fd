"""The probabilistic and regression competitions: specs, graders, synthetic data, MLE-bench quirks, bad submissions."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest

import competitions
import metrics
from competitions.graders import InvalidSubmission, get_grader
from competitions.graders.probabilistic_regression import value_columns
from competitions.synthetic import synthetic_case

IDS = [
    "champs-scalar-coupling", "denoising-dirty-documents", "dog-breed-identification",
    "dogs-vs-cats-redux-kernels-edition", "hms-harmful-brain-activity-classification",
    "icecube-neutrinos-in-deep-ice", "leaf-classification", "lmsys-chatbot-arena",
    "new-york-city-taxi-fare-prediction", "nomad2018-predict-transparent-conductors",
    "osic-pulmonary-fibrosis-progression", "petfinder-pawpularity-score", "predict-volcanic-eruptions-ingv-oe",
    "rsna-2022-cervical-spine-fracture-detection", "smartphone-decimeter-2022", "spooky-author-identification",
    "stanford-covid-vaccine", "statoil-iceberg-classifier-challenge", "ventilator-pressure-prediction",
]

# MLE-bench's expected sample-submission scores (tests/constants.py) where they follow from the sample alone.
SAMPLE_SCORES = {
    "dog-breed-identification": 4.78749,        # ln 120
    "leaf-classification": 4.59512,             # ln 99
    "lmsys-chatbot-arena": 1.09861,             # ln 3
    "dogs-vs-cats-redux-kernels-edition": 0.69315,
    "statoil-iceberg-classifier-challenge": 0.69315,
    "rsna-2022-cervical-spine-fracture-detection": 0.69315,
}


def _case(cid: str, n: int = 60, seed: int = 0):
    comp = competitions.get(cid)
    grader = get_grader(comp.grader)
    return comp, grader, synthetic_case(comp, n, np.random.default_rng(seed))


def _grade(cid: str, submission: pd.DataFrame, answers) -> float:
    comp = competitions.get(cid)
    return get_grader(comp.grader).grade(submission.copy(), answers.copy(), comp)


def _perturb(comp, submission: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """A worse submission: probabilities mixed with noise, numbers shifted."""
    out = submission.copy()
    cols = value_columns(comp)
    if comp.metric in ("logloss_multiclass", "kl_divergence"):
        values = out[cols].to_numpy()
        out[cols] = 0.5 * values + 0.5 * rng.dirichlet(np.ones(len(cols)), size=len(out))
    elif comp.metric in ("logloss_binary", "logloss_weighted_multilabel"):
        out[cols[0]] = 0.6 * out[cols[0]] + 0.4 * rng.random(len(out))
    else:
        for col in cols:
            if col == "Confidence":
                continue
            base = out[col].to_numpy(dtype=float)
            spread = np.abs(base).mean() + 1.0
            out[col] = base + np.abs(rng.normal(0, 0.05 * spread, len(out)))
        if comp.id == "petfinder-pawpularity-score":
            out["Pawpularity"] = out["Pawpularity"].clip(1, 100)
    return out


def _shuffle(comp, submission: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    if comp.id == "hms-harmful-brain-activity-classification":
        # repeated eeg_ids pair k-th with k-th: move whole eeg_id blocks, keep the order inside a block
        block = {e: rng.random() for e in submission["eeg_id"].unique()}
        keys = submission["eeg_id"].map(block)
        return submission.iloc[np.argsort(keys.to_numpy(), kind="stable")].reset_index(drop=True)
    return submission.sample(frac=1.0, random_state=int(rng.integers(1 << 30))).reset_index(drop=True)


def _via_csv(frame: pd.DataFrame, comp) -> pd.DataFrame:
    """Write and read back as the pipeline does: id columns as strings, other columns inferred."""
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    buf.seek(0)
    return pd.read_csv(buf, dtype={c: str for c in comp.id_columns})


# ------------------------------------------------------------------ every competition


def test_all_nineteen_specs_load():
    for cid in IDS:
        comp = competitions.get(cid)
        assert comp.id == cid and comp.version == "1.0.0"
        assert comp.metric in metrics.names()
        assert comp.lower_is_better == (not metrics.get(comp.metric).higher_is_better)
        assert comp.known_issues, f"{cid} lists no known issues"
        get_grader(comp.grader)


@pytest.mark.parametrize("cid", IDS)
def test_perfect_sample_and_worse(cid):
    comp, grader, case = _case(cid)
    metric = metrics.get(comp.metric)
    perfect = grader.grade(case.perfect_submission.copy(), case.answers.copy(), comp)
    if math.isinf(metric.best):
        assert perfect == metric.best
    else:
        # clipping (log loss) and arccos rounding keep a perfect score a hair off the bound
        assert math.isclose(perfect, metric.best, abs_tol=1e-7), perfect
    sample = grader.grade(case.sample_submission.copy(), case.answers.copy(), comp)
    assert isinstance(sample, float) and not math.isnan(sample)
    worse = grader.grade(_perturb(comp, case.perfect_submission, np.random.default_rng(1)), case.answers.copy(), comp)
    assert (worse > perfect) if comp.lower_is_better else (worse < perfect)
    if cid in SAMPLE_SCORES:
        assert round(sample, 5) == SAMPLE_SCORES[cid]


@pytest.mark.parametrize("cid", IDS)
def test_row_order_does_not_change_the_score(cid):
    comp, grader, case = _case(cid, seed=2)
    rng = np.random.default_rng(3)
    noisy = _perturb(comp, case.perfect_submission, rng)
    first = grader.grade(noisy.copy(), case.answers.copy(), comp)
    again = grader.grade(_shuffle(comp, noisy, rng), case.answers.copy(), comp)
    assert math.isclose(first, again, rel_tol=1e-12, abs_tol=1e-15)


@pytest.mark.parametrize("cid", IDS)
def test_grading_after_a_csv_round_trip_is_the_same(cid):
    comp, grader, case = _case(cid, seed=4)
    noisy = _perturb(comp, case.perfect_submission, np.random.default_rng(5))
    direct = grader.grade(noisy.copy(), case.answers.copy(), comp)
    read = grader.grade(_via_csv(noisy, comp), _via_csv(case.answers, comp), comp)
    assert math.isclose(direct, read, rel_tol=1e-12)


@pytest.mark.parametrize("cid", IDS)
def test_the_sample_has_the_spec_columns_and_the_answers_ids(cid):
    comp, _, case = _case(cid)
    assert tuple(case.sample_submission.columns) == comp.column_names
    assert tuple(case.perfect_submission.columns) == comp.column_names
    key = list(comp.id_columns)
    sample_ids = case.sample_submission[key].astype(str).agg("|".join, axis=1)
    answer_ids = case.answers[key].astype(str).agg("|".join, axis=1)
    assert sorted(sample_ids) == sorted(answer_ids)


@pytest.mark.parametrize("cid", [c for c in IDS if c != "osic-pulmonary-fibrosis-progression"])
def test_unknown_and_missing_ids_are_rejected_without_revealing_answers(cid):
    comp, grader, case = _case(cid)
    bad = case.sample_submission.copy()
    id_col = comp.id_columns[-1]
    hidden = str(case.answers[id_col].iloc[0])
    bad.loc[bad[id_col].astype(str) == hidden, id_col] = "not-an-id"
    with pytest.raises(InvalidSubmission) as info:
        grader.grade(bad, case.answers.copy(), comp)
    assert repr(hidden) not in info.value.message and repr(hidden) not in repr(info.value.examples)


@pytest.mark.parametrize("cid", IDS)
def test_missing_values_are_rejected(cid):
    comp, grader, case = _case(cid)
    bad = case.sample_submission.copy()
    col = value_columns(comp)[0]
    bad.loc[bad.index[3], col] = np.nan
    with pytest.raises(InvalidSubmission):
        grader.grade(bad, case.answers.copy(), comp)


# ------------------------------------------------------------------ probability checks


@pytest.mark.parametrize("cid", ["dog-breed-identification", "leaf-classification", "spooky-author-identification",
                                 "lmsys-chatbot-arena", "hms-harmful-brain-activity-classification"])
def test_rows_must_sum_to_one(cid):
    comp, grader, case = _case(cid)
    bad = case.sample_submission.copy()
    col = value_columns(comp)[0]
    bad.loc[bad.index[5], col] = bad.loc[bad.index[5], col] + 0.01
    with pytest.raises(InvalidSubmission) as info:
        grader.grade(bad, case.answers.copy(), comp)
    assert info.value.check == "row_sum" and info.value.count == 1


def test_row_sum_tolerances_follow_each_grader():
    # isclose(atol=1e-6) accepts a 5e-7 slip; lmsys' round(6) rejects a 6e-7 slip that isclose would accept
    comp, grader, case = _case("spooky-author-identification")
    ok = case.sample_submission.copy()
    ok.loc[ok.index[0], "EAP"] += 5e-7
    grader.grade(ok, case.answers.copy(), comp)
    comp, grader, case = _case("lmsys-chatbot-arena")
    bad = case.sample_submission.copy()
    bad.loc[bad.index[0], "winner_tie"] += 6e-7
    with pytest.raises(InvalidSubmission):
        grader.grade(bad, case.answers.copy(), comp)


@pytest.mark.parametrize("cid", ["dog-breed-identification", "dogs-vs-cats-redux-kernels-edition",
                                 "statoil-iceberg-classifier-challenge", "rsna-2022-cervical-spine-fracture-detection",
                                 "hms-harmful-brain-activity-classification"])
def test_probabilities_outside_zero_one_are_rejected(cid):
    comp, grader, case = _case(cid)
    bad = case.perfect_submission.copy()
    cols = value_columns(comp)
    if len(cols) > 1:  # keep the row sum at 1 so the range check is what fails
        bad.loc[bad.index[2], cols[:2]] = [1.5, -0.5]
        bad.loc[bad.index[2], cols[2:]] = 0.0
    else:
        bad.loc[bad.index[2], cols[0]] = 1.5
    with pytest.raises(InvalidSubmission) as info:
        grader.grade(bad, case.answers.copy(), comp)
    assert info.value.check in ("range", "row_sum")


def test_log_losses_use_mlebench_epsilon():
    comp, grader, case = _case("dogs-vs-cats-redux-kernels-edition")
    wrong = case.perfect_submission.copy()
    wrong["label"] = 1.0 - wrong["label"]
    assert round(grader.grade(wrong, case.answers.copy(), comp), 2) == 36.04  # -ln(2.22e-16), Kaggle: 34.54


def test_hms_extra_probability_column_breaks_the_sum_check():
    comp, grader, case = _case("hms-harmful-brain-activity-classification")
    extra = case.sample_submission.assign(spare=0.5)
    with pytest.raises(InvalidSubmission):
        grader.grade(extra, case.answers.copy(), comp)


def test_hms_normalises_votes_and_pairs_repeated_ids_in_order():
    comp, grader, case = _case("hms-harmful-brain-activity-classification")
    assert case.answers["eeg_id"].duplicated().any()
    votes = case.answers[value_columns(comp)].to_numpy(dtype=float)
    gold = votes / votes.sum(axis=1, keepdims=True)
    sample = grader.grade(case.sample_submission.copy(), case.answers.copy(), comp)
    expected = np.mean(np.sum(np.where(gold > 0, gold * np.log(np.where(gold > 0, gold, 1) * 6), 0), axis=1))
    assert math.isclose(sample, expected, rel_tol=1e-12)
    with pytest.raises(InvalidSubmission):
        grader.grade(case.sample_submission.iloc[1:].copy(), case.answers.copy(), comp)


# ------------------------------------------------------------------ regression quirks


def test_volcanic_score_is_rounded_to_an_integer():
    comp, grader, case = _case("predict-volcanic-eruptions-ingv-oe")
    sub = case.perfect_submission.copy()
    sub["time_to_eruption"] += 0.4
    assert grader.grade(sub, case.answers.copy(), comp) == 0.0
    sub["time_to_eruption"] += 1.0
    assert grader.grade(sub, case.answers.copy(), comp) == 1.0


def test_champs_has_no_floor_so_one_exact_type_gives_minus_infinity():
    comp, grader, case = _case("champs-scalar-coupling")
    sub = case.perfect_submission.copy()
    exact_type = case.answers["type"].to_numpy() == "1JHC"
    sub.loc[~exact_type, "scalar_coupling_constant"] += 1.0
    assert grader.grade(sub, case.answers.copy(), comp) == -math.inf
    sub.loc[exact_type, "scalar_coupling_constant"] += 1.0
    assert math.isclose(grader.grade(sub, case.answers.copy(), comp), 0.0, abs_tol=1e-9)  # log(1) for every type


def test_ventilator_scores_only_inspiration_rows():
    comp, grader, case = _case("ventilator-pressure-prediction", n=240)
    sub = case.perfect_submission.copy()
    expiration = case.answers["u_out"].to_numpy() == 1
    sub.loc[expiration, "pressure"] += 50.0
    assert grader.grade(sub, case.answers.copy(), comp) == 0.0
    sub.loc[~expiration, "pressure"] += 2.0
    assert math.isclose(grader.grade(sub, case.answers.copy(), comp), 2.0, rel_tol=1e-12)


def test_stanford_scores_three_columns_on_kept_rows():
    comp, grader, case = _case("stanford-covid-vaccine", n=214)
    sub = case.perfect_submission.copy()
    sub[["deg_pH10", "deg_50C"]] += 3.0                    # unscored columns
    sub.loc[~case.answers["keep"].to_numpy(), "reactivity"] += 3.0   # unscored positions
    assert grader.grade(sub, case.answers.copy(), comp) == 0.0
    sub["reactivity"] += 0.3
    assert math.isclose(grader.grade(sub, case.answers.copy(), comp), 0.1, rel_tol=1e-9)  # (0.3 + 0 + 0) / 3


def test_petfinder_rejects_predictions_outside_one_to_hundred():
    comp, grader, case = _case("petfinder-pawpularity-score")
    sub = case.sample_submission.copy()
    sub.loc[sub.index[0], "Pawpularity"] = 100.5
    with pytest.raises(InvalidSubmission) as info:
        grader.grade(sub, case.answers.copy(), comp)
    assert info.value.check == "range" and info.value.examples == [100.5]


def test_nomad_rejects_negative_predictions():
    comp, grader, case = _case("nomad2018-predict-transparent-conductors")
    sub = case.sample_submission.copy()
    sub.loc[sub.index[1], "formation_energy_ev_natom"] = -0.001
    with pytest.raises(InvalidSubmission) as info:
        grader.grade(sub, case.answers.copy(), comp)
    assert info.value.check == "nonnegative"


def test_text_in_a_numeric_column_is_rejected():
    comp, grader, case = _case("new-york-city-taxi-fare-prediction")
    sub = case.sample_submission.astype({"fare_amount": object})
    sub.loc[sub.index[0], "fare_amount"] = "cheap"
    with pytest.raises(InvalidSubmission) as info:
        grader.grade(sub, case.answers.copy(), comp)
    assert info.value.examples == ["cheap"]


def test_smartphone_scores_each_trip_then_averages():
    comp, grader, case = _case("smartphone-decimeter-2022", n=80)
    sub = case.perfect_submission.copy()
    first_trip = case.answers["tripId"].iloc[0]
    in_first = (case.answers["tripId"] == first_trip).to_numpy()
    sub.loc[in_first, "LatitudeDegrees"] += 1e-4   # about 11.1 m for every row of one trip
    n_trips = case.answers["tripId"].nunique()
    expected = metrics.score(
        "haversine_p50_p95",
        case.answers.loc[in_first, ["LatitudeDegrees", "LongitudeDegrees"]].to_numpy(),
        sub.loc[in_first, ["LatitudeDegrees", "LongitudeDegrees"]].to_numpy(),
    ) / n_trips
    assert math.isclose(grader.grade(sub, case.answers.copy(), comp), expected, rel_tol=1e-12)


def test_icecube_mean_angle_of_a_flipped_direction_is_pi():
    comp, grader, case = _case("icecube-neutrinos-in-deep-ice")
    sub = case.perfect_submission.copy()
    sub["azimuth"] = sub["azimuth"] + np.pi
    sub["zenith"] = np.pi - sub["zenith"]
    assert math.isclose(grader.grade(sub, case.answers.copy(), comp), np.pi, rel_tol=1e-6)


# ------------------------------------------------------------------ OSIC


def test_osic_scores_only_the_last_three_measured_weeks():
    comp, grader, case = _case("osic-pulmonary-fibrosis-progression")
    answers = case.answers
    measured = answers[answers["FVC"].notna()].copy()
    measured["week"] = measured["Weeks"]
    last3 = measured.sort_values(["Patient", "week"]).groupby("Patient").tail(3)["Patient_Week"]
    sub = case.perfect_submission.copy()
    not_scored = ~sub["Patient_Week"].isin(last3)
    sub.loc[not_scored, "FVC"] += 500.0
    best = metrics.get("laplace_log_likelihood").best
    assert math.isclose(grader.grade(sub, answers.copy(), comp), best, rel_tol=1e-12)
    sub.loc[~not_scored, "FVC"] += 100.0
    expected = -math.sqrt(2) * 100 / 70 - math.log(math.sqrt(2) * 70)
    assert math.isclose(grader.grade(sub, answers.copy(), comp), expected, rel_tol=1e-12)


def test_osic_subset_submission_is_scored_on_its_rows():
    comp, grader, case = _case("osic-pulmonary-fibrosis-progression")
    sub = case.perfect_submission.copy()
    sub.loc[sub.index[::2], "FVC"] += 1000.0
    subset = sub.iloc[1::2]                      # only the untouched rows
    best = metrics.get("laplace_log_likelihood").best
    assert math.isclose(grader.grade(subset.copy(), case.answers.copy(), comp), best, rel_tol=1e-12)


def test_osic_missing_confidence_counts_as_seventy_and_unknown_ids_are_rejected():
    comp, grader, case = _case("osic-pulmonary-fibrosis-progression")
    sub = case.perfect_submission.copy()
    sub["Confidence"] = np.nan
    best = metrics.get("laplace_log_likelihood").best
    assert math.isclose(grader.grade(sub, case.answers.copy(), comp), best, rel_tol=1e-12)
    unknown = pd.concat([sub, pd.DataFrame({"Patient_Week": ["ID00000000000000000000000_7"], "FVC": [2000.0],
                                            "Confidence": [100.0]})], ignore_index=True)
    with pytest.raises(InvalidSubmission) as info:
        grader.grade(unknown, case.answers.copy(), comp)
    assert info.value.check == "ids_known"


# ------------------------------------------------------------------ RSNA


def test_rsna_weights_overall_and_positive_labels_more():
    comp, grader, case = _case("rsna-2022-cervical-spine-fracture-detection", n=80)
    answers = case.answers
    sub = case.perfect_submission.copy()
    overall = (answers["prediction_type"] == "patient_overall").to_numpy()
    sub.loc[overall, "fractured"] = 0.5
    got = grader.grade(sub, answers.copy(), comp)
    y = answers["fractured"].to_numpy()
    per_study = []
    for study in answers["StudyInstanceUID"].unique():  # reference by loop
        rows = (answers["StudyInstanceUID"] == study).to_numpy()
        num = den = 0.0
        for yi, is_overall in zip(y[rows], overall[rows]):
            w = (14 if yi else 7) if is_overall else (2 if yi else 1)
            loss = math.log(2) if is_overall else -math.log(1 - 1e-15)
            num += w * loss
            den += w
        per_study.append(num / den)
    assert math.isclose(got, float(np.mean(per_study)), rel_tol=1e-12)
