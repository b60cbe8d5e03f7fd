"""The ranking and correlation competitions: specs, synthetic grading, and every check their graders make."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import competitions
import metrics
from competitions.faults import fault_of
from competitions.graders import InvalidSubmission, get_grader
from competitions.synthetic import synthetic_case

IDS = [
    "aerial-cactus-identification", "alaska2-image-steganalysis", "detecting-insults-in-social-commentary",
    "freesound-audio-tagging-2019", "h-and-m-personalized-fashion-recommendations",
    "histopathologic-cancer-detection", "hotel-id-2021-fgvc8", "invasive-species-monitoring",
    "jigsaw-toxic-comment-classification-challenge", "jigsaw-unintended-bias-in-toxicity-classification",
    "mlsp-2013-birds", "plant-pathology-2020-fgvc7", "playground-series-s3e18", "random-acts-of-pizza",
    "ranzcr-clip-catheter-line-classification", "rsna-miccai-brain-tumor-radiogenomic-classification",
    "seti-breakthrough-listen", "siim-isic-melanoma-classification", "tabular-playground-series-may-2022",
    "the-icml-2013-whale-challenge-right-whale-redux", "whale-categorization-playground", "AI4Code",
    "google-quest-challenge", "us-patent-phrase-to-phrase-matching",
]

#: MLE-bench's sample-submission score where the synthetic data makes it deterministic.
SAMPLE_SCORES = {
    "alaska2-image-steganalysis": 0.82 / 1.4,
    "h-and-m-personalized-fashion-recommendations": 0.0,
    "jigsaw-toxic-comment-classification-challenge": 0.5,
    "jigsaw-unintended-bias-in-toxicity-classification": 0.5,
    "plant-pathology-2020-fgvc7": 0.5,
    "playground-series-s3e18": 0.5,
    "us-patent-phrase-to-phrase-matching": float("nan"),
}
BINARY_AUC = {cid for cid in IDS if competitions.get(cid).metric == "auc"}


def _case(cid: str, n: int = 40, seed: int = 0):
    comp = competitions.get(cid)
    grader = get_grader(comp.grader)
    return comp, grader, synthetic_case(comp, n, np.random.default_rng(seed))


def _targets(comp) -> list[str]:
    params = comp.grader_params
    return list(params.get("targets") or [params.get("target", "prediction")])


def _worse(comp, perfect: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    worse = perfect.copy()
    target = _targets(comp)[0]
    if comp.grader in ("binary_columns", "numeric_columns", "jigsaw_unintended"):
        worse[target] = worse[target].to_numpy()[::-1].copy() if comp.grader != "jigsaw_unintended" else 1.0 - worse[target]
    elif comp.grader == "map_at_k_strings":
        worse.loc[: len(worse) // 2, target] = "zzz"
    elif comp.grader == "kendall_orderings":
        worse[target] = [" ".join(s.split()[::-1]) for s in worse[target]]
    return worse


@pytest.mark.parametrize("cid", IDS)
def test_spec_loads_with_a_known_metric(cid):
    comp = competitions.get(cid)
    assert comp.id == cid and comp.version == "1.0.0"
    assert comp.metric in metrics.names()
    assert comp.known_issues
    metrics.get(comp.metric)  # parameters below are accepted by the metric
    assert not comp.lower_is_better


@pytest.mark.parametrize("cid", IDS)
def test_perfect_sample_and_worse_submissions(cid):
    comp, grader, case = _case(cid)
    best = metrics.get(comp.metric).best
    perfect = grader.grade(case.perfect_submission, case.answers, comp)
    assert math.isclose(perfect, best, rel_tol=1e-12)
    sample = grader.grade(case.sample_submission, case.answers, comp)
    assert isinstance(sample, float)
    expected = SAMPLE_SCORES.get(cid, 0.5 if cid in BINARY_AUC else None)
    if expected is not None:
        assert (math.isnan(sample) and math.isnan(expected)) or math.isclose(sample, expected, abs_tol=1e-12)
    worse = grader.grade(_worse(comp, case.perfect_submission, np.random.default_rng(1)), case.answers, comp)
    assert worse < perfect


@pytest.mark.parametrize("cid", IDS)
def test_row_order_does_not_change_the_score(cid):
    comp, grader, case = _case(cid, seed=3)
    sub = _worse(comp, case.perfect_submission, np.random.default_rng(2))
    shuffled = sub.iloc[np.random.default_rng(4).permutation(len(sub))].reset_index(drop=True)
    a, b = grader.grade(sub, case.answers, comp), grader.grade(shuffled, case.answers, comp)
    assert a == b or (math.isnan(a) and math.isnan(b))


@pytest.mark.parametrize("cid", IDS)
def test_sample_submission_has_the_spec_columns(cid):
    comp, _, case = _case(cid)
    assert list(case.sample_submission.columns) == list(comp.column_names)
    assert set(case.perfect_submission.columns) == set(comp.column_names)


@pytest.mark.parametrize("cid", IDS)
def test_missing_column_and_unknown_ids_are_invalid(cid):
    comp, grader, case = _case(cid)
    target = _targets(comp)[0]
    with pytest.raises(InvalidSubmission) as err:
        grader.grade(case.perfect_submission.drop(columns=[target]), case.answers, comp)
    assert err.value.check == "columns"
    renamed = case.perfect_submission.copy()
    id_col = comp.id_columns[0]
    renamed[id_col] = renamed[id_col].astype(str) + "_x"
    with pytest.raises(InvalidSubmission) as err:
        grader.grade(renamed, case.answers, comp)
    assert err.value.check == "ids_match"
    assert not set(map(str, err.value.examples)) & set(case.answers[id_col].astype(str))


NUMERIC = [cid for cid in IDS if competitions.get(cid).grader in ("binary_columns", "numeric_columns", "jigsaw_unintended")]


@pytest.mark.parametrize("cid", NUMERIC)
def test_non_finite_and_text_values_are_invalid(cid):
    comp, grader, case = _case(cid)
    target = _targets(comp)[0]
    for bad in (float("nan"), float("inf"), "high"):
        sub = case.perfect_submission.copy()
        sub[target] = sub[target].astype(object)
        sub.loc[3, target] = bad
        with pytest.raises(InvalidSubmission) as err:
            grader.grade(sub, case.answers, comp)
        assert err.value.check == "finite" and err.value.column == target


@pytest.mark.parametrize("cid", NUMERIC)
def test_probability_range_is_checked_where_mlebench_checks_it(cid):
    comp, grader, case = _case(cid)
    target = _targets(comp)[-1]
    sub = case.perfect_submission.copy()
    sub.loc[0, target] = 1.5
    if comp.grader_params.get("require_probabilities"):
        with pytest.raises(InvalidSubmission) as err:
            grader.grade(sub, case.answers, comp)
        assert err.value.check == "probability" and err.value.examples == [1.5]
    else:
        assert isinstance(grader.grade(sub, case.answers, comp), float)


def test_an_auc_undefined_on_the_answers_is_a_host_error_that_shows_them_to_no_one():
    comp = competitions.get("seti-breakthrough-listen")
    answers = pd.DataFrame({"id": ["a", "b"], "target": [1, 1]})
    sub = pd.DataFrame({"id": ["a", "b"], "target": [0.2, 0.3]})
    with pytest.raises(metrics.MetricInputError) as err:
        get_grader("binary_columns").grade(sub, answers, comp)
    assert fault_of(err.value) == "host"
    report = competitions.grade(comp, sub, answers)
    assert report.host_error and not report.valid_submission
    assert "the answers" in report.error and "one class" not in report.error


def test_jigsaw_toxic_unscored_rows_are_ignored():
    comp, grader, case = _case("jigsaw-toxic-comment-classification-challenge")
    unscored = (case.answers["toxic"] == -1).to_numpy()
    assert unscored.any()
    sub = case.perfect_submission.set_index("id").loc[case.answers["id"]].reset_index()
    sub.loc[unscored, "toxic"] = 1.0 - sub.loc[unscored, "toxic"]  # changes nothing that is scored
    assert grader.grade(sub, case.answers, comp) == 1.0


def test_jigsaw_unintended_binarises_predictions():
    comp, grader, case = _case("jigsaw-unintended-bias-in-toxicity-classification")
    sub = case.perfect_submission.copy()
    sub["prediction"] = np.where(sub["prediction"] >= 0.5, 0.51, 0.49)  # same side of 0.5: same score
    assert grader.grade(sub, case.answers, comp) == 1.0
    raw = metrics.score("jigsaw_bias_auc", [0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4], subgroups=[[1], [1], [0], [0]])
    binarised = metrics.score("jigsaw_bias_auc", [0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4], subgroups=[[1], [1], [0], [0]],
                              binarize_predictions=True)
    assert raw != binarised == 0.5


def test_freesound_constant_sample_scores_by_label_counts():
    comp, grader, case = _case("freesound-audio-tagging-2019")
    counts = case.answers.drop(columns="fname").sum(axis=1).to_numpy()
    expected = (counts**2).sum() / (80 * counts.sum())  # every true label ties with all 80 classes
    assert math.isclose(grader.grade(case.sample_submission, case.answers, comp), expected, rel_tol=1e-12)


def test_detecting_insults_pairs_repeated_comments_by_occurrence():
    comp = competitions.get("detecting-insults-in-social-commentary")
    answers = pd.DataFrame({"Insult": [1, 0, 0, 1], "Date": ["", "", "d", "d"],
                            "Comment": ['"same"', '"same"', '"other"', '"third"'], "Usage": ["PrivateTest"] * 4})
    sub = pd.DataFrame({"Insult": [0.2, 0.9, 0.1, 0.8], "Date": ["d", "", "", "d"],
                        "Comment": ['"other"', '"same"', '"same"', '"third"']})
    # occurrences in file order: the first '"same"' (0.9) pairs with Insult 1, the second (0.1) with 0
    assert get_grader("binary_columns").grade(sub, answers, comp) == 1.0


def test_h_and_m_scores_buyers_only_and_needs_every_buyer():
    comp, grader, case = _case("h-and-m-personalized-fashion-recommendations")
    assert len(case.perfect_submission) > len(case.answers)  # the sample lists every customer
    buyers = set(case.answers["customer_id"])
    missing_buyer = case.perfect_submission[case.perfect_submission["customer_id"] != next(iter(buyers))]
    with pytest.raises(InvalidSubmission) as err:
        grader.grade(missing_buyer, case.answers, comp)
    assert err.value.count == 1 and err.value.examples == []


def test_h_and_m_zero_padded_articles_never_match():
    comp = competitions.get("h-and-m-personalized-fashion-recommendations")
    answers = pd.DataFrame({"customer_id": ["c1"], "prediction": ["706016001"]})
    padded = pd.DataFrame({"customer_id": ["c1", "c2"], "prediction": ["0706016001", "0706016001"]})
    plain = pd.DataFrame({"customer_id": ["c1", "c2"], "prediction": ["706016001", ""]})
    grader = get_grader("map_at_k_strings")
    assert grader.grade(padded, answers, comp) == 0.0
    assert grader.grade(plain, answers, comp) == 1.0


def test_map_double_space_takes_a_slot():
    comp = competitions.get("whale-categorization-playground")
    answers = pd.DataFrame({"Image": ["a.jpg"], "Id": ["w_1"]})
    sub = pd.DataFrame({"Image": ["a.jpg"], "Id": ["x  y z w_1"]})  # ['x', '', 'y', 'z', 'w_1']: rank 5
    assert get_grader("map_at_k_strings").grade(sub, answers, comp) == pytest.approx(0.2)


def test_ai4code_checks_cell_counts_and_permutations():
    comp, grader, case = _case("AI4Code")
    sub = case.perfect_submission.copy()
    sub.loc[0, "cell_order"] = sub.loc[0, "cell_order"] + " deadbeef"
    with pytest.raises(InvalidSubmission) as err:
        grader.grade(sub, case.answers, comp)
    assert err.value.check == "cell_count" and err.value.count == 1
    sub = case.perfect_submission.copy()
    cells = sub.loc[0, "cell_order"].split()
    sub.loc[0, "cell_order"] = " ".join(["deadbeef"] + cells[1:])
    with pytest.raises(InvalidSubmission) as err:
        grader.grade(sub, case.answers, comp)
    assert err.value.check == "metric" and "deadbeef" not in err.value.message


def test_google_quest_constant_column_scores_nan():
    comp, grader, case = _case("google-quest-challenge")
    sub = case.perfect_submission.copy()
    sub["answer_helpful"] = 0.5
    assert math.isnan(grader.grade(sub, case.answers, comp))
