"""The prepared contract (``schemas.prepared.check_prepared``) on small hand-made prepared folders."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from schemas.prepared import PreparedContractError, check_prepared
from tests.data.toy import TOY_SPEC


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


GOOD = {
    "public/train.csv": "id,feature,label\n001,0.5,1\n002,0.1,0\n003,0.7,1\n004,0.2,0\n",
    "public/test.csv": "id,feature\n005,0.3\n006,0.9\n007,0.4\n008,0.8\n",
    "public/sample_submission.csv": "id,label\n005,0.5\n006,0.5\n007,0.5\n008,0.5\n",
    "private/test.csv": "id,label\n005,0\n006,1\n007,0\n008,1\n",
}


def _check(tmp_path, id_policy="exact", answers_path=None, repeated_ids=(), **changes):
    files = {**GOOD, **changes}
    spec = SimpleNamespace(
        id=TOY_SPEC.id, id_columns=TOY_SPEC.id_columns, submission_columns=TOY_SPEC.submission_columns,
        answers=answers_path or TOY_SPEC.answers, sample_submission=TOY_SPEC.sample_submission,
        id_policy=id_policy, repeated_ids=repeated_ids,
    )
    return check_prepared(_write(tmp_path, {k: v for k, v in files.items() if v is not None}), spec)


def test_good_folder_passes(tmp_path):
    report = _check(tmp_path)
    assert report.target_columns == ["label"] and report.n_answers == 4
    assert report.audited == ["public/test.csv", "public/train.csv"]


def test_ids_keep_leading_zeros(tmp_path):
    with pytest.raises(PreparedContractError, match=r"1 unknown id\(s\) \(e.g. \['5'\]\)"):
        _check(tmp_path, **{"public/sample_submission.csv": "id,label\n5,0.5\n006,0.5\n007,0.5\n008,0.5\n"})


@pytest.mark.parametrize("rel, text, message", [
    ("private/test.csv", "id,label\n005,0\n005,1\n007,0\n008,1\n", r"answers file .* repeats 1 id"),
    ("private/test.csv", "id,label\n005,0\n,1\n007,0\n008,1\n", r"1 empty id"),
    ("private/test.csv", "key,label\n005,0\n", r"lacks id column\(s\) \['id'\]"),
    ("private/test.csv", None, r"answers file .* was not written"),
    ("public/sample_submission.csv", None, r"sample submission .* was not written"),
    ("public/sample_submission.csv", "id,label\n005,0.5\n006,0.5\n007,0.5\n", r"1 answer id\(s\) missing, 0 unknown"),
    ("public/sample_submission.csv", "id,extra\n005,1\n006,1\n007,1\n008,1\n",
     r"sample submission lacks the spec's column\(s\) \['label'\]"),
    ("public/sample_submission.csv", "id,label\n005,a\n006,b\n007,c\n008,d\n", r"holds string values.*float"),
    ("public/test.csv", "id,feature\n005,0.3\n006,0.9\n007,0.4\n009,0.8\n", r"public test table .* 1 answer id"),
    ("public/test.csv", "id,feature,label\n005,0.3,0\n006,0.9,1\n007,0.4,0\n008,0.8,1\n",
     r"leakage: public/test.csv carries target column\(s\) \['label'\]"),
    ("public/extra.csv", "id,label\n006,1\n005,0\n007,0\n008,1\n",
     r"leakage: public/extra.csv reproduces the answers' 'label' for 4 of 4"),
    ("public/train.csv", "id,feature,label\n005,0.5,0\n006,0.1,1\n007,0.7,0\n004,0.2,0\n",
     r"leakage: public/train.csv reproduces the answers' 'label' for 3 of 4"),
    ("public/sample_submission.csv", "id,label\n005,0\n006,1\n007,0\n008,0.9\n", None),
    ("public/nested/answers_copy.csv", GOOD["private/test.csv"], r"public/nested/answers_copy.csv is a copy"),
])
def test_contract_violations(tmp_path, rel, text, message):
    if message is None:  # the sample submission reproduces 3 of 4 answers: more than any constant (2)
        with pytest.raises(PreparedContractError, match="leakage: public/sample_submission.csv reproduces"):
            _check(tmp_path, **{rel: text})
        return
    with pytest.raises(PreparedContractError, match=message):
        _check(tmp_path, **{rel: text})


def test_constant_sample_submission_is_not_a_leak(tmp_path):
    answers = "id,label\n005,1\n006,1\n007,1\n008,0\n"
    sample = "id,label\n005,1\n006,1\n007,1\n008,1\n"  # a constant matches 3 of 4, as any constant could
    report = _check(tmp_path, **{"private/test.csv": answers, "public/sample_submission.csv": sample})
    assert report.target_columns == ["label"]


def test_empty_public_folder(tmp_path):
    (tmp_path / "public").mkdir()
    with pytest.raises(PreparedContractError, match="wrote no public files"):
        check_prepared(tmp_path, TOY_SPEC)


def test_a_sample_may_carry_extra_columns(tmp_path):
    """facebook-recruiting-iii's sample keeps Title and Body beside Id and Tags; submissions may then too."""
    sample = "id,label,extra\n005,0.5,1\n006,0.5,1\n007,0.5,1\n008,0.5,1\n"
    assert _check(tmp_path, **{"public/sample_submission.csv": sample}).target_columns == ["label"]


@pytest.mark.parametrize("policy, sample, ok", [
    ("superset", "id,label\n005,0.5\n006,0.5\n007,0.5\n008,0.5\n009,0.5\n", True),   # h-and-m: every customer
    ("superset", "id,label\n005,0.5\n006,0.5\n007,0.5\n", False),
    ("subset", "id,label\n005,0.5\n006,0.5\n007,0.5\n", True),                        # osic: some weeks
    ("subset", "id,label\n005,0.5\n006,0.5\n007,0.5\n008,0.5\n009,0.5\n", False),
    ("exact", "id,label\n005,0.5\n006,0.5\n007,0.5\n008,0.5\n009,0.5\n", False),
])
def test_sample_ids_follow_the_spec_id_policy(tmp_path, policy, sample, ok):
    if ok:
        _check(tmp_path, id_policy=policy, **{"public/sample_submission.csv": sample})
    else:
        with pytest.raises(PreparedContractError, match="differ from the answers' ids"):
            _check(tmp_path, id_policy=policy, **{"public/sample_submission.csv": sample})


def test_json_objects_are_files_and_tables_keyed_otherwise_are_not_audited(tmp_path):
    """cassava's label map is a JSON object; osic's public test holds each patient's baseline FVC, keyed by
    patient, not by the answers' id."""
    report = _check(tmp_path, **{"public/label_map.json": '{"0": "healthy"}',
                                 "public/test_by_patient.csv": "patient,label\np1,0\np2,1\n"})
    assert "public/label_map.json" not in report.audited and "public/test_by_patient.csv" not in report.audited


def test_jsonl_answers_keyed_otherwise_skip_the_id_comparison(tmp_path):
    answers = '{"example_id": "1", "label": 0}\n{"example_id": "2", "label": 1}\n'
    report = _check(tmp_path, answers_path="private/test.jsonl", **{"private/test.jsonl": answers})
    assert report.ids_compared is False


def test_ids_may_repeat_only_where_the_spec_says_v1_repeats_them(tmp_path):
    """vinbigdata's answers hold one row per image and finding; elsewhere a repeat is a preparer's bug."""
    answers = "id,label\n005,0\n005,1\n006,1\n007,0\n008,1\n"
    assert _check(tmp_path / "a", repeated_ids=("answers",), **{"private/test.csv": answers}).n_answers == 5
    with pytest.raises(PreparedContractError, match="answers file .* repeats 1 id"):
        _check(tmp_path / "b", repeated_ids=("sample_submission",), **{"private/test.csv": answers})
    test = "id,feature\n005,0.3\n005,0.4\n006,0.9\n007,0.4\n008,0.8\n"  # rsna-breast: one row per image
    _check(tmp_path / "c", repeated_ids=("public_test",), **{"public/test.csv": test})


def test_a_large_train_table_is_audited_batch_by_batch(tmp_path, monkeypatch):
    """A train table read in many batches (as taxi's 55 million rows are): its answer rows are still found."""
    import schemas.prepared as contract

    monkeypatch.setattr(contract, "BLOCK_BYTES", 64)
    filler = "".join(f"{i:03d},0.5,{i % 2}\n" for i in range(100, 400))
    leak = "id,feature,label\n" + filler[:3000] + "005,0.3,0\n006,0.9,1\n" + filler[3000:] + "007,0.4,0\n"
    with pytest.raises(PreparedContractError, match=r"public/train.csv reproduces the answers' 'label' for 3 of 4"):
        _check(tmp_path, **{"public/train.csv": leak})
    report = _check(tmp_path, **{"public/train.csv": "id,feature,label\n" + filler})
    assert "public/train.csv" in report.audited
