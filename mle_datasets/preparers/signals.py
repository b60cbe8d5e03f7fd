"""Preparers of medium competitions of tables, text, code and signals: CHAMPS molecules, H&M purchases, IceCube
neutrinos, the ventilator, SETI cadences, Statoil icebergs and multi-modal gestures.

Several raw downloads are large (H&M's 31.8 million transactions, IceCube's 132 million events and 660 batch
files, the ventilator's 6 million rows): tables are read with pyarrow, big ones in record batches that are
filtered and written one at a time, and media files are copied, never loaded. The text written is the text
pandas' ``to_csv`` would write for the same rows (MLE-bench v1 writes with pandas).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_lib
import pyarrow.compute as pc

from mle_datasets.errors import RawDataError

from . import register_preparer
from ._sevenzip import SevenZip, pack_7z
from . import _common
from ._common import (
    binary,
    check_csv,
    _lines_bytes,
    csv_bytes,
    csv_lines,
    fast_csv_bytes,
    hex_id,
    link_files,
    read_arrow_csv,
    read_csv,
    require_named_files,
    require_unique,
    split_frame,
    split_positions,
    write_csv,
)

#: Bytes of raw CSV pyarrow parses per record batch when a table is streamed.
BLOCK_BYTES = _common.BLOCK_BYTES
#: Rows turned into CSV text at a time when a table held in memory is written.
CSV_ROWS = 1 << 20


def iter_arrow_csv(path: Path, name: str, types: Mapping[str, pa_lib.DataType],
                   only: bool = False) -> Iterator[pa_lib.RecordBatch]:
    """:func:`._common.iter_arrow_csv` in blocks of this module's :data:`BLOCK_BYTES` (read at each call)."""
    return _common.iter_arrow_csv(path, name, types, only, block_bytes=BLOCK_BYTES)


def _frame_bytes(df: pd.DataFrame, header: bool) -> bytes:
    data = fast_csv_bytes(df)
    if data is None:
        data = csv_bytes(df)
    return data if header else data[data.index(b"\n") + 1:]


class CsvSink:
    """Writes a CSV in pieces, with the bytes ``DataFrame.to_csv(index=False)`` would give for the whole table.

    ``float_format`` (e.g. ``"%.10g"``) formats float columns as pandas' ``float_format`` does (NaN as ``""``).
    """

    def __init__(self, path: Path, columns: list[str], float_format: str | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self.columns, self.float_format = path, list(columns), float_format
        self.rows = 0
        self._fh = open(path, "wb")
        self._fh.write(_frame_bytes(pd.DataFrame({c: [] for c in self.columns}), header=True))

    def write(self, data: pa_lib.Table | pa_lib.RecordBatch | pd.DataFrame) -> None:
        """Append rows (a pyarrow Table/RecordBatch or a DataFrame with this sink's columns).

        pyarrow rows are turned into text by :func:`._common.csv_lines` (no Python objects per row) where their
        column types allow, else through pandas (same bytes)."""
        if not isinstance(data, pd.DataFrame) and self.float_format is None:
            if not data.num_rows:
                return
            try:
                lines = csv_lines(data.select(self.columns))
            except TypeError:
                lines = None
            if lines is not None:
                self._fh.write(_lines_bytes(lines))
                self.rows += data.num_rows
                return
        df = data if isinstance(data, pd.DataFrame) else data.to_pandas()
        df = df[self.columns]
        if not len(df):
            return
        if self.float_format is not None:
            df = format_floats(df, self.float_format)
        self._fh.write(_frame_bytes(df, header=False))
        self.rows += len(df)

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> CsvSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def format_floats(df: pd.DataFrame, float_format: str) -> pd.DataFrame:
    """``df`` with its float columns turned into the text ``to_csv(float_format=...)`` writes for them.

    >>> format_floats(pd.DataFrame({"x": [0.1 + 0.2, float("nan")], "n": [1, 2]}), "%.10g")["x"].tolist()
    ['0.3', '']
    """
    out = df.copy()
    for name in df.columns[[dt.kind == "f" for dt in df.dtypes]]:
        values = df[name].to_numpy()
        text = np.array(list(map(float_format.__mod__, values.tolist())), dtype=object)
        text[np.isnan(values)] = ""
        out[name] = text
    return out


def write_arrow_csv(table: pa_lib.Table, path: Path, float_format: str | None = None) -> None:
    """Write ``table`` as pandas' ``to_csv(index=False)`` would, :data:`CSV_ROWS` rows at a time."""
    with CsvSink(path, table.column_names, float_format) as sink:
        for start in range(0, table.num_rows, CSV_ROWS):
            sink.write(table.slice(start, CSV_ROWS))


def group_order(keys: pa_lib.ChunkedArray | pa_lib.Array, name: str, column: str) -> tuple[np.ndarray, pa_lib.Array]:
    """Group number of each row in pandas' ``groupby(column)`` order (keys sorted), and the sorted keys.

    >>> groups, keys = group_order(pa_lib.array(["b", "a", "b"]), "t.csv", "k")
    >>> groups.tolist(), keys.to_pylist()
    ([1, 0, 1], ['a', 'b'])
    """
    if keys.null_count:
        raise RawDataError(f"{name}: column {column!r} has {keys.null_count} empty value(s); every row needs one: "
                           "download the file again")
    encoded = pc.dictionary_encode(keys)
    if isinstance(encoded, pa_lib.ChunkedArray):
        encoded = encoded.unify_dictionaries().combine_chunks() if encoded.num_chunks else pa_lib.array(
            [], pa_lib.dictionary(pa_lib.int32(), keys.type))
    dictionary = encoded.dictionary
    order = np.argsort(dictionary.to_numpy(zero_copy_only=False), kind="stable")
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    return rank[encoded.indices.to_numpy(zero_copy_only=False)], dictionary.take(pa_lib.array(order))


def split_groups(groups: np.ndarray, n_groups: int, test_size: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of MLE-bench v1's ``train_test_split(list(df.groupby(key)), test_size, random_state=0)``.

    Returns the train rows and the test rows, each in the order ``pd.concat`` of the split groups gives (groups
    in split order, rows of a group in file order), and the group numbers of the test part.

    >>> train, test, test_groups = split_groups(np.array([0, 1, 0, 2, 1]), 3, 0.4)
    >>> sorted(train.tolist() + test.tolist()), len(test_groups)
    ([0, 1, 2, 3, 4], 2)
    """
    train_g, test_g = split_positions(n_groups, test_size)
    slot = np.empty(n_groups, np.int64)
    slot[train_g] = np.arange(len(train_g))
    slot[test_g] = np.arange(len(test_g))
    in_test = np.zeros(n_groups, bool)
    in_test[test_g] = True
    row_test = in_test[groups]
    parts = []
    for rows in (np.flatnonzero(~row_test), np.flatnonzero(row_test)):
        parts.append(rows[np.argsort(slot[groups[rows]], kind="stable")])
    return parts[0], parts[1], test_g


def _copy_tree(src: Path, dst: Path) -> None:
    """Copy a raw folder (as ``shutil.copytree(..., dirs_exist_ok=True)``), hard-linking its files."""
    files = sorted(p for p in src.rglob("*") if p.is_file())
    for folder in sorted(p for p in src.rglob("*") if p.is_dir()):
        (dst / folder.relative_to(src)).mkdir(parents=True, exist_ok=True)
    dst.mkdir(parents=True, exist_ok=True)
    link_files((p, dst / p.relative_to(src)) for p in files)


def _examples(values: Iterable[object], n: int = 3) -> str:
    return ", ".join(map(str, list(values)[:n]))


# ------------------------------------------------------------------------ champs-scalar-coupling
CHAMPS_COUPLINGS = ["1JHC", "1JHN", "2JHH", "2JHC", "2JHN", "3JHH", "3JHC", "3JHN"]
_MOLECULE = pa.Check.str_matches(r"^dsgdb9nsd_\d{6}$", error="dsgdb9nsd_ + 6 digits")
_F = pa_lib.float64()
_I = pa_lib.int64()
_S = pa_lib.string()
#: Each CSV of the CHAMPS download that prepare reads: its columns (in order) and their types.
CHAMPS_TABLES: dict[str, dict[str, pa_lib.DataType]] = {
    "train.csv": {"id": _I, "molecule_name": _S, "atom_index_0": _I, "atom_index_1": _I, "type": _S,
                  "scalar_coupling_constant": _F},
    "structures.csv": {"molecule_name": _S, "atom_index": _I, "atom": _S, "x": _F, "y": _F, "z": _F},
    "dipole_moments.csv": {"molecule_name": _S, "X": _F, "Y": _F, "Z": _F},
    "magnetic_shielding_tensors.csv": {"molecule_name": _S, "atom_index": _I}
    | {c: _F for c in ("XX", "YX", "ZX", "XY", "YY", "ZY", "XZ", "YZ", "ZZ")},
    "mulliken_charges.csv": {"molecule_name": _S, "atom_index": _I, "mulliken_charge": _F},
    "potential_energy.csv": {"molecule_name": _S, "potential_energy": _F},
    "scalar_coupling_contributions.csv": {"molecule_name": _S, "atom_index_0": _I, "atom_index_1": _I, "type": _S,
                                          "fc": _F, "sd": _F, "pso": _F, "dso": _F},
}
_PANDERA = {_I: int, _F: float, _S: str}


def _champs_schema(name: str) -> pa.DataFrameSchema:
    columns = {}
    for column, typ in CHAMPS_TABLES[name].items():
        checks = []
        if column == "molecule_name":
            checks.append(_MOLECULE)
        elif column == "type":
            checks.append(pa.Check.isin(CHAMPS_COUPLINGS))
        elif column == "atom":
            checks.append(pa.Check.isin(["H", "C", "N", "O", "F"]))
        columns[column] = pa.Column(_PANDERA[typ], checks, coerce=typ == _F)
    return pa.DataFrameSchema(columns, strict=True, ordered=True)


CHAMPS_AUXILIARY = [n for n in CHAMPS_TABLES if n != "train.csv"]
CHAMPS_FILES = ("train.csv", *CHAMPS_AUXILIARY, "structures")


def _champs_contract(raw: Path) -> None:
    for name in CHAMPS_TABLES:
        check_csv(raw / name, _champs_schema(name), name)
    if not (raw / "structures").is_dir():
        raise RawDataError(f"{raw / 'structures'} is not a folder of <molecule>.xyz files; download the full "
                           "competition data again")


@register_preparer("champs-scalar-coupling", CHAMPS_FILES, _champs_contract)
def prepare_champs(raw: Path, public: Path, private: Path) -> None:
    """Molecules (train.csv grouped by molecule_name, names sorted) split by train_test_split(test_size=0.1,
    random_state=0); the auxiliary tables and structures/ keep the new train molecules only."""
    table = read_arrow_csv(raw / "train.csv", "train.csv", CHAMPS_TABLES["train.csv"])
    groups, names = group_order(table.column("molecule_name"), "train.csv", "molecule_name")
    train_rows, test_rows, test_groups = split_groups(groups, len(names), 0.1)
    ids = table.column("id")
    if pc.count_distinct(ids).as_py() != table.num_rows:
        raise RawDataError("train.csv: column 'id' has duplicated values; ids must be unique: download the file again")
    train, answers = table.take(pa_lib.array(train_rows)), table.take(pa_lib.array(test_rows))
    keep = np.ones(len(names), bool)
    keep[test_groups] = False
    train_names = names.filter(pa_lib.array(keep))

    xyz = pd.Series(train_names.to_numpy(zero_copy_only=False)) + ".xyz"
    require_named_files(raw / "structures", xyz, "structures/<molecule>.xyz")
    for name in CHAMPS_AUXILIARY:
        _filter_molecules(raw / name, public / name, name, train_names)

    write_arrow_csv(answers, private / "answers.csv")
    write_arrow_csv(train, public / "train.csv")
    write_arrow_csv(answers.drop_columns(["scalar_coupling_constant"]), public / "test.csv")
    sample = pd.DataFrame({"id": answers.column("id").to_numpy(), "scalar_coupling_constant": 0})
    write_csv(sample, public / "sample_submission.csv")
    (public / "structures").mkdir(parents=True, exist_ok=True)
    link_files((raw / "structures" / f, public / "structures" / f) for f in xyz)


def _filter_molecules(src: Path, dst: Path, name: str, molecules: pa_lib.Array) -> None:
    """Stream ``src`` to ``dst`` keeping the rows of ``molecules``; every one of them must occur."""
    seen = []
    with CsvSink(dst, list(CHAMPS_TABLES[name])) as sink:
        for batch in iter_arrow_csv(src, name, CHAMPS_TABLES[name]):
            kept = batch.filter(pc.is_in(batch.column("molecule_name"), value_set=molecules))
            sink.write(kept)
            seen.append(pc.unique(kept.column("molecule_name")))
    found = pa_lib.chunked_array(seen, pa_lib.string()) if seen else pa_lib.chunked_array([], pa_lib.string())
    missing = molecules.filter(pc.invert(pc.is_in(molecules, value_set=pc.unique(found))))
    if len(missing):
        raise RawDataError(
            f"{name} lacks {len(missing)} molecule(s) of the new train split (e.g. "
            f"{_examples(missing.to_pylist())}); MLE-bench needs every train molecule in each auxiliary table: "
            "download the full competition data again"
        )


# ------------------------------------------------------------------------ h-and-m-personalized-fashion-recommendations
HM_TRANSACTIONS: dict[str, pa_lib.DataType] = {"t_dat": _S, "customer_id": _S, "article_id": _I, "price": _F,
                                               "sales_channel_id": _I}
HM_ARTICLES = ["article_id", "product_code", "prod_name", "product_type_no", "product_type_name",
               "product_group_name", "graphical_appearance_no", "graphical_appearance_name", "colour_group_code",
               "colour_group_name", "perceived_colour_value_id", "perceived_colour_value_name",
               "perceived_colour_master_id", "perceived_colour_master_name", "department_no", "department_name",
               "index_code", "index_name", "index_group_no", "index_group_name", "section_no", "section_name",
               "garment_group_no", "garment_group_name", "detail_desc"]
HM_CUSTOMERS = ["customer_id", "FN", "Active", "club_member_status", "fashion_news_frequency", "age", "postal_code"]
_HEX64 = pa.Check.str_matches(r"^[0-9a-f]{64}$", error="64 lowercase hex digits")
HM_SCHEMAS = {
    "transactions_train.csv": pa.DataFrameSchema(
        {"t_dat": pa.Column(str, pa.Check.str_matches(r"^\d{4}-\d\d-\d\d$", error="a YYYY-MM-DD date")),
         "customer_id": pa.Column(str, _HEX64), "article_id": pa.Column(int),
         "price": pa.Column(float, coerce=True), "sales_channel_id": pa.Column(int)},
        strict=True, ordered=True),
    "articles.csv": pa.DataFrameSchema(
        {c: pa.Column(int) if c == "article_id" else pa.Column(nullable=True) for c in HM_ARTICLES},
        strict=True, ordered=True),
    "customers.csv": pa.DataFrameSchema(
        {c: pa.Column(str, _HEX64) if c == "customer_id" else pa.Column(nullable=True) for c in HM_CUSTOMERS},
        strict=True, ordered=True),
    "sample_submission.csv": pa.DataFrameSchema(
        {"customer_id": pa.Column(str, _HEX64), "prediction": pa.Column(str, nullable=True)},
        strict=True, ordered=True),
}
HM_FILES = ("transactions_train.csv", "articles.csv", "customers.csv", "sample_submission.csv", "images")


def _hm_contract(raw: Path) -> None:
    for name, schema in HM_SCHEMAS.items():
        check_csv(raw / name, schema, name)
    if not (raw / "images").is_dir():
        raise RawDataError(f"{raw / 'images'} is not a folder (images/<3 digits>/<article_id>.jpg); download the "
                           "full competition data again")


def _hm_days(batch: pa_lib.RecordBatch) -> pa_lib.Array:
    """``t_dat`` as timestamps; a value that is not a YYYY-MM-DD date is a :class:`RawDataError`."""
    try:
        return pc.strptime(batch.column("t_dat"), format="%Y-%m-%d", unit="s")
    except pa_lib.ArrowInvalid as err:
        raise RawDataError(f"transactions_train.csv: column 't_dat' holds a value that is not a YYYY-MM-DD date "
                           f"({err}); download the file again") from None


@register_preparer("h-and-m-personalized-fashion-recommendations", HM_FILES, _hm_contract)
def prepare_hm(raw: Path, public: Path, private: Path) -> None:
    """Temporal split: transactions on the last 8 days (t_dat >= max t_dat - 7 days) are the test; answers list
    each buyer's article ids (integers, without the leading zero) in file order; the sample submission, articles,
    customers and images are copied unchanged."""
    source = raw / "transactions_train.csv"
    last = None
    for batch in iter_arrow_csv(source, "transactions_train.csv", {"t_dat": _S}, only=True):  # pass 1: last day
        days = _hm_days(batch)
        top = pc.max(days).as_py()
        last = top if last is None or (top is not None and top > last) else last
    if last is None:
        raise RawDataError("transactions_train.csv holds no transactions; download the file again")
    start = pa_lib.scalar(last - pd.Timedelta(days=7).to_pytimedelta(), pa_lib.timestamp("s"))
    bought = []
    with CsvSink(public / "transactions_train.csv", list(HM_TRANSACTIONS)) as sink:  # pass 2: split the rows
        for batch in iter_arrow_csv(source, "transactions_train.csv", HM_TRANSACTIONS):
            batch = batch.select(list(HM_TRANSACTIONS))
            in_test = pc.greater_equal(_hm_days(batch), start)
            sink.write(batch.filter(pc.invert(in_test)))
            bought.append(batch.filter(in_test).select(["customer_id", "article_id"]))
    test = pa_lib.Table.from_batches(bought)
    grouped = pa_lib.table({"customer_id": test.column("customer_id"),
                            "prediction": pc.cast(test.column("article_id"), pa_lib.string())})
    answers = grouped.group_by("customer_id", use_threads=False).aggregate([("prediction", "list")])
    answers = pa_lib.table({"customer_id": answers.column("customer_id"),
                            "prediction": pc.binary_join(answers.column("prediction_list"), " ")})
    write_arrow_csv(answers.sort_by("customer_id"), private / "answers.csv")
    link_files((raw / name, public / name) for name in ("sample_submission.csv", "articles.csv", "customers.csv"))
    _copy_tree(raw / "images", public / "images")


# ------------------------------------------------------------------------ icecube-neutrinos-in-deep-ice
ICECUBE_META = ["batch_id", "event_id", "first_pulse_index", "last_pulse_index", "azimuth", "zenith"]
ICECUBE_TARGETS = ["azimuth", "zenith"]
#: Rows of train_meta.parquet read at a time (the real file has 132 million).
PARQUET_ROWS = 1 << 20
SENSOR_SCHEMA = pa.DataFrameSchema(
    {"sensor_id": pa.Column(int), "x": pa.Column(float, coerce=True), "y": pa.Column(float, coerce=True),
     "z": pa.Column(float, coerce=True)},
    strict=True, ordered=True,
)


def _parquet(path: Path, name: str):
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except (pa_lib.ArrowException, OSError) as err:
        raise RawDataError(f"{name} is not a readable parquet file ({err}); it may be truncated: download it "
                           "again") from None


def _data_columns(schema: pa_lib.Schema) -> list[str]:
    """Columns pandas reads as data (an index stored by pandas is dropped by v1's ``reset_index(drop=True)``)."""
    index = {c for c in (schema.pandas_metadata or {}).get("index_columns", []) if isinstance(c, str)}
    return [c for c in schema.names if c not in index]


def _icecube_batches(raw: Path) -> dict[int, Path]:
    """Batch id of each ``train/*.parquet`` (``batch_7.parquet`` -> 7), as v1 reads the name."""
    found: dict[int, Path] = {}
    for path in sorted((raw / "train").glob("*.parquet")):
        try:
            found[int(path.stem.split("_")[-1])] = path
        except ValueError:
            raise RawDataError(f"train/{path.name}: a batch file must be named batch_<id>.parquet; MLE-bench reads "
                               "the batch id from the name: download the competition data again") from None
    return found


def _icecube_contract(raw: Path) -> None:
    schema = _parquet(raw / "train_meta.parquet", "train_meta.parquet").schema_arrow
    missing = [c for c in ICECUBE_META if c not in schema.names]
    if missing:
        raise RawDataError(f"train_meta.parquet lacks column(s) {', '.join(missing)} (it has "
                           f"{', '.join(schema.names)}); download the file again")
    for column in ICECUBE_META:
        typ = schema.field(column).type
        wanted = pa_lib.types.is_floating if column in ICECUBE_TARGETS else pa_lib.types.is_integer
        if not wanted(typ):
            raise RawDataError(f"train_meta.parquet: column {column!r} has type {typ}, expected "
                               f"{'floats' if column in ICECUBE_TARGETS else 'integers'}; download the file again")
    check_csv(raw / "sensor_geometry.csv", SENSOR_SCHEMA, "sensor_geometry.csv")
    _icecube_batches(raw)


@register_preparer("icecube-neutrinos-in-deep-ice", ("train_meta.parquet", "sensor_geometry.csv", "train/*.parquet"),
                   _icecube_contract)
def prepare_icecube(raw: Path, public: Path, private: Path) -> None:
    """Batches (unique batch_id of train_meta.parquet, in order of appearance) split by
    train_test_split(test_size=0.1, random_state=0); batch files copied to train/ or test/."""
    import pyarrow.parquet as pq

    meta = _parquet(raw / "train_meta.parquet", "train_meta.parquet")
    seen = [pc.unique(b.column(0)) for b in meta.iter_batches(batch_size=PARQUET_ROWS, columns=["batch_id"])]
    batch_ids = pc.unique(pa_lib.chunked_array(seen, meta.schema_arrow.field("batch_id").type)).to_numpy()
    train_pos, test_pos = split_positions(len(batch_ids), 0.1)
    train_ids, test_ids = batch_ids[train_pos], batch_ids[test_pos]
    files = _icecube_batches(raw)
    lacking = [int(b) for b in batch_ids if int(b) not in files]
    if lacking:
        raise RawDataError(f"train/ lacks the batch file(s) of {len(lacking)} batch id(s) of train_meta.parquet "
                           f"(e.g. batch_{lacking[0]}.parquet); download the full competition data again")

    columns = _data_columns(meta.schema_arrow)
    schema = pa_lib.schema([meta.schema_arrow.field(c) for c in columns])
    test_columns = [c for c in columns if c not in ICECUBE_TARGETS]
    train_set, test_set = pa_lib.array(train_ids), pa_lib.array(test_ids)
    with pq.ParquetWriter(public / "train_meta.parquet", schema) as train_out, \
            pq.ParquetWriter(public / "test_meta.parquet", pa_lib.schema([schema.field(c) for c in test_columns])) \
            as test_out, CsvSink(private / "test.csv", ["event_id", *ICECUBE_TARGETS]) as answers, \
            CsvSink(public / "sample_submission.csv", ["event_id", *ICECUBE_TARGETS]) as sample:
        for batch in meta.iter_batches(batch_size=PARQUET_ROWS, columns=columns):
            batch = pa_lib.Table.from_batches([batch]).replace_schema_metadata(None)
            train = batch.filter(pc.is_in(batch.column("batch_id"), value_set=train_set))
            test = batch.filter(pc.is_in(batch.column("batch_id"), value_set=test_set))
            if train.num_rows:
                train_out.write_table(train)
            if test.num_rows:
                test_out.write_table(test.select(test_columns))
            answers.write(test.select(["event_id", *ICECUBE_TARGETS]))
            event = test.column("event_id").to_numpy()
            sample.write(pd.DataFrame({"event_id": event, "azimuth": 1, "zenith": 1}))
    link_files([(raw / "sensor_geometry.csv", public / "sensor_geometry.csv")])
    for folder, ids in (("train", train_ids), ("test", test_ids)):
        (public / folder).mkdir(parents=True, exist_ok=True)
        link_files((files[int(b)], public / folder / files[int(b)].name) for b in sorted(ids))


# ------------------------------------------------------------------------ ventilator-pressure-prediction
#: The dtypes v1 reads train.csv with (values must fit them).
VENTILATOR_TYPES: dict[str, pa_lib.DataType] = {
    "id": pa_lib.int32(), "breath_id": pa_lib.int32(), "R": pa_lib.int8(), "C": pa_lib.int8(), "time_step": _F,
    "u_in": _F, "u_out": pa_lib.int8(), "pressure": _F,
}
VENTILATOR_SCHEMA = pa.DataFrameSchema(
    {"id": pa.Column(int), "breath_id": pa.Column(int), "R": pa.Column(int, pa.Check.isin([5, 20, 50])),
     "C": pa.Column(int, pa.Check.isin([10, 20, 50])), "time_step": pa.Column(float, coerce=True),
     "u_in": pa.Column(float, coerce=True), "u_out": pa.Column(int, pa.Check.isin([0, 1])),
     "pressure": pa.Column(float, coerce=True)},
    strict=True, ordered=True,
)


def _ventilator_contract(raw: Path) -> None:
    check_csv(raw / "train.csv", VENTILATOR_SCHEMA, "train.csv")


@register_preparer("ventilator-pressure-prediction", ("train.csv",), _ventilator_contract)
def prepare_ventilator(raw: Path, public: Path, private: Path) -> None:
    """Breaths (train.csv grouped by breath_id, ids sorted) split by train_test_split(test_size=0.1,
    random_state=0); row ids renumbered from 1 in each part; floats written with %.10g."""
    table = read_arrow_csv(raw / "train.csv", "train.csv", VENTILATOR_TYPES).select(list(VENTILATOR_TYPES))
    groups, breaths = group_order(table.column("breath_id"), "train.csv", "breath_id")
    train_rows, test_rows, _ = split_groups(groups, len(breaths), 0.1)
    parts = []
    for rows in (train_rows, test_rows):
        part = table.take(pa_lib.array(rows))
        parts.append(part.set_column(0, "id", pa_lib.array(np.arange(1, len(rows) + 1, dtype=np.int64))))
    train, test = parts
    write_arrow_csv(train, public / "train.csv", float_format="%.10g")
    write_arrow_csv(test.drop_columns(["pressure"]), public / "test.csv", float_format="%.10g")
    write_arrow_csv(test, private / "test.csv", float_format="%.10g")
    sample = pa_lib.table({"id": test.column("id"), "pressure": pa_lib.array(np.zeros(test.num_rows, np.int64))})
    write_arrow_csv(sample, public / "sample_submission.csv")


# ------------------------------------------------------------------------ seti-breakthrough-listen
SETI_SCHEMA = pa.DataFrameSchema(
    {"id": pa.Column(str, hex_id(15)), "target": pa.Column(int, binary())}, strict=True, ordered=True
)


def _seti_contract(raw: Path) -> None:
    check_csv(raw / "train_labels.csv", SETI_SCHEMA, "train_labels.csv")
    for folder in ("train", "old_leaky_data"):
        if not (raw / folder).is_dir():
            raise RawDataError(f"{raw / folder} is not a folder; download the full competition data again")


def _cadence_files(ids: pd.Series) -> pd.Series:
    """``<first character>/<id>.npy``: where a cadence snippet lies under train/ (and test/)."""
    return ids.str[0] + "/" + ids + ".npy"


@register_preparer("seti-breakthrough-listen", ("train_labels.csv", "train", "old_leaky_data"), _seti_contract)
def prepare_seti(raw: Path, public: Path, private: Path) -> None:
    """Rows of train_labels.csv split by train_test_split(test_size=0.1, random_state=0); the .npy files follow
    their ids into train/ and test/; old_leaky_data/ is copied unchanged."""
    old = read_csv(raw / "train_labels.csv", "train_labels.csv", dtype={"id": str})
    require_unique(old["id"], "train_labels.csv", "id")
    train, test = split_frame(old, 0.1)
    present = pd.Index(p.relative_to(raw / "train").as_posix() for p in (raw / "train").glob("*/*.npy"))
    wanted = _cadence_files(old["id"])
    missing = wanted[~wanted.isin(present)]
    if len(missing):
        raise RawDataError(f"{len(missing)} cadence file(s) missing from {raw / 'train'} (e.g. "
                           f"{_examples(missing)}); download the full competition data again")
    write_csv(train, public / "train_labels.csv")
    write_csv(test, private / "test.csv")
    _copy_tree(raw / "old_leaky_data", public / "old_leaky_data")
    for folder, part in (("train", train), ("test", test)):
        link_files((raw / "train" / f, public / folder / f) for f in _cadence_files(part["id"]))
    write_csv(test.assign(target=0.5), public / "sample_submission.csv")


# ------------------------------------------------------------------------ multi-modal-gesture-recognition
GESTURE_COPIED = ["training1.tar.gz", "training2.tar.gz", "training3.tar.gz", "validation1.tar.gz",
                  "validation2.tar.gz", "validation3.tar.gz", "devel01-40.7z", "valid_all_files_combined.7z",
                  "sample_code_mmrgc.zip"]
GESTURE_FILES = ("training.csv", "training4.tar.gz", *GESTURE_COPIED)
GESTURE_SCHEMA = pa.DataFrameSchema(
    {"Id": pa.Column(str, pa.Check.str_matches(r"^\d{4}$", error="4 digits, zero-padded")),
     "Sequence": pa.Column(str, pa.Check.str_matches(r"^\d+( \d+)*$", error="space-separated gesture numbers"))},
    strict=True, ordered=True,
)


def _read_gestures(path: Path, nrows: int | None = None) -> pd.DataFrame:
    return read_csv(path, "training.csv", dtype={"Id": str, "Sequence": str}, nrows=nrows)


def _tar_sessions(path: Path) -> list[str]:
    """Ids of the ``SampleNNNNN.zip`` at the top of a session tar (``./`` prefix or not), sorted: the last 4
    characters of each name's stem, as v1 reads them after unpacking it (non-recursive ``glob("*.zip")``)."""
    import tarfile
    import zlib

    names = set()
    try:
        with tarfile.open(path, "r|*") as tar:  # one pass over the stream, nothing unpacked
            for member in tar:
                name = member.name
                while name.startswith("./"):
                    name = name[2:]
                if name and "/" not in name.rstrip("/") and name.rstrip("/").endswith(".zip"):
                    names.add(name.rstrip("/"))
    except (tarfile.TarError, EOFError, OSError, zlib.error) as err:
        raise RawDataError(f"{path.name} is not a readable tar.gz ({err}); it may be truncated: download it "
                           "again") from None
    if not names:
        raise RawDataError(f"{path.name} holds no SampleNNNNN.zip at its top level; MLE-bench takes the test "
                           "sessions from there: download the competition data again")
    return sorted(Path(n).stem[-4:] for n in names)


def _gesture_contract(raw: Path) -> None:
    from ._common import CONTRACT_ROWS, check_table

    check_table(_read_gestures(raw / "training.csv", CONTRACT_ROWS), GESTURE_SCHEMA, "training.csv")


@register_preparer("multi-modal-gesture-recognition", GESTURE_FILES, _gesture_contract)
def prepare_gestures(raw: Path, public: Path, private: Path) -> None:
    """No random split: the sessions of training4.tar.gz (its SampleNNNNN.zip, Id = last 4 digits) are the test,
    the archive is copied as public/test.tar.gz; randomPredictions.csv holds random orders of 1-20 (Python's
    random.seed(0))."""
    import random

    test_ids = _tar_sessions(raw / "training4.tar.gz")
    training = _read_gestures(raw / "training.csv")
    in_test = training["Id"].isin(test_ids)
    absent = sorted(set(test_ids) - set(training["Id"][in_test]))
    if absent or in_test.sum() != len(test_ids):
        problem = (f"lacks the Id(s) {_examples(absent)} of training4.tar.gz's sessions" if absent
                   else "repeats Ids of training4.tar.gz's sessions")
        raise RawDataError(f"training.csv {problem}; MLE-bench needs each test session's labels exactly once: "
                           "download the competition data again")
    write_csv(training[~in_test], public / "training.csv")
    write_csv(training[in_test], private / "test.csv")
    write_csv(pd.DataFrame({"Id": test_ids}), public / "test.csv")
    shuffle = random.Random(0)  # v1 seeds Python's global generator with 0, then draws one order per test Id
    orders = [" ".join(map(str, shuffle.sample(range(1, 21), 20))) for _ in test_ids]
    write_csv(pd.DataFrame({"Id": test_ids, "Sequence": orders}), public / "randomPredictions.csv")
    link_files([(raw / "training4.tar.gz", public / "test.tar.gz")] + [(raw / n, public / n) for n in GESTURE_COPIED])


# ------------------------------------------------------------------------ statoil-iceberg-classifier-challenge
#: Where the records lie in Kaggle's archives (v1 unpacks them next to the raw files and opens these paths).
STATOIL_MEMBERS = {"train.json.7z": "data/processed/train.json", "test.json.7z": "data/processed/test.json"}
#: LZMA2 preset of the public archives: fast (the real train.json is about 190 MB of text); any preset reads back
#: to the same members.
STATOIL_PRESET = 0


def _statoil_member(archive, name: str) -> int:
    member = STATOIL_MEMBERS[name]
    for index, (entry, is_dir) in enumerate(zip(archive.names, archive.is_dir)):
        if entry == member and not is_dir:
            return index
    raise RawDataError(f"{name} has no entry {member!r} (it holds {_examples(archive.names, 5)}); MLE-bench opens "
                       "that path after unpacking it: download the competition data again")


def _statoil_contract(raw: Path) -> None:
    for name in STATOIL_MEMBERS:
        _statoil_member(SevenZip(raw / name), name)


def _statoil_records(raw: Path, name: str, scratch: Path) -> list[dict]:
    """The JSON list of records in ``raw/name``; every record must have the first one's fields."""
    import json

    archive = SevenZip(raw / name)
    target = scratch / Path(STATOIL_MEMBERS[name]).name
    archive.extract({_statoil_member(archive, name): target})
    try:
        records = json.loads(target.read_bytes())
    except (ValueError, UnicodeDecodeError) as err:
        raise RawDataError(f"{name}: {STATOIL_MEMBERS[name]} is not valid JSON ({err}); download it again") from None
    finally:
        target.unlink(missing_ok=True)
    if not isinstance(records, list) or not records or not all(isinstance(r, dict) for r in records):
        raise RawDataError(f"{name}: {STATOIL_MEMBERS[name]} must be a non-empty JSON list of records; download "
                           "it again")
    fields = set(records[0])
    odd = [i for i, r in enumerate(records) if set(r) != fields]
    if odd:
        raise RawDataError(f"{name}: {len(odd)} record(s) (e.g. number {odd[0]}) lack or add fields compared with "
                           f"the first one ({', '.join(records[0])}); download it again")
    return records


@register_preparer("statoil-iceberg-classifier-challenge", tuple(STATOIL_MEMBERS), _statoil_contract)
def prepare_statoil(raw: Path, public: Path, private: Path) -> None:
    """Records of train.json split by train_test_split(test_size=0.2, random_state=0), written back as 7z-packed
    JSON (the test with test.json's fields); the sample submission (is_iceberg = 0.5) is private, public/ has it
    7z-packed only."""
    import json
    import tempfile

    with tempfile.TemporaryDirectory(dir=private, prefix=".unpacked-") as scratch:
        train_records = _statoil_records(raw, "train.json.7z", Path(scratch))
        test_fields = list(_statoil_records(raw, "test.json.7z", Path(scratch))[0])
    missing = [f for f in (*test_fields, "is_iceberg") if f not in train_records[0]]
    if missing:
        raise RawDataError(f"train.json lacks the field(s) {', '.join(missing)}; download the competition data again")
    train_pos, test_pos = split_positions(len(train_records), 0.2)
    train = [train_records[i] for i in train_pos]
    test = [train_records[i] for i in test_pos]
    del train_records
    (public / "train.json.7z").write_bytes(pack_7z({"train.json": json.dumps(train).encode()}, preset=STATOIL_PRESET))
    del train
    public_test = [{f: record[f] for f in test_fields} for record in test]
    (public / "test.json.7z").write_bytes(pack_7z({"test.json": json.dumps(public_test).encode()},
                                                  preset=STATOIL_PRESET))
    answers = pd.DataFrame({"id": [r["id"] for r in test], "is_iceberg": [int(r["is_iceberg"]) for r in test]})
    write_csv(answers, private / "test.csv")
    sample = answers.assign(is_iceberg=0.5)
    write_csv(sample, private / "sample_submission.csv")
    (public / "sample_submission.csv.7z").write_bytes(pack_7z({"sample_submission.csv": csv_bytes(sample)}))
