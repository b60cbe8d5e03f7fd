"""publish -> a Hub -> ``prepare --from-hub``: the real ``HfApi`` client uploads to a local write endpoint
(tests/data/hub_writer.py, git repositories), olah serves the same repositories, and the published competition
is read back with plain ``datasets`` / ``huggingface_hub`` and prepared from the Hub alone."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from huggingface_hub import HfApi

import mle_datasets
from mle_datasets.errors import ChecksumError, StoreError
from mle_datasets.hub import LEADERBOARD_PATH, prepare_from_hub
from mle_datasets.prepare import prepare
from mle_datasets.raw import checksum_tree
from mle_datasets.store import Store
from tests.data.conftest import local_rows
from tests.data.hub_writer import HubWriter
from tests.data.toy import TOY_ID, TOY_SPEC, ToyPreparer, make_toy_raw

ORG = "published"


def _toy_store(root: Path, work: Path) -> Store:
    """A publisher's store holding the toy at 1.0.0 and, with other rows, 1.1.0."""
    store = Store(root)
    for seed, version in ((0, "1.0.0"), (5, "1.1.0")):
        raw = make_toy_raw(work / f"raw{seed}", seed=seed)
        store.add(prepare(TOY_ID, raw, work / f"p{seed}", spec=TOY_SPEC, preparer=ToyPreparer()), spec=TOY_SPEC,
                  version=version)
    return store


@pytest.fixture(scope="module")
def published(hub_store, hub_server, tmp_path_factory):
    """The toy's two versions published to ``published/toy-competition`` (+ ``-private``) through the writer."""
    work = tmp_path_factory.mktemp("publisher")
    store = _toy_store(work / "store", work)
    boards = work / "boards"
    boards.mkdir()
    (boards / f"{TOY_ID}.csv").write_text("rank,score\n1,0.99\n2,0.9\n3,0.75\n4,0.5\n")
    results = []
    with HubWriter(hub_store.hub_dir) as url:
        api = HfApi(endpoint=url, token=False)
        for version in ("1.0.0", "1.1.0"):
            results.append(mle_datasets.publish(TOY_ID, f"{ORG}/{TOY_ID}", version, store=store, api=api,
                                                leaderboards=boards))
    return store, results, hub_server


def test_publish_pushes_both_repos_and_tags(published):
    store, results, endpoint = published
    api = HfApi(endpoint=endpoint, token=False)  # read back through olah
    for repo, key in ((f"{ORG}/{TOY_ID}", "revision"), (f"{ORG}/{TOY_ID}-private", "private_revision")):
        tags = {t.name: t.target_commit for t in api.list_repo_refs(repo, repo_type="dataset").tags}
        assert tags == {"v1.0.0": results[0][key], "v1.1.0": results[1][key]}
    public_v1 = set(api.list_repo_files(f"{ORG}/{TOY_ID}", repo_type="dataset", revision="v1.0.0"))
    stored_v1 = set(store.manifest(TOY_ID, "1.0.0")["files"]) | {"manifest.json"}
    assert public_v1 == stored_v1 | {LEADERBOARD_PATH, ".gitattributes"}
    private = set(api.list_repo_files(f"{ORG}/{TOY_ID}-private", repo_type="dataset", revision="v1.1.0"))
    assert private == set(store.manifest(TOY_ID, "1.1.0", private=True)["files"]) | {"manifest.json", ".gitattributes"}
    assert all(r["leaderboard"].endswith(f"{TOY_ID}.csv") for r in results)


def test_published_repo_reads_with_plain_datasets(published, hub_load, tmp_path):
    store, _, _ = published
    repo = f"{ORG}/{TOY_ID}"
    got = hub_load([(repo, "train", "v1.0.0"), (repo, "train", "v1.1.0"), (repo, "leaderboard", "v1.1.0"),
                    (repo, "train", None)])
    for version in ("1.0.0", "1.1.0"):
        local = mle_datasets.load_dataset(TOY_ID, "train", version=version, store=store,
                                          cache_dir=str(tmp_path / "cache"))
        assert got[f"{repo}|train|v{version}"] == local_rows(local)
    assert got[f"{repo}|train|v1.0.0"] != got[f"{repo}|train|v1.1.0"]
    assert got[f"{repo}|train|None"] == got[f"{repo}|train|v1.1.0"]
    assert got[f"{repo}|leaderboard|v1.1.0"] == {"columns": ["rank", "score"],
                                                  "rows": [["1", "0.99"], ["2", "0.9"], ["3", "0.75"], ["4", "0.5"]]}


def test_prepare_from_hub_gives_the_publishers_commits_and_files(published, tmp_path):
    store, results, endpoint = published
    mine = Store(tmp_path / "mine")
    for version in ("1.0.0", "1.1.0"):
        got = prepare_from_hub(TOY_ID, ORG, version, store=mine, endpoint=endpoint)
        assert (got.version, got.revision, got.private_revision) == (
            version, store.revision(TOY_ID, version), store.revision(TOY_ID, version, private=True))
        assert got.hub_revision == results[["1.0.0", "1.1.0"].index(version)]["revision"]
        assert checksum_tree(mine.checkout_dir(TOY_ID, version)) == checksum_tree(store.checkout_dir(TOY_ID, version))
        assert pd.read_csv(got.leaderboard)["score"].tolist() == [0.99, 0.9, 0.75, 0.5]
        mine.verify(TOY_ID, version, private=True)
    again = prepare_from_hub(TOY_ID, ORG, store=mine, endpoint=endpoint)  # latest tag; already stored: no-op
    assert (again.version, again.revision) == ("1.1.0", store.revision(TOY_ID))
    a = mle_datasets.materialize(TOY_ID, tmp_path / "a", "1.0.0", store=mine)
    b = mle_datasets.materialize(TOY_ID, tmp_path / "b", "1.0.0", store=store)
    assert checksum_tree(a) == checksum_tree(b)


def test_prepare_from_hub_unknown_version_and_repo(published, tmp_path):
    _, _, endpoint = published
    with pytest.raises(mle_datasets.UnknownVersionError, match="published: 1.0.0, 1.1.0"):
        prepare_from_hub(TOY_ID, ORG, "2.0.0", store=Store(tmp_path / "s"), endpoint=endpoint)
    with pytest.raises(mle_datasets.DataError, match="no dataset repository 'nobody/toy-competition'"):
        prepare_from_hub(TOY_ID, "nobody", store=Store(tmp_path / "s"), endpoint=endpoint)


def test_add_repo_refuses_a_changed_file_and_a_wrong_version(tmp_path):
    store = _toy_store(tmp_path / "src", tmp_path)
    public, private = tmp_path / "pub", tmp_path / "priv"
    shutil.copytree(store.checkout_dir(TOY_ID, "1.0.0"), public)
    shutil.copytree(store.checkout_dir(TOY_ID, "1.0.0", private=True), private)
    target = Store(tmp_path / "dst")
    with pytest.raises(StoreError, match="not toy-competition v1.1.0"):
        target.add_repo(TOY_ID, "1.1.0", public, private)
    shard = next((public / "data" / "train").glob("*.parquet"))
    shard.write_bytes(shard.read_bytes() + b"x")
    with pytest.raises(ChecksumError, match="sha256 differs"):
        target.add_repo(TOY_ID, "1.0.0", public, private)
    assert target.versions(TOY_ID) == []


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mlebench.cli", *args], env=env, capture_output=True, text=True,
                          timeout=300)


def test_lite_competition_published_then_prepared_and_graded_from_the_hub_alone(hub_store, hub_server, tmp_path):
    cid = "spooky-author-identification"
    publisher = Store(tmp_path / "publisher")
    raw = mle_datasets.make_raw_fixture(cid, tmp_path / "raw")
    publisher.add(mle_datasets.prepare(cid, raw, tmp_path / "prepared"))
    with HubWriter(hub_store.hub_dir) as url:  # the leaderboard comes from MLE_BENCH_LEADERBOARDS (shared/)
        result = mle_datasets.publish(cid, f"lite-org/{cid}", store=publisher, api=HfApi(endpoint=url, token=False))
    assert result["leaderboard"]

    home = tmp_path / "home"  # no Kaggle credentials, no leaderboard folder: only the Hub
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAGGLE_", "MLE_BENCH_"))}
    env.update(HF_ENDPOINT=hub_server, HF_HOME=str(tmp_path / "hf"), HF_HUB_DISABLE_XET="1", HOME=str(home),
               MLE_BENCH_HOME=str(tmp_path / "store"), NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    proc = _cli(["prepare", "-c", cid, "--from-hub", "lite-org", "--json"], env)
    assert proc.returncode == 0, proc.stderr
    record = json.loads(proc.stdout)[0]
    assert (record["status"], record["version"]) == ("ok", publisher.versions(cid)[-1])
    assert record["revision"] == publisher.revision(cid) and record["hub_revision"] == result["revision"]

    sample = tmp_path / "agent" / "sample_submission.csv"
    assert _cli(["materialize", "-c", cid, str(sample.parent)], env).returncode == 0
    proc = _cli(["grade-sample", str(sample), cid, "--json"], env)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["valid_submission"] and report["dataset_revision"] == publisher.revision(cid)
    assert report["gold_threshold"] is not None  # medals from the leaderboard the Hub brought

    proc = _cli(["prepare", "-c", cid, "--from-hub", "nobody"], env)
    assert proc.returncode == 1 and f"no dataset repository 'nobody/{cid}'" in proc.stderr
