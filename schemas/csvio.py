"""Robust CSV reading with explicit dtypes: ids and text columns stay strings (leading zeros kept).

Files are parsed by pyarrow's multi-threaded C++ reader, block by block, so memory stays proportional to
the data and no Python code runs per row. Every bad file raises :class:`CSVReadError` with a reason
(``check``) and a message that says what to fix, never a parser traceback.
"""

from __future__ import annotations

import codecs
import os
from pathlib import Path
from typing import Iterable, Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

__all__ = ["CSVReadError", "read_csv", "read_table", "iter_batches", "check_limits", "SNIFF_BYTES"]

#: bytes read up front to check the header, the encoding and for binary junk
SNIFF_BYTES = 1 << 16
_BOM = codecs.BOM_UTF8
_DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe"}
#: pyarrow's block size (rows are parsed in blocks of this many bytes, in parallel)
BLOCK_SIZE = 1 << 22
#: most bytes read to find the header line when checking a file's limits (:func:`check_limits`)
HEADER_BYTES = 1 << 20


class CSVReadError(ValueError):
    """A file that cannot be read as a CSV. ``check`` names the problem (``missing``, ``suffix``, ``empty``,
    ``header_only``, ``binary``, ``encoding``, ``delimiter``, ``columns_unique``, ``malformed``, ``size``,
    ``columns_limit``)."""

    def __init__(self, message: str, *, check: str, path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.check = check
        self.path = path


def _fail(path: Path, check: str, reason: str) -> CSVReadError:
    return CSVReadError(f"{path.name}: {reason}", check=check, path=str(path))


def _sniff(path: Path, require_suffix: bool) -> list[str]:
    """Check the file before parsing it; return its header's column names."""
    if not path.exists():
        raise _fail(path, "missing", f"file not found ({path}); check the path")
    if not path.is_file():
        raise _fail(path, "missing", f"{path} is not a file")
    if require_suffix and path.suffix.lower() != ".csv":
        raise _fail(path, "suffix", f"not a CSV file (suffix {path.suffix or 'none'!r}); write the submission as .csv")
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if head.startswith(_BOM):
        head = head[len(_BOM):]
    if not head.strip():
        raise _fail(path, "empty", "the file is empty; write a header line and one row per id")
    if b"\x00" in head:
        raise _fail(path, "binary", "the file holds binary data (NUL bytes), not CSV text")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError as err:
        raise _fail(path, "encoding", f"the file is not UTF-8 (byte {err.start}); save it as UTF-8") from None
    header = head.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8", errors="replace")
    return [name.strip().strip('"') for name in header.split(",")]


def _check_header(path: Path, names: list[str], expected: Iterable[str] | None) -> None:
    expected = list(expected or [])
    if len(names) == 1 and len(expected) > 1:
        for sep, word in _DELIMITERS.items():
            if sep in names[0]:
                raise _fail(path, "delimiter", f"the header is split by {word}s, not commas; write a comma-separated file")
    seen: set[str] = set()
    dups = sorted({n for n in names if n in seen or seen.add(n)})
    if dups:
        raise _fail(path, "columns_unique", f"duplicated column name(s) {dups} in the header; keep one of each")


def check_limits(path: str | os.PathLike[str], *, max_bytes: int | None = None,
                 max_columns: int | None = None) -> None:
    """Refuse a file before parsing it: over ``max_bytes`` (from the file system, nothing read), or with more
    than ``max_columns`` columns in its header (at most :data:`HEADER_BYTES` read). A missing file passes
    (the reader says so). Raises :class:`CSVReadError` (``size`` or ``columns_limit``).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.csv"
    >>> _ = p.write_text(",".join(f"c{i}" for i in range(50)) + "\\n")
    >>> try:
    ...     check_limits(p, max_columns=10)
    ... except CSVReadError as err:
    ...     print(err.check, err.message)
    columns_limit s.csv: the header has 50 columns, over the limit of 10; write only the submission's columns
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        return
    if max_bytes is not None and size > max_bytes:
        raise _fail(path, "size", f"the file is {size / 2**20:.1f} MiB, over the limit of {max_bytes / 2**20:.1f} "
                                  "MiB; write only the submission's rows and columns")
    if max_columns is None or not path.is_file():
        return
    with path.open("rb") as fh:
        head = fh.read(HEADER_BYTES)
    columns = head.split(b"\n", 1)[0].count(b",") + 1
    if columns > max_columns:
        raise _fail(path, "columns_limit", f"the header has {columns} columns, over the limit of {max_columns}; "
                                           "write only the submission's columns")
    if len(head) == HEADER_BYTES and b"\n" not in head:
        raise _fail(path, "columns_limit", f"the header line is longer than {HEADER_BYTES} bytes; "
                                           "write only the submission's columns")


def _explain_arrow(path: Path, err: Exception) -> CSVReadError:
    text = str(err)
    if "UTF8" in text or "UTF-8" in text:
        return _fail(path, "encoding", "the file is not valid UTF-8 text; save it as UTF-8")
    if "Empty CSV" in text:
        return _fail(path, "empty", "the file is empty; write a header line and one row per id")
    if "Expected" in text and "columns" in text:
        detail = text.split("CSV parse error:", 1)[-1].split(":", 1)[0].strip()
        return _fail(path, "malformed", f"malformed CSV ({detail}); every row needs as many fields as the header")
    return _fail(path, "malformed", f"malformed CSV ({text.splitlines()[0][:200]})")


def _options(string_columns: Iterable[str], names: list[str]) -> tuple[pacsv.ReadOptions, pacsv.ConvertOptions]:
    wanted = set(string_columns)
    types = {n: pa.string() for n in names if n in wanted}
    read = pacsv.ReadOptions(block_size=BLOCK_SIZE)
    convert = pacsv.ConvertOptions(column_types=types, strings_can_be_null=False)
    return read, convert


def read_table(
    path: str | os.PathLike[str],
    *,
    string_columns: Iterable[str] = (),
    expected_columns: Iterable[str] | None = None,
    require_suffix: bool = True,
    allow_no_rows: bool = False,
) -> pa.Table:
    """Read a CSV file into a pyarrow Table; ``string_columns`` are read as text, others inferred.

    ``expected_columns`` (when known) lets a wrong delimiter be named as such. Raises :class:`CSVReadError`.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.csv"
    >>> _ = p.write_bytes(b"\\xef\\xbb\\xbfid,p\\n007,0.5\\n")
    >>> read_table(p, string_columns=["id"]).to_pydict()
    {'id': ['007'], 'p': [0.5]}
    """
    path = Path(path)
    names = _sniff(path, require_suffix)
    _check_header(path, names, expected_columns)
    read, convert = _options(string_columns, names)
    try:
        table = pacsv.read_csv(path, read_options=read, convert_options=convert)
    except (pa.ArrowInvalid, pa.ArrowException) as err:
        raise _explain_arrow(path, err) from None
    binary = [f.name for f in table.schema if pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type)]
    if binary:
        raise _fail(path, "encoding", f"column(s) {binary} hold bytes that are not UTF-8; save the file as UTF-8")
    if table.num_rows == 0 and not allow_no_rows:
        raise _fail(path, "header_only", "the file has a header but no rows; write one row per id")
    return table


def read_csv(
    path: str | os.PathLike[str],
    *,
    string_columns: Iterable[str] = (),
    expected_columns: Iterable[str] | None = None,
    require_suffix: bool = True,
    allow_no_rows: bool = False,
) -> pd.DataFrame:
    """Read a CSV file into a DataFrame (see :func:`read_table`); text columns get pandas' string dtype.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.csv"
    >>> _ = p.write_text("id,label\\n0012,cat\\n0100,dog\\n")
    >>> read_csv(p, string_columns=["id"])["id"].tolist()
    ['0012', '0100']
    >>> try:
    ...     read_csv(p.with_name("nope.csv"))
    ... except CSVReadError as err:
    ...     print(err.check)
    missing
    """
    table = read_table(path, string_columns=string_columns, expected_columns=expected_columns,
                       require_suffix=require_suffix, allow_no_rows=allow_no_rows)
    return table_to_frame(table)


def table_to_frame(table: pa.Table) -> pd.DataFrame:
    """A pyarrow Table as a DataFrame; string columns become pandas' ``str`` dtype, all-null columns float NaN."""
    columns = []
    for field in table.schema:
        if pa.types.is_null(field.type):
            columns.append(field.with_type(pa.float64()))
        else:
            columns.append(field)
    table = table.cast(pa.schema(columns)) if columns != list(table.schema) else table
    return table.to_pandas()


def iter_batches(
    path: str | os.PathLike[str],
    *,
    string_columns: Iterable[str] = (),
    require_suffix: bool = True,
) -> Iterator[pa.RecordBatch]:
    """Stream a CSV as record batches of about 4 MiB of text each, for files larger than memory.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.csv"
    >>> _ = p.write_text("id,p\\n1,0.5\\n2,0.25\\n")
    >>> sum(b.num_rows for b in iter_batches(p))
    2
    """
    path = Path(path)
    names = _sniff(path, require_suffix)
    _check_header(path, names, None)
    read, convert = _options(string_columns, names)
    try:
        reader = pacsv.open_csv(path, read_options=read, convert_options=convert)
        yield from reader
    except (pa.ArrowInvalid, pa.ArrowException) as err:
        raise _explain_arrow(path, err) from None
