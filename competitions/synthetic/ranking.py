"""Synthetic material for the ranking and correlation graders (``binary_columns``, ``numeric_columns``,
``map_at_k_strings``, ``jigsaw_unintended``, ``kendall_orderings``): answers, MLE-bench's sample submission
and a perfect submission. The per-competition formats (id shapes, label shapes, the sample submission
MLE-bench's preparer writes) are in ``_FORMATS``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from competitions.graders.ranking import JIGSAW_IDENTITIES
from competitions.synthetic import SyntheticCase, register_synthetic

__all__ = [
    "binary_columns", "numeric_columns", "map_at_k_strings", "jigsaw_unintended", "kendall_orderings",
    "FREESOUND_CLASSES", "GOOGLE_QUEST_TARGETS",
]


def _hex(rng: np.random.Generator, n: int, length: int) -> list[str]:
    alphabet = np.array(list("0123456789abcdef"))
    return ["".join(row) for row in alphabet[rng.integers(0, 16, (n, length))]]


def _unique(make: Callable[[np.random.Generator, int], list[str]]) -> Callable[[np.random.Generator, int], list[str]]:
    def build(rng: np.random.Generator, n: int) -> list[str]:
        out: list[str] = []
        seen: set[str] = set()
        while len(out) < n:
            for value in make(rng, n):
                if value not in seen and len(out) < n:
                    seen.add(value)
                    out.append(value)
        return out

    return build


def _ints(start: int) -> Callable[[np.random.Generator, int], list[str]]:
    return lambda rng, n: [str(v) for v in start + np.sort(rng.choice(10 * n, n, replace=False))]


_WORDS = np.array("you are the a idiot great post thanks what really not this so good bad".split())


def _comment_ids(rng: np.random.Generator, n: int) -> list[str]:
    return [f'"{" ".join(_WORDS[rng.integers(0, len(_WORDS), 6)])} {i}"' for i in range(n)]


_ID_MAKERS: dict[str, Callable[[np.random.Generator, int], list[str]]] = {
    "hex32.jpg": _unique(lambda rng, n: [h + ".jpg" for h in _hex(rng, n, 32)]),
    "hex40": _unique(lambda rng, n: _hex(rng, n, 40)),
    "hex16": _unique(lambda rng, n: _hex(rng, n, 16)),
    "hex15": _unique(lambda rng, n: _hex(rng, n, 15)),
    "hex8.wav": _unique(lambda rng, n: [h + ".wav" for h in _hex(rng, n, 8)]),
    "hex16.jpg": _unique(lambda rng, n: [h + ".jpg" for h in _hex(rng, n, 16)]),
    "hex9.jpg": _unique(lambda rng, n: [h + ".jpg" for h in _hex(rng, n, 9)]),
    "hex14": _unique(lambda rng, n: _hex(rng, n, 14)),
    "hex64": _unique(lambda rng, n: _hex(rng, n, 64)),
    "alaska": lambda rng, n: [f"{i:04d}.jpg" for i in range(1, n + 1)],
    "int": _ints(0),
    "int_offset": _ints(450_000),
    "pizza": _unique(lambda rng, n: ["t3_" + h[:6] for h in _hex(rng, n, 6)]),
    "uid": _unique(lambda rng, n: [f"1.2.826.0.1.3680043.8.498.{v}" for v in rng.integers(10**10, 10**11, n)]),
    "isic": _unique(lambda rng, n: [f"ISIC_{v:07d}" for v in rng.integers(0, 10**7, n)]),
    "test_i": lambda rng, n: [f"Test_{i}" for i in range(n)],
    "whale_clip": lambda rng, n: [f"20090330_{i:06d}_{i % 60:03d}s2ms_Test{i}.aif" for i in range(n)],
    "comment": _comment_ids,
}


@dataclass
class _Format:
    """How one competition's synthetic files look."""

    ids: str
    #: sample submission value per target: a number, "linspace" (0..1 by row), or a string
    sample: Any = 0.5
    #: how 0/1 answers are drawn: "independent" columns, "one_hot" rows, "multi_label" rows (>=1 label)
    labels: str = "independent"
    #: extra answer columns -> maker(rng, n)
    answer_extras: dict[str, Callable[[np.random.Generator, int], Any]] = field(default_factory=dict)
    #: extra answer columns placed before the targets
    answer_before: dict[str, Callable[[np.random.Generator, int], Any]] = field(default_factory=dict)
    #: fraction of answer rows written as -1 (unscored) in every target
    unscored: float = 0.0
    #: continuous answer levels for numeric_columns
    levels: tuple[float, ...] = ()
    min_rows: int = 8
    #: rows per id group (mlsp: species per recording)
    group: int = 0
    #: answers column order when it differs from id, extras-before, targets, extras
    order: tuple[str, ...] = ()


def _binary_labels(rng: np.random.Generator, n: int, m: int, mode: str) -> np.ndarray:
    if mode == "one_hot":
        labels = np.zeros((n, m), dtype=np.int64)
        cls = rng.permutation(np.arange(n) % m)
        labels[np.arange(n), cls] = 1
        return labels
    if mode == "multi_label":
        labels = (rng.random((n, m)) < 1.0 / m).astype(np.int64)
        labels[np.arange(n), rng.integers(0, m, n)] = 1
        return labels
    labels = (rng.random((n, m)) < 0.4).astype(np.int64)
    labels[0], labels[1] = 0, 1  # both classes in every column
    return labels[rng.permutation(n)]


def _rand01(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, 2, n)


def _text(prefix: str) -> Callable[[np.random.Generator, int], list[str]]:
    return lambda rng, n: [f"{prefix}{v}" for v in rng.integers(0, 10**6, n)]


FREESOUND_CLASSES = [
    "Accelerating_and_revving_and_vroom", "Accordion", "Acoustic_guitar", "Applause", "Bark", "Bass_drum",
    "Bass_guitar", "Bathtub_(filling_or_washing)", "Bicycle_bell", "Burping_and_eructation", "Bus", "Buzz",
    "Car_passing_by", "Cheering", "Chewing_and_mastication", "Child_speech_and_kid_speaking",
    "Chink_and_clink", "Chirp_and_tweet", "Church_bell", "Clapping", "Computer_keyboard", "Crackle",
    "Cricket", "Crowd", "Cupboard_open_or_close", "Cutlery_and_silverware", "Dishes_and_pots_and_pans",
    "Drawer_open_or_close", "Drip", "Electric_guitar", "Fart", "Female_singing",
    "Female_speech_and_woman_speaking", "Fill_(with_liquid)", "Finger_snapping", "Frying_(food)", "Gasp",
    "Glockenspiel", "Gong", "Gurgling", "Harmonica", "Hi-hat", "Hiss", "Keys_jangling", "Knock",
    "Male_singing", "Male_speech_and_man_speaking", "Marimba_and_xylophone", "Mechanical_fan", "Meow",
    "Microwave_oven", "Motorcycle", "Printer", "Purr", "Race_car_and_auto_racing", "Raindrop", "Run",
    "Scissors", "Screaming", "Shatter", "Sigh", "Sink_(filling_or_washing)", "Skateboard", "Slam", "Sneeze",
    "Squeak", "Stream", "Strum", "Tap", "Tick-tock", "Toilet_flush", "Traffic_noise_and_roadway_noise",
    "Trickle_and_dribble", "Walk_and_footsteps", "Water_tap_and_faucet", "Waves_and_surf", "Whispering",
    "Writing", "Yell", "Zipper_(clothing)",
]

GOOGLE_QUEST_TARGETS = [
    "question_asker_intent_understanding", "question_body_critical", "question_conversational",
    "question_expect_short_answer", "question_fact_seeking", "question_has_commonly_accepted_answer",
    "question_interestingness_others", "question_interestingness_self", "question_multi_intent",
    "question_not_really_a_question", "question_opinion_seeking", "question_type_choice",
    "question_type_compare", "question_type_consequence", "question_type_definition",
    "question_type_entity", "question_type_instructions", "question_type_procedure",
    "question_type_reason_explanation", "question_type_spelling", "question_well_written",
    "answer_helpful", "answer_level_of_information", "answer_plausible", "answer_relevance",
    "answer_satisfaction", "answer_type_instructions", "answer_type_procedure",
    "answer_type_reason_explanation", "answer_well_written",
]


_FORMATS: dict[str, _Format] = {
    "aerial-cactus-identification": _Format("hex32.jpg", sample=0.5),
    "alaska2-image-steganalysis": _Format("alaska", sample=0),
    "detecting-insults-in-social-commentary": _Format(
        "comment", sample=0, order=("Insult", "Date", "Comment", "Usage"),
        answer_extras={"Date": lambda rng, n: [f"2012061{v % 10}192155Z" for v in rng.integers(0, 100, n)],
                       "Usage": lambda rng, n: ["PrivateTest"] * n},
    ),
    "freesound-audio-tagging-2019": _Format("hex8.wav", sample=0, labels="multi_label"),
    "histopathologic-cancer-detection": _Format("hex40", sample=0),
    "invasive-species-monitoring": _Format("int", sample=0.5),
    "jigsaw-toxic-comment-classification-challenge": _Format("hex16", sample=0.5, unscored=0.25, min_rows=12),
    "mlsp-2013-birds": _Format("int", sample=0, group=19),
    "plant-pathology-2020-fgvc7": _Format("test_i", sample=0.25, labels="one_hot"),
    "playground-series-s3e18": _Format(
        "int_offset", sample=0.5,
        answer_before={"BertzCT": lambda rng, n: rng.random(n).round(3)},
        answer_extras={f"EC{i}": _rand01 for i in range(3, 7)},
    ),
    "random-acts-of-pizza": _Format("pizza", sample=0),
    "ranzcr-clip-catheter-line-classification": _Format(
        "uid", sample=0,
        answer_extras={"CVC - Normal": _rand01, "Swan Ganz Catheter Present": _rand01,
                       "PatientID": _text("ec89415d1")},
    ),
    "rsna-miccai-brain-tumor-radiogenomic-classification": _Format("int", sample=0.5),
    "seti-breakthrough-listen": _Format("hex15", sample=0.5),
    "siim-isic-melanoma-classification": _Format("isic", sample=0),
    "tabular-playground-series-may-2022": _Format(
        "int_offset", sample=0.5, answer_before={"f_00": lambda rng, n: rng.normal(size=n).round(4)},
    ),
    "the-icml-2013-whale-challenge-right-whale-redux": _Format("whale_clip", sample=0),
    "google-quest-challenge": _Format("int", sample="linspace", levels=(0.0, 1 / 3, 0.5, 2 / 3, 1.0)),
    "us-patent-phrase-to-phrase-matching": _Format(
        "hex16", sample=0, levels=(0.0, 0.25, 0.5, 0.75, 1.0),
        answer_before={"anchor": _text("anchor "), "target": _text("target "), "context": _text("A")},
    ),
    "h-and-m-personalized-fashion-recommendations": _Format(
        "hex64",
        sample="0706016001 0706016002 0372860001 0610776002 0759871002 0464297007 0372860002 0610776001 "
        "0399223001 0706016003 0720125001 0156231001",
    ),
    "hotel-id-2021-fgvc8": _Format(
        "hex16.jpg", sample="36363 53586 18807 64314 60181",
        answer_before={"chain": lambda rng, n: rng.integers(0, 90, n)},
        answer_extras={"timestamp": lambda rng, n: ["2018-04-07 18:16:15"] * n},
    ),
    "whale-categorization-playground": _Format(
        "hex9.jpg", sample="new_whale w_1287fbc w_98baff9 w_7554f44 w_1eafe46",
    ),
    "jigsaw-unintended-bias-in-toxicity-classification": _Format("int_offset", sample=0.0, min_rows=60),
    "AI4Code": _Format("hex14"),
}


def _format(comp: Any) -> _Format:
    try:
        return _FORMATS[comp.id]
    except KeyError:
        raise KeyError(f"no synthetic format for {comp.id!r} in competitions/graders/ranking.py") from None


def _ids(fmt: _Format, rng: np.random.Generator, n: int) -> list[str]:
    if fmt.group:
        recs = max(1, n // fmt.group)
        return [str(rec * 100 + s) for rec in range(recs) for s in range(fmt.group)]
    return _ID_MAKERS[fmt.ids](rng, n)


def _shuffled(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    return frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)


def _sample_values(fmt: _Format, n: int) -> Any:
    if fmt.sample == "linspace":
        return np.linspace(0, 1, n)
    return fmt.sample


def _targets(comp: Any) -> tuple[list[str], list[str]]:
    params = comp.grader_params
    targets = list(params["targets"])
    return targets, list(params.get("answer_targets", targets))


def _binary_values(fmt: _Format, rng: np.random.Generator, n: int, m: int) -> np.ndarray:
    return _binary_labels(rng, n, m, fmt.labels)


def _level_values(fmt: _Format, rng: np.random.Generator, n: int, m: int) -> np.ndarray:
    levels = np.asarray(fmt.levels)
    values = levels[rng.integers(0, len(levels), (n, m))]
    values[0], values[1] = levels[0], levels[-1]  # no constant column
    return values[rng.permutation(n)]


def _columns_case(comp: Any, n_rows: int, rng: np.random.Generator,
                  answer_values: Callable[[_Format, np.random.Generator, int, int], np.ndarray]) -> SyntheticCase:
    fmt = _format(comp)
    targets, answer_targets = _targets(comp)
    id_col = comp.id_columns[0]
    ids = _ids(fmt, rng, max(n_rows, fmt.min_rows))
    n = len(ids)
    values = answer_values(fmt, rng, n, len(targets))
    answers = pd.DataFrame({id_col: ids})
    for name, make in fmt.answer_before.items():
        answers[name] = make(rng, n)
    for j, name in enumerate(answer_targets):
        answers[name] = values[:, j]
    if fmt.unscored:
        unscored = rng.random(n) < fmt.unscored
        unscored[:2] = False  # keep both classes among scored rows
        answers.loc[unscored, answer_targets] = -1
    for name, make in fmt.answer_extras.items():
        answers[name] = make(rng, n)
    if fmt.order:
        answers = answers[list(fmt.order)]
    sample = pd.DataFrame({c.name: answers[c.name] if c.name in answers else 0.0 for c in comp.submission_columns})
    for name in targets:
        sample[name] = _sample_values(fmt, n)
    perfect = sample.copy()
    for name, answer_name in zip(targets, answer_targets):
        perfect[name] = answers[answer_name].astype(np.float64)
    return SyntheticCase(answers=answers, sample_submission=sample, perfect_submission=_shuffled(perfect, rng))


@register_synthetic("binary_columns")
def binary_columns(comp: Any, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
    """Score columns against 0/1 answer columns (drawn independently, one-hot or multi-label)."""
    return _columns_case(comp, n_rows, rng, _binary_values)


@register_synthetic("numeric_columns")
def numeric_columns(comp: Any, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
    """Prediction columns against continuous answers drawn from the format's levels."""
    return _columns_case(comp, n_rows, rng, _level_values)


@register_synthetic("map_at_k_strings")
def map_at_k_strings(comp: Any, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
    """Ranked space-separated predictions against the answers' labels (H&M: extra sample ids)."""
    fmt = _format(comp)
    params = comp.grader_params
    target = params["target"]
    answer_target = params.get("answer_target", target)
    id_col = comp.id_columns[0]
    n = max(n_rows, fmt.min_rows)
    k = int(comp.metric_params.get("k", 12))
    if comp.id == "h-and-m-personalized-fashion-recommendations":
        articles = [str(v) for v in np.unique(rng.integers(108775015, 959461001, 200))]
        truth = [" ".join(rng.choice(articles, rng.integers(1, 6), replace=False)) for _ in range(n)]
    elif comp.id == "whale-categorization-playground":
        whales = ["new_whale"] + [f"w_{h[:7]}" for h in _hex(rng, 30, 7)]
        truth = [str(v) for v in rng.choice(whales, n)]
    else:
        truth = [str(v) for v in rng.integers(0, 100_000, n)]
    all_ids = _ids(fmt, rng, n * 2 if params.get("id_policy") == "superset" else n)
    answers = pd.DataFrame({id_col: all_ids[:n]})
    for name, make in fmt.answer_before.items():
        answers[name] = make(rng, n)
    answers[answer_target] = truth
    for name, make in fmt.answer_extras.items():
        answers[name] = make(rng, n)
    sample = pd.DataFrame({id_col: all_ids, target: fmt.sample})
    perfect_values = truth + [fmt.sample] * (len(all_ids) - n)
    perfect = pd.DataFrame({id_col: all_ids, target: [" ".join(t.split(" ")[:k]) for t in perfect_values]})
    return SyntheticCase(answers=answers, sample_submission=sample, perfect_submission=_shuffled(perfect, rng))


@register_synthetic("jigsaw_unintended")
def jigsaw_unintended(comp: Any, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
    """Toxicity and identity columns where every subgroup AUC is defined, and predictions that rank them."""
    fmt = _format(comp)
    identities = list(comp.grader_params.get("identity_columns", JIGSAW_IDENTITIES))
    n = max(n_rows, fmt.min_rows, 8 * len(identities))
    ids = _ids(fmt, rng, n)
    # Every identity gets toxic and non-toxic members and non-members, so every AUC is defined.
    toxic = np.resize([0.0, 0.2, 0.6, 1.0, 0.1, 0.8, 0.0, 0.7], n)
    member = np.zeros((n, len(identities)))
    for j in range(len(identities)):
        member[8 * j: 8 * j + 4, j] = [1.0, 0.9, 0.6, 0.5]
    answers = pd.DataFrame({"id": ids, "comment_text": [f"comment {i}" for i in range(n)]})
    answers["toxicity"] = toxic
    for j, name in enumerate(identities):
        answers[name] = member[:, j]
    answers["severe_toxicity"] = 0.0
    perm = rng.permutation(n)
    answers = answers.iloc[perm].reset_index(drop=True)
    sample = pd.DataFrame({"id": answers["id"], "prediction": 0.0})
    # A perfect score needs predictions that rank every toxic row above every non-toxic one; after
    # MLE-bench's binarisation that means predicting >= 0.5 exactly for the toxic rows.
    perfect = pd.DataFrame({"id": answers["id"], "prediction": (answers["toxicity"] >= 0.5).astype(float)})
    return SyntheticCase(answers=answers, sample_submission=sample, perfect_submission=_shuffled(perfect, rng))


@register_synthetic("kendall_orderings")
def kendall_orderings(comp: Any, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
    """AI4Code cell orders: the sample lists code cells in order, then the markdown cells shuffled."""
    fmt = _format(comp)
    n = max(n_rows, fmt.min_rows)
    ids = _ids(fmt, rng, n)
    truth, sample = [], []
    for _ in range(n):
        n_code, n_md = int(rng.integers(1, 8)), int(rng.integers(1, 5))
        cells = _unique(lambda r, m: _hex(r, m, 8))(rng, n_code + n_md)
        kinds = rng.permutation(["code"] * n_code + ["markdown"] * n_md)
        code = [c for c, kind in zip(cells, kinds) if kind == "code"]
        markdown = [c for c, kind in zip(cells, kinds) if kind == "markdown"]
        truth.append(" ".join(cells))
        # The notebook JSON lists code cells in order, then the markdown cells shuffled.
        sample.append(" ".join(code + list(rng.permutation(markdown))))
    answers = pd.DataFrame({"id": ids, "cell_order": truth})
    sample_sub = pd.DataFrame({"id": ids, "cell_order": sample})
    perfect = answers.copy()
    return SyntheticCase(answers=answers, sample_submission=sample_sub, perfect_submission=_shuffled(perfect, rng))
