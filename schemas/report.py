"""The validation report: a verdict and a list of structured errors, JSON-serialisable."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ValidationError", "ValidationReport", "json_safe"]

#: longest text kept of one example value
MAX_EXAMPLE_CHARS = 60
#: examples kept per error
MAX_EXAMPLES = 3


def json_safe(value: Any) -> Any:
    """A value as plain JSON: numpy scalars unwrapped, NaN/inf as strings, long text shortened.

    >>> json_safe(float("nan")), json_safe("x" * 70)[-3:]
    ('NaN', '...')
    """
    if hasattr(value, "item") and not isinstance(value, (list, dict, str)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return value
    text = str(value)
    return text if len(text) <= MAX_EXAMPLE_CHARS else text[: MAX_EXAMPLE_CHARS - 3] + "..."


@dataclass(frozen=True)
class ValidationError:
    """One failed check: which column (or None for the file), which check, how many rows, a few examples."""

    column: str | None
    check: str
    count: int
    examples: tuple[Any, ...]
    message: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {
            "column": self.column,
            "check": self.check,
            "count": int(self.count),
            "examples": [json_safe(v) for v in self.examples[:MAX_EXAMPLES]],
            "message": self.message,
        }


@dataclass
class ValidationReport:
    """The verdict on a submission: ``valid`` and the ``errors`` that make it invalid.

    >>> r = ValidationReport("toy", n_rows=2)
    >>> r.add(ValidationError("p", "probability", 1, (1.5,), "p: 1 value outside [0, 1], e.g. [1.5]"))
    >>> r.valid, r.to_dict()["errors"][0]["count"]
    (False, 1)
    """

    competition_id: str
    n_rows: int | None = None
    errors: list[ValidationError] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """True when no check failed."""
        return not self.errors

    def add(self, error: ValidationError) -> None:
        """Record one failed check."""
        self.errors.append(error)

    def summary(self) -> str:
        """One line: "valid" or the error messages joined."""
        return "valid" if self.valid else "; ".join(e.message for e in self.errors)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types: competition_id, valid, n_rows, errors."""
        return {
            "competition_id": self.competition_id,
            "valid": self.valid,
            "n_rows": self.n_rows,
            "errors": [e.to_dict() for e in self.errors],
        }
