"""Shared building blocks of the MLE-bench v1 preparers: split positions, CSV I/O, zips, the raw contract.

Preparers never modify ``raw_dir``: archives are read in place (``zipfile``) instead of being unpacked next
to the download, so a read-only raw folder works and the same raw always gives the same output bytes.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_lib
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sklearn.model_selection import train_test_split

from mle_datasets.errors import RawDataError

#: Fixed timestamp of every zip entry we write, so that the same input gives the same bytes.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

#: Rows of a raw table the contract reads to check column names and types (whole-table checks run in ``run``).
CONTRACT_ROWS = 20_000


# ----------------------------------------------------------------------------------------------- splitting
def split_positions(n: int, test_size: float | int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Row positions of MLE-bench v1's ``train_test_split(..., test_size, random_state=seed)`` on ``n`` rows.

    The permutation depends only on ``n``, ``test_size`` and the seed, never on the data.

    Parameters
    ----------
    n : int
        Number of rows split.
    test_size : float or int
        A fraction (test rows = ``ceil(test_size * n)``) or an absolute number of test rows.
    seed : int
        The ``random_state`` (0 in most of v1's preparers; 8 for iwildcam-2019, 42 for a few).

    >>> train, test = split_positions(10, 0.2)
    >>> len(train), len(test), sorted(np.concatenate([train, test]).tolist()) == list(range(10))
    (8, 2, True)
    >>> [part.tolist() for part in split_positions(10, 0.1, seed=8)]
    [[6, 9, 0, 2, 5, 7, 1, 4, 3], [8]]
    """
    try:
        train, test = train_test_split(np.arange(n), test_size=test_size, random_state=seed)
    except ValueError as err:
        raise _split_error(n, test_size, err) from None
    return np.asarray(train), np.asarray(test)


def _split_error(n: int, test_size: float | int, err: Exception) -> RawDataError:
    return RawDataError(f"cannot split {n} rows with test_size={test_size!r} ({err}); the raw data is too small or "
                        "incomplete: download the full competition data again")


def split_frame(df: pd.DataFrame, test_size: float | int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ``df`` exactly as ``train_test_split(df, test_size=..., random_state=0)`` does (rows permuted).

    >>> df = pd.DataFrame({"id": range(10)})
    >>> train, test = split_frame(df, 0.2)
    >>> test["id"].tolist()
    [2, 8]
    """
    train, test = split_positions(len(df), test_size)
    return df.iloc[train], df.iloc[test]


# ------------------------------------------------------------------------------------------------- tables
#: pandas 3 parses floats exactly by default (and deprecates ``float_precision``); older pandas needs round_trip.
_ROUND_TRIP = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}


def read_csv(source: Path | io.IOBase, name: str, **kwargs) -> pd.DataFrame:
    """Read a raw CSV as MLE-bench v1 does (``float_precision="round_trip"``, pandas' default NA parsing).

    ``name`` is the file's name used in error messages.
    """
    try:
        return pd.read_csv(source, **_ROUND_TRIP, **kwargs)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, zipfile.BadZipFile) as err:
        raise RawDataError(f"{name} cannot be read as CSV ({err}); download the file again") from None


def write_csv(df: pd.DataFrame, path: Path, **kwargs) -> None:
    """Write ``df`` without its index, as MLE-bench v1 does (``DataFrame.to_csv(index=False)``).

    With the default quoting the bytes are assembled by :func:`fast_csv_bytes` (same bytes, about twice as
    fast on large tables); other options go through pandas.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fast = None if kwargs else fast_csv_bytes(df)
    if fast is None:
        df.to_csv(path, index=False, lineterminator="\n", **kwargs)
    else:
        path.write_bytes(fast)


def _needs_quotes_pattern() -> str:
    """Characters that make Python's csv writer (used by pandas) quote a field with ``lineterminator="\\n"``.

    Whether a lone carriage return triggers quoting depends on the Python version, so ask the csv module.
    """
    probe = io.StringIO()
    csv.writer(probe, lineterminator="\n").writerow(["\r", "x"])
    return r'[,"\r\n]' if probe.getvalue().startswith('"') else r'[,"\n]'


_NEEDS_QUOTES = _needs_quotes_pattern()
#: Whether each byte value is one of those characters (a text buffer holding none needs no quoting at all).
_QUOTE_BYTES = np.zeros(256, bool)
_QUOTE_BYTES[list(b',"\n\r' if "\\r" in _NEEDS_QUOTES else b',"\n')] = True


def _quote_minimal(text: pa_lib.Array) -> pa_lib.Array:
    """Quote fields holding a comma, a quote or a line break, as ``csv.QUOTE_MINIMAL`` does."""
    data = text.buffers()[2] if isinstance(text, pa_lib.Array) and text.offset == 0 else None
    if data is not None and not _QUOTE_BYTES[np.frombuffer(data, np.uint8)].any():
        return text  # no field needs quotes (ids, dates): skip the per-field work
    needs = pc.match_substring_regex(text, _NEEDS_QUOTES)
    quote, empty = pa_lib.scalar('"', pa_lib.large_string()), pa_lib.scalar("", pa_lib.large_string())
    quoted = pc.binary_join_element_wise(quote, pc.replace_substring(text, '"', '""'), quote, empty)
    return pc.if_else(needs, quoted, text)


def float_text(values: np.ndarray) -> pa_lib.LargeStringArray:
    """``repr`` of each float64 (what ``to_csv`` writes; NaN as ``"nan"``), vectorised.

    pyarrow's cast writes the same shortest digits as ``repr`` but not always the same notation: its text is
    kept where ``repr`` writes fixed notation (``1e-4 <= |x| < 1e16``) and the cast did too (``".0"`` added to
    whole numbers); ``repr`` formats the other values, rare in real tables.

    >>> float_text(np.array([5.0, -0.0, 0.1 + 0.2, 1e16, 1e-5, 123456789012.5, np.nan])).to_pylist()
    ['5.0', '-0.0', '0.30000000000000004', '1e+16', '1e-05', '123456789012.5', 'nan']
    """
    large = pa_lib.large_string()
    text = pc.cast(pc.cast(pa_lib.array(values), pa_lib.string()), large)
    size = np.abs(values)
    special = ~np.isfinite(values)  # "nan", "inf", "-inf" for both
    with np.errstate(invalid="ignore"):
        fixed = ((size >= 1e-4) & (size < 1e16)) | (values == 0)
    fixed &= ~pc.match_substring(text, "e").to_numpy(zero_copy_only=False)
    fixed |= special
    whole = ~pc.match_substring(text, ".").to_numpy(zero_copy_only=False) & ~special
    if whole.any():
        point = pc.binary_join_element_wise(text, pa_lib.scalar(".0", large), pa_lib.scalar("", large))
        text = pc.if_else(pa_lib.array(fixed & whole), point, text)
    others = np.flatnonzero(~fixed)
    if len(others):
        mask = np.zeros(len(values), bool)
        mask[others] = True
        slow = pa_lib.array(list(map(float.__repr__, values[others].tolist())), large)
        text = pc.replace_with_mask(text, pa_lib.array(mask), slow)
    return text


def _column_text(column: pd.Series) -> pa_lib.Array | None:
    """The text ``to_csv`` writes for each value of ``column``; None for dtypes left to pandas."""
    kind = column.dtype.kind
    if kind in "iu" and not isinstance(column.dtype, pd.api.extensions.ExtensionDtype):
        return pc.cast(pa_lib.array(column.to_numpy()), pa_lib.large_string())
    if kind == "b" and not isinstance(column.dtype, pd.api.extensions.ExtensionDtype):
        return pa_lib.array(np.where(column.to_numpy(), "True", "False"), pa_lib.large_string())
    if kind == "f" and column.dtype in (np.float64, np.float32):
        values = column.to_numpy()
        if values.dtype == np.float64:
            text = float_text(values)
        else:
            text = pa_lib.array(values.astype(str), pa_lib.large_string())
        return pc.if_else(pa_lib.array(np.isnan(values)), pa_lib.scalar("", pa_lib.large_string()), text)
    if isinstance(column.dtype, pd.StringDtype):
        text = pc.cast(pa_lib.array(column, from_pandas=True), pa_lib.large_string())
        return _quote_minimal(pc.fill_null(text, ""))
    if kind == "O" and pd.api.types.infer_dtype(column, skipna=True) in ("string", "empty"):
        text = pa_lib.array(column.to_numpy(dtype=object, na_value=None), pa_lib.large_string())
        return _quote_minimal(pc.fill_null(text, ""))
    return None


def fast_csv_bytes(df: pd.DataFrame) -> bytes | None:
    """``df.to_csv(index=False, lineterminator="\\n")`` as bytes, assembled with pyarrow; None when a column
    dtype is not one it handles (ints, bools, float32/64, strings) or for a single column (left to pandas).

    >>> fast_csv_bytes(pd.DataFrame({"a": [1, 2], "b": ["x,y", None], "c": [0.5, float("nan")]}))
    b'a,b,c\\n1,"x,y",0.5\\n2,,\\n'
    """
    if df.shape[1] < 2 or not df.columns.is_unique or not all(isinstance(c, str) for c in df.columns):
        return None
    header = _quote_minimal(pa_lib.array([str(c) for c in df.columns], pa_lib.large_string())).to_pylist()
    head = (",".join(header) + "\n").encode("utf-8")
    if len(df) == 0:
        return head
    columns = []
    for name in df.columns:
        text = _column_text(df[name])
        if text is None:
            return None
        columns.append(text)
    return head + _lines_bytes(_join_lines(columns))


def _join_lines(columns: list[pa_lib.Array]) -> pa_lib.LargeStringArray:
    """One CSV line per row (fields joined by commas, newline included) from each column's text."""
    large = pa_lib.large_string()
    rows = pc.binary_join_element_wise(*columns, pa_lib.scalar(",", large)) if len(columns) > 1 else columns[0]
    lines = pc.binary_join_element_wise(rows, pa_lib.scalar("", large), pa_lib.scalar("\n", large))
    return lines.combine_chunks() if isinstance(lines, pa_lib.ChunkedArray) else lines


def _offsets(lines: pa_lib.Array) -> np.ndarray:
    """The ``len(lines) + 1`` offsets of a large string/binary array into its data buffer."""
    return np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset:lines.offset + len(lines) + 1]


def _lines_bytes(lines: pa_lib.Array) -> bytes:
    """The text of a large string/binary array's values, concatenated."""
    if len(lines) == 0:
        return b""
    offsets = _offsets(lines)
    return memoryview(lines.buffers()[2])[offsets[0]:offsets[-1]].tobytes()


def preformat_floats(df: pd.DataFrame) -> pd.DataFrame:
    r"""``df`` with its float columns already turned into the text ``to_csv`` writes for them.

    ``to_csv`` formats floats with numpy's shortest repr and writes NaN as an empty field; doing it once lets
    a table written to several files (with the default quoting) pay for the float formatting only once.

    >>> preformat_floats(pd.DataFrame({"x": [0.5, float("nan")], "n": [1, 2]})).to_csv(index=False, lineterminator="\n")
    'x,n\n0.5,1\n,2\n'
    """
    out = df.copy()
    for name in df.columns[[dt.kind == "f" for dt in df.dtypes]]:
        values = df[name].to_numpy()
        if values.dtype == np.float64:
            text = np.array(list(map(float.__repr__, values.tolist())), dtype=object)
        else:
            text = values.astype(str).astype(object)
        text[np.isnan(values)] = ""
        out[name] = text
    return out


def csv_bytes(df: pd.DataFrame, **kwargs) -> bytes:
    """The bytes :func:`write_csv` would write."""
    return df.to_csv(index=False, lineterminator="\n", **kwargs).encode("utf-8")


QUOTE_NONNUMERIC = csv.QUOTE_NONNUMERIC


def one_hot(ids: pd.Series, labels: pd.Series, id_column: str, classes: Iterable[str]) -> pd.DataFrame:
    """One-hot table ``id_column`` + one int column per class, as MLE-bench's ``df_to_one_hot`` (vectorised).

    Labels must all be in ``classes`` (the raw contract checks it).

    >>> one_hot(pd.Series(["a", "b"]), pd.Series(["y", "x"]), "id", ["x", "y"])
      id  x  y
    0  a  0  1
    1  b  1  0
    """
    classes = list(classes)
    codes = pd.Categorical(labels, categories=classes).codes
    matrix = np.zeros((len(ids), len(classes)), dtype=np.int64)
    matrix[np.arange(len(ids)), codes] = 1
    out = pd.DataFrame(matrix, columns=classes, index=ids.index)
    out.insert(0, id_column, ids.to_numpy())
    return out


# ----------------------------------------------------------------------------------------------- archives
def open_zip(path: Path) -> zipfile.ZipFile:
    """Open a raw zip, turning a missing or truncated archive into a :class:`RawDataError`."""
    if not path.is_file():
        raise RawDataError(f"{path.name} is missing from {path.parent}; download the full competition data")
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise RawDataError(f"{path.name} is not a readable zip ({err}); it may be truncated: download it again") from None


def read_member(zf: zipfile.ZipFile, member: str) -> bytes:
    """Bytes of one zip entry, with a clear error when it is absent or corrupt."""
    try:
        return zf.read(member)
    except KeyError:
        raise RawDataError(
            f"{Path(zf.filename or '?').name} has no entry {member!r}; download the full competition data"
        ) from None
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise RawDataError(
            f"{Path(zf.filename or '?').name}: entry {member!r} is corrupt ({err}); download the file again"
        ) from None


def write_zip(
    path: Path, entries: Mapping[str, bytes | Path], folders: Iterable[str] = (), compression: int = zipfile.ZIP_DEFLATED
) -> None:
    """Write a zip with fixed timestamps; entries in sorted name order, ``folders`` as folder entries.

    Values are bytes or paths of files to read.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression) as zf:
        for folder in sorted(folders):
            info = zipfile.ZipInfo(folder.rstrip("/") + "/", date_time=ZIP_DATE)
            info.external_attr = (0o40755 << 16) | 0x10
            zf.writestr(info, b"")
        for name in sorted(entries):
            value = entries[name]
            data = value.read_bytes() if isinstance(value, Path) else value
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = compression
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)


# ------------------------------------------------------------------------------------------------ files
def require_files(raw_dir: Path, names: Iterable[str]) -> None:
    """Raise :class:`RawDataError` naming every file of ``names`` (glob patterns allowed) absent from raw_dir."""
    missing = [n for n in names if not (any(raw_dir.glob(n)) if any(c in n for c in "*?[") else (raw_dir / n).exists())]
    if missing:
        raise RawDataError(
            f"raw data in {raw_dir} is incomplete: missing {', '.join(missing)}; download the full competition "
            "data (one zip from Kaggle, unpacked one level) and pass its folder or zip as --raw"
        )


def require_named_files(folder: Path, names: Iterable[str], what: str) -> None:
    """Raise :class:`RawDataError` when files ``folder/<name>`` are missing (counts and a few examples)."""
    names = list(names)
    present = {p.name for p in folder.iterdir()} if folder.is_dir() else set()
    missing = [n for n in names if n not in present]
    if missing:
        raise RawDataError(
            f"{len(missing)} {what} file(s) missing from {folder} (e.g. {', '.join(missing[:3])}); "
            "download the full competition data again"
        )


def copy_files(pairs: Iterable[tuple[Path, Path]]) -> None:
    """Copy each ``(source, destination)`` file, creating destination folders (:data:`FILE_THREADS` threads)."""
    _each_file(list(pairs), lambda pair: shutil.copyfile(*pair))


def copy_by_id(src_dir: Path, dst_dir: Path, names: Iterable[str], what: str) -> None:
    """Copy files ``src_dir/<name>`` to ``dst_dir/<name>`` after checking they all exist."""
    names = list(names)
    require_named_files(src_dir, names, what)
    dst_dir.mkdir(parents=True, exist_ok=True)
    copy_files((src_dir / n, dst_dir / n) for n in names)


# --------------------------------------------------------------------------------------------- contract
def _describe_failure(column: object, check: str, cases: pd.Series) -> str:
    """One readable line for a group of Pandera failure cases."""
    values = cases.astype(str).unique()
    examples = ", ".join(map(repr, values[:3]))
    if check == "column_in_dataframe":
        return f"missing column(s) {examples}"
    if check == "column_in_schema":
        return f"unexpected column(s) {examples}"
    if check == "column_ordered":
        return f"columns out of the expected order (e.g. {examples})"
    if check.startswith("dtype("):
        return f"column {column!r} has dtype {values[0]}, expected {check[6:-1]}"
    return f"column {column!r} fails {check} in {len(cases)} row(s) (e.g. {examples})"


def check_table(df: pd.DataFrame, schema: pa.DataFrameSchema, name: str) -> pd.DataFrame:
    """Validate a raw table with Pandera; a failure becomes a :class:`RawDataError` naming file and column.

    >>> schema = pa.DataFrameSchema({"id": pa.Column(int), "label": pa.Column(int)}, strict=True)
    >>> check_table(pd.DataFrame({"id": [1], "Label": [0]}), schema, "train.csv")
    Traceback (most recent call last):
    ...
    mle_datasets.errors.RawDataError: train.csv does not match the Kaggle layout: unexpected column(s) 'Label'; \
missing column(s) 'label'. Expected columns id, label; the file may have changed or be incomplete: download it again
    """
    try:
        return schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as err:
        groups = err.failure_cases.groupby(["column", "check"], dropna=False, sort=False)["failure_case"]
        lines = [_describe_failure(column, str(check), cases) for (column, check), cases in groups]
        expected = list(schema.columns)
        shown = ", ".join(expected) if len(expected) <= 12 else ", ".join(expected[:10]) + f", ... ({len(expected)} in all)"
        raise RawDataError(
            f"{name} does not match the Kaggle layout: " + "; ".join(lines)
            + f". Expected columns {shown}; the file may have changed or be incomplete: download it again"
        ) from None


def check_csv(
    source: Path | io.IOBase, schema: pa.DataFrameSchema, name: str, nrows: int | None = CONTRACT_ROWS, **kwargs
) -> pd.DataFrame:
    """Read up to ``nrows`` rows of a raw CSV (``kwargs`` go to the reader, e.g. ``sep``) and validate them."""
    return check_table(read_csv(source, name, nrows=nrows, **kwargs), schema, name)


def check_csv_in_zip(
    zip_path: Path, member: str, schema: pa.DataFrameSchema, nrows: int | None = CONTRACT_ROWS, **kwargs
) -> pd.DataFrame:
    """Validate the CSV ``member`` of a raw zip with ``schema`` (``kwargs`` go to the reader)."""
    with open_zip(zip_path) as zf:
        if member not in zf.namelist():
            raise RawDataError(f"{zip_path.name} has no entry {member!r}; download the full competition data")
        with zf.open(member) as fh:
            return check_csv(fh, schema, f"{zip_path.name}:{member}", nrows=nrows, **kwargs)


def read_csv_in_zip(zip_path: Path, member: str, **kwargs) -> pd.DataFrame:
    """Read the CSV ``member`` of a raw zip as MLE-bench v1 does."""
    with open_zip(zip_path) as zf:
        if member not in zf.namelist():
            raise RawDataError(f"{zip_path.name} has no entry {member!r}; download the full competition data")
        with zf.open(member) as fh:
            return read_csv(fh, f"{zip_path.name}:{member}", **kwargs)


def require_unique(values: pd.Series, name: str, column: str) -> None:
    """Raise :class:`RawDataError` when ``values`` has duplicates."""
    dup = values[values.duplicated()]
    if len(dup):
        raise RawDataError(
            f"{name}: column {column!r} has {len(dup)} duplicated value(s) (e.g. {', '.join(map(str, dup.unique()[:3]))}); "
            "ids must be unique: download the file again"
        )


def require_in(values: pd.Series, allowed: Iterable[str], name: str, column: str) -> None:
    """Raise :class:`RawDataError` when ``values`` holds labels outside ``allowed``."""
    bad = values[~values.isin(list(allowed))]
    if len(bad):
        raise RawDataError(
            f"{name}: column {column!r} has {len(bad)} value(s) outside the competition's label set "
            f"(e.g. {', '.join(map(repr, bad.astype(str).unique()[:3]))}); the raw data has changed: download it again"
        )


def hex_id(n: int) -> pa.Check:
    """Pandera check: strings of ``n`` lowercase hex digits."""
    return pa.Check.str_matches(rf"^[0-9a-f]{{{n}}}$", error=f"{n} lowercase hex digits")


def binary() -> pa.Check:
    """Pandera check: values 0 or 1."""
    return pa.Check.isin([0, 1])


#: Threads that link or copy files (the work waits on the file system, not on Python).
FILE_THREADS = 8


def link_files(pairs: Iterable[tuple[Path, Path]], what: str = "raw") -> None:
    """Hard-link each ``(source, destination)`` file, copying it where a link cannot be made (another file
    system, no permission); destination folders are created. A missing source is a :class:`RawDataError`.

    Linking leaves a large image set on disk once; the contents are the same as with :func:`copy_files`.
    The files are linked by :data:`FILE_THREADS` threads (IceCube's 660 batch files, H&M's 105,000 images).
    """
    _each_file(list(pairs), lambda pair: _link_one(pair, what))


def _each_file(pairs: list[tuple[Path, Path]], work: Callable[[tuple[Path, Path]], object]) -> None:
    """Run ``work`` on each ``(source, destination)`` pair in :data:`FILE_THREADS` threads, after creating the
    destination folders; the first error is raised once the others have finished."""
    for folder in sorted({dst.parent for _, dst in pairs}):
        folder.mkdir(parents=True, exist_ok=True)
    if len(pairs) < 2 * FILE_THREADS:
        for pair in pairs:
            work(pair)
        return
    with ThreadPoolExecutor(FILE_THREADS) as pool:
        for _ in pool.map(work, pairs, chunksize=64):
            pass


def _link_one(pair: tuple[Path, Path], what: str) -> None:
    src, dst = pair
    try:
        os.link(src, dst)
    except FileNotFoundError:
        if not src.is_file():
            raise RawDataError(f"{what} file {src} is missing; download the full competition data again") from None
        raise
    except OSError:
        shutil.copyfile(src, dst)


def link_tree(src: Path, dst: Path, what: str = "raw") -> None:
    """Copy the folder ``src`` to ``dst`` as ``shutil.copytree(src, dst, dirs_exist_ok=True)`` does (every
    sub-folder, empty ones too), hard-linking its files with :func:`link_files`; a :class:`RawDataError` when
    ``src`` is not a folder."""
    if not src.is_dir():
        raise RawDataError(f"{what} folder {src} is missing; download the full competition data again")
    dst.mkdir(parents=True, exist_ok=True)
    files = []
    for path in sorted(src.rglob("*")):
        if path.is_dir():
            (dst / path.relative_to(src)).mkdir(parents=True, exist_ok=True)
        else:
            files.append(path)
    link_files(((p, dst / p.relative_to(src)) for p in files), what)


# ------------------------------------------------------------------------------------------ streamed tables
#: Bytes of raw CSV pyarrow parses per record batch when a table is streamed (its reader reads a few dozen
#: blocks ahead: ~200 MiB at this size).
BLOCK_BYTES = 1 << 22
#: Rows of a permuted output put in order in memory at a time when a split is streamed (~100 MiB of taxi text).
BUCKET_ROWS = 1 << 20
#: pandas' default NA strings: a numeric field holding one is NaN for ``read_csv``, so it is null here too.
PANDAS_NA = ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>",
             "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"]


def _arrow_error(name: str, err: Exception) -> RawDataError:
    return RawDataError(f"{name} cannot be read as the expected CSV ({err}); the file may be truncated or "
                        "changed: download it again")


def _convert(types: Mapping[str, pa_lib.DataType], only: bool = False) -> pacsv.ConvertOptions:
    """Columns typed as given (so every batch of a stream agrees), with ``only`` no others; text never becomes
    null (pandas writes ``""`` for both); numbers are null where pandas reads NaN."""
    return pacsv.ConvertOptions(column_types=dict(types), strings_can_be_null=False, null_values=PANDAS_NA,
                                include_columns=list(types) if only else None)


def read_arrow_csv(path: Path, name: str, types: Mapping[str, pa_lib.DataType]) -> pa_lib.Table:
    """A whole raw CSV as a pyarrow Table with the given column types (a :class:`RawDataError` if unreadable)."""
    try:
        return pacsv.read_csv(path, convert_options=_convert(types))
    except (pa_lib.ArrowInvalid, OSError) as err:
        raise _arrow_error(name, err) from None


def iter_arrow_csv(path: Path, name: str, types: Mapping[str, pa_lib.DataType], only: bool = False,
                   block_bytes: int | None = None) -> Iterator[pa_lib.RecordBatch]:
    """Record batches of a raw CSV (about ``block_bytes``, by default :data:`BLOCK_BYTES`, of text each), typed
    as given (``only``: just those columns are parsed).

    The file is read as a plain file, not memory-mapped: the pages of a mapping read through stay in the
    process's resident memory (a 5 GiB peak RSS for Kaggle's taxi table), while the reader's read-ahead holds a
    bounded number of blocks.
    """
    try:
        with pa_lib.OSFile(str(path)) as source:
            read = pacsv.ReadOptions(block_size=block_bytes or BLOCK_BYTES)
            reader = pacsv.open_csv(source, read_options=read, convert_options=_convert(types, only))
            try:
                for batch in reader:
                    yield batch
            finally:
                reader.close()
    except (pa_lib.ArrowInvalid, OSError) as err:
        raise _arrow_error(name, err) from None


def csv_lines(batch: pa_lib.RecordBatch | pa_lib.Table) -> pa_lib.LargeStringArray:
    r"""Each row's line of ``batch.to_pandas().to_csv(index=False, lineterminator="\n")``, newline included.

    Text columns are quoted from pyarrow directly (no Python strings); numbers are formatted as
    :func:`fast_csv_bytes` does. A column type it does not handle is a ``TypeError``.

    >>> csv_lines(pa_lib.table({"k": ["a,b", "c"], "x": [0.5, None], "n": [1, 2]})).to_pylist()
    ['"a,b",0.5,1\n', 'c,,2\n']
    >>> csv_lines(pa_lib.table({"x": [None, 1.5]})).to_pylist()
    ['""\n', '1.5\n']
    """
    columns = []
    for name, column in zip(batch.column_names, batch.columns):
        if isinstance(column, pa_lib.ChunkedArray):
            column = column.combine_chunks() if column.num_chunks else pa_lib.array([], column.type)
        if pa_lib.types.is_string(column.type) or pa_lib.types.is_large_string(column.type):
            text = _quote_minimal(pc.fill_null(pc.cast(column, pa_lib.large_string()), ""))
        else:
            text = _column_text(pd.Series(column.to_numpy(zero_copy_only=False)))
        if text is None:
            raise TypeError(f"column {name!r} of type {column.type} cannot be written as CSV text here")
        columns.append(text)
    if not columns:
        raise TypeError("a table without columns has no CSV lines")
    if len(columns) == 1:  # csv quotes the empty field of a one-field row (an empty line would mean no row)
        empty = pc.equal(columns[0], "")
        columns = [pc.if_else(empty, pa_lib.scalar('""', pa_lib.large_string()), columns[0])]
    return _join_lines(columns)


def header_bytes(columns: Iterable[str]) -> bytes:
    r"""The header line ``to_csv(index=False)`` writes for these column names.

    >>> header_bytes(["a", "b,c"])
    b'a,"b,c"\n'
    """
    return csv_bytes(pd.DataFrame({c: [] for c in columns}))


class PermutedCsv:
    """A CSV whose rows arrive in any order, each with its final row position, written in bounded memory.

    Rows are appended to bucket files of ``bucket_rows`` consecutive positions (a hidden folder beside
    ``path``); on :meth:`close` each bucket is read back, put in order and appended to ``path`` after
    ``header``. Memory holds one bucket's text at a time; the disk holds the text twice until the end.

    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "t.csv"
    >>> with PermutedCsv(out, b"x\\n", 3, bucket_rows=2) as sink:
    ...     sink.add(np.array([2, 0]), pa_lib.array(["c\\n", "a\\n"], pa_lib.large_string()))
    ...     sink.add(np.array([1]), pa_lib.array(["b\\n"], pa_lib.large_string()))
    >>> out.read_text()
    'x\\na\\nb\\nc\\n'
    """

    def __init__(self, path: Path, header: bytes, n_rows: int, bucket_rows: int = BUCKET_ROWS) -> None:
        self.path, self.header, self.n_rows, self.bucket_rows = Path(path), header, n_rows, max(1, bucket_rows)
        self.n_buckets = -(-n_rows // self.bucket_rows)
        self.work = self.path.parent / f".{self.path.name}.buckets"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.work, ignore_errors=True)
        self.work.mkdir()

    def _bucket(self, b: int, kind: str) -> Path:
        return self.work / f"{b:06d}.{kind}"

    def add(self, slots: np.ndarray, lines: pa_lib.Array) -> None:
        """Append rows: ``lines[i]`` (its text, newline included) goes to row position ``slots[i]``."""
        if not len(slots):
            return
        buckets = slots // self.bucket_rows
        order = np.argsort(buckets, kind="stable")
        buckets, slots = buckets[order], slots[order]
        lines = lines.take(pa_lib.array(order))
        offsets = _offsets(lines)
        data = memoryview(lines.buffers()[2])
        bounds = np.flatnonzero(np.diff(buckets)) + 1
        for lo, hi in zip(np.concatenate([[0], bounds]), np.concatenate([bounds, [len(slots)]])):
            b = int(buckets[lo])
            index = np.stack([slots[lo:hi], np.diff(offsets[lo:hi + 1])], axis=1).astype(np.int64)
            with open(self._bucket(b, "idx"), "ab") as fh:
                fh.write(index.tobytes())
            with open(self._bucket(b, "txt"), "ab") as fh:
                fh.write(data[offsets[lo]:offsets[hi]])

    def close(self) -> None:
        """Write ``path``: the header, then every bucket in row order (every position must have been given)."""
        try:
            with open(self.path, "wb") as out:
                out.write(self.header)
                for b in range(self.n_buckets):
                    out.write(self._ordered(b))
        finally:
            shutil.rmtree(self.work, ignore_errors=True)

    def _ordered(self, b: int) -> bytes:
        first = b * self.bucket_rows
        size = min(self.bucket_rows, self.n_rows - first)
        idx_path, txt_path = self._bucket(b, "idx"), self._bucket(b, "txt")
        index = np.fromfile(idx_path, np.int64).reshape(-1, 2) if idx_path.exists() else np.zeros((0, 2), np.int64)
        position = index[:, 0] - first
        if len(position) != size or not np.array_equal(np.sort(position), np.arange(size)):
            raise ValueError(f"{self.path.name}: rows {first}..{first + size - 1} were not each given once")
        text = pa_lib.py_buffer(txt_path.read_bytes())
        offsets = pa_lib.py_buffer(np.concatenate([[0], np.cumsum(index[:, 1])]).astype(np.int64).tobytes())
        lines = pa_lib.LargeBinaryArray.from_buffers(pa_lib.large_binary(), size, [None, offsets, text])
        order = np.empty(size, np.int64)
        order[position] = np.arange(size)
        return _lines_bytes(lines.take(pa_lib.array(order)))

    def __enter__(self) -> PermutedCsv:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        if kind is None:
            self.close()
        else:
            shutil.rmtree(self.work, ignore_errors=True)


def split_slots(n: int, test_size: float | int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``n`` rows goes in MLE-bench v1's ``train_test_split(df, test_size, random_state=seed)``:
    its row position in its part (train or test), and whether it is in the test part.

    The positions are those of :func:`split_positions`, taken from the same ``ShuffleSplit`` that
    ``train_test_split`` runs, without its copies: 12 bytes a row at the peak (the permutation), 5 after.

    >>> slot, in_test = split_slots(10, 0.2)
    >>> train, test = split_positions(10, 0.2)
    >>> bool((slot[train] == np.arange(8)).all() and (slot[test] == np.arange(2)).all()), np.flatnonzero(in_test).tolist()
    (True, [2, 8])
    """
    from sklearn.model_selection import ShuffleSplit

    dtype = np.int32 if n < 2**31 else np.int64
    try:
        train, test = next(ShuffleSplit(n_splits=1, test_size=test_size, random_state=seed).split(np.empty((n, 0))))
    except ValueError as err:
        raise _split_error(n, test_size, err) from None
    slot = np.empty(n, dtype)
    step = 1 << 22
    for lo in range(0, len(train), step):  # a chunk of new positions at a time, not a second n-row array
        slot[train[lo:lo + step]] = np.arange(lo, min(lo + step, len(train)), dtype=dtype)
    del train
    slot[test] = np.arange(len(test), dtype=dtype)
    in_test = np.zeros(n, bool)
    in_test[test] = True
    return slot, in_test


def require_unique_streamed(keys: Iterable[pa_lib.Array], again: Iterable[pa_lib.Array], name: str,
                            column: str) -> int:
    """:func:`require_unique` for a column read in batches twice over (``keys``, then ``again`` only when a
    64-bit hash repeats, to confirm on the strings); memory is 8 bytes a row. Returns the number of rows.

    >>> require_unique_streamed([pa_lib.array(["a", "b"]), pa_lib.array(["a"])], [pa_lib.array(["a", "b"]),
    ...                         pa_lib.array(["a"])], "t.csv", "k")
    Traceback (most recent call last):
    ...
    mle_datasets.errors.RawDataError: t.csv: column 'k' has 1 duplicated value(s) (e.g. a); ids must be unique: download the file again
    """
    from schemas.prepared import string_hashes

    parts = [string_hashes(batch) for batch in keys]
    hashes = np.empty(sum(map(len, parts)), np.uint64)
    at = 0
    while parts:  # into one array, freeing each part as it is copied (not twice the hashes at once)
        part = parts.pop(0)
        hashes[at:at + len(part)] = part
        at += len(part)
    hashes.sort()
    repeated = hashes[1:][hashes[1:] == hashes[:-1]]
    n = len(hashes)
    del hashes
    if len(repeated):
        candidates = []
        for batch in again:
            candidates.append(batch.filter(pa_lib.array(np.isin(string_hashes(batch), repeated))))
        values = pd.Series(pa_lib.chunked_array(candidates, candidates[0].type).to_numpy(zero_copy_only=False))
        require_unique(values, name, column)
    return n


def split_csv_streamed(source: Path, name: str, types: Mapping[str, pa_lib.DataType], test_size: float | int,
                       train_path: Path, *, unique: str | None = None, patterns: Mapping[str, str] | None = None,
                       seed: int = 0, block_bytes: int | None = None,
                       bucket_rows: int = BUCKET_ROWS) -> pa_lib.Table:
    """Split a raw CSV as ``train_test_split(read_csv(source), test_size, random_state=seed)`` in bounded memory.

    The train part is written to ``train_path`` with the bytes :func:`write_csv` gives for it (rows in v1's
    permuted order, through :class:`PermutedCsv`); the test part is returned, rows in v1's order (it is held in
    memory: meant for a test part of thousands of rows). ``types`` are the file's columns, in order; an integer
    column with an empty field anywhere becomes float, as pandas reads it. ``unique``: a column whose values must
    be unique; ``patterns``: regular expressions that text columns match in every row. Three passes over the
    file (rows and ids; the split; the same again only when two ids' hashes collide).
    """
    ints = [c for c, t in types.items() if pa_lib.types.is_integer(t)]
    first = {c: types[c] for c in types if c in ints or c == unique}
    rows, nullable = 0, set()

    def keys() -> Iterator[pa_lib.Array]:
        nonlocal rows
        for batch in iter_arrow_csv(source, name, first, only=True, block_bytes=block_bytes):
            rows += batch.num_rows
            nullable.update(c for c in ints if batch.column(c).null_count)
            if unique is not None:
                yield batch.column(unique)

    if unique is None:
        for _ in keys():
            pass
    else:
        again = (b.column(unique) for b in iter_arrow_csv(source, name, {unique: types[unique]}, only=True,
                                                           block_bytes=block_bytes))
        require_unique_streamed(keys(), again, name, unique)
    types = {c: pa_lib.float64() if c in nullable else t for c, t in types.items()}
    slot, in_test = split_slots(rows, test_size, seed)
    n_test = int(in_test.sum())
    tests, test_slots, start = [], [], 0
    with PermutedCsv(train_path, header_bytes(types), rows - n_test, bucket_rows) as train:
        for batch in iter_arrow_csv(source, name, types, block_bytes=block_bytes):
            stop = start + batch.num_rows
            _require_patterns(batch, patterns or {}, name, start)
            take = pa_lib.array(in_test[start:stop])
            keep = pc.invert(take)
            train.add(slot[start:stop][~in_test[start:stop]], csv_lines(batch.filter(keep)))
            tests.append(batch.filter(take))
            test_slots.append(slot[start:stop][in_test[start:stop]])
            start = stop
        if start != rows:
            raise RawDataError(f"{name} changed while it was read ({rows} rows, then {start}); download it again")
    test = pa_lib.Table.from_batches(tests, schema=pa_lib.schema([(c, t) for c, t in types.items()]))
    return test.take(pa_lib.array(np.argsort(np.concatenate(test_slots) if test_slots else np.zeros(0, np.int64))))


def _require_patterns(batch: pa_lib.RecordBatch, patterns: Mapping[str, str], name: str, start: int) -> None:
    """Every row's text in each column of ``patterns`` matches its regular expression."""
    for column, pattern in patterns.items():
        bad = pc.invert(pc.match_substring_regex(batch.column(column), pattern))
        if pc.any(bad).as_py():
            rows = np.flatnonzero(bad.to_numpy(zero_copy_only=False))
            values = batch.column(column).take(pa_lib.array(rows[:3])).to_pylist()
            raise RawDataError(
                f"{name}: column {column!r} has {len(rows)} value(s) in rows {start + rows[0]}.. that do not "
                f"match {pattern} (e.g. {', '.join(map(repr, values))}); the file may have changed: download it again"
            )
