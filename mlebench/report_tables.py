"""The rows of a report (one per agent and split) and MLE-bench's README leaderboard table, from
:class:`competitions.aggregate.GroupSummary` records. Text, Markdown and HTML reports all use these rows."""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from competitions.aggregate import GroupSummary

__all__ = ["METRICS", "LEADERBOARD_SPLITS", "pm", "status", "split_rows", "markdown_table",
           "all_errors"]

#: the flags a report shows, with their column labels
METRICS = (("any_medal", "any medal %"), ("gold_medal", "gold %"), ("above_median", "above median %"),
           ("valid_submission", "valid %"))
#: MLE-bench's leaderboard columns: split name -> column label
LEADERBOARD_SPLITS = (("lite", "Low == Lite (%)"), ("medium", "Medium (%)"), ("high", "High (%)"),
                      ("all", "All (%)"))


def pm(agg: dict[str, Any], flag: str, digits: int = 1) -> str:
    """``mean ± sem`` of a flag's percentage.

    >>> pm({"any_medal": {"mean": 12.345, "sem": 1.5}}, "any_medal", 2)
    '12.35 ± 1.50'
    """
    return f"{agg[flag]['mean']:.{digits}f} ± {agg[flag]['sem']:.{digits}f}"


def status(agg: dict[str, Any]) -> str:
    """``complete``, or how the split is incomplete (and how its means treat the missing runs).

    >>> status({"complete": False, "missing_runs": 3, "n_seeds": 2, "n_competitions": 22, "padded": False})
    'incomplete: 3 of 44 runs missing (left out)'
    >>> status({"error": "no runs"})
    'no runs'
    """
    if "error" in agg:
        return agg["error"]
    if agg.get("complete", True):
        return "complete"
    treated = "counted as failures" if agg.get("padded") else "left out"
    return (f"incomplete: {agg['missing_runs']} of {agg['n_seeds'] * agg['n_competitions']} runs missing "
            f"({treated})")


def split_rows(summaries: Iterable[GroupSummary], splits: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """One row per agent and split (splits without any run of the agent left out, unless the agent has no
    run in any: then one row saying so). Keys: agent, split, competitions, seeds, runs, the
    :data:`METRICS` labels (``mean ± sem``), pass@k (``k=1 .. k=n``, any medal, when several attempts) and
    status; ``error`` on a row without numbers."""
    rows: list[dict[str, Any]] = []
    for summary in summaries:
        names = [s for s in (splits or summary.splits) if s in summary.splits]
        ok = [s for s in names if "error" not in summary.splits[s]]
        if not ok:
            reasons = sorted({summary.splits[s]["error"] for s in names})
            if all(r.startswith("no runs") for r in reasons):
                reasons = [f"no runs of any competition of {', '.join(names) or 'any split'}"]
            rows.append({"agent": summary.name, "split": ",".join(names), "error": "; ".join(reasons),
                         "status": "error"})
            continue
        for name in ok:
            agg = summary.splits[name]
            row: dict[str, Any] = {"agent": summary.name, "split": name, "competitions": agg["n_competitions"],
                                   "seeds": agg["n_seeds"], "runs": agg["n_runs"]}
            for flag, label in METRICS:
                row[label] = pm(agg, flag)
            passes = agg.get("pass_at_k", {})
            row["pass@k"] = " / ".join(f"{v:.1f}" for v in passes.values()) if len(passes) > 1 else None
            row["status"] = status(agg)
            rows.append(row)
    return rows


def all_errors(rows: Sequence[dict[str, Any]]) -> bool:
    """True when no row has numbers (every row is an error).

    >>> all_errors([{"error": "no runs"}]), all_errors([{"error": "x"}, {"seeds": 1}]), all_errors([])
    (True, False, True)
    """
    return all("error" in r for r in rows)


def markdown_table(summaries: Iterable[GroupSummary]) -> str:
    """MLE-bench's README leaderboard: one row per agent, any-medal % ± SEM per split (Lite, Medium, High,
    All); a split the agent has no runs of shows ``-``, an incomplete one is footnoted.

    >>> agg = {"any_medal": {"mean": 50.0, "sem": 0.0}, "complete": True}
    >>> print(markdown_table([GroupSummary("aide", [], {"lite": agg, "medium": {"error": "no runs"}})]))
    | Agent | Low == Lite (%) | Medium (%) | High (%) | All (%) |
    |---|---|---|---|---|
    | aide | 50.00 ± 0.00 | - | - | - |
    """
    header = "| Agent | " + " | ".join(label for _, label in LEADERBOARD_SPLITS) + " |"
    lines = [header, "|" + "---|" * (len(LEADERBOARD_SPLITS) + 1)]
    notes: dict[str, str] = {}
    for summary in summaries:
        cells = []
        for name, _ in LEADERBOARD_SPLITS:
            agg = summary.splits.get(name)
            if agg is None or "error" in agg:
                cells.append("-")
                continue
            cell = pm(agg, "any_medal", 2)
            if not agg.get("complete", True):
                key = "padded" if agg.get("padded") else "partial"
                notes[key] = ("Computed by padding missing runs with failing scores."
                              if key == "padded" else "Incomplete: missing runs left out of the mean.")
                total = agg["n_seeds"] * agg["n_competitions"]
                cell += f" ({total - agg['missing_runs']} of {total} runs)[^{key}]"
            cells.append(cell)
        lines.append(f"| {summary.name} | " + " | ".join(cells) + " |")
    if notes:
        lines.append("")
        lines += [f"[^{key}]: {text}" for key, text in notes.items()]
    return "\n".join(lines)
