"""Every lite competition: fixture -> raw contract -> preparer -> the prepared layout MLE-bench v1 writes.

Per competition: the exact public/private file lists, answers ids == sample-submission ids (same order,
unique), no target column in the public test, the test split holding both classes where an AUC grader needs
them, byte-identical outputs for the same raw, a raw folder left untouched, and a missing raw file raising
RawDataError. Split positions and quirks are checked per family in ``test_preparers_<family>.py``.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from tests.data.endtoend import prepared
from mle_datasets.errors import RawDataError
from mle_datasets.fixtures import fixture_ids, make_raw_fixture
from mle_datasets.preparers import UnknownCompetitionError, get_preparer, preparer_ids

LITE = """aerial-cactus-identification aptos2019-blindness-detection denoising-dirty-documents
detecting-insults-in-social-commentary dog-breed-identification dogs-vs-cats-redux-kernels-edition
histopathologic-cancer-detection jigsaw-toxic-comment-classification-challenge leaf-classification mlsp-2013-birds
new-york-city-taxi-fare-prediction nomad2018-predict-transparent-conductors plant-pathology-2020-fgvc7
random-acts-of-pizza ranzcr-clip-catheter-line-classification siim-isic-melanoma-classification
spooky-author-identification tabular-playground-series-dec-2021 tabular-playground-series-may-2022
text-normalization-challenge-english-language text-normalization-challenge-russian-language
the-icml-2013-whale-challenge-right-whale-redux""".split()

RANZCR9 = ["ETT - Abnormal", "ETT - Borderline", "ETT - Normal", "NGT - Abnormal", "NGT - Borderline",
           "NGT - Incompletely Imaged", "NGT - Normal", "CVC - Abnormal", "CVC - Borderline"]
JIGSAW6 = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]


@dataclass(frozen=True)
class Expect:
    public: set[str]
    private: set[str]
    answers: str
    sample: str
    id: str
    targets: list[str]
    public_test: str | None = None  # a CSV (or zip:member) an agent sees without targets
    auc: list[str] = field(default_factory=list)  # answer columns needing both classes


EXPECT = {
    "aerial-cactus-identification": Expect(
        {"sample_submission.csv", "test.zip", "train.csv", "train.zip"}, {"test.csv"},
        "private/test.csv", "public/sample_submission.csv", "id", ["has_cactus"], auc=["has_cactus"]),
    "aptos2019-blindness-detection": Expect(
        {"sample_submission.csv", "test.csv", "test_images", "train.csv", "train_images"}, {"test.csv"},
        "private/test.csv", "public/sample_submission.csv", "id_code", ["diagnosis"], "public/test.csv"),
    "denoising-dirty-documents": Expect(
        {"sampleSubmission.csv", "test", "train", "train_cleaned"}, {"answers.csv"},
        "private/answers.csv", "public/sampleSubmission.csv", "id", ["value"]),
    "detecting-insults-in-social-commentary": Expect(
        {"sample_submission_null.csv", "test.csv", "train.csv"}, {"gold_submission.csv", "test.csv"},
        "private/test.csv", "public/sample_submission_null.csv", "Comment", ["Insult", "Usage"], "public/test.csv",
        auc=["Insult"]),
    "dog-breed-identification": Expect(
        {"labels.csv", "sample_submission.csv", "test", "train"}, {"test.csv"},
        "private/test.csv", "public/sample_submission.csv", "id", ["breed"]),
    "dogs-vs-cats-redux-kernels-edition": Expect(
        {"sample_submission.csv", "test", "test.zip", "train", "train.zip"}, {"answers.csv"},
        "private/answers.csv", "public/sample_submission.csv", "id", ["label"]),
    "histopathologic-cancer-detection": Expect(
        {"sample_submission.csv", "test", "train", "train_labels.csv"}, {"answers.csv"},
        "private/answers.csv", "public/sample_submission.csv", "id", ["label"], auc=["label"]),
    "jigsaw-toxic-comment-classification-challenge": Expect(
        {"sample_submission.csv", "test.csv", "train.csv"}, {"test.csv"},
        "private/test.csv", "public/sample_submission.csv", "id", JIGSAW6, "public/test.csv", auc=JIGSAW6),
    "leaf-classification": Expect(
        {"images", "sample_submission.csv", "test.csv", "train.csv"}, {"images", "test.csv"},
        "private/test.csv", "public/sample_submission.csv", "id", ["species"], "public/test.csv"),
    "mlsp-2013-birds": Expect(
        {"essential_data", "sample_submission.csv", "supplemental_data"}, {"answers.csv"},
        "private/answers.csv", "public/sample_submission.csv", "Id", ["Probability"], auc=["Probability"]),
    "new-york-city-taxi-fare-prediction": Expect(
        {"GCP-Coupons-Instructions.rtf", "labels.csv", "sample_submission.csv", "test.csv"}, {"test.csv"},
        "private/test.csv", "public/sample_submission.csv", "key", ["fare_amount"], "public/test.csv"),
    "nomad2018-predict-transparent-conductors": Expect(
        {"sample_submission.csv", "test", "test.csv", "train", "train.csv"}, {"test.csv"},
        "private/test.csv", "public/sample_submission.csv", "id", ["formation_energy_ev_natom", "bandgap_energy_ev"],
        "public/test.csv"),
    "plant-pathology-2020-fgvc7": Expect(
        {"images", "sample_submission.csv", "test.csv", "train.csv"}, {"test.csv"},
        "private/test.csv", "public/sample_submission.csv", "image_id", ["healthy", "multiple_diseases", "rust", "scab"],
        "public/test.csv", auc=["healthy", "multiple_diseases", "rust", "scab"]),
    "random-acts-of-pizza": Expect(
        {"sampleSubmission.csv", "test.json", "test.zip", "train.json", "train.zip"}, {"test.csv"},
        "private/test.csv", "public/sampleSubmission.csv", "request_id", ["requester_received_pizza"],
        auc=["requester_received_pizza"]),
    "ranzcr-clip-catheter-line-classification": Expect(
        {"sample_submission.csv", "test", "train", "train.csv", "train_annotations.csv"}, {"test.csv"},
        "private/test.csv", "public/sample_submission.csv", "StudyInstanceUID", RANZCR9, auc=RANZCR9),
    "siim-isic-melanoma-classification": Expect(
        {"jpeg", "sample_submission.csv", "test", "test.csv", "tfrecords", "train", "train.csv"}, {"test.csv"},
        "private/test.csv", "public/sample_submission.csv", "image_name", ["target"], "public/test.csv", auc=["target"]),
    "spooky-author-identification": Expect(
        {"sample_submission.csv", "test.csv", "train.csv"}, {"test.csv"},
        "private/test.csv", "public/sample_submission.csv", "id", ["author", "EAP", "HPL", "MWS"], "public/test.csv"),
    "tabular-playground-series-dec-2021": Expect(
        {"sample_submission.csv", "test.csv", "train.csv"}, {"test.csv"},
        "private/test.csv", "public/sample_submission.csv", "Id", ["Cover_Type"], "public/test.csv"),
    "tabular-playground-series-may-2022": Expect(
        {"sample_submission.csv", "test.csv", "train.csv"}, {"gold_submission.csv", "test.csv"},
        "private/test.csv", "public/sample_submission.csv", "id", ["target"], "public/test.csv", auc=["target"]),
    "text-normalization-challenge-english-language": Expect(
        {"en_sample_submission_2.csv.zip", "en_test_2.csv.zip", "en_train.csv.zip"}, {"answers.csv", "sample_submission.csv"},
        "private/answers.csv", "private/sample_submission.csv", "id", ["after", "class"], "public/en_test_2.csv.zip:en_test_2.csv"),
    "text-normalization-challenge-russian-language": Expect(
        {"ru_sample_submission_2.csv.zip", "ru_test_2.csv.zip", "ru_train.csv.zip"}, {"answers.csv", "sample_submission.csv"},
        "private/answers.csv", "private/sample_submission.csv", "id", ["after", "class"], "public/ru_test_2.csv.zip:ru_test_2.csv"),
    "the-icml-2013-whale-challenge-right-whale-redux": Expect(
        {"sampleSubmission.csv", "test2.zip", "train2.zip"}, {"test.csv"},
        "private/test.csv", "public/sampleSubmission.csv", "clip", ["probability"], auc=["probability"]),
}


def read_table(root: Path, rel: str) -> pd.DataFrame:
    """A prepared CSV (``path`` or ``zip_path:member``) with every value as text."""
    if ":" in rel:
        archive, member = rel.split(":")
        with zipfile.ZipFile(root / archive) as zf:
            return pd.read_csv(io.BytesIO(zf.read(member)), dtype=str, keep_default_na=False, engine="pyarrow")
    return pd.read_csv(root / rel, dtype=str, keep_default_na=False, engine="pyarrow")


def tree_digest(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root`` (folders listed too)."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        for p in sorted(root.rglob("*"))
    }


def test_registries_cover_the_22_lite_ids():
    assert set(LITE) <= set(preparer_ids()) and set(LITE) <= set(fixture_ids())
    assert sorted(EXPECT) == sorted(LITE)


def test_unknown_competition_is_a_clear_error():
    with pytest.raises(UnknownCompetitionError, match="no preparer for competition 'nope'"):
        get_preparer("nope")


@pytest.mark.parametrize("cid", LITE)
def test_prepared_layout(cid, tmp_path_factory):
    work, exp = prepared(cid, tmp_path_factory), EXPECT[cid]
    assert {p.name for p in (work / "public").iterdir()} == exp.public
    assert {p.name for p in (work / "private").iterdir()} == exp.private
    assert not any(p.name == "description.md" for p in (work / "public").iterdir())


@pytest.mark.parametrize("cid", LITE)
def test_answers_match_sample_submission(cid, tmp_path_factory):
    work, exp = prepared(cid, tmp_path_factory), EXPECT[cid]
    answers, sample = read_table(work, exp.answers), read_table(work, exp.sample)
    assert len(answers) > 0
    assert answers[exp.id].is_unique
    assert answers[exp.id].tolist() == sample[exp.id].tolist()
    scored = answers
    if cid.startswith("jigsaw"):
        scored = answers[answers[JIGSAW6].astype(int).sum(axis=1) >= 0]
    for column in exp.auc:
        assert set(scored[column].astype(float).astype(int)) == {0, 1}, f"{column} needs both classes in the test"


@pytest.mark.parametrize("cid", [c for c in LITE if EXPECT[c].public_test])
def test_public_test_has_no_target(cid, tmp_path_factory):
    work, exp = prepared(cid, tmp_path_factory), EXPECT[cid]
    public_test = read_table(work, exp.public_test)
    assert not set(exp.targets) & set(public_test.columns)
    if exp.id in public_test.columns:
        answers = read_table(work, exp.answers)
        assert sorted(public_test[exp.id]) == sorted(answers[exp.id])


@pytest.mark.parametrize("cid", LITE)
def test_same_raw_gives_same_bytes_and_raw_is_untouched(cid, tmp_path_factory):
    work = prepared(cid, tmp_path_factory)
    raw_before = tree_digest(work / "raw")
    again = tmp_path_factory.mktemp(cid[:20] + "-again")
    get_preparer(cid).run(work / "raw", again / "public", again / "private")
    assert tree_digest(again / "public") == tree_digest(work / "public")
    assert tree_digest(again / "private") == tree_digest(work / "private")
    assert tree_digest(work / "raw") == raw_before


@pytest.mark.parametrize("cid", [c for c in LITE if c != "tabular-playground-series-may-2022"])
def test_missing_raw_file_raises(cid, tmp_path):
    raw = make_raw_fixture(cid, tmp_path / "raw")
    preparer = get_preparer(cid)
    first = preparer.raw_files[0]
    for path in raw.glob(first):
        if path.is_file():
            path.unlink()
    with pytest.raises(RawDataError, match="missing"):
        preparer.check_raw(raw)


def test_missing_raw_folder_raises(tmp_path):
    with pytest.raises(RawDataError, match="does not exist"):
        get_preparer("spooky-author-identification").check_raw(tmp_path / "nowhere")


@pytest.mark.parametrize("cid", ["spooky-author-identification", "leaf-classification", "mlsp-2013-birds"])
def test_truncated_zip_raises(cid, tmp_path):
    raw = make_raw_fixture(cid, tmp_path / "raw")
    archive = next(p for p in sorted(raw.iterdir()) if p.suffix == ".zip" and p.name in get_preparer(cid).raw_files)
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(RawDataError, match="zip"):
        get_preparer(cid).check_raw(raw)


def test_split_rules_and_versions_are_recorded():
    for cid in LITE:
        preparer = get_preparer(cid)
        assert preparer.split_rule and preparer.version
        json.dumps({"split_rule": preparer.split_rule, "raw_files": preparer.raw_files})


def test_link_and_copy_files_in_threads_make_every_file_and_report_a_missing_one(tmp_path):
    from mle_datasets.preparers._common import FILE_THREADS, copy_files, link_files

    src = tmp_path / "src"
    src.mkdir()
    names = [f"{i:03d}/{i}.jpg" for i in range(5 * FILE_THREADS)]  # enough for the thread pool
    for i, name in enumerate(names):
        (src / name).parent.mkdir(exist_ok=True)
        (src / name).write_bytes(bytes([i % 256]) * (i + 1))
    link_files((src / n, tmp_path / "linked" / n) for n in names)
    copy_files((src / n, tmp_path / "copied" / n) for n in names)
    for n in names:
        assert (tmp_path / "linked" / n).read_bytes() == (tmp_path / "copied" / n).read_bytes() == (src / n).read_bytes()
    assert (tmp_path / "linked" / names[0]).stat().st_ino == (src / names[0]).stat().st_ino
    (src / names[-3]).unlink()
    with pytest.raises(RawDataError, match=f"raw file {src / names[-3]} is missing"):
        link_files((src / n, tmp_path / "again" / n) for n in names)
    assert (tmp_path / "again" / names[0]).is_file()  # the others were linked
