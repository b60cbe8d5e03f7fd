"""Graders of the text and segmentation competitions, on synthetic data in each competition's formats."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import competitions
import metrics
from competitions.graders import InvalidSubmission, get_grader
from competitions.synthetic import synthetic_case

TEXT = [
    "billion-word-imputation",
    "bms-molecular-translation",
    "chaii-hindi-and-tamil-question-answering",
    "multi-modal-gesture-recognition",
    "tweet-sentiment-extraction",
]
MASKS = [
    "google-research-identify-contrails-reduce-global-warming",
    "hubmap-kidney-segmentation",
    "tgs-salt-identification-challenge",
    "uw-madison-gi-tract-image-segmentation",
    "vesuvius-challenge-ink-detection",
]
ALL = TEXT + MASKS

# MLE-bench's sample submissions that score a known value whatever the (synthetic) answers hold
SAMPLE_SCORES = {
    "chaii-hindi-and-tamil-question-answering": 0.0,
    "google-research-identify-contrails-reduce-global-warming": 0.0,
    "hubmap-kidney-segmentation": 0.0,
    "tgs-salt-identification-challenge": 0.0,
    "tweet-sentiment-extraction": 0.0,
    "vesuvius-challenge-ink-detection": 0.0,
}


def case_for(cid: str, n: int = 30, seed: int = 0):
    comp = competitions.get(cid)
    grader = get_grader(comp.grader)
    return comp, grader, synthetic_case(comp, n, np.random.default_rng(seed))


def target(comp) -> str:
    return comp.grader_params["target"]


@pytest.mark.parametrize("cid", ALL)
def test_spec_loads_and_its_metric_exists(cid):
    comp = competitions.get(cid)
    assert comp.metric in metrics.names()
    assert comp.version == "1.0.0" and comp.known_issues
    assert metrics.get(comp.metric).higher_is_better != comp.lower_is_better


@pytest.mark.parametrize("cid", ALL)
def test_perfect_submission_scores_the_best_value(cid):
    comp, grader, case = case_for(cid)
    assert grader.grade(case.perfect_submission, case.answers, comp) == metrics.get(comp.metric).best


@pytest.mark.parametrize("cid", ALL)
def test_sample_submission_grades(cid):
    comp, grader, case = case_for(cid)
    assert list(case.sample_submission.columns[: len(comp.column_names)]) == list(comp.column_names)
    score = grader.grade(case.sample_submission, case.answers, comp)
    assert isinstance(score, float) and not math.isnan(score)
    if cid in SAMPLE_SCORES:
        assert score == SAMPLE_SCORES[cid]
    else:
        assert score != metrics.get(comp.metric).best


def perturbed(comp, case, rng):
    sub = case.perfect_submission.copy()
    col = target(comp)
    values = sub[col].tolist()
    if comp.grader == "text_column":
        i = int(rng.integers(len(values)))
        values[i] = values[i] + " 7" if comp.grader_params.get("int_tokens") else values[i] + " zzz"
    else:  # drop the first non-empty mask
        i = next(k for k, v in enumerate(values) if v not in ("", "-"))
        if comp.grader_params.get("empty_token"):
            values[i] = "-"
        else:  # where an empty cell is invalid, a one-pixel mask in the empty corner
            values[i] = "1 1" if comp.grader_params.get("missing") == "invalid" else ""
    sub[col] = values
    return sub


@pytest.mark.parametrize("cid", ALL)
def test_a_perturbed_submission_scores_worse(cid):
    comp, grader, case = case_for(cid)
    best = grader.grade(case.perfect_submission, case.answers, comp)
    worse = grader.grade(perturbed(comp, case, np.random.default_rng(1)), case.answers, comp)
    assert worse > best if comp.lower_is_better else worse < best


@pytest.mark.parametrize("cid", ALL)
def test_row_order_does_not_change_the_score(cid):
    comp, grader, case = case_for(cid, seed=3)
    sub = perturbed(comp, case, np.random.default_rng(2))
    shuffled = sub.sample(frac=1.0, random_state=4).reset_index(drop=True)
    assert grader.grade(shuffled, case.answers, comp) == grader.grade(sub, case.answers, comp)


@pytest.mark.parametrize("cid", ALL)
def test_unknown_and_missing_ids_are_rejected(cid):
    comp, grader, case = case_for(cid)
    sub = case.perfect_submission.copy()
    sub.loc[0, comp.id_columns[0]] = "not-an-id"
    with pytest.raises(InvalidSubmission) as info:
        grader.grade(sub, case.answers, comp)
    assert info.value.check == "ids_match"


def test_billion_word_rejects_a_missing_sentence():
    comp, grader, case = case_for("billion-word-imputation")
    sub = case.perfect_submission.copy()
    sub["sentence"] = sub["sentence"].astype(object)
    sub.loc[2, "sentence"] = np.nan
    with pytest.raises(InvalidSubmission, match="1 missing or empty value") as info:
        grader.grade(sub, case.answers, comp)
    assert info.value.check == "missing" and info.value.column == "sentence"


def test_bms_scores_a_missing_inchi_as_the_text_nan():
    comp, grader, case = case_for("bms-molecular-translation", n=5)
    sub = case.perfect_submission.copy().astype(object)
    sub.loc[0, "InChI"] = np.nan
    truth = case.answers["InChI"].tolist()
    expected = metrics.score("levenshtein_mean", truth, ["nan"] + truth[1:])
    assert grader.grade(sub, case.answers, comp) == expected


def test_multi_modal_rejects_non_integer_gestures_with_examples():
    comp, grader, case = case_for("multi-modal-gesture-recognition")
    sub = case.perfect_submission.copy()
    sub.loc[3, "Sequence"] = "1 two 3"
    with pytest.raises(InvalidSubmission, match="integers separated by spaces") as info:
        grader.grade(sub, case.answers, comp)
    assert info.value.check == "int_tokens" and info.value.examples == ["1 two 3"]


def test_multi_modal_matches_the_published_formula_by_hand():
    comp = competitions.get("multi-modal-gesture-recognition")
    answers = pd.DataFrame({"Id": ["0300", "0301"], "Sequence": ["1 2 3", "4 5"]})
    sub = pd.DataFrame({"Id": ["0301", "0300"], "Sequence": ["4 5 6", "1 3"]})
    assert get_grader(comp.grader).grade(sub, answers, comp) == 2 / 5


def test_tweet_both_empty_row_makes_the_submission_invalid_but_chaii_scores_it_zero():
    comp, grader, case = case_for("tweet-sentiment-extraction", n=4)
    answers = case.answers.copy()
    answers["selected_text"] = answers["selected_text"].astype(object)
    answers.loc[0, "selected_text"] = np.nan
    sub = case.perfect_submission.copy()
    sub.loc[sub["textID"] == answers.loc[0, "textID"], "selected_text"] = ""
    with pytest.raises(InvalidSubmission, match="no words in either text"):
        grader.grade(sub, answers, comp)

    comp, grader, case = case_for("chaii-hindi-and-tamil-question-answering", n=4)
    answers = case.answers.copy()
    answers["PredictionString"] = answers["PredictionString"].astype(object)
    answers.loc[0, "PredictionString"] = np.nan
    sub = case.perfect_submission.copy()
    sub.loc[sub["id"] == answers.loc[0, "id"], "PredictionString"] = np.nan
    assert grader.grade(sub, answers, comp) == 0.75


def test_tweet_score_is_case_insensitive_and_ignores_repeats():
    comp, grader, case = case_for("tweet-sentiment-extraction", n=3)
    sub = case.perfect_submission.copy()
    sub["selected_text"] = [f"{t.upper()} {t}" for t in sub["selected_text"]]
    assert grader.grade(sub, case.answers, comp) == 1.0


@pytest.mark.parametrize("cid", MASKS)
@pytest.mark.parametrize("bad", ["1 2 3", "5 1 2 1", "0 3", "1 4 2 2", "1 x"])
def test_malformed_rle_is_invalid_and_shows_only_submission_values(cid, bad):
    comp, grader, case = case_for(cid)
    sub = case.perfect_submission.copy()
    sub.loc[0, target(comp)] = bad
    with pytest.raises(InvalidSubmission) as info:
        grader.grade(sub, case.answers, comp)
    assert info.value.check == "rle" and info.value.examples == [bad]
    answer_values = {v for v in case.answers[comp.grader_params["answer_column"]] if isinstance(v, str) and v}
    assert not any(v in info.value.message for v in answer_values)


@pytest.mark.parametrize("cid", MASKS)
def test_runs_past_the_image_are_cut_as_mle_bench_does(cid):
    comp, grader, case = case_for(cid)
    sub = case.perfect_submission.copy()
    best = grader.grade(sub, case.answers, comp)
    h, w = comp.grader_params["synthetic"]["height"], comp.grader_params["synthetic"]["width"]
    # a run starting beyond the last pixel is dropped: the score does not move
    sub.loc[0, target(comp)] = f"{sub.loc[0, target(comp)]} {h * w + 5} 3".strip()
    assert grader.grade(sub, case.answers, comp) == best


@pytest.mark.parametrize("cid", ["tgs-salt-identification-challenge", "vesuvius-challenge-ink-detection"])
def test_extra_columns_are_rejected_where_mle_bench_rejects_them(cid):
    comp, grader, case = case_for(cid)
    sub = case.perfect_submission.assign(extra=1)
    with pytest.raises(InvalidSubmission, match="unexpected column") as info:
        grader.grade(sub, case.answers, comp)
    assert info.value.check == "columns"


def test_contrails_needs_dash_for_empty_and_scores_globally():
    comp, grader, case = case_for("google-research-identify-contrails-reduce-global-warming", n=12)
    sub = case.perfect_submission.copy()
    empty_rows = sub["encoded_pixels"] == "-"
    assert empty_rows.any()
    sub.loc[empty_rows, "encoded_pixels"] = ""  # a blank string is an empty mask too
    assert grader.grade(sub, case.answers, comp) == 1.0
    sub = sub.astype(object)
    sub.loc[empty_rows.idxmax(), "encoded_pixels"] = np.nan
    with pytest.raises(InvalidSubmission, match="missing or empty value"):
        grader.grade(sub, case.answers, comp)
    # every mask empty on both sides: 0/0, NaN as in MLE-bench
    answers = case.answers.assign(encoded_pixels="-")
    nothing = case.perfect_submission.assign(encoded_pixels="-")
    assert math.isnan(grader.grade(nothing, answers, comp))


def test_contrails_global_dice_by_hand():
    comp = competitions.get("google-research-identify-contrails-reduce-global-warming")
    answers = pd.DataFrame(
        {"record_id": ["1", "2"], "encoded_pixels": ["1 4", "-"], "height": [4, 4], "width": [4, 4]}
    )
    sub = pd.DataFrame({"record_id": ["2", "1"], "encoded_pixels": ["1 2", "3 2"]})
    # intersection 2 (pixels 3, 4 of record 1); |truth| 4, |prediction| 4
    assert get_grader(comp.grader).grade(sub, answers, comp) == 2 * 2 / 8


def test_tgs_empty_prediction_quirk_through_the_grader():
    comp = competitions.get("tgs-salt-identification-challenge")
    answers = pd.DataFrame({"id": ["a1", "b2"], "rle_mask": [f"1 {int(101 * 101 * 0.8)}", np.nan]})
    sub = pd.DataFrame({"id": ["a1", "b2"], "rle_mask": [np.nan, np.nan]})
    # image a1: 80% coverage predicted empty scores 0.6 (IoU 0.8); image b2: both empty scores 1
    assert get_grader(comp.grader).grade(sub, answers, comp) == pytest.approx(0.8, abs=1e-12)


def test_uw_madison_matches_the_metric_on_decoded_volumes():
    comp, grader, case = case_for("uw-madison-gi-tract-image-segmentation", n=24, seed=5)
    sub = perturbed(comp, case, np.random.default_rng(0))
    got = grader.grade(sub, case.answers, comp)
    ans = case.answers
    aligned = sub.set_index(["id", "class"]).loc[list(zip(ans["id"], ans["class"]))]
    from metrics.segmentation import rle_decode

    shape = (266, 266)
    t = [rle_decode(r, shape) for r in ans["predicted"]]
    p = [rle_decode(r, shape) for r in aligned["predicted"]]
    expected = metrics.score(
        "dice_hausdorff", t, p, slice_ids=ans["id"].tolist(),
        volume_ids=[i.split("_slice_")[0] for i in ans["id"]], max_volume_ratio=10.0,
    )
    assert got == expected and 0 < got < 1


def test_vesuvius_reads_row_major_runs():
    comp = competitions.get("vesuvius-challenge-ink-detection")
    answers = pd.DataFrame({"Id": ["a"], "Predicted": ["2 2"], "width": [3], "height": [2]})
    # row-major: "2 2" is the second and third pixel of the first row
    same = pd.DataFrame({"Id": ["a"], "Predicted": ["2 2"]})
    assert get_grader(comp.grader).grade(same, answers, comp) == 1.0
    half = pd.DataFrame({"Id": ["a"], "Predicted": ["3 2"]})  # one of two predicted pixels is ink
    assert get_grader(comp.grader).grade(half, answers, comp) == pytest.approx(0.5, abs=1e-12)
