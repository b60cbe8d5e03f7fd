"""MetricInputError says which argument is at fault: y_true, y_pred (the prediction, whatever its name) or a
keyword parameter. Graders decide from it whose fault an error is, so every raise must set it."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import metrics
from metrics import MetricInputError

METRICS_DIR = Path(metrics.__file__).parent


def _calls_without_argument() -> list[str]:
    missing = []
    for path in sorted(METRICS_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "MetricInputError":
                if not any(k.arg == "argument" for k in node.keywords):
                    missing.append(f"{path.name}:{node.lineno}")
    return missing


def test_every_raise_in_metrics_names_its_argument():
    assert _calls_without_argument() == []


@pytest.mark.parametrize(
    "name, y_true, y_pred, params, argument",
    [
        ("rmse", [1.0, 2.0], [1.0], {}, "y_pred"),
        ("rmse", [1.0, np.nan], [1.0, 2.0], {}, "y_true"),
        ("rmse", [1.0, 2.0], [1.0, np.inf], {}, "y_pred"),
        ("auc", [1, 1, 1], [0.1, 0.2, 0.3], {}, "y_true"),
        ("auc", [0, 1, 1], [0.1, np.nan, 0.3], {}, "y_pred"),  # y_score is the prediction
        ("logloss_binary", [0, 1], [0.2, 1.5], {}, "y_pred"),  # y_prob is the prediction
        ("logloss_binary", [0, 1], [0.2, 0.5], {"eps": 2.0}, "eps"),
        ("rmse", [1.0, 2.0], [1.0, 2.0], {"not_a_param": 3}, "not_a_param"),
        ("pearson", [1.0, 2.0, 3.0], [5.0, 5.0, 5.0], {}, "y_pred"),
        ("pearson", [2.0, 2.0, 2.0], [1.0, 5.0, 3.0], {}, "y_true"),
        ("map_at_k", ["a b"], ["a"], {"k": 0}, "k"),
        ("laplace_log_likelihood", [1.0, 2.0], [1.0, 2.0], {"confidence": [1.0]}, "confidence"),
        ("jigsaw_bias_auc", [0.0, 1.0], [0.2, 0.7], {"subgroups": {"male": [np.inf, 0.0]}}, "subgroups"),
        ("accuracy", ["a", "b"], [1, 2], {}, "y_pred"),  # label kinds differ: the prediction does not match
    ],
)
def test_the_argument_at_fault(name, y_true, y_pred, params, argument):
    with pytest.raises(MetricInputError) as info:
        metrics.score(name, y_true, y_pred, **params)
    assert info.value.argument == argument, str(info.value)


def test_an_unknown_metric_is_the_name_at_fault():
    with pytest.raises(MetricInputError) as info:
        metrics.score("nope", [1], [1])
    assert info.value.argument == "name"


def test_an_unknown_parameter_lists_the_known_ones():
    with pytest.raises(MetricInputError, match=r"unknown parameter\(s\) \['epss'\].*'eps'"):
        metrics.score("logloss_binary", [0, 1], [0.2, 0.5], epss=1e-15)


def test_parameters_are_the_keyword_parameters_of_the_metric_function():
    assert metrics.parameters("logloss_multiclass") == {"eps", "renormalize", "labels"}
    assert metrics.parameters("accuracy") == frozenset()
