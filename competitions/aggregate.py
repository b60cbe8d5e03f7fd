"""Aggregating grading reports over seeds and splits, as MLE-bench's ``aggregate_grading_reports.py`` does.

Semantics (MLE-bench v1):

1. Grading reports are taken in the order given (the CLI sorts paths); within each, competition reports are
   sorted by competition id (stable). Per competition, reports keep that encounter order, and seed *i* is
   the *i*-th report of every competition of the split. Competitions outside the split are ignored.
2. By default the number of seeds is the smallest report count over the split (incomplete seeds dropped); a
   competition without any report is an error. ``pad_missing=True`` uses the largest count instead and fills
   the gaps with failing reports (every flag False).
3. Per seed, each flag's percentage is ``count / len(split) * 100``; across seeds, the mean and the standard
   error of the mean (ddof=1; 0 for one seed), with a 95% interval of mean +- 1.96 SEM.

pass@k (the MLE-bench paper's attempt scaling): a competition passes at k when any of k attempts reaches the
bar; from n >= k attempts with c successes the unbiased estimate is ``1 - C(n-c, k) / C(n, k)``, averaged
over the split's competitions (as a percentage).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

__all__ = [
    "FLAGS",
    "AggregationError",
    "load_reports",
    "group_by_competition",
    "seed_table",
    "aggregate",
    "aggregate_by_split",
    "pass_at_k",
    "default_splits",
]

#: the report flags aggregated, with the name of their percentage
FLAGS = ("any_medal", "gold_medal", "silver_medal", "bronze_medal", "above_median", "submission_exists",
         "valid_submission")


class AggregationError(ValueError):
    """Reports that cannot be aggregated as asked (a competition without reports, too few seeds)."""


def load_reports(paths: Iterable[str | os.PathLike[str]]) -> list[dict[str, Any]]:
    """Read grading report JSON files, in sorted path order (MLE-bench's order)."""
    out = []
    for path in sorted(Path(p) for p in paths):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise AggregationError(f"cannot read grading report {path}: {err}") from None
        if not isinstance(data, dict) or "competition_reports" not in data:
            raise AggregationError(f"{path} is not a grading report (no competition_reports)")
        out.append(data)
    return out


def _flag(report: Mapping[str, Any], name: str) -> bool:
    if name == "any_medal":
        return bool(report.get("any_medal") or report.get("gold_medal") or report.get("silver_medal")
                    or report.get("bronze_medal"))
    return bool(report.get(name) or False)


def group_by_competition(grading_reports: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """Competition id -> its reports in encounter order (each file's reports sorted by competition id).

    >>> r1 = {"competition_reports": [{"competition_id": "b"}, {"competition_id": "a", "n": 1}]}
    >>> r2 = {"competition_reports": [{"competition_id": "a", "n": 2}]}
    >>> {k: len(v) for k, v in group_by_competition([r1, r2]).items()}
    {'a': 2, 'b': 1}
    """
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for grading in grading_reports:
        for report in sorted(grading["competition_reports"], key=lambda r: str(r["competition_id"])):
            groups.setdefault(str(report["competition_id"]), []).append(report)
    return dict(sorted(groups.items()))


def seed_table(
    groups: Mapping[str, list[Mapping[str, Any]]],
    split: list[str],
    *,
    num_seeds: int = -1,
    pad_missing: bool = False,
) -> np.ndarray:
    """A boolean array ``[seed, competition, flag]`` of the split's reports (flags in :data:`FLAGS` order).

    >>> groups = {"a": [{"gold_medal": True}, {}], "b": [{"above_median": True}]}
    >>> seed_table(groups, ["a", "b"]).shape, seed_table(groups, ["a", "b"], pad_missing=True).shape
    ((1, 2, 7), (2, 2, 7))
    """
    counts = [len(groups.get(cid, [])) for cid in split]
    if not split:
        raise AggregationError("the split has no competitions")
    if pad_missing:
        available = max(counts)
    else:
        empty = [cid for cid, n in zip(split, counts) if n == 0]
        if empty:
            raise AggregationError(
                f"{len(empty)} competition(s) of the split have no report, e.g. {empty[:3]}; grade them or "
                "pass pad_missing=True (--pad-missing) to count them as failures")
        available = min(counts)
    seeds = available if num_seeds in (-1, None) else int(num_seeds)
    if seeds > available and not pad_missing:
        raise AggregationError(f"asked for {seeds} seeds but only {available} are complete; use pad_missing=True")
    if seeds < 1:
        raise AggregationError("no complete seed to aggregate")
    table = np.zeros((seeds, len(split), len(FLAGS)), dtype=bool)
    for j, cid in enumerate(split):
        for i, report in enumerate(groups.get(cid, [])[:seeds]):
            table[i, j] = [_flag(report, f) for f in FLAGS]
    return table


def _comb(n: int, k: int) -> float:
    return float(math.comb(n, k)) if 0 <= k <= n else 0.0


def pass_at_k(successes: Iterable[int], attempts: Iterable[int], k: int) -> float:
    """Unbiased pass@k in percent: mean over competitions of ``1 - C(n-c, k) / C(n, k)``.

    >>> round(pass_at_k([0, 1, 3], [3, 3, 3], 1), 6), round(pass_at_k([0, 1, 3], [3, 3, 3], 2), 6)
    (44.444444, 55.555556)
    """
    values = []
    for c, n in zip(successes, attempts):
        if n < k:
            raise AggregationError(f"pass@{k} needs at least {k} attempts per competition, one has {n}")
        values.append(1.0 - _comb(n - c, k) / _comb(n, k))
    return float(np.mean(values) * 100) if values else float("nan")


def aggregate(
    grading_reports: Iterable[Mapping[str, Any]],
    split: list[str],
    *,
    num_seeds: int = -1,
    pad_missing: bool = False,
    pass_bar: str = "any_medal",
) -> dict[str, Any]:
    """Mean and SEM across seeds of each flag's percentage over ``split``, and pass@k for k = 1..seeds.

    >>> rep = lambda cid, **f: {"competition_id": cid, **f}
    >>> seed1 = {"competition_reports": [rep("a", gold_medal=True), rep("b")]}
    >>> seed2 = {"competition_reports": [rep("a"), rep("b", bronze_medal=True)]}
    >>> out = aggregate([seed1, seed2], ["a", "b"])
    >>> out["any_medal"]["per_seed"], out["any_medal"]["mean"], out["any_medal"]["sem"]
    ([50.0, 50.0], 50.0, 0.0)
    >>> out["pass_at_k"]
    {'1': 50.0, '2': 100.0}
    """
    groups = group_by_competition(grading_reports)
    table = seed_table(groups, split, num_seeds=num_seeds, pad_missing=pad_missing)
    seeds = table.shape[0]
    pct = table.sum(axis=1) / len(split) * 100.0  # [seed, flag]
    out: dict[str, Any] = {"n_competitions": len(split), "n_seeds": seeds}
    for f, name in enumerate(FLAGS):
        values = pct[:, f]
        mean = float(values.mean())
        sem = float(values.std(ddof=1) / math.sqrt(seeds)) if seeds > 1 else 0.0
        out[name] = {"mean": mean, "sem": sem, "ci95": [mean - 1.96 * sem, mean + 1.96 * sem],
                     "per_seed": [float(v) for v in values]}
    bar = FLAGS.index(pass_bar)
    successes = table[:, :, bar].sum(axis=0)
    out["pass_at_k"] = {str(k): pass_at_k(successes, [seeds] * len(split), k) for k in range(1, seeds + 1)}
    return out


def default_splits() -> dict[str, list[str]]:
    """The catalogue's splits: lite, medium, high and all (the 75)."""
    from competitions.catalogue import ids

    return {name: ids(name) for name in ("lite", "medium", "high", "all")}


def aggregate_by_split(
    grading_reports: Iterable[Mapping[str, Any]],
    splits: Mapping[str, list[str]] | None = None,
    *,
    num_seeds: int = -1,
    pad_missing: bool = False,
) -> dict[str, Any]:
    """:func:`aggregate` for each split; a split that cannot be aggregated gets ``{"error": reason}``."""
    grading_reports = list(grading_reports)
    splits = splits if splits is not None else default_splits()
    out: dict[str, Any] = {}
    for name, members in splits.items():
        try:
            out[name] = aggregate(grading_reports, list(members), num_seeds=num_seeds, pad_missing=pad_missing)
        except AggregationError as err:
            out[name] = {"error": str(err)}
    return out
