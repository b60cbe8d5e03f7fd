"""Every Kaggle metric the MLE-bench competitions are graded with, as plain functions on arrays.

>>> import metrics
>>> metrics.score("auc", [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
0.75
>>> metrics.get("rmse").higher_is_better
False
"""

from metrics._core import Metric, MetricInputError, get, names, parameters, register, score

# Importing the family modules registers their metrics.
from metrics import (  # noqa: E402,F401
    classification,
    correlation,
    detection,
    probabilistic,
    ranking,
    regression,
    segmentation,
    text,
)

__all__ = ["Metric", "MetricInputError", "get", "names", "parameters", "register", "score"]
