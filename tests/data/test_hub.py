"""The Hub path: the store's git repositories served by a local Hub-compatible server (olah, offline) and read
through the real ``datasets`` / ``huggingface_hub`` HTTP client, equal to what the local store returns."""

from __future__ import annotations

from tests.data.conftest import local_rows
from tests.data.toy import TOY_ID, TOY_SPEC, ToyPreparer, make_toy_raw

import mle_datasets
from mle_datasets.prepare import prepare


def test_hub_load_equals_local_store(hub_store, hub_load, tmp_path, hf_cache):
    prepared = prepare(TOY_ID, make_toy_raw(tmp_path / "raw"), tmp_path / "p1", spec=TOY_SPEC, preparer=ToyPreparer())
    hub_store.add(prepared, spec=TOY_SPEC)
    prepared2 = prepare(TOY_ID, make_toy_raw(tmp_path / "raw2", seed=5), tmp_path / "p2", spec=TOY_SPEC,
                        preparer=ToyPreparer())
    hub_store.add(prepared2, spec=TOY_SPEC, version="1.1.0")
    repo = hub_store.repo_id(TOY_ID)
    private_repo = hub_store.repo_id(TOY_ID, private=True)
    loads = [("1.0.0", "train"), ("1.0.0", "test"), ("1.1.0", "train"), ("1.1.0", "sample_submission")]
    requests = [(repo, table, f"v{v}") for v, table in loads]
    requests += [(private_repo, "test", "v1.0.0"), (repo, "train", None),
                 ("ours:" + repo, "test", "v1.0.0"), ("ours:" + repo, "train", "v9.9.9")]
    got = hub_load(requests)
    for v, table in loads:
        local = mle_datasets.load_dataset(TOY_ID, table, version=v, store=hub_store, cache_dir=hf_cache)
        assert got[f"{repo}|{table}|v{v}"] == local_rows(local), (table, v)
    assert "label" not in got[f"{repo}|test|v1.0.0"]["columns"]
    answers = mle_datasets.load_dataset(TOY_ID, "test", version="1.0.0", private=True, store=hub_store,
                                        cache_dir=hf_cache)
    assert got[f"{private_repo}|test|v1.0.0"] == local_rows(answers)
    assert got[f"{repo}|train|None"] == got[f"{repo}|train|v1.1.0"]  # main = the last version added
    assert got[f"ours:{repo}|test|v1.0.0"] == got[f"{repo}|test|v1.0.0"]
    assert got[f"ours:{repo}|train|v9.9.9"]["error"] == (
        f"UnknownVersionError: {repo} has no version 'v9.9.9' on the Hub; published: 1.0.0, 1.1.0")
