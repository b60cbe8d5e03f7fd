"""The competition catalogue: specs, graders, leaderboards, medals, grading reports and aggregation.

>>> import competitions
>>> competitions.get("aerial-cactus-identification").metric
'auc'
"""

from competitions.catalogue import UnknownCompetition, get, ids
from competitions.reports import GradeReport, batch_report
from competitions.spec import Competition, KnownIssue, SpecError, SubmissionColumn
from schemas.lazy import lazy_exports

__all__ = [
    "AggregationError",
    "Competition",
    "GradeReport",
    "GradingError",
    "KnownIssue",
    "LeaderboardError",
    "LeaderboardNotFound",
    "Medals",
    "SpecError",
    "SubmissionColumn",
    "UnknownCompetition",
    "aggregate",
    "aggregate_by_split",
    "batch_report",
    "get",
    "grade",
    "grade_batch",
    "grade_jsonl",
    "ids",
    "leaderboard",
    "medal_positions",
    "medal_thresholds",
    "pass_at_k",
    "rank_score",
    "read_jsonl",
    "round_score",
]

# Grading, medals and leaderboards need numpy, pandas and the metrics: their names load on first use.
lazy_exports(__name__, {
    "competitions.aggregate": ["AggregationError", "aggregate", "aggregate_by_split", "pass_at_k"],
    "competitions.batch": ["grade_batch", "grade_jsonl", "read_jsonl"],
    "competitions.grading": ["GradingError", "grade", "round_score"],
    "competitions.leaderboards": ["LeaderboardError", "LeaderboardNotFound", "leaderboard"],
    "competitions.medals": ["Medals", "medal_positions", "medal_thresholds", "rank_score"],
})
