"""Robust CSV reading: every bad file gets a CSVReadError with its reason; ids keep leading zeros."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest

from schemas.csvio import CSVReadError, iter_batches, read_csv


def _write(tmp_path, data: bytes, name: str = "s.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _reason(path, **kw) -> CSVReadError:
    with pytest.raises(CSVReadError) as info:
        read_csv(path, **kw)
    assert str(path.name) in info.value.message
    return info.value


def test_ids_stay_strings_with_leading_zeros(tmp_path):
    path = _write(tmp_path, b"id,p\n00046,0.5\n00100,0.25\n")
    frame = read_csv(path, string_columns=["id"])
    assert frame["id"].tolist() == ["00046", "00100"]
    assert frame["p"].tolist() == [0.5, 0.25]


def test_text_columns_keep_na_tokens_and_empty_strings(tmp_path):
    path = _write(tmp_path, b"id,label\n1,NA\n2,\n3,null\n")
    frame = read_csv(path, string_columns=["id", "label"])
    assert frame["label"].tolist() == ["NA", "", "null"]


def test_missing_file(tmp_path):
    assert _reason(tmp_path / "absent.csv").check == "missing"


def test_directory_is_not_a_file(tmp_path):
    (tmp_path / "d.csv").mkdir()
    assert _reason(tmp_path / "d.csv").check == "missing"


def test_wrong_suffix(tmp_path):
    assert _reason(_write(tmp_path, b"id,p\n1,0.5\n", "s.xlsx")).check == "suffix"


def test_suffix_not_required_for_answers(tmp_path):
    path = _write(tmp_path, b"id,p\n1,0.5\n", "answers.txt")
    assert len(read_csv(path, require_suffix=False)) == 1


def test_empty_file(tmp_path):
    assert _reason(_write(tmp_path, b"")).check == "empty"


def test_whitespace_only_file(tmp_path):
    assert _reason(_write(tmp_path, b"\n\n  \n")).check == "empty"


def test_header_only(tmp_path):
    err = _reason(_write(tmp_path, b"id,p\n"))
    assert err.check == "header_only"
    assert "no rows" in err.message


def test_binary_junk(tmp_path):
    data = np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8).tobytes() + b"\x00"
    assert _reason(_write(tmp_path, data)).check == "binary"


def test_non_utf8_in_header_part(tmp_path):
    err = _reason(_write(tmp_path, "id,label\n1,caf\xe9\n".encode("latin-1")), string_columns=["id", "label"])
    assert err.check == "encoding"
    assert "UTF-8" in err.message


def test_non_utf8_after_the_sniffed_part(tmp_path):
    body = b"".join(b"%d,word\n" % i for i in range(20000))
    path = _write(tmp_path, b"id,label\n" + body + b"99999,caf\xe9\n")
    assert _reason(path, string_columns=["id", "label"]).check == "encoding"


def test_non_utf8_in_an_inferred_column(tmp_path):
    body = b"".join(b"%d,word\n" % i for i in range(20000))
    path = _write(tmp_path, b"id,label\n" + body + b"99999,caf\xe9\n")
    assert _reason(path).check == "encoding"


def test_utf8_bom_is_accepted_and_stripped(tmp_path):
    frame = read_csv(_write(tmp_path, b"\xef\xbb\xbfid,p\n7,0.5\n"), string_columns=["id"])
    assert list(frame.columns) == ["id", "p"]
    assert frame["id"].tolist() == ["7"]


@pytest.mark.parametrize("sep,word", [(b";", "semicolon"), (b"\t", "tab"), (b"|", "pipe")])
def test_wrong_delimiter(tmp_path, sep, word):
    path = _write(tmp_path, b"id" + sep + b"p\n1" + sep + b"0.5\n")
    err = _reason(path, expected_columns=["id", "p"])
    assert err.check == "delimiter"
    assert word in err.message


def test_duplicated_header(tmp_path):
    err = _reason(_write(tmp_path, b"id,p,p\n1,0.5,0.5\n"))
    assert err.check == "columns_unique"
    assert "'p'" in err.message


def test_ragged_rows(tmp_path):
    err = _reason(_write(tmp_path, b"id,p\n1,0.5\n2,0.5,9\n"))
    assert err.check == "malformed"
    assert "fields" in err.message


def test_truncated_file_reads_what_is_there(tmp_path):
    # A file cut in the middle of its last line keeps the rows that are whole plus the partial one.
    frame = read_csv(_write(tmp_path, b"id,p\n1,0.5\n2,0.2"), string_columns=["id"])
    assert frame["id"].tolist() == ["1", "2"]


def test_iter_batches_streams_every_row(tmp_path):
    n = 50_000
    ids = np.arange(n)
    text = "id,p\n" + "\n".join(f"{i:07d},{i / n:.6f}" for i in ids) + "\n"
    path = _write(tmp_path, text.encode())
    total = 0
    for batch in iter_batches(path, string_columns=["id"]):
        assert batch.schema.field("id").type == pa.string()
        total += batch.num_rows
    assert total == n


def test_large_file_memory_is_bounded(tmp_path):
    """A ~1e6-row file is parsed by pyarrow in blocks: Python allocations stay tiny whatever the row count,
    and streaming releases each batch (memory is measured, not time)."""
    n = 1_000_000
    ids = pc.utf8_lpad(pc.cast(pa.array(np.arange(n)), pa.string()), 8, "0")
    table = pa.table({"id": ids, "p": np.random.default_rng(0).random(n)})
    path = tmp_path / "big.csv"
    pacsv.write_csv(table, path, write_options=pacsv.WriteOptions(quoting_style="none"))
    size = path.stat().st_size
    pool = pa.default_memory_pool()
    base = pool.bytes_allocated()
    tracemalloc.start()
    total = sum(b.num_rows for b in iter_batches(path, string_columns=["id"]))
    _, py_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert total == n
    assert py_peak < 2_000_000  # no Python object per row
    assert pool.bytes_allocated() - base < size // 4  # batches were released as we went

    tracemalloc.start()
    frame = read_csv(path, string_columns=["id"])
    _, py_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(frame) == n
    assert frame["id"].iloc[5] == "00000005"
    assert py_peak < 2_000_000  # the data lives in arrow buffers, not Python objects
