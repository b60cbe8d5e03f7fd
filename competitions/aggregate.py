"""Aggregating grading reports over seeds and splits, as MLE-bench's ``aggregate_grading_reports.py`` does.

Semantics (MLE-bench v1):

1. Grading reports are taken in the order given (the CLI sorts paths); within each, competition reports are
   sorted by competition id (stable). Per competition, reports keep that encounter order, and seed *i* is
   the *i*-th report of every competition of the split. Competitions outside the split are ignored.
2. The number of seeds is the largest report count over the split. A split with fewer reports for some
   competition is *incomplete*, never an error: it says how many runs are missing, and its missing runs are
   left out of each seed's percentage. ``pad_missing=True`` (MLE-bench's ``--pad-missing``, the strict
   mean) counts them as failing reports instead. (MLE-bench without ``--pad-missing`` refuses a competition
   without reports and drops seeds beyond the smallest count; on a complete split all three agree.)
3. Per seed, each flag's percentage is ``count / runs * 100`` (padded: ``count / len(split) * 100``); across
   seeds, the mean and the standard error of the mean (ddof=1; 0 for one seed), with a 95% interval of
   mean +- 1.96 SEM.
4. Reports are aggregated per agent (:func:`load_groups`): the reports of different agents are never seeds
   of one another.

pass@k (the MLE-bench paper's attempt scaling): a competition passes at k when any of k attempts reaches the
bar; from n >= k attempts with c successes the unbiased estimate is ``1 - C(n-c, k) / C(n, k)``, averaged
over the split's competitions (as a percentage).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Literal, Mapping

import numpy as np

__all__ = [
    "FLAGS",
    "AggregationError",
    "load_reports",
    "group_by_competition",
    "seed_table",
    "RunTable",
    "ReportGroup",
    "GroupSummary",
    "load_groups",
    "group_name",
    "read_experiments",
    "aggregate_groups",
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


#: where a grading report may name its agent or run group
_AGENT_KEYS = ("agent", "agent_id", "experiment_id")
_GROUP_KEYS = ("run_group", "run_group_id")
#: the file our run groups write beside their grading report (:mod:`runner.rungroup`), naming the agent
GROUP_FILE = "group.json"
#: MLE-bench's run group folders are named ``<timestamp>_run-group_<agent>``
_RUN_GROUP_MARK = "run-group"

GroupBy = Literal["agent", "run-group"]


@dataclass
class ReportGroup:
    """The grading reports of one agent (or run group), in path order: the seeds of one row."""

    name: str
    paths: list[str] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)


def _run_group_dir(path: Path) -> str | None:
    """The run group folder a report sits in: ours (it holds ``group.json``) or MLE-bench's (``*run-group*``)."""
    folder = path.parent
    if (folder / GROUP_FILE).is_file() or _RUN_GROUP_MARK in folder.name:
        return folder.name
    return None


def _group_agent(path: Path) -> str | None:
    try:
        meta = json.loads((path.parent / GROUP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    agent = meta.get("agent") if isinstance(meta, dict) else None
    return str(agent) if agent else None


def group_name(path: str | os.PathLike[str], report: Mapping[str, Any], by: GroupBy = "agent",
               experiments: Mapping[str, str] | None = None) -> str:
    """The row a grading report belongs to, first found of:

    1. ``experiments`` (run group folder name -> experiment id, MLE-bench's ``run_group_experiments.csv``);
    2. with ``by="agent"``: the report's own ``agent``/``agent_id``/``experiment_id`` field, else the agent
       named in ``group.json`` beside it (our run groups);
    3. the report's ``run_group`` field, else its run group folder (ours, or MLE-bench's ``*run-group*``);
    4. the file name without ``.json``: a lone report is a group of its own.

    >>> group_name("runs/2024-09-06T18-25-55-UTC_run-group_aide/x_grading_report.json", {})
    '2024-09-06T18-25-55-UTC_run-group_aide'
    >>> group_name("out/seed1_grading_report.json", {}), group_name("out/r.json", {"agent": "aide"})
    ('seed1_grading_report', 'aide')
    """
    path = Path(path)
    folder = _run_group_dir(path)
    if experiments and folder in experiments:
        return experiments[folder]
    if by == "agent":
        named = next((report[k] for k in _AGENT_KEYS if report.get(k)), None) or _group_agent(path)
        if named:
            return str(named)
    named = next((report[k] for k in _GROUP_KEYS if report.get(k)), None) or folder
    return str(named) if named else path.name.removesuffix(".json")


def read_experiments(path: str | os.PathLike[str]) -> dict[str, str]:
    """Run group -> experiment id from a CSV of ``experiment_id,run_group`` lines (MLE-bench's
    ``runs/run_group_experiments.csv``; a header line is skipped).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "e.csv"
    >>> _ = p.write_text("experiment_id,run_group\\nexp-a,rg1\\nexp-a,rg2\\n")
    >>> read_experiments(p)
    {'rg1': 'exp-a', 'rg2': 'exp-a'}
    """
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise AggregationError(f"cannot read experiments file {path}: {err}") from None
    out: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("experiment_id"):
            continue
        if "," not in line:
            raise AggregationError(f"{path}:{number}: expected experiment_id,run_group, got {line!r}")
        experiment, run_group = (x.strip() for x in line.split(",", 1))
        out[run_group] = experiment
    return out


def load_groups(paths: Iterable[str | os.PathLike[str]], by: GroupBy = "agent",
                experiments: Mapping[str, str] | None = None, name: str | None = None) -> list[ReportGroup]:
    """Read grading reports (sorted by path, as :func:`load_reports`) into one :class:`ReportGroup` per
    :func:`group_name`, in order of first appearance; with ``name``, all of them into one group of that name
    (the caller says they are seeds of one agent)."""
    paths = sorted(Path(p) for p in paths)
    groups: dict[str, ReportGroup] = {}
    for path, report in zip(paths, load_reports(paths)):
        key = name or group_name(path, report, by, experiments)
        group = groups.setdefault(key, ReportGroup(key))
        group.paths.append(str(path))
        group.reports.append(report)
    return list(groups.values())


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


@dataclass(frozen=True)
class RunTable:
    """The runs of a split: ``flags[seed, competition, flag]`` (flags in :data:`FLAGS` order) and
    ``present[seed, competition]`` (False where that attempt was never run or reported)."""

    flags: np.ndarray
    present: np.ndarray

    @property
    def missing_runs(self) -> int:
        """Runs the table lacks: competitions with fewer attempts than the table has seeds."""
        return int(self.present.size - np.count_nonzero(self.present))


def seed_table(
    groups: Mapping[str, list[Mapping[str, Any]]],
    split: list[str],
    *,
    num_seeds: int = -1,
) -> RunTable:
    """The :class:`RunTable` of the split's reports; its seeds: the most attempts of any competition, or
    ``num_seeds``.

    >>> groups = {"a": [{"gold_medal": True}, {}], "b": [{"above_median": True}]}
    >>> t = seed_table(groups, ["a", "b"])
    >>> t.flags.shape, t.present.tolist(), t.missing_runs
    ((2, 2, 7), [[True, True], [True, False]], 1)
    """
    if not split:
        raise AggregationError("the split has no competitions")
    counts = [len(groups.get(cid, [])) for cid in split]
    available = max(counts)
    if available == 0:
        raise AggregationError(f"no runs for any of the split's {len(split)} competitions")
    seeds = available if num_seeds in (-1, None) else int(num_seeds)
    if seeds < 1:
        raise AggregationError("num_seeds must be at least 1 (or -1 for every attempt)")
    if seeds > available:
        raise AggregationError(f"asked for {seeds} seeds but no competition of the split has more than "
                               f"{available} run(s)")
    flags = np.zeros((seeds, len(split), len(FLAGS)), dtype=bool)
    present = np.zeros((seeds, len(split)), dtype=bool)
    for j, cid in enumerate(split):
        for i, report in enumerate(groups.get(cid, [])[:seeds]):
            flags[i, j] = [_flag(report, f) for f in FLAGS]
            present[i, j] = True
    return RunTable(flags, present)


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
    """Mean and SEM across seeds of each flag's percentage over ``split``, and pass@k.

    Seed *i* is every competition's *i*-th run; there are as many seeds as the most runs of any competition
    (or ``num_seeds``). A split where some competition has fewer runs is *incomplete*: ``complete`` is False,
    ``missing_runs`` counts the runs it lacks and ``missing`` names them per competition. Its missing runs
    are left out of each seed's percentage (the share of the runs present), unless ``pad_missing``, which
    counts them as failures over the whole split (MLE-bench's ``--pad-missing``, its strict mean). A
    complete split gives MLE-bench's numbers either way.

    pass@k is given for k = 1 up to the fewest runs of a competition that has any (padded: up to the seeds),
    over the competitions with runs (padded: all, missing runs failing).

    >>> rep = lambda cid, **f: {"competition_id": cid, **f}
    >>> seed1 = {"competition_reports": [rep("a", gold_medal=True), rep("b")]}
    >>> seed2 = {"competition_reports": [rep("a"), rep("b", bronze_medal=True)]}
    >>> out = aggregate([seed1, seed2], ["a", "b"])
    >>> out["any_medal"]["per_seed"], out["any_medal"]["mean"], out["any_medal"]["sem"], out["complete"]
    ([50.0, 50.0], 50.0, 0.0, True)
    >>> out["pass_at_k"]
    {'1': 50.0, '2': 100.0}
    >>> part = aggregate([seed1], ["a", "b", "c"])
    >>> part["complete"], part["missing_runs"], part["any_medal"]["mean"]
    (False, 1, 50.0)
    >>> aggregate([seed1], ["a", "b", "c"], pad_missing=True)["any_medal"]["mean"]
    33.33333333333333
    """
    groups = group_by_competition(grading_reports)
    table = seed_table(groups, split, num_seeds=num_seeds)
    seeds = table.flags.shape[0]
    runs = table.present.sum(axis=1)  # [seed]
    denominator = np.full(seeds, len(split)) if pad_missing else runs
    pct = table.flags.sum(axis=1) / denominator[:, None] * 100.0  # [seed, flag]
    counts = table.present.sum(axis=0)  # [competition]
    missing = {cid: int(seeds - n) for cid, n in zip(split, counts) if n < seeds}
    out: dict[str, Any] = {"n_competitions": len(split), "n_seeds": seeds, "n_runs": int(runs.sum()),
                           "complete": not missing, "missing_runs": table.missing_runs, "missing": missing,
                           "padded": bool(pad_missing and missing)}
    for f, name in enumerate(FLAGS):
        values = pct[:, f]
        mean = float(values.mean())
        sem = float(values.std(ddof=1) / math.sqrt(seeds)) if seeds > 1 else 0.0
        out[name] = {"mean": mean, "sem": sem, "ci95": [mean - 1.96 * sem, mean + 1.96 * sem],
                     "per_seed": [float(v) for v in values]}
    bar = FLAGS.index(pass_bar)
    successes = table.flags[:, :, bar].sum(axis=0)
    attempts = np.full(len(split), seeds) if pad_missing else counts
    ran = attempts > 0
    k_max = int(attempts[ran].min())
    out["pass_at_k"] = {str(k): pass_at_k(successes[ran], attempts[ran], k) for k in range(1, k_max + 1)}
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


@dataclass
class GroupSummary:
    """One group's aggregates: split name -> :func:`aggregate`'s dict, or ``{"error": reason}``."""

    name: str
    paths: list[str]
    splits: dict[str, dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {"name": self.name, "paths": list(self.paths), "splits": self.splits}


def aggregate_groups(
    groups: Iterable[ReportGroup],
    splits: Mapping[str, list[str]] | None = None,
    *,
    num_seeds: int = -1,
    pad_missing: bool = False,
) -> list[GroupSummary]:
    """:func:`aggregate_by_split` of each group on its own (one agent's reports are never another's seeds).

    >>> a = ReportGroup("a", reports=[{"competition_reports": [{"competition_id": "x", "gold_medal": True}]}])
    >>> b = ReportGroup("b", reports=[{"competition_reports": [{"competition_id": "x"}]}])
    >>> [(g.name, g.splits["s"]["n_seeds"]) for g in aggregate_groups([a, b], {"s": ["x"]})]
    [('a', 1), ('b', 1)]
    """
    splits = splits if splits is not None else default_splits()
    return [GroupSummary(g.name, list(g.paths), aggregate_by_split(g.reports, splits, num_seeds=num_seeds,
                                                                   pad_missing=pad_missing))
            for g in groups]
