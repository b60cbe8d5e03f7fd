"""The competition catalogue: specs, graders, leaderboards, medals and reports.

>>> import competitions
>>> competitions.get("aerial-cactus-identification").metric
'auc'
"""

from competitions.catalogue import UnknownCompetition, get, ids
from competitions.spec import Competition, KnownIssue, SpecError, SubmissionColumn

__all__ = ["Competition", "KnownIssue", "SpecError", "SubmissionColumn", "UnknownCompetition", "get", "ids"]
