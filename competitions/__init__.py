"""The competition catalogue: specs, graders, leaderboards, medals, grading reports and aggregation.

>>> import competitions
>>> competitions.get("aerial-cactus-identification").metric
'auc'
"""

from competitions.aggregate import AggregationError, aggregate, aggregate_by_split, pass_at_k
from competitions.batch import grade_batch, grade_jsonl, read_jsonl
from competitions.catalogue import UnknownCompetition, get, ids
from competitions.grading import GradingError, grade, round_score
from competitions.leaderboards import LeaderboardError, LeaderboardNotFound, leaderboard
from competitions.medals import Medals, medal_positions, medal_thresholds, rank_score
from competitions.reports import GradeReport, batch_report
from competitions.spec import Competition, KnownIssue, SpecError, SubmissionColumn

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
