"""Audio lite preparers: MLSP 2013 birds (fold-0 resplit, 64 test recordings) and the right whale redux."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pandas as pd
import pytest

from mle_datasets.errors import RawDataError
from mle_datasets.fixtures import make_raw_fixture
from mle_datasets.preparers import get_preparer
from tests.data.test_preparers_common import prepared

ESS = "mlsp_contest_dataset/essential_data/"


def test_mlsp_resplits_fold_zero(tmp_path_factory):
    work = prepared("mlsp-2013-birds", tmp_path_factory)
    with zipfile.ZipFile(work / "raw" / "mlsp_contest_dataset.zip") as zf:
        folds = pd.read_csv(io.BytesIO(zf.read(ESS + "CVfolds_2.txt")))
        label_lines = zf.read(ESS + "rec_labels_test_hidden.txt").decode().splitlines()[1:]
    kept = folds[folds["fold"] == 0].reset_index(drop=True)
    test_rows = kept.sample(frac=0.2, random_state=0).index  # MLE-bench's rule, run on the raw table
    public_folds = pd.read_csv(work / "public" / "essential_data" / "CVfolds_2.txt")
    assert public_folds["rec_id"].tolist() == list(range(len(kept)))
    assert sorted(public_folds.index[public_folds["fold"] == 1]) == sorted(test_rows)
    labels = {int(line.split(",")[0]): line.split(",")[1:] for line in label_lines}
    answers = pd.read_csv(work / "private" / "answers.csv")
    assert len(answers) == 64 * 19
    expected = []
    for new_id in sorted(test_rows):  # brute-force reference
        species = {int(s) for s in labels[kept["rec_id"][new_id]] if s}
        expected += [(new_id * 100 + k, int(k in species)) for k in range(19)]
    assert list(zip(answers["Id"], answers["Probability"])) == expected
    public_labels = (work / "public" / "essential_data" / "rec_labels_test_hidden.txt").read_text().splitlines()
    hidden = [line for line in public_labels[1:] if line.endswith(",?")]
    assert len(hidden) == 64
    histogram = (work / "public" / "supplemental_data" / "histogram_of_segments.txt").read_text().splitlines()
    assert histogram[0] == "rec_id,[histogram of segment features]" and len(histogram) == len(kept) + 1
    wavs = list((work / "public" / "essential_data" / "src_wavs").iterdir())
    assert len(wavs) == len(kept)
    sample = pd.read_csv(work / "public" / "sample_submission.csv")
    assert sample["Id"].tolist() == answers["Id"].tolist() and (sample["Probability"] == 0).all()


def _rewrite_member(path, member, transform):
    with zipfile.ZipFile(path) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    entries[member] = transform(entries[member])
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)


def test_mlsp_wrong_fold_count_is_a_raw_error(tmp_path):
    raw = make_raw_fixture("mlsp-2013-birds", tmp_path / "raw")

    def drop_fold0_rows(data: bytes) -> bytes:
        folds = pd.read_csv(io.BytesIO(data))
        zero = folds.index[folds["fold"] == 0]
        return folds.drop(index=zero[:5]).to_csv(index=False).encode()

    _rewrite_member(raw / "mlsp_contest_dataset.zip", ESS + "CVfolds_2.txt", drop_fold0_rows)
    with pytest.raises(RawDataError, match="317 fold-0 recordings"):
        get_preparer("mlsp-2013-birds").check_raw(raw)


def test_mlsp_renamed_column_is_a_raw_error(tmp_path):
    raw = make_raw_fixture("mlsp-2013-birds", tmp_path / "raw")
    _rewrite_member(raw / "mlsp_contest_dataset.zip", ESS + "rec_id2filename.txt",
                    lambda data: data.replace(b"rec_id,filename", b"rec_id,file"))
    with pytest.raises(RawDataError, match="filename"):
        get_preparer("mlsp-2013-birds").check_raw(raw)


def test_whale_splits_by_recording_day(tmp_path_factory):
    work = prepared("the-icml-2013-whale-challenge-right-whale-redux", tmp_path_factory)
    with zipfile.ZipFile(work / "raw" / "train2.zip") as zf:
        names = sorted(n.split("/")[1] for n in zf.namelist() if n.endswith(".aif"))
        raw_bytes = {n: zf.read(f"train2/{n}") for n in names}
    days = sorted({n.split("_")[0] for n in names})
    train = [n for n in names if n.split("_")[0] in days[:2]]
    test = [n for n in names if n.split("_")[0] in days[2:]]
    answers = pd.read_csv(work / "private" / "test.csv")
    assert answers["clip"].tolist() == [n.split("TRAIN")[0] + f"Test{i}.aif" for i, n in enumerate(test)]
    assert answers["probability"].tolist() == [int(n[:-4].endswith("_1")) for n in test]
    with zipfile.ZipFile(work / "public" / "train2.zip") as zf:
        members = zf.namelist()
        assert members[0] == "train2/"
        renamed = sorted(m.split("/")[1] for m in members[1:])
        assert len(renamed) == len(train)
        for i, old in enumerate(train):
            new = old.replace(old.split("_")[3], f"TRAIN{i}")
            assert zf.read(f"train2/{new}") == raw_bytes[old]
    with zipfile.ZipFile(work / "public" / "test2.zip") as zf:
        assert sorted(zf.namelist()) == sorted(["test2/"] + [f"test2/{c}" for c in answers["clip"]])
        assert zf.read("test2/" + answers["clip"][0]) == raw_bytes[test[0]]
    assert (pd.read_csv(work / "public" / "sampleSubmission.csv")["probability"] == 0).all()


def test_whale_stray_file_is_a_raw_error(tmp_path):
    raw = make_raw_fixture("the-icml-2013-whale-challenge-right-whale-redux", tmp_path / "raw")
    with zipfile.ZipFile(raw / "train2.zip", "a") as zf:
        zf.writestr("train2/.DS_Store", b"\x00")
    with pytest.raises(RawDataError, match="exactly 4 recording days"):
        get_preparer("the-icml-2013-whale-challenge-right-whale-redux").check_raw(raw)


def test_aiff_clip_header_is_valid(tmp_path_factory):
    work = prepared("the-icml-2013-whale-challenge-right-whale-redux", tmp_path_factory)
    with zipfile.ZipFile(work / "public" / "test2.zip") as zf:
        data = zf.read(next(n for n in zf.namelist() if n.endswith(".aif")))
    assert data[:4] == b"FORM" and data[8:12] == b"AIFF" and data[12:16] == b"COMM"
    channels, frames, bits = np.frombuffer(data[20:22], ">i2")[0], int.from_bytes(data[22:26], "big"), data[27]
    assert (channels, frames, bits) == (1, 4000, 16)
