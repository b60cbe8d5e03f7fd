"""The prepared contract: what a prepared competition (``public/`` + ``private/``) must satisfy.

Checked after every preparation, before anything is stored:

- the answers file and the sample submission exist and can be read;
- ids are present, non-null and unique in the answers and the sample submission;
- the sample submission's columns are the spec's submission columns, its numeric columns parse as numbers;
- sample-submission ids == answers ids, and the public test table's ids == answers ids (when public/ holds
  a test table with the id columns);
- the leakage audit: the public test table carries no target column; no public file is a byte copy of the
  answers; no public table reproduces the answers' target values for the answer ids.

"Target columns" are the submission's non-id columns that the answers hold and the sample submission does
not reproduce (a column copied from the test set into the sample submission, such as a date, is an input,
not a target).
"""

from __future__ import annotations

import logging

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from schemas.checksums import sha256_file
from schemas.columns import SubmissionSpec

log = logging.getLogger(__name__)

__all__ = ["PreparedContractError", "PreparedSpec", "PreparedReport", "check_prepared", "read_table",
           "TABLE_SUFFIXES", "is_table", "string_hashes"]

#: file suffixes read as tables by the audit (and stored as parquet configs)
TABLE_SUFFIXES = (".csv", ".parquet", ".json", ".jsonl")
#: share of the answer rows a public table may reproduce before it counts as answer-bearing
LEAK_SHARE = 0.5
_NUMERIC = ("int", "float")


class PreparedContractError(ValueError):
    """A prepared competition folder breaks the prepared contract (ids, leakage, dtypes, unreadable tables).

    ``mle_datasets.prepare`` reports it as its ``PreparedDataError``, with the same message.
    """


class PreparedSpec(SubmissionSpec, Protocol):
    """What the prepared contract needs of a competition spec (``competitions.Competition`` is one): the
    submission's, the two files' paths, and (read with a default of none) the files where ids repeat by design,
    ``repeated_ids``."""

    @property
    def answers(self) -> str: ...

    @property
    def sample_submission(self) -> str: ...


@dataclass
class PreparedReport:
    """What the contract saw: row counts, target columns, the public tables it audited."""

    n_answers: int
    target_columns: list[str]
    audited: list[str] = field(default_factory=list)
    ids_compared: bool = True  # False for JSONL answers, keyed otherwise than the submission (tf2qa)


def read_table(path: str | Path, columns: list[str] | None = None, string_columns: tuple[str, ...] = ()) -> pa.Table:
    """Read a CSV, parquet, JSON (list of records) or JSONL file as a pyarrow Table.

    Parameters
    ----------
    path : path-like
        The file; its suffix picks the reader.
    columns : list of str, optional
        Read only these columns (those absent from the file are skipped).
    string_columns : tuple of str
        Columns read as strings whatever they look like (ids keep leading zeros).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"; _ = p.write_text("id,y\\n007,1\\n")
    >>> read_table(p, string_columns=("id",)).to_pylist()
    [{'id': '007', 'y': 1}]
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return pacsv.read_csv(path, convert_options=_csv_convert(path, columns, string_columns))
    if suffix == ".parquet":
        names = pq.read_schema(path).names
        return pq.read_table(path, columns=[c for c in columns if c in names] if columns is not None else None)
    if suffix in (".json", ".jsonl"):
        frame = pd.read_json(path, lines=suffix == ".jsonl", dtype={c: str for c in string_columns})
        if columns is not None:
            frame = frame[[c for c in columns if c in frame.columns]]
        return pa.Table.from_pandas(frame, preserve_index=False)
    raise PreparedContractError(f"{path.name}: cannot read a {suffix or 'suffix-less'} file as a table")


def _csv_convert(path: Path, columns: list[str] | None, string_columns: tuple[str, ...]) -> pacsv.ConvertOptions:
    """Only ``columns`` (those the header has), ``string_columns`` as strings, text never null."""
    header = table_columns(path)
    types = {c: pa.string() for c in string_columns if c in header}
    include = [c for c in columns if c in header] if columns is not None else None
    return pacsv.ConvertOptions(column_types=types, include_columns=include, strings_can_be_null=False)


#: Bytes of CSV text parsed at a time when a table is read in batches (pyarrow reads a few dozen blocks ahead).
BLOCK_BYTES = 1 << 22


def iter_batches(path: str | Path, columns: list[str] | None = None, string_columns: tuple[str, ...] = (),
                 block_bytes: int | None = None) -> Iterator[pa.RecordBatch]:
    """Record batches of a table file, as :func:`read_table` reads it whole: CSV and parquet streamed (about
    ``block_bytes``, by default :data:`BLOCK_BYTES`, of CSV text, or one row group, at a time), JSON read whole. Column types are guessed from
    the first block (``pa.ArrowInvalid`` when a later block disagrees).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"; _ = p.write_text("id,y\\n007,1\\n008,2\\n")
    >>> [b.num_rows for b in iter_batches(p, ["id"], ("id",), block_bytes=8)], next(iter_batches(p)).num_rows
    ([1, 1], 2)
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        convert = _csv_convert(path, columns, string_columns)
        with pa.OSFile(str(path)) as source:  # not mapped: the pages of a mapping count as the process's memory
            reader = pacsv.open_csv(source, read_options=pacsv.ReadOptions(block_size=block_bytes or BLOCK_BYTES),
                                    convert_options=convert)
            yield from reader
    elif suffix == ".parquet":
        parquet = pq.ParquetFile(path)
        names = parquet.schema_arrow.names
        yield from parquet.iter_batches(columns=[c for c in columns if c in names] if columns is not None else None)
    else:
        yield from read_table(path, columns, string_columns).to_batches()


def table_columns(path: str | Path) -> list[str]:
    """Return the column names of a table file without reading its rows (CSV: the header line).

    Parameters
    ----------
    path : path-like
        A CSV, parquet, JSON or JSONL file.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"; _ = p.write_text("id,y\\n1,2\\n")
    >>> table_columns(p)
    ['id', 'y']
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        reader = pacsv.open_csv(path, convert_options=pacsv.ConvertOptions(column_types={}))
        return list(reader.schema.names)
    if suffix == ".parquet":
        return list(pq.read_schema(path).names)
    return list(read_table(path).column_names)


def _read(path: Path, what: str, string_columns: tuple[str, ...], columns: list[str] | None = None) -> pa.Table:
    if not path.is_file():
        raise PreparedContractError(f"the {what} {path} was not written; the preparer must create it")
    try:
        return read_table(path, columns=columns, string_columns=string_columns)
    except (pa.ArrowInvalid, ValueError, OSError) as err:
        if isinstance(err, PreparedContractError):
            raise
        raise PreparedContractError(f"the {what} {path.name} cannot be read as a table: {err}") from None


def _key(table: pa.Table, id_columns: tuple[str, ...]) -> pa.Array:
    """One string key per row (id columns joined by a separator no id contains)."""
    parts = [pc.cast(table.column(c), pa.string()) for c in id_columns]
    if len(parts) == 1:
        return parts[0].combine_chunks()
    return pc.binary_join_element_wise(*parts, "\x1f").combine_chunks()


def _check_ids(table: pa.Table, id_columns: tuple[str, ...], what: str, unique: bool = True) -> pa.Array:
    missing = [c for c in id_columns if c not in table.column_names]
    if missing:
        raise PreparedContractError(f"the {what} lacks id column(s) {missing}; it has {table.column_names}")
    key = _key(table, id_columns)
    nulls = 0
    for c in id_columns:
        part = pc.cast(table.column(c), pa.string())
        nulls += part.null_count + int(pc.sum(pc.equal(part, "")).as_py() or 0)
    if nulls:
        raise PreparedContractError(f"the {what} has {nulls} empty id(s) in {list(id_columns)}; every row needs an id")
    if not unique:
        return key
    hashes = np.sort(string_hashes(key))  # 8 bytes an id, not a hash table of the strings (13e6 IceCube events)
    repeated = hashes[1:][hashes[1:] == hashes[:-1]]
    del hashes
    if not len(repeated):
        return key
    maybe = key.filter(pa.array(np.isin(string_hashes(key), repeated)))  # confirm on the strings themselves
    counts = pc.value_counts(maybe)
    dup = pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1))
    if len(dup):
        raise PreparedContractError(
            f"the {what} repeats {len(dup)} id(s), e.g. {dup.slice(0, 3).to_pylist()}; ids must be unique"
        )
    return key


def _compare_ids(key: pa.Array, ref: pa.Array, what: str, id_policy: str = "exact") -> None:
    """``key`` holds the ids of ``ref`` as the spec's id policy says (exact: the same set; superset: at least
    them, as h-and-m's sample lists every customer; subset: only answer ids; any: no relation)."""
    if id_policy == "any":
        return
    extra = pc.filter(key, pc.invert(pc.is_in(key, value_set=ref)))
    lacking = pc.filter(ref, pc.invert(pc.is_in(ref, value_set=key)))
    if id_policy == "superset":
        extra = extra.slice(0, 0)
    elif id_policy == "subset":
        lacking = lacking.slice(0, 0)
    if len(extra) or len(lacking):
        raise PreparedContractError(
            f"the ids of the {what} differ from the answers' ids: {len(lacking)} answer id(s) missing, "
            f"{len(extra)} unknown id(s) (e.g. {extra.slice(0, 3).to_pylist()}); the preparer must write the "
            "same ids to both"
        )


def _aligned_values(table: pa.Table, key: pa.Array, ref_key: pa.Array, column: str) -> tuple[np.ndarray, np.ndarray]:
    """Positions of ``ref_key`` rows found in ``key``, and the table's values of ``column`` there."""
    idx = pc.index_in(ref_key, value_set=key)
    found = pc.is_valid(idx)
    ref_pos = np.flatnonzero(found.to_numpy(zero_copy_only=False))
    take = pc.filter(idx, found)
    values = table.column(column).combine_chunks().take(take)
    return ref_pos, values.to_numpy(zero_copy_only=False)


def _same_values(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise equality that treats numbers by value (1 == 1.0) and text as text."""
    try:
        fa, fb = a.astype(float), b.astype(float)
        return np.isclose(fa, fb, rtol=0, atol=1e-12) | (np.isnan(fa) & np.isnan(fb))
    except (TypeError, ValueError):
        return a.astype(str) == b.astype(str)


def is_table(path: str | Path) -> bool:
    """Whether a file is read as a table: CSV, parquet, JSONL, or JSON whose top level is a list of records.

    A JSON object (a COCO-style metadata file, a label map) is a plain file.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "rows.json").write_text('[{"id": 1}]'); _ = (d / "meta.json").write_text('{"images": []}')
    >>> is_table(d / "rows.json"), is_table(d / "meta.json"), is_table(d / "a.txt")
    (True, False, False)
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        return False
    if suffix != ".json":
        return True
    with open(path, "rb") as fh:
        head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"[")


def _public_tables(public_dir: Path) -> list[Path]:
    return sorted(p for p in public_dir.iterdir() if p.is_file() and is_table(p))


def check_prepared(prepared_dir: str | Path, spec: PreparedSpec) -> PreparedReport:
    """Check a prepared competition folder against the prepared contract; raise :class:`PreparedContractError`.

    Parameters
    ----------
    prepared_dir : path-like
        The folder holding ``public/`` and ``private/`` (spec paths such as ``private/test.csv`` are
        relative to it).
    spec : PreparedSpec
        The competition's spec (id columns, submission columns, answers and sample-submission paths).

    >>> import tempfile, pathlib, types
    >>> d = pathlib.Path(tempfile.mkdtemp()); (d / "public").mkdir(); (d / "private").mkdir()
    >>> _ = (d / "public/train.csv").write_text("id,y\\na,1\\nb,0\\n")
    >>> _ = (d / "public/test.csv").write_text("id\\nc\\nd\\n")
    >>> _ = (d / "public/sample_submission.csv").write_text("id,y\\nc,0.5\\nd,0.5\\n")
    >>> _ = (d / "private/test.csv").write_text("id,y\\nc,1\\nd,0\\n")
    >>> col = types.SimpleNamespace
    >>> spec = col(id="toy", id_columns=("id",), answers="private/test.csv",
    ...            sample_submission="public/sample_submission.csv",
    ...            submission_columns=(col(name="id", dtype="str"), col(name="y", dtype="float")))
    >>> check_prepared(d, spec).target_columns
    ['y']
    >>> _ = (d / "public/test.csv").write_text("id,y\\nd,0\\nc,1\\n")
    >>> check_prepared(d, spec)
    Traceback (most recent call last):
    ...
    schemas.prepared.PreparedContractError: leakage: public/test.csv carries target column(s) ['y']; the public test table must not hold answers
    """
    root = Path(prepared_dir)
    public_dir = root / "public"
    ids = tuple(spec.id_columns)
    answers_path, sample_path = root / spec.answers, root / spec.sample_submission
    if not public_dir.is_dir() or not any(public_dir.iterdir()):
        raise PreparedContractError(f"{public_dir} is missing or empty; the preparer wrote no public files")
    answers = _read(answers_path, "answers file", ids)
    sample = _read(sample_path, "sample submission", ids)
    repeated = tuple(getattr(spec, "repeated_ids", ()))
    sample_key = _check_ids(sample, ids, f"sample submission {spec.sample_submission}",
                            unique="sample_submission" not in repeated)
    _check_sample_columns(sample, spec)
    if answers_path.suffix.lower() == ".jsonl":
        # JSON records keyed otherwise (tf2qa: one record per example, two submission rows each): the
        # grader maps them to submission ids; only the copy check applies
        report = PreparedReport(n_answers=answers.num_rows, target_columns=[], ids_compared=False)
        _refuse_copies(public_dir, answers_path)
        return report
    ans_key = _check_ids(answers, ids, f"answers file {spec.answers}", unique="answers" not in repeated)
    _compare_ids(sample_key, ans_key, f"sample submission {spec.sample_submission}", _id_policy(spec))

    targets = _target_columns(spec, answers, ans_key, sample, sample_key)
    report = PreparedReport(n_answers=answers.num_rows, target_columns=targets)
    _refuse_copies(public_dir, answers_path)
    for path in _public_tables(public_dir):
        rel = f"public/{path.name}"
        if path.resolve() == sample_path.resolve():
            _audit_values(sample, sample_key, answers, ans_key, targets, rel)
            continue
        columns = table_columns(path)
        if not all(c in columns for c in ids):
            continue  # keyed otherwise (e.g. osic's baseline visits per patient): not rows of the answers
        is_test = path.name.lower().startswith("test")
        present = [c for c in targets if c in columns]
        if is_test and present:
            raise PreparedContractError(
                f"leakage: {rel} carries target column(s) {present}; the public test table must not hold answers"
            )
        if not is_test and not present:
            continue  # no answer column to look for; reading its ids would cost GBs (h-and-m's transactions)
        if is_test:
            table = _read(path, "public table", ids, columns=[*ids, *present])
            key = _check_ids(table, ids, rel, unique="public_test" not in repeated)
        else:  # only the rows of answer ids matter: a train table may be far larger than the answers (taxi)
            table = _answer_rows(path, ids, present, ans_key)
            key = _key(table, ids)
        if is_test:
            _compare_ids(key, ans_key, f"public test table {rel}", _id_policy(spec))
        _audit_values(table, key, answers, ans_key, present, rel)
        report.audited.append(rel)
    return report


def _answer_rows(path: Path, ids: tuple[str, ...], columns: list[str], ans_key: pa.Array) -> pa.Table:
    """The rows of a public table whose ids are answer ids (in file order), read in batches of
    :data:`BLOCK_BYTES`: memory follows the answers, not the table."""
    wanted = [*ids, *columns]
    parts = []
    try:
        for batch in iter_batches(path, wanted, ids):
            table = pa.Table.from_batches([batch])
            parts.append(table.filter(pc.is_in(_key(table, ids), value_set=ans_key)))
    except (pa.ArrowInvalid, OSError) as err:
        # a column whose type the first block guessed wrong: read the table whole (or report why it cannot be)
        log.warning("%s: reading it whole for the leakage audit, batches failed (%s)", path.name, err)
        parts = []
    return pa.concat_tables(parts) if parts else _read(path, "public table", ids, columns=wanted)


def _refuse_copies(public_dir: Path, answers_path: Path) -> None:
    """No public file is a byte copy of the answers file."""
    answers_size, answers_sha = answers_path.stat().st_size, sha256_file(answers_path)
    for path in sorted(p for p in public_dir.rglob("*") if p.is_file()):
        if path.stat().st_size == answers_size and sha256_file(path) == answers_sha:
            raise PreparedContractError(
                f"leakage: public/{path.relative_to(public_dir).as_posix()} is a copy of the answers file; "
                "remove it from public/"
            )


def _id_policy(spec: PreparedSpec) -> str:
    return str(getattr(spec, "id_policy", "exact"))


def _check_sample_columns(sample: pa.Table, spec: PreparedSpec) -> None:
    """The sample has every submission column; extra ones are allowed (submissions may then carry them too)."""
    expected = [c.name for c in spec.submission_columns]
    got = sample.column_names
    missing = [c for c in expected if c not in got]
    if missing:
        raise PreparedContractError(
            f"the sample submission lacks the spec's column(s) {missing} of {spec.id} (it has {got}); fix the "
            "preparer or the spec"
        )
    for col in spec.submission_columns:
        if col.dtype in _NUMERIC and col.name not in spec.id_columns:
            typ = sample.schema.field(col.name).type
            if not (pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_null(typ)):
                raise PreparedContractError(
                    f"sample submission column {col.name!r} holds {typ} values, but the spec says {col.dtype}"
                )


def _target_columns(spec: PreparedSpec, answers: pa.Table, ans_key: pa.Array, sample: pa.Table,
                    sample_key: pa.Array) -> list[str]:
    targets = []
    for col in spec.submission_columns:
        name = col.name
        if name in spec.id_columns or name not in answers.column_names:
            continue
        pos, values = _aligned_values(sample, sample_key, ans_key, name)
        truth = answers.column(name).combine_chunks().to_numpy(zero_copy_only=False)[pos]
        if not _same_values(values, truth).all():
            targets.append(name)
    return targets


def _audit_values(table: pa.Table, key: pa.Array, answers: pa.Table, ans_key: pa.Array, targets: list[str],
                  rel: str) -> None:
    """Raise when ``table`` reproduces a target column for most answer ids, better than any constant could."""
    for name in targets:
        if name not in table.column_names:
            continue
        truth_all = answers.column(name).combine_chunks()
        if pc.count_distinct(truth_all).as_py() < 2:
            continue
        pos, values = _aligned_values(table, key, ans_key, name)
        truth = truth_all.to_numpy(zero_copy_only=False)[pos]
        matches = int(_same_values(values, truth).sum())
        # a constant (e.g. a sample submission of all ones) can match many answers without revealing them
        best_constant = int(pc.max(pc.value_counts(truth_all).field("counts")).as_py())
        if matches >= max(1, LEAK_SHARE * answers.num_rows) and matches > best_constant:
            raise PreparedContractError(
                f"leakage: {rel} reproduces the answers' {name!r} for {matches} of {answers.num_rows} answer "
                "ids; public files must not hold the answers"
            )



# ------------------------------------------------------------------------------------------- streaming
_FNV_OFFSET, _FNV_PRIME = np.uint64(0xCBF29CE484222325), np.uint64(0x100000001B3)
#: Longest string hashed byte column by byte column; longer ones go through pandas' hash (ids are short).
_HASH_WIDTH = 64


def string_hashes(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A 64-bit hash (FNV-1a over the UTF-8 bytes, length mixed in) of each string of ``values``, vectorised.

    Ids of a table too large to hold as strings (tens of millions of keys) are compared and checked for
    uniqueness as hashes: 8 bytes each. Equal strings give equal hashes; two different strings give the same
    hash with a chance of about 2**-64, so callers confirm a collision on the strings themselves.

    >>> h = string_hashes(pa.array(["a", "bb", "a", ""]))
    >>> h.dtype.name, bool(h[0] == h[2]), len(set(h.tolist()))
    ('uint64', True, 3)
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], pa.large_string())
    values = pc.fill_null(pc.cast(values, pa.large_string()), "")
    n = len(values)
    offsets = np.frombuffer(values.buffers()[1], np.int64)[values.offset:values.offset + n + 1]
    lengths = np.diff(offsets)
    width = int(lengths.max()) if n else 0
    if width > _HASH_WIDTH:
        return pd.util.hash_array(values.to_numpy(zero_copy_only=False).astype(object))
    data = np.frombuffer(values.buffers()[2], np.uint8) if width else np.zeros(1, np.uint8)
    hashes = np.full(n, _FNV_OFFSET, np.uint64) ^ lengths.astype(np.uint64)
    starts = offsets[:-1]
    with np.errstate(over="ignore"):
        for j in range(width):  # a loop over byte positions, each step over every row
            inside = lengths > j
            byte = data[np.where(inside, starts + j, 0)].astype(np.uint64)
            hashes = np.where(inside, (hashes ^ byte) * _FNV_PRIME, hashes)
    return hashes
