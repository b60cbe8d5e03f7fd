"""Synthetic material for the text and segmentation graders (``text_column``, ``rle_masks``): answers, MLE-bench's
sample submission and a perfect submission, made by the generator a spec names in
``grader_params["synthetic"]``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from competitions.synthetic import SyntheticCase, register_synthetic
from metrics.segmentation import rle_encode

__all__ = ["text_column", "rle_masks"]


@register_synthetic("text_column")
def text_column(comp: Any, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
    """A text column made by the spec's ``grader_params.synthetic`` generator, sample and truth."""
    p = comp.grader_params
    kind = p["synthetic"]
    target = p["target"]
    id_col = comp.id_columns[0]
    n = max(n_rows, 2)
    ids, truth, sample = _TEXT_MAKERS[kind](rng, n)
    answer_column = p.get("answer_column", target)
    answers = pd.DataFrame({id_col: ids, answer_column: truth})
    if kind == "tweet":  # the answers file keeps the tweet and its sentiment too
        answers = pd.DataFrame(
            {
                id_col: ids,
                "text": [f"so {t} today" for t in truth],
                answer_column: truth,
                "sentiment": rng.choice(["positive", "negative", "neutral"], n),
            }
        )
    sample_df = pd.DataFrame({id_col: ids, target: sample})
    perfect = pd.DataFrame({id_col: ids, target: truth})
    return SyntheticCase(answers=answers, sample_submission=sample_df, perfect_submission=perfect)


def _hex_ids(rng: np.random.Generator, n: int, width: int) -> list[str]:
    ids: set[str] = set()
    while len(ids) < n:
        ids.update("".join(rng.choice(list("0123456789abcdef"), width)) for _ in range(n - len(ids)))
    return sorted(ids)


_ENGLISH = "the a of to and in was he that it for on with as his is at by said from".split() + [
    ",", ".", "''", "``", "council", "market", "season", "votes", "Tuesday", "prices",
]


def _sentences(rng, n):
    truth = [" ".join(rng.choice(_ENGLISH, int(rng.integers(4, 18)))) + " ." for _ in range(n)]
    sample = []
    for sentence in truth:  # MLE-bench's public test: one interior word removed
        words = sentence.split()
        k = int(rng.integers(1, len(words) - 1))
        sample.append(" ".join(words[:k] + words[k + 1 :]))
    return [str(i) for i in range(n)], truth, sample


def _inchi(rng, n):
    def one() -> str:
        c, h, o = (int(v) for v in rng.integers(1, 30, 3))
        chain_ = "-".join(str(v) for v in rng.integers(1, 25, int(rng.integers(3, 12))))
        return f"InChI=1S/C{c}H{h}N{o % 4}O{o % 5}/c{chain_}/h{int(rng.integers(1, 9))}-{int(rng.integers(9, 20))}H"

    return _hex_ids(rng, n, 12), [one() for _ in range(n)], ["InChI=1S/H2O/h1H2"] * n


_INDIC = ["भारत", "की", "राजधानी", "नई", "दिल्ली", "है", "சென்னை", "தமிழ்நாடு", "1947", "गंगा", "இந்தியா"]


def _answer_text(rng, n):
    truth = [" ".join(rng.choice(_INDIC, int(rng.integers(1, 4)))) for _ in range(n)]
    return _hex_ids(rng, n, 9), truth, ["dummy text"] * n


_TWEET_WORDS = ["happy", "sad", "so", "good", "bad", "day", "love", "hate", "it", "this", "!", "soo"]


def _tweet(rng, n):
    truth = [" ".join(rng.choice(_TWEET_WORDS, int(rng.integers(1, 6)))) for _ in range(n)]
    return _hex_ids(rng, n, 10), truth, [""] * n


def _gestures(rng, n):
    truth = [" ".join(map(str, rng.permutation(np.arange(1, 21))[: int(rng.integers(8, 21))])) for _ in range(n)]
    sample = [" ".join(map(str, rng.permutation(np.arange(1, 21)))) for _ in range(n)]
    ids = [f"{300 + i:04d}" for i in range(n)]
    return ids, truth, sample


_TEXT_MAKERS = {
    "sentence": _sentences,
    "inchi": _inchi,
    "answer_text": _answer_text,
    "tweet": _tweet,
    "gestures": _gestures,
}


@register_synthetic("rle_masks")
def rle_masks(comp: Any, n_rows: int, rng: np.random.Generator) -> SyntheticCase:
    """Rectangle masks as RLE in the metric's pixel order, MLE-bench's sample masks, the truth as perfect."""
    p = comp.grader_params
    s = p["synthetic"]
    order = comp.metric_params.get("order", "F")
    id_col = comp.id_columns[0]
    ids, extra_cols = _mask_ids(s["ids"], rng, max(n_rows, 1))
    n = len(ids)
    h, w = int(s["height"]), int(s["width"])
    masks = _blob_masks(rng, n, h, w, empty_share=s.get("empty_share", 0.3))
    truth = [rle_encode(m, order=order) for m in masks]
    token = p.get("empty_token")
    if token:
        truth = [r or token for r in truth]
    answers = pd.DataFrame({id_col: ids, **extra_cols, p["answer_column"]: truth})
    for key in ("height", "width"):
        if isinstance(p[key], str):
            answers[p[key]] = h if key == "height" else w
    answers = answers[[c for c in s.get("answer_columns", answers.columns)]]
    base = pd.DataFrame({id_col: ids, **extra_cols})
    sample = base.assign(**{p["target"]: _sample_rles(s["sample"], rng, n)})
    for column in s.get("sample_extra_columns", []):
        sample[column] = answers[column].to_numpy()
    perfect = base.assign(**{p["target"]: truth})
    return SyntheticCase(answers=answers, sample_submission=sample, perfect_submission=perfect)


def _mask_ids(kind: str, rng: np.random.Generator, n: int) -> tuple[list[str], dict[str, list[str]]]:
    if kind == "record_id":  # contrails: 19-digit record ids
        return [str(v) for v in sorted(set(rng.integers(10**18, 9 * 10**18, n).tolist()))], {}
    if kind.startswith("hex"):
        return _hex_ids(rng, n, int(kind[3:])), {}
    if kind == "fragment":  # vesuvius: the single test fragment
        return ["a"], {}
    if kind == "uw":  # three classes per slice, slices of two case-days
        classes = ["large_bowel", "small_bowel", "stomach"]
        n_slices = max(2, n // 3)
        ids = [f"case{c}_day{d}_slice_{s:04d}" for c, d in ((7, 0), (123, 20)) for s in range(1, n_slices // 2 + 2)]
        return [i for i in ids for _ in classes], {"class": classes * len(ids)}
    raise ValueError(f"unknown synthetic id kind {kind!r}")


def _blob_masks(rng: np.random.Generator, n: int, h: int, w: int, empty_share: float) -> np.ndarray:
    """Masks of one or two rectangles each; about ``empty_share`` of them empty (never the first)."""
    masks = np.zeros((n, h, w), dtype=bool)
    for i in range(n):
        if i > 0 and rng.random() < empty_share:
            continue
        for _ in range(int(rng.integers(1, 3))):
            # row 0 and column 0 stay empty: the fixed sample masks ("1 1", "1 1 5 1"...) live there
            r, c = int(rng.integers(1, h - 2)), int(rng.integers(1, w - 2))
            masks[i, r : r + int(rng.integers(2, max(3, h // 3))), c : c + int(rng.integers(2, max(3, w // 3)))] = True
    return masks


def _sample_rles(rule: str, rng: np.random.Generator, n: int) -> list[str]:
    if rule == "contrails":  # MLE-bench's random choice between a fixed mask and "-"
        return list(rng.choice(["1 3 10 5", "-"], n))
    return [rule] * n
