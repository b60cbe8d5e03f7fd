"""Data contracts: robust CSV reading, the submission contract of each competition, validation reports.

>>> import schemas
>>> schemas.ValidationReport("toy").valid
True
"""

from schemas.csvio import CSVReadError, read_csv, read_table
from schemas.report import ValidationError, ValidationReport
from schemas.submission import SubmissionContract, contract_for, validate, validate_frame, validate_prepared

__all__ = [
    "CSVReadError",
    "SubmissionContract",
    "ValidationError",
    "ValidationReport",
    "contract_for",
    "read_csv",
    "read_table",
    "validate",
    "validate_frame",
    "validate_prepared",
]
