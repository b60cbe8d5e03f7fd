"""Synthetic material for the classification graders (``label_column``, ``tf2qa_spans``): answers, the sample
submission MLE-bench's preparer writes, and a perfect submission, in each competition's own formats.

The per-competition formats of ``label_column`` (id shapes, label sets, the sample submission) are in
``_FORMATS``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from competitions.synthetic import SyntheticCase, register_synthetic

__all__ = ["label_column", "tf2qa_spans"]


@register_synthetic("label_column")
def label_column(comp: Any, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
    """One label column per id: answers, MLE-bench's sample submission and a perfect submission (``_FORMATS``)."""
    fmt = _FORMATS[comp.id]
    n = max(n_rows, fmt.min_rows)
    params = comp.grader_params
    target = params["target"]
    answer_target = params.get("answer_target", target)
    ids = fmt.make_ids(rng, n)
    labels = fmt.make_labels(rng, n)
    id_col = comp.id_columns[0]
    answers = pd.DataFrame({id_col: ids})
    for name, make in fmt.columns_before.items():
        answers[name] = make(rng, n)
    answers[answer_target] = labels
    for name, make in fmt.columns_after.items():
        answers[name] = make(rng, n)
    perfect = pd.DataFrame({id_col: ids, target: _as_submitted(labels, comp, target)})
    sample = fmt.make_sample(rng, answers, comp)
    perm = rng.permutation(n)
    return SyntheticCase(
        answers=answers,
        sample_submission=sample,
        perfect_submission=perfect.iloc[perm].reset_index(drop=True),
        extra={"expected_sample_score": fmt.expected_sample_score(answers, comp)},
    )


def _as_submitted(labels: np.ndarray, comp: Any, target: str) -> Any:
    dtype = next(c.dtype for c in comp.submission_columns if c.name == target)
    if dtype == "str":
        return pd.array([str(v) for v in labels], dtype="str")
    return labels


@register_synthetic("tf2qa_spans")
def tf2qa_spans(comp: Any, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
    """TensorFlow 2.0 QA: JSONL answer records, a blank sample submission and the gold submission."""
    n = max(n_rows // 2, 4)
    records = [_synthetic_record(rng, i) for i in range(n)]
    if len({r["example_id"] for r in records}) < n:  # keep example ids unique
        for i, record in enumerate(records):
            record["example_id"] = f"{i}{record['example_id'].lstrip('-')[:12]}"
    records[0]["annotations"][0]["yes_no_answer"] = "YES"  # make every answer kind occur
    records[1]["annotations"][0]["long_answer"] = {"start_token": -1, "end_token": -1, "candidate_index": -1}
    records[1]["annotations"][0]["short_answers"] = []
    records[1]["annotations"][0]["yes_no_answer"] = "NONE"
    gold = _gold_rows(records)
    sample = gold.assign(PredictionString="")
    perm = rng.permutation(len(gold))
    answers_no_gold = sum(v == "" for v in gold["PredictionString"]) / len(gold)
    return SyntheticCase(
        answers=records,
        sample_submission=sample,
        perfect_submission=gold.iloc[perm].reset_index(drop=True),
        extra={"expected_sample_score": answers_no_gold, "gold_submission": gold},
    )


def _gold_rows(records: list[dict[str, Any]]) -> pd.DataFrame:
    """The gold submission MLE-bench's preparer writes (short row first, then long, per example)."""
    out = []
    for record in records:
        note = record["annotations"][0]
        if note["yes_no_answer"] != "NONE":
            short = note["yes_no_answer"]
        elif note["short_answers"]:
            short = f"{note['short_answers'][0]['start_token']}:{note['short_answers'][0]['end_token']}"
        else:
            short = ""
        long = note["long_answer"]
        long_text = f"{long['start_token']}:{long['end_token']}" if long["start_token"] != -1 else ""
        out.append((f"{record['example_id']}_short", short))
        out.append((f"{record['example_id']}_long", long_text))
    frame = pd.DataFrame(out, columns=["example_id", "PredictionString"])
    return frame.astype({"example_id": "str", "PredictionString": "str"})


def _synthetic_record(rng: np.random.Generator, i: int) -> dict[str, Any]:
    words = rng.choice(["the", "river", "flows", "north", "<P>", "</P>", "city", "in", "1901"], size=60)
    start = int(rng.integers(0, 30))
    long = {"start_token": start, "end_token": start + 20, "candidate_index": int(rng.integers(0, 5))}
    has_long = rng.random() < 0.6
    short = []
    if has_long and rng.random() < 0.6:
        s = start + int(rng.integers(1, 10))
        short = [{"start_token": s, "end_token": s + int(rng.integers(1, 4))}]
    if not has_long:
        long = {"start_token": -1, "end_token": -1, "candidate_index": -1}
    return {
        "example_id": str(int(rng.integers(-(2**62), 2**62)) * 2 + (i % 2)),  # signed 64-bit, as in NQ
        "question_text": "where does the river flow",
        "document_text": " ".join(words),
        "long_answer_candidates": [{"start_token": 0, "end_token": 30, "top_level": True}],
        "annotations": [
            {
                "annotation_id": int(rng.integers(10**6, 10**7)),
                "long_answer": long,
                "short_answers": short,
                "yes_no_answer": "NONE",
            }
        ],
        "document_url": "https://en.wikipedia.org/w/index.php?title=River",
    }


# ---------------------------------------------------------------------------------------------
# Per-competition synthetic formats for label_column
# ---------------------------------------------------------------------------------------------

Maker = Callable[[np.random.Generator, int], Any]


def _hex_ids(length: int, suffix: str = "") -> Maker:
    def make(rng: np.random.Generator, n: int) -> list[str]:
        raw = rng.integers(0, 16, size=(n, length))
        ids = ["".join("0123456789abcdef"[d] for d in row) + suffix for row in raw]
        if len(set(ids)) < n:  # short ids can collide: fall back to distinct numbers written in hex
            ids = [f"{i:0{length}x}{suffix}" for i in rng.permutation(n)]
        return ids
    return make


def _int_ids(low: int, high: int, suffix: str = "") -> Maker:
    def make(rng: np.random.Generator, n: int) -> list[str]:
        picked = rng.choice(high - low, size=n, replace=False) + low
        return [f"{v}{suffix}" for v in picked]
    return make


def _seq_ids(rng: np.random.Generator, n: int) -> list[str]:
    return [str(i) for i in range(n)]


def _uuid_ids(rng: np.random.Generator, n: int) -> list[str]:
    parts = [_hex_ids(8)(rng, n), _hex_ids(4)(rng, n)]
    return [f"{a}-{b}-11e8-a6a3-ec086b02610b" for a, b in zip(*parts)]


def _all_classes(values: list[Any]) -> Maker:
    """Labels drawn from ``values`` with each one present when n allows."""
    def make(rng: np.random.Generator, n: int) -> np.ndarray:
        picked = rng.choice(np.asarray(values, dtype=object), size=n)
        head = min(n, len(values))
        picked[:head] = np.asarray(values, dtype=object)[rng.permutation(len(values))[:head]]
        out = rng.permutation(picked)
        return out.astype(type(values[0])) if not isinstance(values[0], str) else out.astype(object)
    return make


def _label_lists(vocab: list[str], most: int = 3) -> Maker:
    def make(rng: np.random.Generator, n: int) -> np.ndarray:
        return np.array(
            [" ".join(sorted(rng.choice(vocab, size=int(rng.integers(1, most + 1)), replace=False))) for _ in range(n)],
            dtype=object,
        )
    return make


def _constant_sample(value: Any) -> Callable[[np.random.Generator, pd.DataFrame, Any], pd.DataFrame]:
    def make(rng: np.random.Generator, answers: pd.DataFrame, comp: Any) -> pd.DataFrame:
        id_col, target = comp.id_columns[0], comp.grader_params["target"]
        column = pd.array([value] * len(answers), dtype="str") if isinstance(value, str) else [value] * len(answers)
        return pd.DataFrame({id_col: answers[id_col].to_numpy(), target: column})
    return make


def _with_answer_columns(base: Callable, columns: list[str], position: int = 1) -> Callable:
    """A sample that also carries answers' columns (e.g. facebook's Title and Body)."""
    def make(rng: np.random.Generator, answers: pd.DataFrame, comp: Any) -> pd.DataFrame:
        frame = base(rng, answers, comp)
        for offset, c in enumerate(columns):
            frame.insert(position + offset, c, answers[c].to_numpy())
        return frame
    return make


def _with_index_column(base: Callable) -> Callable:
    """A sample written with its pandas index: an unnamed first column 0..n-1."""
    def make(rng: np.random.Generator, answers: pd.DataFrame, comp: Any) -> pd.DataFrame:
        frame = base(rng, answers, comp)
        frame.insert(0, "", np.arange(len(frame)))
        return frame
    return make


def _legacy_random_sample(low: int, high: int, seed: int) -> Callable:
    """Random integer labels from numpy's legacy generator, as the preparers draw them (seeded)."""
    def make(rng: np.random.Generator, answers: pd.DataFrame, comp: Any) -> pd.DataFrame:
        id_col, target = comp.id_columns[0], comp.grader_params["target"]
        values = np.random.RandomState(seed).randint(low, high, size=len(answers))
        return pd.DataFrame({id_col: answers[id_col].to_numpy(), target: values})
    return make


def _no_expectation(answers: pd.DataFrame, comp: Any) -> float | None:
    return None


def _const_expect(value: float) -> Callable:
    return lambda answers, comp: value


def _accuracy_of_constant(value: Any) -> Callable:
    def expect(answers: pd.DataFrame, comp: Any) -> float:
        target = comp.grader_params.get("answer_target", comp.grader_params["target"])
        return float(np.mean(answers[target].to_numpy() == value))
    return expect


def _pf1_of_constant(p: float) -> Callable:
    def expect(answers: pd.DataFrame, comp: Any) -> float:
        prevalence = float(np.mean(answers["cancer"].to_numpy()))
        return 2 * prevalence * p / (prevalence + p)
    return expect


@dataclass
class _Format:
    make_ids: Maker
    make_labels: Maker
    make_sample: Callable[[np.random.Generator, pd.DataFrame, Any], pd.DataFrame]
    expected_sample_score: Callable[[pd.DataFrame, Any], float | None] = _no_expectation
    #: answers columns other than the id and the target, before and after the target
    columns_before: dict[str, Maker] = field(default_factory=dict)
    columns_after: dict[str, Maker] = field(default_factory=dict)
    min_rows: int = 8


def _text(words: list[str]) -> Maker:
    def make(rng: np.random.Generator, n: int) -> np.ndarray:
        return np.array([" ".join(rng.choice(words, size=6)) for _ in range(n)], dtype=object)
    return make


def _ints(low: int, high: int) -> Maker:
    return lambda rng, n: rng.integers(low, high, n)


_SPECIES = ["Black-grass", "Charlock", "Cleavers", "Common Chickweed", "Common wheat", "Fat Hen",
            "Loose Silky-bent", "Maize", "Scentless Mayweed", "Shepherds Purse", "Small-flowered Cranesbill",
            "Sugar beet"]
_PADDY = ["bacterial_leaf_blight", "bacterial_leaf_streak", "bacterial_panicle_blight", "blast", "brown_spot",
          "dead_heart", "downy_mildew", "hispa", "normal", "tungro"]
_SPEECH = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go", "bed", "bird", "cat", "dog",
           "_background_noise_"]
_TAGS = ["c#", "java", "php", "javascript", "android", "jquery", "python", "c++", "ios", "mysql", "html", "sql"]
_LEAF = ["healthy", "scab", "frog_eye_leaf_spot", "rust", "complex", "powdery_mildew"]

_FORMATS: dict[str, _Format] = {
    "aptos2019-blindness-detection": _Format(
        _hex_ids(12), _all_classes([0, 1, 2, 3, 4]), _constant_sample(0), _const_expect(0.0)),
    "cassava-leaf-disease-classification": _Format(
        _int_ids(1_000_015, 4_294_000_000, ".jpg"), _all_classes([0, 1, 2, 3, 4]), _constant_sample(4),
        _accuracy_of_constant(4)),
    "cdiscount-image-classification-challenge": _Format(
        _int_ids(0, 25_000_000), _all_classes([1000010653, 1000010667, 1000004079, 1000018290, 1000012990]),
        _constant_sample(1000010653), _accuracy_of_constant(1000010653)),
    "facebook-recruiting-iii-keyword-extraction": _Format(
        _int_ids(1, 6_034_196), _label_lists(_TAGS),
        _with_answer_columns(_constant_sample("javascript c# python php java"), ["Title", "Body"]),
        columns_before={"Title": _text(["how", "to", "parse", "json", "in", "java"]),
                        "Body": _text(["<p>", "I", "tried", "this", "code", "</p>"])}),
    # Category ids chosen so that the sample's constant class never occurs: macro F1 0, as on the real data.
    "herbarium-2020-fgvc7": _Format(_seq_ids, _all_classes(list(range(1, 40))), _constant_sample(0), _const_expect(0.0)),
    "herbarium-2021-fgvc8": _Format(_seq_ids, _all_classes(list(range(1, 40))), _constant_sample(0), _const_expect(0.0)),
    "herbarium-2022-fgvc9": _Format(
        _seq_ids, _all_classes(list(range(43, 80))), _constant_sample(42), _const_expect(0.0)),
    "imet-2020-fgvc7": _Format(
        _hex_ids(16), _label_lists([str(v) for v in (13, 147, 189, 405, 671, 813, 896, 1059, 1092, 3465)]),
        _constant_sample("0 1 2"), _const_expect(0.0)),
    "inaturalist-2019-fgvc6": _Format(
        _int_ids(0, 268_243), _all_classes(list(range(600, 700))), _constant_sample("654"), _no_expectation),
    "iwildcam-2019-fgvc6": _Format(
        _uuid_ids, _all_classes([1, 3, 4, 8, 10, 11, 13, 14, 16, 17, 18, 19, 22]),
        _with_index_column(_constant_sample(0)), _const_expect(0.0)),
    "iwildcam-2020-fgvc7": _Format(
        _uuid_ids, _all_classes([0, 1, 2, 3, 6, 8, 24, 72, 101, 372]), _legacy_random_sample(0, 676, seed=0)),
    "learning-agency-lab-automated-essay-scoring-2": _Format(
        _hex_ids(7), _all_classes([1, 2, 3, 4, 5, 6]), _legacy_random_sample(1, 7, seed=42),
        columns_before={"full_text": _text(["Students", "should", "use", "phones", "in", "class."])}),
    "ml2021spring-hw2": _Format(_seq_ids, _all_classes(list(range(39))), _constant_sample(0), _accuracy_of_constant(0),
                                min_rows=40),
    "movie-review-sentiment-analysis-kernels-only": _Format(
        _int_ids(1, 156_061), _all_classes([0, 1, 2, 3, 4]), _constant_sample(2), _accuracy_of_constant(2),
        columns_before={"SentenceId": _ints(1, 8545), "Phrase": _text(["a", "gorgeous", "film", "dull", "plot"])}),
    "nfl-player-contact-detection": _Format(
        lambda rng, n: [f"58168_003392_{s}_{a}_{b}" for s, a, b in zip(
            range(n), rng.integers(37000, 48000, n), ["G" if g else str(v) for g, v in zip(
                rng.random(n) < 0.2, rng.integers(37000, 48000, n))])],
        _all_classes([0, 1]), _constant_sample(0), _const_expect(0.0),
        columns_before={"game_play": lambda rng, n: ["58168_003392"] * n,
                        "datetime": lambda rng, n: ["2020-09-11T03:01:48.100Z"] * n,
                        "step": _ints(0, 150), "nfl_player_id_1": _ints(37000, 48000),
                        "nfl_player_id_2": lambda rng, n: [str(v) for v in rng.integers(37000, 48000, n)]}),
    "paddy-disease-classification": _Format(
        _int_ids(100_000, 111_000, ".jpg"), _all_classes(_PADDY),
        lambda rng, answers, comp: pd.DataFrame({"image_id": answers["image_id"].to_numpy(),
                                                 "label": [np.nan] * len(answers)}),
        _const_expect(0.0),
        columns_after={"variety": lambda rng, n: rng.choice(["ADT45", "KarnatakaPonni", "Zonal"], n),
                       "age": _ints(45, 82)}),
    "plant-pathology-2021-fgvc8": _Format(
        _hex_ids(16, ".jpg"), _label_lists(_LEAF, 2), _constant_sample("healthy")),
    "plant-seedlings-classification": _Format(
        _hex_ids(9, ".png"), _all_classes(_SPECIES), _constant_sample("Sugar beet"),
        _accuracy_of_constant("Sugar beet"), min_rows=12),
    "rsna-breast-cancer-detection": _Format(
        lambda rng, n: [f"{p}_{side}" for p, side in zip(rng.choice(np.arange(5, 65535), n, replace=False),
                                                          rng.choice(["L", "R"], n))],
        _all_classes([0, 0, 0, 1]), _constant_sample(0.0212), _pf1_of_constant(0.0212)),
    "spaceship-titanic": _Format(
        lambda rng, n: [f"{g:04d}_{p:02d}" for g, p in zip(rng.choice(np.arange(1, 9281), n, replace=False),
                                                           rng.integers(1, 9, n))],
        _all_classes([True, False]), _constant_sample(False), _accuracy_of_constant(False),
        columns_before={"HomePlanet": lambda rng, n: rng.choice(["Earth", "Europa", "Mars"], n),
                        "CryoSleep": lambda rng, n: rng.random(n) < 0.3, "Age": _ints(0, 80)}),
    "tabular-playground-series-dec-2021": _Format(
        _int_ids(0, 4_000_000), _all_classes([1, 2, 3, 4, 6, 7]), _constant_sample(2), _accuracy_of_constant(2),
        columns_before={"Elevation": _ints(1800, 3900), "Aspect": _ints(0, 360)}),
    "tensorflow-speech-recognition-challenge": _Format(
        _seq_ids, _all_classes(_SPEECH), _constant_sample("silence"), _const_expect(0.0), min_rows=16),
}


def _speech_ids(make: Maker) -> Maker:
    return lambda rng, n: [f"clip_{int(v):08d}.wav" for v in make(rng, n)]


_FORMATS["tensorflow-speech-recognition-challenge"].make_ids = _speech_ids(_seq_ids)


def _normalisation_format() -> _Format:
    """Tokens of a few sentences; the sample copies each token's `before` text (its own `after` for most)."""
    before_of = {"the": "the", "twelve": "12", "doctor": "Dr.", ".": ".", "NA": "NA", "twenty nineteen": "2019",
                 "city": "city", "kilometers": "km", "a": "a", "river": "river"}
    afters = list(before_of)

    def ids(rng: np.random.Generator, n: int) -> list[str]:
        starts = rng.random(n) < 0.2
        starts[0] = True
        position = np.arange(n)
        token = position - np.maximum.accumulate(np.where(starts, position, 0))
        sentence = np.cumsum(starts) - 1
        return [f"{s}_{t}" for s, t in zip(sentence, token)]

    def sample(rng: np.random.Generator, answers: pd.DataFrame, comp: Any) -> pd.DataFrame:
        before = [before_of[v] for v in answers["after"]]
        return pd.DataFrame({"id": answers["id"].to_numpy(), "after": pd.array(before, dtype="str")})

    def expect(answers: pd.DataFrame, comp: Any) -> float:
        return float(np.mean([before_of[v] == v for v in answers["after"]]))

    return _Format(ids, _all_classes(afters), sample, expect, min_rows=10)


for _lang in ("english", "russian"):
    _FORMATS[f"text-normalization-challenge-{_lang}-language"] = _normalisation_format()
