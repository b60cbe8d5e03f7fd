"""Every lite competition end to end: raw fixture -> prepare -> store -> load_dataset (local, and through the local
Hub server) -> materialize -> validate the sample submission -> grade it."""

from __future__ import annotations

import traceback
from pathlib import Path

import pandas as pd
import pytest

import competitions
import mle_datasets
import schemas
from mle_datasets.raw import checksum_tree
from tests.data.conftest import local_rows

LITE = [
    "aerial-cactus-identification", "aptos2019-blindness-detection", "denoising-dirty-documents",
    "detecting-insults-in-social-commentary", "dog-breed-identification", "dogs-vs-cats-redux-kernels-edition",
    "histopathologic-cancer-detection", "jigsaw-toxic-comment-classification-challenge", "leaf-classification",
    "mlsp-2013-birds", "new-york-city-taxi-fare-prediction", "nomad2018-predict-transparent-conductors",
    "plant-pathology-2020-fgvc7", "random-acts-of-pizza", "ranzcr-clip-catheter-line-classification",
    "siim-isic-melanoma-classification", "spooky-author-identification", "tabular-playground-series-dec-2021",
    "tabular-playground-series-may-2022", "text-normalization-challenge-english-language",
    "text-normalization-challenge-russian-language", "the-icml-2013-whale-challenge-right-whale-redux",
]


@pytest.fixture(scope="session")
def lite_runs(hub_store, tmp_path_factory):
    """Fixture -> prepare -> store for every lite competition; ``{id: (Prepared, stored) or error text}``."""
    work = tmp_path_factory.mktemp("lite")
    runs = {}
    for cid in LITE:
        try:
            raw = mle_datasets.make_raw_fixture(cid, work / cid / "raw")
            prepared = mle_datasets.prepare(cid, raw, work / cid / "prepared")
            runs[cid] = (prepared, hub_store.add(prepared))
        except Exception:
            runs[cid] = traceback.format_exc()
    return runs


def _run(lite_runs, cid):
    run = lite_runs[cid]
    if isinstance(run, str):
        pytest.fail(f"{cid}: fixture -> prepare -> store failed:\n{run}")
    return run


def _hub_table(tables: list[str]) -> str:
    """The table read locally and over HTTP for a competition: the sample submission when public."""
    return "sample_submission" if "sample_submission" in tables else tables[0]


def test_the_list_is_the_lite_split():
    assert sorted(LITE) == competitions.ids("lite")


@pytest.mark.parametrize("cid", LITE)
def test_lite_end_to_end(cid, lite_runs, hub_store, tmp_path, hf_cache):
    prepared, stored = _run(lite_runs, cid)
    spec = competitions.get(cid)
    manifest = hub_store.manifest(cid)
    assert manifest["version"] == spec.version and stored["revision"] == hub_store.revision(cid)
    assert manifest["provenance"]["raw_files"] and manifest["provenance"]["spec_version"] == spec.version
    card = (hub_store.repo_dir(cid) / "README.md").read_text()
    assert f"https://www.kaggle.com/c/{cid}/rules" in card and "## How it was made" in card
    for issue in spec.known_issues:
        assert issue.summary in card
    table = _hub_table(mle_datasets.tables(cid, store=hub_store))
    ds = mle_datasets.load_dataset(cid, table, store=hub_store, cache_dir=hf_cache)
    assert ds.num_rows == manifest["tables"][table]["rows"] > 0
    assert ds.column_names == manifest["tables"][table]["columns"]
    out = mle_datasets.materialize(cid, tmp_path / "public", store=hub_store)
    assert checksum_tree(out) == checksum_tree(prepared.public_dir)
    answers_dir = hub_store.verify(cid, private=True) / "files"
    answers = answers_dir / Path(spec.answers).relative_to("private")
    sample_rel = Path(spec.sample_submission)
    sample = (out if sample_rel.parts[0] == "public" else answers_dir) / sample_rel.relative_to(sample_rel.parts[0])
    report = schemas.validate(cid, sample, sample)
    assert report.valid, report
    if answers.suffix == ".csv":
        graded = competitions.grade(cid, sample, answers, sample, dataset_revision=stored["revision"])
        assert graded.valid_submission, graded.error
        assert graded.dataset_revision == stored["revision"]


def test_lite_through_the_hub(lite_runs, hub_store, hub_load, hf_cache):
    """One table of each stored lite competition read over HTTP equals the local store's."""
    requests, expected = [], {}
    for cid in LITE:
        if isinstance(lite_runs[cid], str):
            continue
        table = _hub_table(mle_datasets.tables(cid, store=hub_store))
        version = hub_store.resolve_version(cid)
        key = (hub_store.repo_id(cid), table, f"v{version}")
        requests.append(key)
        expected["|".join(key)] = local_rows(
            mle_datasets.load_dataset(cid, table, version=version, store=hub_store, cache_dir=hf_cache))
    assert requests, "no lite competition could be stored"
    got = hub_load(requests)
    for key, rows in expected.items():
        assert got[key] == rows, key
    failed = [cid for cid in LITE if isinstance(lite_runs[cid], str)]
    assert not failed, f"not stored: {failed}"


def test_same_fixture_twice_gives_the_same_revision(lite_runs, tmp_path):
    cid = "spooky-author-identification"
    prepared, stored = _run(lite_runs, cid)
    raw = mle_datasets.make_raw_fixture(cid, tmp_path / "raw")
    again = mle_datasets.prepare(cid, raw, tmp_path / "prepared")
    store = mle_datasets.Store(tmp_path / "store")
    assert store.add(again)["revision"] == stored["revision"]
    pd.testing.assert_frame_equal(pd.read_csv(again.answers), pd.read_csv(prepared.answers))
