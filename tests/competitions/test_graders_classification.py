"""The classification competitions: specs, synthetic material, and every check their graders perform."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import competitions
import metrics
from competitions.faults import fault_of
from competitions.graders import InvalidSubmission, get_grader
from competitions.graders.classification import PANDAS_NA_TOKENS
from competitions.synthetic import synthetic_case

IDS = [
    "aptos2019-blindness-detection", "cassava-leaf-disease-classification",
    "cdiscount-image-classification-challenge", "facebook-recruiting-iii-keyword-extraction",
    "herbarium-2020-fgvc7", "herbarium-2021-fgvc8", "herbarium-2022-fgvc9", "imet-2020-fgvc7",
    "inaturalist-2019-fgvc6", "iwildcam-2019-fgvc6", "iwildcam-2020-fgvc7",
    "learning-agency-lab-automated-essay-scoring-2", "ml2021spring-hw2",
    "movie-review-sentiment-analysis-kernels-only", "nfl-player-contact-detection",
    "paddy-disease-classification", "plant-pathology-2021-fgvc8", "plant-seedlings-classification",
    "rsna-breast-cancer-detection", "spaceship-titanic", "tabular-playground-series-dec-2021",
    "tensorflow-speech-recognition-challenge", "tensorflow2-question-answering",
    "text-normalization-challenge-english-language", "text-normalization-challenge-russian-language",
]

#: Sample scores MLE-bench's tests expect on the real data that synthetic data reproduces by construction.
REAL_SAMPLE_SCORE_BY_CONSTRUCTION = {
    "aptos2019-blindness-detection": 0.0,
    "herbarium-2020-fgvc7": 0.0,
    "herbarium-2021-fgvc8": 0.0,
    "herbarium-2022-fgvc9": 0.0,
    "nfl-player-contact-detection": 0.0,
    "paddy-disease-classification": 0.0,
    "tensorflow-speech-recognition-challenge": 0.0,
}


def _case(cid: str, n: int = 40, seed: int = 0):
    comp = competitions.get(cid)
    grader = get_grader(comp.grader)
    return comp, grader, synthetic_case(comp, n, np.random.default_rng(seed))


def _target(comp) -> str:
    return comp.grader_params.get("target", "PredictionString")


@pytest.mark.parametrize("cid", IDS)
def test_spec_loads_and_names_a_known_metric(cid):
    comp = competitions.get(cid)
    assert comp.metric in metrics.names()
    assert comp.lower_is_better == (not metrics.get(comp.metric).higher_is_better)
    assert comp.version == "1.0.0"
    assert comp.score_rounding in ("python", "numpy")
    assert comp.description and comp.id_columns[0] in comp.column_names
    assert get_grader(comp.grader).name == comp.grader


@pytest.mark.parametrize("cid", IDS)
def test_perfect_submission_scores_the_best_value(cid):
    comp, grader, case = _case(cid)
    assert grader.grade(case.perfect_submission, case.answers, comp) == metrics.get(comp.metric).best


@pytest.mark.parametrize("cid", IDS)
def test_sample_submission_grades_to_its_expected_number(cid):
    comp, grader, case = _case(cid)
    score = grader.grade(case.sample_submission, case.answers, comp)
    assert isinstance(score, float) and not math.isnan(score)
    expected = case.extra.get("expected_sample_score")
    if expected is not None:
        assert math.isclose(score, expected, rel_tol=1e-12, abs_tol=1e-12)
    if cid in REAL_SAMPLE_SCORE_BY_CONSTRUCTION:
        assert score == REAL_SAMPLE_SCORE_BY_CONSTRUCTION[cid]


@pytest.mark.parametrize("cid", IDS)
def test_sample_submission_has_the_answers_ids_and_the_spec_columns(cid):
    comp, _, case = _case(cid)
    sample = case.sample_submission
    assert set(comp.column_names) <= set(sample.columns)
    if isinstance(case.answers, pd.DataFrame):
        id_col = comp.id_columns[0]
        assert sorted(sample[id_col]) == sorted(case.answers[id_col])
        assert case.answers[id_col].map(type).eq(str).all()


def _perturb(comp, case, rng) -> pd.DataFrame:
    """The perfect submission with a third of its predictions replaced by another answer row's."""
    sub = case.perfect_submission.copy()
    target = _target(comp)
    values = sub[target].to_numpy(dtype=object).copy()
    rows = rng.choice(len(sub), size=max(2, len(sub) // 3), replace=False)
    other = np.roll(rows, 1)
    values[rows] = values[other]
    if comp.metric == "pf1":
        values[rows] = 1.0 - values[rows].astype(float)
    sub[target] = pd.Series(values).astype(sub[target].dtype)
    return sub


@pytest.mark.parametrize("cid", IDS)
def test_a_perturbed_submission_scores_worse(cid):
    comp, grader, case = _case(cid)
    rng = np.random.default_rng(1)
    best = grader.grade(case.perfect_submission, case.answers, comp)
    for _ in range(5):  # a shuffle can land on equal labels; one of five is enough to go wrong
        worse = grader.grade(_perturb(comp, case, rng), case.answers, comp)
        if worse != best:
            break
    assert (worse > best) if comp.lower_is_better else (worse < best)


@pytest.mark.parametrize("cid", IDS)
def test_row_order_does_not_change_the_score(cid):
    comp, grader, case = _case(cid, seed=3)
    sub = _perturb(comp, case, np.random.default_rng(2))
    shuffled = sub.sample(frac=1.0, random_state=5).reset_index(drop=True)
    assert grader.grade(sub, case.answers, comp) == grader.grade(shuffled, case.answers, comp)


@pytest.mark.parametrize("cid", IDS)
def test_missing_prediction_column_is_invalid(cid):
    comp, grader, case = _case(cid)
    with pytest.raises(InvalidSubmission) as err:
        grader.grade(case.perfect_submission.drop(columns=[_target(comp)]), case.answers, comp)
    assert err.value.check == "columns"


@pytest.mark.parametrize("cid", IDS)
def test_unknown_and_missing_ids_are_invalid_without_revealing_answer_ids(cid):
    comp, grader, case = _case(cid)
    sub = case.perfect_submission.copy()
    id_col = comp.id_columns[0]
    hidden = sub.loc[0, id_col]
    sub.loc[0, id_col] = "not-an-id"
    with pytest.raises(InvalidSubmission) as err:
        grader.grade(sub, case.answers, comp)
    assert "not-an-id" in str(err.value) and str(hidden) not in str(err.value)


@pytest.mark.parametrize("cid", IDS)
def test_duplicated_ids_are_invalid(cid):
    comp, grader, case = _case(cid)
    sub = case.perfect_submission.copy()
    id_col = comp.id_columns[0]
    sub.loc[1, id_col] = sub.loc[0, id_col]
    with pytest.raises(InvalidSubmission):
        grader.grade(sub, case.answers, comp)


# ---------------------------------------------------------------------------------------------
# Checks particular to some competitions
# ---------------------------------------------------------------------------------------------


def test_mcc_rejects_non_binary_predictions():
    comp, grader, case = _case("nfl-player-contact-detection")
    sub = case.perfect_submission.copy()
    sub.loc[0, "contact"] = 2
    with pytest.raises(InvalidSubmission, match="only 0 and 1") as err:
        grader.grade(sub, case.answers, comp)
    assert err.value.column == "contact"


@pytest.mark.parametrize(
    "cid", ["aptos2019-blindness-detection", "herbarium-2020-fgvc7", "cassava-leaf-disease-classification"]
)
def test_fractional_class_predictions_are_invalid(cid):
    comp, grader, case = _case(cid)
    sub = case.perfect_submission.copy()
    target = _target(comp)
    sub[target] = sub[target].astype(float)
    sub.loc[0, target] = 1.5
    with pytest.raises(InvalidSubmission, match="not whole numbers"):
        grader.grade(sub, case.answers, comp)


def test_qwk_uses_the_observed_label_index():
    comp, grader, case = _case("aptos2019-blindness-detection")
    sub = _perturb(comp, case, np.random.default_rng(0))
    score = grader.grade(sub, case.answers, comp)
    relabel = {4: 9}
    moved_sub = sub.assign(diagnosis=sub["diagnosis"].replace(relabel))
    moved_answers = case.answers.assign(diagnosis=case.answers["diagnosis"].replace(relabel))
    assert grader.grade(moved_sub, moved_answers, comp) == pytest.approx(score, rel=1e-12)
    truth = case.answers.set_index("id_code").loc[sub["id_code"], "diagnosis"]
    assert metrics.score("qwk", truth, sub["diagnosis"], labels="observed") == pytest.approx(score, rel=1e-12)
    assert metrics.score("qwk", truth.replace(relabel), moved_sub["diagnosis"]) != pytest.approx(score)


def test_inaturalist_scores_the_first_token_only_and_rejects_other_text():
    comp, grader, case = _case("inaturalist-2019-fgvc6")
    sub = case.perfect_submission.copy()
    sub["predicted"] = sub["predicted"] + " 1 2 3 4"
    assert grader.grade(sub, case.answers, comp) == 0.0
    swapped = sub.copy()
    swapped["predicted"] = "7 " + case.perfect_submission["predicted"]
    assert grader.grade(swapped, case.answers, comp) == 1.0
    for bad in ["", "abc 1", "1.0", "3:4"]:
        broken = sub.copy()
        broken.loc[2, "predicted"] = bad
        with pytest.raises(InvalidSubmission) as err:
            grader.grade(broken, case.answers, comp)
        assert err.value.check == "first_token" and err.value.count == 1


def test_multilabel_unseen_predictions_are_free_and_missing_cells_are_empty():
    comp, grader, case = _case("facebook-recruiting-iii-keyword-extraction")
    sub = case.perfect_submission.copy()
    noisy = sub.assign(Tags=sub["Tags"] + " never-in-answers")
    assert grader.grade(noisy, case.answers, comp) == 1.0
    blank = sub.copy()
    blank["Tags"] = blank["Tags"].astype(object)
    blank.loc[0, "Tags"] = np.nan
    score = grader.grade(blank, case.answers, comp)
    assert 0.9 < score < 1.0


def test_text_normalisation_treats_every_na_token_as_the_text_nan():
    comp, grader, case = _case("text-normalization-challenge-english-language", n=60)
    answers = case.answers.copy()
    sub = case.perfect_submission.copy()
    na_rows = answers.index[answers["after"] == "NA"]
    assert len(na_rows)
    answers.loc[na_rows, "after"] = np.nan  # what pandas reads from an answer "NA"
    sub = sub.set_index("id").loc[answers["id"]].reset_index()
    sub.loc[na_rows, "after"] = "null"  # another NA token
    assert grader.grade(sub, answers, comp) == 1.0
    assert {"NA", "null", "nan", ""} <= PANDAS_NA_TOKENS


def test_paddy_empty_labels_count_as_wrong():
    comp, grader, case = _case("paddy-disease-classification")
    sub = case.perfect_submission.copy()
    sub["label"] = sub["label"].astype(object)
    sub.loc[:4, "label"] = np.nan
    assert grader.grade(sub, case.answers, comp) == pytest.approx(1 - 5 / len(sub))


def test_iwildcam_2019_sample_keeps_its_unnamed_index_column():
    comp, grader, case = _case("iwildcam-2019-fgvc6")
    assert list(case.sample_submission.columns) == ["", "Id", "Category"]
    assert case.sample_submission[""].tolist() == list(range(len(case.sample_submission)))


def test_answers_with_repeated_ids_score_each_answer_row():
    comp, grader, case = _case("iwildcam-2020-fgvc7")
    answers = pd.concat([case.answers, case.answers.iloc[:3]], ignore_index=True)
    assert grader.grade(case.perfect_submission, answers, comp) == 1.0
    answers.loc[len(answers) - 1, "Category"] = 99999
    assert grader.grade(case.perfect_submission, answers, comp) == pytest.approx(1 - 1 / len(answers))


def test_rsna_all_zero_predictions_score_zero_and_negatives_are_clipped():
    comp, grader, case = _case("rsna-breast-cancer-detection")
    zeros = case.perfect_submission.assign(cancer=0.0)
    assert grader.grade(zeros, case.answers, comp) == 0.0
    boosted = case.perfect_submission.assign(cancer=case.perfect_submission["cancer"] * 5 - 2)
    assert grader.grade(boosted, case.answers, comp) == 1.0


def test_rsna_answers_without_a_positive_are_a_host_error_not_the_submissions():
    comp, grader, case = _case("rsna-breast-cancer-detection")
    answers = case.answers.assign(cancer=0)
    with pytest.raises(metrics.MetricInputError) as err:
        grader.grade(case.perfect_submission, answers, comp)
    assert err.value.argument == "y_true" and fault_of(err.value) == "host"
    report = competitions.grade(comp, case.perfect_submission, answers, case.sample_submission)
    assert report.host_error and not report.valid_submission and report.submission_exists
    assert report.error.startswith("host error: the metric pf1 rejected the answers")


def test_spaceship_bool_predictions_match_bool_answers():
    comp, grader, case = _case("spaceship-titanic")
    assert case.answers["Transported"].dtype == bool
    sub = case.perfect_submission.copy()
    assert grader.grade(sub.assign(Transported=sub["Transported"].astype(int)), case.answers, comp) == 1.0


def test_plant_seedlings_species_with_spaces_are_single_labels():
    comp, grader, case = _case("plant-seedlings-classification")
    assert any(" " in v for v in case.answers["species"])
    sub = case.perfect_submission.copy()
    sub["species"] = sub["species"].str.replace(" ", "_")
    expected = float(np.mean([" " not in v for v in sub["species"].str.replace("_", " ")]))
    assert grader.grade(sub, case.answers, comp) == pytest.approx(expected)


# ---------------------------------------------------------------------------------------------
# TensorFlow 2.0 Question Answering
# ---------------------------------------------------------------------------------------------


def _qa():
    return _case("tensorflow2-question-answering", n=40, seed=4)


def test_qa_answers_are_jsonl_records_with_annotations():
    _, _, case = _qa()
    record = case.answers[0]
    assert {"example_id", "question_text", "document_text", "long_answer_candidates", "annotations"} <= set(record)
    assert isinstance(record["example_id"], str)
    assert {"long_answer", "short_answers", "yes_no_answer"} <= set(record["annotations"][0])


def test_qa_counts_correct_non_blank_and_correct_blank_rows():
    comp, grader, case = _qa()
    gold = case.extra["gold_submission"]
    sub = gold.copy()
    blank_gold = sub["PredictionString"] == ""
    answered = sub.index[~blank_gold]
    sub.loc[answered[0], "PredictionString"] = "99999:100000"  # wrong span: y_true 0, y_pred 1
    sub.loc[answered[1], "PredictionString"] = ""  # blank where an answer exists: y_true 1, y_pred 0
    sub.loc[sub.index[blank_gold][0], "PredictionString"] = "NO"  # answer where none exists
    assert grader.grade(sub, case.answers, comp) == pytest.approx(1 - 3 / len(sub))


def test_qa_accepts_any_listed_short_answer_and_yes_no():
    comp, grader, case = _qa()
    gold = case.extra["gold_submission"].copy()
    first = case.answers[0]
    assert first["annotations"][0]["yes_no_answer"] == "YES"
    row = gold.index[gold["example_id"] == f"{first['example_id']}_short"][0]
    assert gold.loc[row, "PredictionString"] == "YES"
    gold.loc[row, "PredictionString"] = " YES "
    assert grader.grade(gold, case.answers, comp) == 1.0
    gold.loc[row, "PredictionString"] = "YES"
    long_row = gold.index[gold["example_id"] == f"{first['example_id']}_long"][0]
    gold.loc[long_row, "PredictionString"] = "YES"  # a yes/no answer is never a valid long answer
    assert grader.grade(gold, case.answers, comp) < 1.0


@pytest.mark.parametrize("bad", ["maybe", "1:2:3", "a:b", "12"])
def test_qa_malformed_predictions_are_invalid(bad):
    comp, grader, case = _qa()
    sub = case.perfect_submission.copy()
    sub.loc[0, "PredictionString"] = bad
    with pytest.raises(InvalidSubmission) as err:
        grader.grade(sub, case.answers, comp)
    assert err.value.check == "format" and bad in str(err.value.examples)


def test_qa_row_count_and_ids_are_checked():
    comp, grader, case = _qa()
    with pytest.raises(InvalidSubmission) as err:
        grader.grade(case.perfect_submission.iloc[1:], case.answers, comp)
    assert err.value.check == "row_count"
    sub = case.perfect_submission.copy()
    sub.loc[0, "example_id"] = sub.loc[0, "example_id"].replace("_long", "_medium").replace("_short", "_medium")
    with pytest.raises(InvalidSubmission):
        grader.grade(sub, case.answers, comp)


def test_qa_missing_cells_are_blank():
    comp, grader, case = _qa()
    sub = case.sample_submission.copy()
    sub["PredictionString"] = sub["PredictionString"].astype(object)
    sub.loc[:, "PredictionString"] = np.nan
    assert grader.grade(sub, case.answers, comp) == case.extra["expected_sample_score"]


def _read_back(frame: pd.DataFrame, comp, tmp_path, name: str) -> pd.DataFrame:
    """Write a frame as the preparer would and read it back the way grading reads CSVs (ids as text)."""
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return pd.read_csv(path, dtype={c: str for c in comp.id_columns})


@pytest.mark.parametrize("cid", [c for c in IDS if c != "tensorflow2-question-answering"])
def test_synthetic_files_survive_a_csv_round_trip(cid, tmp_path):
    comp, grader, case = _case(cid)
    answers = _read_back(case.answers, comp, tmp_path, "answers.csv")
    perfect = _read_back(case.perfect_submission, comp, tmp_path, "perfect.csv")
    target = _target(comp)
    if next(c.dtype for c in comp.submission_columns if c.name == target) == "str":
        perfect[target] = perfect[target].astype("str").where(perfect[target].notna(), np.nan)
    assert grader.grade(perfect, answers, comp) == metrics.get(comp.metric).best
    sample = _read_back(case.sample_submission, comp, tmp_path, "sample.csv")
    assert math.isfinite(grader.grade(sample, answers, comp))


def test_text_labels_where_the_answers_hold_numbers_are_invalid():
    comp, grader, case = _case("cassava-leaf-disease-classification")
    sub = case.perfect_submission.assign(label=case.perfect_submission["label"].astype(str))
    with pytest.raises(InvalidSubmission, match="column 'label' cannot be scored: .*y_pred holds text labels"):
        grader.grade(sub, case.answers, comp)


def test_rsna_all_negative_predictions_are_invalid():
    comp, grader, case = _case("rsna-breast-cancer-detection")
    with pytest.raises(InvalidSubmission, match="every prediction is negative") as err:
        grader.grade(case.perfect_submission.assign(cancer=-1.0), case.answers, comp)
    assert err.value.column == "cancer"


def test_qa_numeric_spans_never_match_a_yes_no_answer():
    comp, grader, case = _qa()
    gold = case.extra["gold_submission"].copy()
    row = gold.index[gold["PredictionString"] == "YES"][0]
    for fake in ["0:0", "-2:-2", "1:1"]:
        gold.loc[row, "PredictionString"] = fake
        assert grader.grade(gold, case.answers, comp) == pytest.approx(1 - 1 / len(gold))
