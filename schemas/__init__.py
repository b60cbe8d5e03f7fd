"""Data contracts: robust CSV reading, the submission-column vocabulary and the submission contract of each
competition, the prepared contract, validation reports.

Schemas knows nothing of the catalogue: a competition id is looked up through the registered spec sources
(:mod:`schemas.specs`), and any object with the :class:`SubmissionSpec` attributes can be passed instead.

>>> import schemas
>>> schemas.ValidationReport("toy").valid
True
"""

from schemas.checksums import sha256_file
from schemas.columns import (
    DOMAINS,
    DTYPES,
    ID_POLICIES,
    ColumnError,
    SubmissionColumn,
    SubmissionFormat,
    SubmissionSpec,
    columns_from,
    parse_column,
)
from schemas.report import ValidationError, ValidationReport
from schemas.specs import NoSpecSource, register_spec_source, spec_for, unregister_spec_source

__all__ = [
    "CSVReadError",
    "ColumnError",
    "DOMAINS",
    "DTYPES",
    "ID_POLICIES",
    "NoSpecSource",
    "PreparedContractError",
    "SubmissionColumn",
    "SubmissionContract",
    "SubmissionFormat",
    "SubmissionSpec",
    "ValidationError",
    "ValidationReport",
    "columns_from",
    "contract_for",
    "parse_column",
    "read_csv",
    "read_table",
    "register_spec_source",
    "sha256_file",
    "spec_for",
    "unregister_spec_source",
    "validate",
    "validate_frame",
    "validate_prepared",
]

# The contracts read tables with pandas, pyarrow and pandera: their names load on first use.
from schemas.lazy import lazy_exports  # noqa: E402

lazy_exports(__name__, {
    "schemas.csvio": ["CSVReadError", "read_csv", "read_table"],
    "schemas.prepared": ["PreparedContractError"],
    "schemas.submission": ["SubmissionContract", "contract_for", "validate", "validate_frame", "validate_prepared"],
})
