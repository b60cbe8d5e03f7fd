"""The submission-column vocabulary, schemas' own spec record, and the one sha256 helper."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

import schemas
from schemas import checksums
from schemas.columns import ColumnError, SubmissionColumn, SubmissionFormat, columns_from, parse_column
from schemas.prepared import PreparedContractError, check_prepared
from schemas.submission import SubmissionContract


@pytest.mark.parametrize(
    "raw, key",
    [
        ({"name": "p", "dtype": "double"}, "dtype"),
        ({"name": "p", "domain": "probabilty"}, "domain"),
        ({"name": "p", "domain": "prediction_string", "group_size": 0}, "group_size"),
        ({"name": "p", "nulable": True}, "nulable"),
        ({"dtype": "float"}, "name"),
    ],
)
def test_a_column_outside_the_vocabulary_names_its_key(raw, key):
    with pytest.raises(ColumnError) as info:
        parse_column(raw)
    assert info.value.key == key


def test_columns_parse_into_records():
    cols = columns_from([{"name": "id"}, {"name": "labels", "domain": "label_list", "allowed": ["a", "b"],
                                          "nullable": True}])
    assert cols == (SubmissionColumn("id"), SubmissionColumn("labels", domain="label_list", nullable=True,
                                                             allowed=("a", "b")))


def test_the_id_policy_comes_from_the_spec_record():
    fmt = SubmissionFormat("toy", ("id",), columns_from([{"name": "id"}, {"name": "p", "dtype": "float"}]),
                           id_policy="superset")
    sample = pd.DataFrame({"id": ["a", "b"], "p": 0.5})
    extra = pd.DataFrame({"id": ["a", "b", "c"], "p": 0.5})
    assert schemas.validate(fmt, extra, sample).valid
    strict = SubmissionFormat(fmt.id, fmt.id_columns, fmt.submission_columns)
    assert [e.check for e in schemas.validate(strict, extra, sample).errors] == ["ids_unknown"]
    with pytest.raises(ValueError, match="id_policy 'most'"):
        SubmissionContract(SubmissionFormat("toy2", ("id",), fmt.submission_columns, id_policy="most"))


def test_sha256_streams_in_chunks(tmp_path, monkeypatch):
    path = tmp_path / "blob.bin"
    data = bytes(range(256)) * 41
    path.write_bytes(data)
    monkeypatch.setattr(checksums, "CHUNK_BYTES", 7)  # many partial reads
    assert checksums.sha256_file(path) == hashlib.sha256(data).hexdigest()


def test_two_different_files_of_equal_size_differ(tmp_path):
    a, b = tmp_path / "a.bin", tmp_path / "b.bin"
    size = 3 * checksums.CHUNK_BYTES + 5  # several chunks; only the last byte differs
    a.write_bytes(b"\0" * (size - 1) + b"a")
    b.write_bytes(b"\0" * (size - 1) + b"b")
    assert a.stat().st_size == b.stat().st_size
    assert schemas.sha256_file(a) != schemas.sha256_file(b)
    assert schemas.sha256_file(a) == hashlib.sha256(a.read_bytes()).hexdigest()


def _prepared(root, public_extra: bytes):
    (root / "public").mkdir(parents=True)
    (root / "private").mkdir()
    (root / "public" / "sample_submission.csv").write_text("id,y\nc,0.5\nd,0.5\n")
    answers = b"id,y\nc,1\nd,0\n"
    (root / "private" / "test.csv").write_bytes(answers)
    (root / "public" / "notes.bin").write_bytes(public_extra)
    spec = SubmissionFormat("toy", ("id",), columns_from([{"name": "id"}, {"name": "y", "dtype": "float"}]))
    return root, _WithPaths(spec)


class _WithPaths:
    def __init__(self, fmt: SubmissionFormat) -> None:
        self.id, self.id_columns, self.submission_columns = fmt.id, fmt.id_columns, fmt.submission_columns
        self.answers, self.sample_submission = "private/test.csv", "public/sample_submission.csv"


def test_the_leakage_audit_compares_content_not_size(tmp_path):
    root, spec = _prepared(tmp_path / "same-size", b"id,y\nc,0\nd,1\n")  # as long as the answers, other bytes
    assert check_prepared(root, spec).target_columns == ["y"]
    root, spec = _prepared(tmp_path / "copy", b"id,y\nc,1\nd,0\n")
    with pytest.raises(PreparedContractError, match="public/notes.bin is a copy of the answers file"):
        check_prepared(root, spec)
