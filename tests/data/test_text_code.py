"""Medium text and code competitions: end to end, MLE-bench v1's split on the fixtures, and bad raw input.

The split checks replay v1's own calls (``train_test_split``, ``DataFrame.sample``, the chunked JSONL read,
the seeded line filter) on the raw fixture and compare with what our preparers wrote.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

import mle_datasets
from mle_datasets.errors import RawDataError
from mle_datasets.fixtures import make_raw_fixture
from mle_datasets.preparers import get_preparer, text_code
from mle_datasets.preparers._common import csv_bytes
from tests.data.endtoend import check_end_to_end


def run(cid: str, raw: Path, out: Path) -> tuple[Path, Path]:
    """Raw contract + preparer into ``out/public`` and ``out/private``."""
    preparer = get_preparer(cid)
    preparer.check_raw(raw)
    preparer.run(raw, out / "public", out / "private")
    return out / "public", out / "private"


def fixture_and_run(cid: str, tmp_path: Path, **kwargs) -> tuple[Path, Path, Path]:
    raw = make_raw_fixture(cid, tmp_path / "raw", **kwargs)
    public, private = run(cid, raw, tmp_path / "out")
    return raw, public, private


def v1_csv(df: pd.DataFrame) -> bytes:
    """What v1's ``DataFrame.to_csv(path, index=False)`` writes."""
    return df.to_csv(index=False, lineterminator="\n").encode("utf-8")


def rezip(path: Path, member: str, data: bytes) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(member, data)


# ------------------------------------------------------------------------ us-patent-phrase-to-phrase-matching
PATENT = "us-patent-phrase-to-phrase-matching"


def test_patent_end_to_end(tmp_path, store):
    # v1's all-zero sample submission is constant, so its Pearson score is NaN (a listed known issue)
    check_end_to_end(PATENT, tmp_path, store, lambda answers, sample: pd.read_csv(answers)[["id", "score"]])


def test_patent_split_is_v1s(tmp_path):
    raw, public, private = fixture_and_run(PATENT, tmp_path)
    old = pd.read_csv(raw / "train.csv")
    train, test = train_test_split(old, test_size=0.1, random_state=0)
    assert (public / "train.csv").read_bytes() == v1_csv(train)
    assert (private / "test.csv").read_bytes() == v1_csv(test)
    assert (public / "test.csv").read_bytes() == v1_csv(test.drop(columns=["score"]))
    assert (public / "sample_submission.csv").read_bytes() == v1_csv(test[["id"]].assign(score=0))
    assert sorted(p.name for p in public.iterdir()) == ["sample_submission.csv", "test.csv", "train.csv"]
    assert test["score"].nunique() >= 3  # Pearson needs variance in the answers


def test_patent_learnable_signal(tmp_path):
    raw = make_raw_fixture(PATENT, tmp_path / "raw")
    train = pd.read_csv(raw / "train.csv")
    shared = [len(set(a.split()) & set(t.split())) for a, t in zip(train["anchor"], train["target"])]
    assert np.corrcoef(shared, train["score"])[0, 1] > 0.9


def test_patent_bad_raw(tmp_path):
    raw = make_raw_fixture(PATENT, tmp_path / "raw")
    preparer = get_preparer(PATENT)
    table = pd.read_csv(raw / "train.csv")
    (raw / "train.csv").write_bytes(csv_bytes(table.drop(columns=["score"])))
    with pytest.raises(RawDataError, match="missing column.*'score'"):
        preparer.check_raw(raw)
    (raw / "train.csv").write_bytes(csv_bytes(table.assign(context="g06")))
    with pytest.raises(RawDataError, match="'context'.*CPC"):
        preparer.check_raw(raw)
    (raw / "train.csv").unlink()
    with pytest.raises(RawDataError, match="missing train.csv"):
        preparer.check_raw(raw)


# ------------------------------------------------------------------------ facebook-recruiting-iii-keyword-extraction
FACEBOOK = "facebook-recruiting-iii-keyword-extraction"


def facebook_perfect(answers: Path, sample: Path) -> pd.DataFrame:
    return pd.read_csv(answers, dtype={"Id": str, "Tags": str})[["Id", "Tags"]]


def test_facebook_end_to_end(tmp_path, store):
    # v1's sample submission also carries Title and Body (a listed known issue): the contract allows a sample's
    # own extra columns, as the submission validator does
    check_end_to_end(FACEBOOK, tmp_path, store, facebook_perfect)


def test_facebook_split_is_v1s_and_grades(tmp_path):
    raw, public, private = fixture_and_run(FACEBOOK, tmp_path)
    with zipfile.ZipFile(raw / "Train.zip") as zf:
        old = pd.read_csv(io.BytesIO(zf.read("Train.csv")), dtype={"Id": str, "Tags": str})
    train, test = train_test_split(old, test_size=0.1, random_state=0)
    no_tags = test.drop(columns=["Tags"])
    assert (public / "train.csv").read_bytes() == v1_csv(train)
    assert (private / "test.csv").read_bytes() == v1_csv(test)
    assert (public / "test.csv").read_bytes() == v1_csv(no_tags)
    assert (public / "sample_submission.csv").read_bytes() == v1_csv(no_tags.assign(Tags="javascript c# python php java"))
    assert sorted(p.name for p in public.iterdir()) == ["sample_submission.csv", "test.csv", "train.csv"]
    # the tag "null" standing alone is read as NaN by v1 and written as an empty cell
    assert old["Tags"].isna().sum() == 1 and b'"null"' not in (public / "train.csv").read_bytes()
    import competitions

    sample_path, answers = public / "sample_submission.csv", private / "test.csv"
    sample = competitions.grade(FACEBOOK, sample_path, answers, sample_path)
    best = tmp_path / "best.csv"
    facebook_perfect(answers, sample_path).to_csv(best, index=False)
    perfect = competitions.grade(FACEBOOK, best, answers, sample_path)
    assert sample.valid_submission and perfect.valid_submission and perfect.score == 1.0 > sample.score


def test_facebook_streams_in_batches(tmp_path, monkeypatch):
    raw, public, private = fixture_and_run(FACEBOOK, tmp_path / "whole")
    monkeypatch.setattr(text_code, "CSV_BLOCK_BYTES", 1024)  # many record batches
    monkeypatch.setattr(text_code, "GATHER_ROWS", 4)  # many gathers, each across batches
    public2, private2 = run(FACEBOOK, raw, tmp_path / "batched")
    for a, b in ((public, public2), (private, private2)):
        assert {p.name: p.read_bytes() for p in a.iterdir()} == {p.name: p.read_bytes() for p in b.iterdir()}
    assert not list(private2.glob(".spill-*"))  # the spilled Arrow file is removed


def test_facebook_bad_raw(tmp_path):
    raw = make_raw_fixture(FACEBOOK, tmp_path / "raw")
    preparer = get_preparer(FACEBOOK)
    with zipfile.ZipFile(raw / "Train.zip") as zf:
        table = pd.read_csv(io.BytesIO(zf.read("Train.csv")), dtype=str, keep_default_na=False)
    rezip(raw / "Train.zip", "Train.csv", csv_bytes(table.drop(columns=["Tags"]), quoting=csv.QUOTE_ALL))
    with pytest.raises(RawDataError, match="missing column.*'Tags'"):
        preparer.check_raw(raw)
    rezip(raw / "Train.zip", "train/Train.csv", csv_bytes(table))
    with pytest.raises(RawDataError, match="Train.zip has no entry 'Train.csv'"):
        preparer.check_raw(raw)
    rezip(raw / "Train.zip", "Train.csv", csv_bytes(pd.concat([table, table.iloc[:1]])))
    with pytest.raises(RawDataError, match="'Id' has 1 duplicated"):
        preparer.run(raw, tmp_path / "pub", tmp_path / "priv")
    (raw / "Train.zip").write_bytes(b"not a zip")
    with pytest.raises(RawDataError, match="Train.zip is not a readable zip"):
        preparer.check_raw(raw)
    (raw / "Train.zip").unlink()
    with pytest.raises(RawDataError, match="missing Train.zip"):
        preparer.check_raw(raw)


# ------------------------------------------------------------------------ billion-word-imputation
BILLION = "billion-word-imputation"


def zip_member(path: Path, member: str) -> bytes:
    with zipfile.ZipFile(path) as zf:
        assert zf.namelist() == [member]
        return zf.read(member)


def billion_replay(raw: Path, limit: int = 30_301_028) -> tuple[bytes, bytes, bytes]:
    """v1's rule line by line in text mode: (public train text, private answers, public test / sample)."""
    rs = np.random.RandomState(0)
    train, answers, sample = [], ['"id","sentence"\n'], ['"id","sentence"\n']
    with zipfile.ZipFile(raw / "train_v2.txt.zip") as zf, zf.open("train_v2.txt") as fh:
        for n, line in enumerate(io.TextIOWrapper(fh, encoding="utf-8")):
            if n == limit:
                break
            if rs.uniform() <= 0.01 and len(line.strip().split()) > 2:
                sentence = line.strip().replace('"', '""')
                words = sentence.split()
                k = rs.randint(1, len(words) - 1)
                answers.append(f'{len(answers) - 1},"{sentence}"\n')
                sample.append(f'{len(sample) - 1},"{" ".join(words[:k] + words[k + 1:])}"\n')
            else:
                train.append(line)
    return "".join(train).encode(), "".join(answers).encode(), "".join(sample).encode()


def billion_outputs(public: Path, private: Path) -> tuple[bytes, bytes, bytes]:
    sample = (private / "sample_submission.csv").read_bytes()
    assert zip_member(public / "test_v2.txt.zip", "test_v2.txt") == sample
    assert sorted(p.name for p in public.iterdir()) == ["test_v2.txt.zip", "train_v2.txt.zip"]
    return zip_member(public / "train_v2.txt.zip", "train_v2.txt"), (private / "test.csv").read_bytes(), sample


def test_billion_end_to_end(tmp_path, store):
    # public/ holds only train_v2.txt.zip and test_v2.txt.zip (text members): no public table, the answers are one
    check_end_to_end(BILLION, tmp_path, store, lambda answers, sample: pd.read_csv(answers))
    # no public table: the two zips of text are files configs (path + file bytes), rebuilt byte for byte
    assert mle_datasets.tables(BILLION, store=store) == ["files_test_v2_txt_zip", "files_train_v2_txt_zip"]
    assert mle_datasets.tables(BILLION, private=True, store=store)


def test_billion_split_is_v1s(tmp_path):
    raw, public, private = fixture_and_run(BILLION, tmp_path)
    expected = billion_replay(raw)
    assert billion_outputs(public, private) == expected
    answers = pd.read_csv(private / "test.csv")
    assert len(answers) >= 10 and answers["sentence"].str.contains('"').any() and answers["sentence"].str.contains("  ").any()


def test_billion_blocks_line_ends_and_line_cap(tmp_path, monkeypatch):
    raw, public, private = fixture_and_run(BILLION, tmp_path / "plain")
    expected = billion_outputs(public, private)
    monkeypatch.setattr(text_code, "BILLION_BLOCK_BYTES", 61)  # blocks end mid-line and mid-"\r\n"
    monkeypatch.setattr(text_code, "BILLION_DRAWS", 3)
    crlf = tmp_path / "crlf"
    crlf.mkdir()
    text = zip_member(raw / "train_v2.txt.zip", "train_v2.txt")
    rezip(crlf / "train_v2.txt.zip", "train_v2.txt", text.replace(b"\n", b"\r\n"))
    assert billion_outputs(*run(BILLION, crlf, tmp_path / "out-crlf")) == expected  # text mode reads \r\n as \n
    monkeypatch.setattr(text_code, "BILLION_TOTAL_LINES", 700)  # v1 stops at its hard-coded line count
    capped = billion_outputs(*run(BILLION, raw, tmp_path / "out-capped"))
    assert capped == billion_replay(raw, limit=700)
    assert capped[0].count(b"\n") + capped[1].count(b"\n") - 1 == 700


def test_billion_bad_raw(tmp_path):
    raw = make_raw_fixture(BILLION, tmp_path / "raw")
    preparer = get_preparer(BILLION)
    text = zip_member(raw / "train_v2.txt.zip", "train_v2.txt")
    rezip(raw / "train_v2.txt.zip", "data/train_v2.txt", text)
    with pytest.raises(RawDataError, match="train_v2.txt.zip has no entry 'train_v2.txt'"):
        preparer.check_raw(raw)
    rezip(raw / "train_v2.txt.zip", "train_v2.txt", b"\xff\xfe" + text)
    with pytest.raises(RawDataError, match="is not UTF-8 text"):
        preparer.check_raw(raw)
    rezip(raw / "train_v2.txt.zip", "train_v2.txt", text + "caf\xe9 au lait .\n".encode("latin-1"))
    with pytest.raises(RawDataError, match="is not UTF-8 text"):  # past what the contract reads
        preparer.run(raw, tmp_path / "pub", tmp_path / "priv")
    (raw / "train_v2.txt.zip").write_bytes(text)
    with pytest.raises(RawDataError, match="train_v2.txt.zip is not a readable zip"):
        preparer.check_raw(raw)
    (raw / "train_v2.txt.zip").unlink()
    with pytest.raises(RawDataError, match="missing train_v2.txt.zip"):
        preparer.check_raw(raw)


# ------------------------------------------------------------------------ AI4Code
AI4CODE = "AI4Code"


def ai4code_replay(raw: Path, test_size: int) -> tuple[list[str], list[str], pd.DataFrame]:
    """v1's split written plainly: shuffle, group rows by ancestor in first-seen order, fill test greedily."""
    shuffled = pd.read_csv(raw / "train_ancestors.csv").sample(frac=1, random_state=0).reset_index(drop=True)
    groups: dict[str, list[str]] = {}
    for notebook, ancestor in zip(shuffled["id"], shuffled["ancestor_id"]):
        groups.setdefault(ancestor, []).append(notebook)
    train, test = [], []
    for members in groups.values():
        if len(test) + len(members) <= test_size:
            test.extend(members)
        else:
            train.extend(members)
    assert len(test) == test_size
    return train, test, shuffled


def test_ai4code_end_to_end(tmp_path, store):
    check_end_to_end(AI4CODE, tmp_path, store, lambda answers, sample: pd.read_csv(answers))


@pytest.mark.parametrize("constant", [None, 30])
def test_ai4code_split_is_v1s(tmp_path, monkeypatch, constant):
    if constant:  # v1's constant test size, scaled down: a raw with more notebooks than it gets exactly that many
        monkeypatch.setattr(text_code, "AI4CODE_TEST", constant)
    raw, public, private = fixture_and_run(AI4CODE, tmp_path)
    size = constant or text_code.ai4code_test_count(40)
    assert size == (constant or 6)
    train, test, shuffled = ai4code_replay(raw, size)
    assert sorted(p.stem for p in (public / "test").iterdir()) == sorted(test)
    assert sorted(p.stem for p in (public / "train").iterdir()) == sorted(train)
    assert (public / "test" / f"{test[0]}.json").read_bytes() == (raw / "train" / f"{test[0]}.json").read_bytes()
    orders = pd.read_csv(raw / "train_orders.csv")
    assert (public / "train_orders.csv").read_bytes() == v1_csv(orders[orders["id"].isin(train)])
    assert (private / "test_orders.csv").read_bytes() == v1_csv(orders[orders["id"].isin(test)])
    assert (public / "train_ancestors.csv").read_bytes() == v1_csv(shuffled[~shuffled["id"].isin(test)])
    sample = pd.read_csv(public / "sample_submission.csv")
    answers = pd.read_csv(private / "test_orders.csv")
    assert sample["id"].tolist() == answers["id"].tolist()
    for notebook, cells in zip(sample["id"], sample["cell_order"]):
        keys = list(json.loads((public / "test" / f"{notebook}.json").read_text())["cell_type"])
        assert cells.split() == keys
    assert sorted(p.name for p in public.iterdir()) == [
        "sample_submission.csv", "test", "train", "train_ancestors.csv", "train_orders.csv"]


def test_ai4code_packing_is_v1s_greedy_loop():
    rng = np.random.default_rng(1)
    for _ in range(300):
        sizes = rng.choice([1, 1, 1, 2, 3, 7], int(rng.integers(1, 60)))
        capacity = int(rng.integers(1, 80))
        taken, count = [], 0
        for s in sizes:
            taken.append(count + s <= capacity)
            count += s if taken[-1] else 0
        assert text_code.pack_groups(sizes, capacity).tolist() == taken


def test_ai4code_bad_raw(tmp_path):
    raw = make_raw_fixture(AI4CODE, tmp_path / "raw")
    preparer = get_preparer(AI4CODE)
    out = tmp_path / "out"
    ancestors = pd.read_csv(raw / "train_ancestors.csv")
    (raw / "train_ancestors.csv").write_bytes(csv_bytes(ancestors.drop(columns=["ancestor_id"])))
    with pytest.raises(RawDataError, match="missing column.*'ancestor_id'"):
        preparer.check_raw(raw)
    (raw / "train_ancestors.csv").write_bytes(csv_bytes(ancestors.assign(ancestor_id=np.where(
        np.arange(len(ancestors)) % 2, "aaaaaaaa", "bbbbbbbb"))))  # two groups of 20: nothing fits in 6
    with pytest.raises(RawDataError, match="fill only 0 of the 6 test notebooks"):
        preparer.run(raw, out / "pub", out / "priv")
    (raw / "train_ancestors.csv").write_bytes(csv_bytes(ancestors))
    orders = pd.read_csv(raw / "train_orders.csv")
    (raw / "train_orders.csv").write_bytes(csv_bytes(orders.iloc[1:]))
    with pytest.raises(RawDataError, match=f"train_orders.csv lacks 1 notebook.*{orders['id'].iloc[0]}"):
        preparer.run(raw, out / "pub", out / "priv")
    (raw / "train_orders.csv").write_bytes(csv_bytes(orders))
    victim = raw / "train" / f"{ancestors['id'].iloc[-1]}.json"
    victim.rename(tmp_path / "moved.json")
    with pytest.raises(RawDataError, match="1 notebook JSON file.*missing from"):
        preparer.run(raw, out / "pub2", out / "priv2")
    (tmp_path / "moved.json").rename(victim)
    (raw / "train" / f"{ancestors['id'].iloc[0]}.json").write_text(json.dumps({"cells": []}))
    with pytest.raises(RawDataError, match="has no 'cell_type' object"):
        preparer.check_raw(raw)
    for p in (raw / "train").iterdir():
        p.unlink()
    (raw / "train").rmdir()
    with pytest.raises(RawDataError, match="missing train"):
        preparer.check_raw(raw)


# ------------------------------------------------------------------------ tensorflow2-question-answering
TF2QA = "tensorflow2-question-answering"


def tf2qa_perfect(answers: Path, sample: Path) -> pd.DataFrame:
    return pd.read_csv(answers.parent / "gold_submission.csv", dtype=str, keep_default_na=False)


def test_tf2qa_end_to_end(tmp_path, store):
    # the answers are JSONL records keyed by example_id, the submission has an _long and a _short row per
    # example: the grader maps them, the prepared contract does not compare them
    check_end_to_end(TF2QA, tmp_path, store, tf2qa_perfect)


def tf2qa_gold_plain(records: list[dict]) -> list[tuple[str, str]]:
    rows = []
    for r in records:
        note = r["annotations"][0]
        if note["yes_no_answer"] != "NONE":
            short = note["yes_no_answer"]
        elif note["short_answers"]:
            short = f"{note['short_answers'][0]['start_token']}:{note['short_answers'][0]['end_token']}"
        else:
            short = ""
        start, end = note["long_answer"]["start_token"], note["long_answer"]["end_token"]
        rows += [(f"{r['example_id']}_short", short), (f"{r['example_id']}_long", f"{start}:{end}" if start != -1 else "")]
    return rows


def test_tf2qa_split_is_v1s(tmp_path):
    raw, public, private = fixture_and_run(TF2QA, tmp_path, size="v1")  # 2,013 lines: chunks of 1,000, 1,000, 13
    lines = (raw / "simplified-nq-train.jsonl").read_text().splitlines()
    assert len(lines) == 2013
    train, test, public_test = [], [], []
    for df in pd.read_json(raw / "simplified-nq-train.jsonl", lines=True, chunksize=1000):
        df["example_id"] = df["example_id"].astype(str)
        a, b = train_test_split(df, test_size=0.1, random_state=0)
        train.append(a.to_json(orient="records", lines=True))
        test.append(b.to_json(orient="records", lines=True))
        public_test.append(b[["example_id", "question_text", "document_text", "long_answer_candidates"]].to_json(
            orient="records", lines=True))
    assert (public / "simplified-nq-train.jsonl").read_text() == "".join(train)
    assert (private / "test.jsonl").read_text() == "".join(test)
    assert (public / "simplified-nq-test.jsonl").read_text() == "".join(public_test)
    records = [json.loads(line) for line in (private / "test.jsonl").read_text().splitlines()]
    assert len(records) == 100 + 100 + 2 and all(isinstance(r["example_id"], str) for r in records)
    raw_ids = [str(json.loads(line)["example_id"]) for line in lines]
    positions = [train_test_split(np.arange(k), test_size=0.1, random_state=0)[1] for k in (1000, 1000, 13)]
    assert [r["example_id"] for r in records] == [raw_ids[lo + i] for lo, p in zip((0, 1000, 2000), positions) for i in p]
    gold = pd.read_csv(private / "gold_submission.csv", dtype=str, keep_default_na=False)
    assert list(gold.itertuples(index=False, name=None)) == tf2qa_gold_plain(records)
    assert {"YES", ""} <= set(gold["PredictionString"]) and gold["PredictionString"].str.contains(":").any()
    sample = pd.read_csv(public / "sample_submission.csv", dtype=str, keep_default_na=False)
    assert sample["example_id"].tolist() == gold["example_id"].tolist() and (sample["PredictionString"] == "").all()
    assert sorted(p.name for p in public.iterdir()) == [
        "sample_submission.csv", "simplified-nq-test.jsonl", "simplified-nq-train.jsonl"]


def test_tf2qa_bad_raw(tmp_path, monkeypatch):
    raw = make_raw_fixture(TF2QA, tmp_path / "raw")
    preparer = get_preparer(TF2QA)
    path = raw / "simplified-nq-train.jsonl"
    lines = path.read_text().splitlines()
    out = tmp_path / "out"
    monkeypatch.setattr(text_code, "TF2QA_CHUNK", 12)  # 25 lines: a last chunk of one record, as 1,001 real lines
    with pytest.raises(RawDataError, match="last 12-line chunk holds 1 record"):
        preparer.run(raw, out / "a" / "pub", out / "a" / "priv")
    monkeypatch.undo()
    records = [json.loads(line) for line in lines]
    doubled = [dict(r, annotations=r["annotations"] * 2) for r in records]
    path.write_text("\n".join(map(json.dumps, doubled)) + "\n")
    with pytest.raises(RawDataError, match="do not hold exactly one annotation"):
        preparer.run(raw, out / "b" / "pub", out / "b" / "priv")
    path.write_text("\n".join(json.dumps({k: v for k, v in r.items() if k != "annotations"}) for r in records))
    with pytest.raises(RawDataError, match=r"records lack key\(s\) \['annotations'\]"):
        preparer.check_raw(raw)
    path.write_text("\n".join(lines[:5] + ['{"document_text": "cut off'] + lines[6:]) + "\n")
    with pytest.raises(RawDataError, match="lines 1-1000 are not all JSON records"):
        preparer.run(raw, out / "c" / "pub", out / "c" / "priv")
    path.unlink()
    with pytest.raises(RawDataError, match="missing simplified-nq-train.jsonl"):
        preparer.check_raw(raw)


# ------------------------------------------------------------------------ all five fixtures
ALL = [PATENT, FACEBOOK, BILLION, AI4CODE, TF2QA]
RAW_LAYOUT = {
    PATENT: ["sample_submission.csv", "test.csv", "train.csv"],
    FACEBOOK: ["SampleSubmission.csv", "Test.zip", "Train.zip"],
    BILLION: ["test_v2.txt.zip", "train_v2.txt.zip"],
    AI4CODE: ["sample_submission.csv", "test", "train", "train_ancestors.csv", "train_orders.csv"],
    TF2QA: ["sample_submission.csv", "simplified-nq-test.jsonl", "simplified-nq-train.jsonl"],
}


def digests(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("cid", ALL)
def test_fixture_layout_and_determinism(cid, tmp_path):
    first = make_raw_fixture(cid, tmp_path / "a")
    assert sorted(p.name for p in first.iterdir()) == RAW_LAYOUT[cid]
    assert digests(first) == digests(make_raw_fixture(cid, tmp_path / "b"))
    assert digests(first) != digests(make_raw_fixture(cid, tmp_path / "c", seed=1))


def test_fixtures_carry_a_learnable_signal(tmp_path):
    raw = make_raw_fixture(FACEBOOK, tmp_path / FACEBOOK)
    with zipfile.ZipFile(raw / "Train.zip") as zf:
        questions = pd.read_csv(io.BytesIO(zf.read("Train.csv")), dtype=str, keep_default_na=False)
    assert all(all(t in title for t in tags.split()) for title, tags in zip(questions["Title"], questions["Tags"]))
    raw = make_raw_fixture(BILLION, tmp_path / BILLION)
    lines = zip_member(raw / "train_v2.txt.zip", "train_v2.txt").decode().splitlines()
    verbs = {}
    for line in lines:
        words = line.split()
        if len(words) > 3 and words[1] in ("company", "minister", "spokesman", "council", "team"):
            verbs.setdefault(words[1], set()).add(words[2])
    assert len(verbs) >= 4 and all(len(v) == 1 for v in verbs.values())  # a subject always takes the same verb
    raw = make_raw_fixture(AI4CODE, tmp_path / AI4CODE)
    orders = pd.read_csv(raw / "train_orders.csv")
    for notebook, order in zip(orders["id"], orders["cell_order"]):
        cells = json.loads((raw / "train" / f"{notebook}.json").read_text())
        sequence = order.split()
        for k, cell in enumerate(sequence):
            if cells["cell_type"][cell] == "markdown":  # names the function of the code cell right after it
                step = cells["source"][cell].split()[1].lower()
                assert cells["source"][sequence[k + 1]].startswith(f"def {step}_")
    raw = make_raw_fixture(TF2QA, tmp_path / TF2QA)
    for line in (raw / "simplified-nq-train.jsonl").read_text().splitlines():
        record = json.loads(line)
        long = record["annotations"][0]["long_answer"]
        if long["start_token"] != -1:
            paragraph = record["document_text"].split(" ")[long["start_token"]:long["end_token"]]
            assert record["question_text"].split()[2] in paragraph
