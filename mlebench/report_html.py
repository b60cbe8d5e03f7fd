"""One self-contained HTML report for one or several agents: the by-split table, each competition's scores
against its Kaggle leaderboard, a leaderboard-percentile chart across competitions, and the failures.

The plots are drawn with matplotlib (Agg, imported only here, only when a report is made) and embedded as
base64 PNG; the page has no scripts and loads nothing, so it opens offline. :func:`compose_screenshot`
draws an image of the page from its own table and figures (for a README, where no browser is at hand).
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from competitions.aggregate import GroupSummary, ReportGroup, group_by_competition
from competitions.atomic import write_atomic
from competitions.leaderboards import LeaderboardError, leaderboard
from competitions.medals import leaderboard_placement, thresholds_from_leaderboard
from mlebench.report_tables import split_rows

__all__ = ["Attempt", "ReportPage", "build_page", "write_html", "compose_screenshot", "TABLE_COLUMNS"]

TABLE_COLUMNS = ["agent", "split", "competitions", "seeds", "any medal %", "gold %", "above median %", "valid %",
                 "pass@k", "status"]
_MEDAL_COLORS = {"gold": "#d4a017", "silver": "#8e8e8e", "bronze": "#b06a2c", "median": "#3b6fb6"}


@dataclass(frozen=True)
class Attempt:
    """One run of one agent on one competition, as the report shows it."""

    agent: str
    competition_id: str
    seed: int
    score: float | None
    valid: bool
    medal: str | None
    above_median: bool
    rank: int | None
    percentile: float | None
    error: str | None
    host_error: bool
    submission_exists: bool

    @property
    def failure(self) -> str | None:
        """Why this run earns nothing: missing, invalid or host; None for a valid submission."""
        if self.valid:
            return None
        if self.host_error:
            return "host"
        return "invalid" if self.submission_exists else "missing"


@dataclass
class ReportPage:
    """A built report: the page and the parts it was made from (rows of the table, PNG figures by name:
    ``percentile`` and ``competition:<id>``, and every run by competition)."""

    html: str
    rows: list[dict[str, Any]]
    figures: dict[str, bytes] = field(default_factory=dict)
    attempts: dict[str, list[Attempt]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Board:
    scores: np.ndarray
    thresholds: dict[str, Any]


def _board(competition_id: str, folder: Any) -> _Board | None:
    """The leaderboard's finite scores and thresholds; None when it cannot be read (the page says so)."""
    try:
        frame = leaderboard(competition_id, folder)
    except LeaderboardError:
        return None
    scores = frame["score"].to_numpy(dtype=np.float64)
    if not np.isfinite(scores).any():
        return None
    return _Board(scores[np.isfinite(scores)], thresholds_from_leaderboard(frame))


def _number(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def _medal(report: Mapping[str, Any]) -> str | None:
    return next((m for m in ("gold", "silver", "bronze") if report.get(f"{m}_medal")), None)


def _attempt(agent: str, seed: int, report: Mapping[str, Any], board: _Board | None) -> Attempt:
    valid = bool(report.get("valid_submission"))
    score = _number(report.get("score")) if valid else None
    rank, percentile = report.get("leaderboard_rank"), _number(report.get("leaderboard_percentile"))
    if valid and percentile is None and board is not None:  # reports from before the placement fields
        placement = leaderboard_placement(score, board.scores, board.thresholds["lower_is_better"])
        if placement is not None:
            rank, percentile = placement.rank, placement.percentile
    return Attempt(agent, str(report["competition_id"]), seed, score, valid, _medal(report),
                   bool(report.get("above_median")), rank, percentile, report.get("error"),
                   bool(report.get("host_error")), bool(report.get("submission_exists")))


def _attempts(groups: Iterable[ReportGroup], boards: Mapping[str, _Board | None]) -> dict[str, list[Attempt]]:
    """Competition id -> every agent's runs (seed order), competitions sorted."""
    out: dict[str, list[Attempt]] = {}
    for group in groups:
        for cid, reports in group_by_competition(group.reports).items():
            out.setdefault(cid, []).extend(
                _attempt(group.name, i, r, boards.get(cid)) for i, r in enumerate(reports, start=1))
    return dict(sorted(out.items()))


# ---- figures ---------------------------------------------------------------------------------------

def _short(name: str, width: int = 30) -> str:
    """A legend label: long run group names keep their end (``..._run-group_<agent>``).

    >>> _short("2024-09-06T18-25-55-UTC_run-group_aide", 20)
    '…-UTC_run-group_aide'
    """
    return name if len(name) <= width else "…" + name[-(width - 1):]


def _png(fig: Any) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi)
    return buf.getvalue()


def _colors(agents: Sequence[str]) -> dict[str, Any]:
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    return {a: cmap(i % 10) for i, a in enumerate(agents)}


def _range(board: _Board, marks: Sequence[float]) -> tuple[float, float]:
    """The x range shown: the board's 1st to 99th percentile, the thresholds, and the agents' scores when
    they are near; a far outlier would squash the histogram, so it is drawn clipped at the edge."""
    lo, hi = np.quantile(board.scores, [0.01, 0.99])
    t = board.thresholds
    lo, hi = min(lo, t["gold"], t["bronze"], t["median"]), max(hi, t["gold"], t["bronze"], t["median"])
    span = (hi - lo) or max(abs(hi), 1.0)
    for m in marks:
        if lo - span <= m <= hi + span:
            lo, hi = min(lo, m), max(hi, m)
    pad = ((hi - lo) or span) * 0.04
    return float(lo - pad), float(hi + pad)


def competition_figure(competition_id: str, board: _Board, attempts: Sequence[Attempt],
                       colors: Mapping[str, Any]) -> bytes:
    """A histogram of the Kaggle teams' scores with the medal thresholds and median as lines, and each
    agent's seeds marked above it (clipped to the edge, as a triangle, when far off)."""
    from matplotlib.figure import Figure

    scored = [a for a in attempts if a.score is not None]
    lo, hi = _range(board, [a.score for a in scored])
    fig = Figure(figsize=(7.0, 1.9), dpi=72)
    fig.subplots_adjust(left=0.02, right=0.66, top=0.86, bottom=0.14)
    ax = fig.add_subplot()
    counts, edges = np.histogram(board.scores, bins=40, range=(lo, hi))
    ax.stairs(counts, edges, fill=True, color="#c9d3e0")
    top = float(max(counts.max(), 1.0))
    t = board.thresholds
    for name in ("gold", "silver", "bronze", "median"):
        ax.axvline(t[name], color=_MEDAL_COLORS[name], linewidth=1.4, linestyle="--" if name == "median" else "-",
                   label=f"{name} {t[name]:.5g}")
    agents = list(dict.fromkeys(a.agent for a in attempts))
    for k, agent in enumerate(agents):
        xs = np.array([a.score for a in scored if a.agent == agent], dtype=np.float64)
        if xs.size == 0:
            continue
        y = top * (1.12 + 0.12 * k)
        inside = (xs >= lo) & (xs <= hi)
        ax.scatter(xs[inside], np.full(inside.sum(), y), s=34, color=colors[agent], edgecolor="black",
                   linewidth=0.5, zorder=3, label=_short(agent))
        for clipped, edge, marker in ((xs < lo, lo, "<"), (xs > hi, hi, ">")):
            if clipped.any():
                ax.scatter(np.full(clipped.sum(), edge), np.full(clipped.sum(), y), s=40, color=colors[agent],
                           marker=marker, zorder=3)
    ax.set_xlim(lo, hi)
    ax.set_ylim(0, top * (1.3 + 0.12 * max(len(agents) - 1, 0)))
    ax.set_yticks([])
    direction = "lower is better" if t["lower_is_better"] else "higher is better"
    ax.set_title(f"{competition_id}  ({t['num_teams']} teams, {direction})", fontsize=9, loc="left")
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return _png(fig)


def percentile_figure(attempts: Mapping[str, Sequence[Attempt]], colors: Mapping[str, Any]) -> bytes | None:
    """Each competition's leaderboard percentile per agent (mean over seeds as a large mark, each seed as a
    small one), competitions sorted by the agents' mean; None when no run has a percentile."""
    from matplotlib.figure import Figure

    rows = {cid: [a for a in runs if a.percentile is not None] for cid, runs in attempts.items()}
    rows = {cid: runs for cid, runs in rows.items() if runs}
    if not rows:
        return None
    order = sorted(rows, key=lambda cid: np.mean([a.percentile for a in rows[cid]]))
    fig = Figure(figsize=(7.0, 0.9 + 0.17 * len(order)), dpi=72, layout="constrained")
    ax = fig.add_subplot()
    agents = list(colors)
    offsets = {a: (k - (len(agents) - 1) / 2) * 0.18 for k, a in enumerate(agents)}
    labelled: set[str] = set()
    for y, cid in enumerate(order):
        for agent in agents:
            values = [a.percentile for a in rows[cid] if a.agent == agent]
            if not values:
                continue
            yy = y + offsets[agent]
            ax.scatter(values, [yy] * len(values), s=8, color=colors[agent], alpha=0.5, linewidth=0)
            ax.scatter([np.mean(values)], [yy], s=30, color=colors[agent], edgecolor="black", linewidth=0.4,
                       label=_short(agent) if agent not in labelled else None, zorder=3)
            labelled.add(agent)
    ax.set_yticks(range(len(order)), order, fontsize=6)
    ax.set_ylim(-0.7, len(order) - 0.3)
    ax.set_xlim(0, 100)
    ax.axvline(50, color=_MEDAL_COLORS["median"], linestyle="--", linewidth=0.8)
    ax.set_xlabel("leaderboard percentile (% of Kaggle teams beaten or tied)", fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    ax.grid(axis="x", alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(fontsize=7, loc="lower right")
    return _png(fig)


# ---- the page --------------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#1d232b;
max-width:1100px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #d8dee6;padding-bottom:4px}
table{border-collapse:collapse;font-size:12px;margin:8px 0}
th,td{border:1px solid #d8dee6;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#eef2f6}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.incomplete td{background:#fff8e6}tr.error td{background:#fdecec}
details{margin:6px 0}summary{cursor:pointer;font-size:13px}
.muted{color:#66707c;font-size:12px}.medal-gold{color:#a07800}.medal-silver{color:#6b6b6b}
.medal-bronze{color:#8a4f1d}
"""


def _esc(x: Any) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.5g}"
    return html.escape(str(x))


def _table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], row_class: Any = None) -> str:
    head = "".join(f"<th>{_esc(c)}</th>" for c in columns)
    body = []
    for r in rows:
        cls = row_class(r) if row_class else ""
        cells = "".join(f'<td class="num">{_esc(r.get(c))}</td>' if isinstance(r.get(c), (int, float))
                        else f"<td>{_esc(r.get(c))}</td>" for c in columns)
        body.append(f'<tr class="{cls}">{cells}</tr>' if cls else f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def _row_class(row: Mapping[str, Any]) -> str:
    if "error" in row:
        return "error"
    return "" if row.get("status") == "complete" else "incomplete"


def _run_rows(runs: Sequence[Attempt]) -> list[dict[str, Any]]:
    return [{"agent": a.agent, "seed": a.seed, "score": a.score, "medal": a.medal or ("above median" if
             a.above_median else "-"), "rank": a.rank, "percentile": None if a.percentile is None else
             round(a.percentile, 1), "failure": a.failure} for a in runs]


def _competition_summary(runs: Sequence[Attempt]) -> str:
    parts = []
    for agent in dict.fromkeys(a.agent for a in runs):
        mine = [a for a in runs if a.agent == agent]
        medals = sum(a.medal is not None for a in mine)
        parts.append(f"{agent}: {medals}/{len(mine)} medal(s)")
    return "; ".join(parts)


def build_page(groups: Sequence[ReportGroup], summaries: Sequence[GroupSummary], *,
               leaderboards: str | os.PathLike[str] | None = None, title: str = "MLE-bench report") -> ReportPage:
    """The report of ``groups`` (their aggregates: ``summaries``, from
    :func:`competitions.aggregate.aggregate_groups`); leaderboards from ``leaderboards`` or the usual
    folders (:func:`competitions.leaderboard`). A competition without a leaderboard is listed without a plot."""
    rows = split_rows(summaries)
    agents = [g.name for g in groups]
    colors = _colors(agents)
    ids = sorted({str(r["competition_id"]) for g in groups for rep in g.reports for r in rep["competition_reports"]})
    boards = {cid: _board(cid, leaderboards) for cid in ids}
    attempts = _attempts(groups, boards)
    figures: dict[str, bytes] = {}
    percentile = percentile_figure(attempts, colors)
    if percentile is not None:
        figures["percentile"] = percentile

    parts = [f"<h1>{html.escape(title)}</h1>",
             f'<p class="muted">{len(agents)} agent(s): {_esc(", ".join(agents))}; '
             f"{sum(len(g.paths) for g in groups)} grading report(s); {len(ids)} competition(s); made "
             f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC. Means ± standard error over seeds; an "
             "incomplete split leaves its missing runs out (strict, padded means: --pad-missing).</p>",
             "<h2>By split</h2>",
             _table(rows, TABLE_COLUMNS + (["error"] if any("error" in r for r in rows) else []), _row_class)]
    parts.append("<h2>Leaderboard percentile</h2>")
    parts.append(_img(percentile, "leaderboard percentile per competition") if percentile is not None else
                 '<p class="muted">No valid score could be placed on a leaderboard.</p>')
    parts.append("<h2>Competitions</h2>")
    for cid, runs in attempts.items():
        board = boards.get(cid)
        body = []
        if board is not None:
            figures[f"competition:{cid}"] = competition_figure(cid, board, runs, colors)
            body.append(_img(figures[f"competition:{cid}"], f"{cid}: scores against the leaderboard"))
        else:
            body.append('<p class="muted">No leaderboard found: no plot, no percentile.</p>')
        body.append(_table(_run_rows(runs), ["agent", "seed", "score", "medal", "rank", "percentile", "failure"]))
        parts.append(f"<details open><summary><b>{html.escape(cid)}</b> "
                     f"<span class=\"muted\">{html.escape(_competition_summary(runs))}</span></summary>"
                     f"{''.join(body)}</details>")
    failures = [{"agent": a.agent, "competition": a.competition_id, "seed": a.seed, "kind": a.failure,
                 "reason": a.error or "not a valid submission"}
                for runs in attempts.values() for a in runs if a.failure]
    parts.append(f"<h2>Failures ({len(failures)})</h2>")
    parts.append(_table(failures, ["agent", "competition", "seed", "kind", "reason"]) if failures else
                 '<p class="muted">None: every run made a valid submission.</p>')
    page = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
            + "\n".join(parts) + "</body></html>\n")
    return ReportPage(page, rows, figures, attempts)


def write_html(path: str | os.PathLike[str], groups: Sequence[ReportGroup], summaries: Sequence[GroupSummary],
               *, leaderboards: str | os.PathLike[str] | None = None) -> Path:
    """:func:`build_page` written to ``path`` (atomically); returns the path."""
    return write_atomic(Path(path), build_page(groups, summaries, leaderboards=leaderboards).html)


def compose_screenshot(page: ReportPage, out: str | os.PathLike[str], competitions: int = 2) -> Path:
    """An image of the page's top, drawn with matplotlib from the page's own table and figures: the by-split
    table, the first ``competitions`` competition plots and the percentile chart (cropped to 30 rows)."""
    import matplotlib.image as mpimg
    from matplotlib.figure import Figure

    images = [mpimg.imread(io.BytesIO(png)) for name, png in page.figures.items()
              if name.startswith("competition:")][:competitions]
    if "percentile" in page.figures:
        chart = mpimg.imread(io.BytesIO(page.figures["percentile"]))
        images.append(chart[: min(chart.shape[0], 90 + 30 * 12)])
    width_px = max([im.shape[1] for im in images] + [504])
    table_px = 24 + 15 * (len(page.rows) + 1)
    heights = [table_px] + [im.shape[0] for im in images]
    fig = Figure(figsize=(width_px / 72, sum(heights) / 72), dpi=72)
    grid = fig.add_gridspec(len(heights), 1, height_ratios=heights, hspace=0.02, left=0, right=1, top=1,
                            bottom=0)
    ax = fig.add_subplot(grid[0])
    ax.axis("off")
    cols = [c for c in TABLE_COLUMNS if c not in ("competitions", "pass@k")]
    cells = [["-" if r.get(c) is None else str(r[c]) for c in cols] for r in page.rows]
    table = ax.table(cellText=cells or [["-"] * len(cols)], colLabels=cols, bbox=(0.01, 0.02, 0.98, 0.96),
                     cellLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(7)
    table.auto_set_column_width(range(len(cols)))
    for slot, im in enumerate(images, start=1):
        a = fig.add_subplot(grid[slot])
        a.imshow(im)
        a.axis("off")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=72)
    return write_atomic(Path(out), buf.getvalue())
