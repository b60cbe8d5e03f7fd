"""Versions and cards with plain ``datasets`` and ``huggingface_hub`` on a local store: the default config,
``dataset_info`` equal to what ``datasets`` loads, no stale rows after a new version, one checkout folder per
version (``datasets`` ignores ``revision=`` for a local folder), and the card through the library's classes."""

from __future__ import annotations

import datasets
import pytest
from huggingface_hub import DatasetCard, DatasetCardData
from huggingface_hub.repocard import metadata_load

import competitions
import mle_datasets
from mle_datasets.cards import check_card, task_metadata
from mle_datasets.errors import DataError
from mle_datasets.prepare import prepare
from mle_datasets.store import write_version
from tests.data.conftest import local_rows
from tests.data.endtoend import prepared
from tests.data.toy import TOY_ID, TOY_SPEC, ToyPreparer, make_toy_raw


def _add(store, tmp_path, seed, version):
    raw = make_toy_raw(tmp_path / f"raw{seed}", seed=seed)
    return store.add(prepare(TOY_ID, raw, tmp_path / f"p{seed}", spec=TOY_SPEC, preparer=ToyPreparer()),
                     spec=TOY_SPEC, version=version)


def _plain(path, cache, config=None):
    """Plain ``datasets.load_dataset`` of a local folder, as a user who never heard of our wrapper calls it."""
    ds = datasets.load_dataset(str(path), config, cache_dir=cache)
    return {split: local_rows(ds[split]) for split in ds}


def test_new_version_never_serves_stale_rows_and_checkouts_pin_versions(store, tmp_path):
    cache = str(tmp_path / "plain-cache")  # one cache for every call: a stale entry would be found
    _add(store, tmp_path, 0, "1.0.0")
    repo = store.repo_dir(TOY_ID)
    first = _plain(repo, cache)
    assert list(first) == ["train"]  # the default config, no name given
    _add(store, tmp_path, 5, "1.1.0")
    second = _plain(repo, cache)
    assert second != first and second["train"]["columns"] == first["train"]["columns"]
    # datasets ignores revision= for a local folder (it serves the work tree): each version's checkout pins it
    assert _plain(repo, cache, "train") == {"train": second["train"]}
    assert _plain(store.checkout_dir(TOY_ID, "1.0.0"), cache) == first
    assert _plain(store.checkout_dir(TOY_ID, "1.1.0"), cache) == second
    assert store.checkout_dir(TOY_ID, "1.0.0") == store.root / "checkouts/open-mle-bench" / TOY_ID / "1.0.0"
    for version, rows in (("1.0.0", first), ("1.1.0", second)):
        ours = mle_datasets.load_dataset(TOY_ID, "train", version=version, store=store, cache_dir=cache)
        assert local_rows(ours) == rows["train"]


def test_card_metadata_matches_what_datasets_loads(store, tmp_path):
    _add(store, tmp_path, 0, "1.0.0")
    for private in (False, True):
        folder = store.repo_dir(TOY_ID, private)
        text = (folder / "README.md").read_text()
        card = check_card(text)
        assert DatasetCard.load(folder / "README.md").content == text
        assert metadata_load(folder / "README.md") == card.data.to_dict()
        assert DatasetCardData(**card.data.to_dict()).to_yaml() == card.data.to_yaml()
        data = card.data.to_dict()
        assert data["license"] == "other" and data["license_link"].endswith(f"/c/{TOY_ID}/rules")
        assert data["size_categories"] == ["n<1K"] and data["task_categories"] == ["tabular-classification"]
        assert ("private" in data["tags"]) == private and ("must never be published" in text) == private
        infos = {i["config_name"]: i for i in data["dataset_info"]}
        manifest = store.manifest(TOY_ID, private=private)
        for name, table in manifest["tables"].items():
            ds = datasets.load_dataset(str(folder), name, split=name, cache_dir=str(tmp_path / "c"))
            assert datasets.Features._from_yaml_list(infos[name]["features"]) == ds.features
            assert infos[name]["splits"] == [{"name": name, "num_bytes": infos[name]["dataset_size"],
                                              "num_examples": table["rows"]}]
        assert "Toy quirk kept." in text and manifest["provenance"]["raw_sha256"] in text


def test_check_card_names_what_is_wrong(store, tmp_path):
    _add(store, tmp_path, 0, "1.0.0")
    text = (store.repo_dir(TOY_ID) / "README.md").read_text()
    with pytest.raises(DataError, match="no default config"):
        check_card(text.replace("  default: true\n", ""))
    with pytest.raises(DataError, match="size_categories"):
        check_card(text.replace("- n<1K", "- tiny"))
    with pytest.raises(DataError, match="license 'other' without"):
        check_card(text.replace("license_name: kaggle-competition-rules\n", ""))


@pytest.mark.parametrize("cid", ["aerial-cactus-identification", "mlsp-2013-birds", "spooky-author-identification"])
def test_lite_cards_validate(cid, tmp_path, tmp_path_factory):
    work = prepared(cid, tmp_path_factory)
    spec = competitions.get(cid)
    for private, source in ((False, work / "public"), (True, work / "private")):
        dest = tmp_path / ("private" if private else "public")
        dest.mkdir()
        manifest = write_version(dest, source, spec, spec.version, {"raw_files": {"x": "0" * 64}, "raw_sha256": "1" * 64,
                                 "preparer_version": "1", "spec_version": spec.version}, private)
        card = check_card((dest / "README.md").read_text())
        assert card.data.task_categories == task_metadata(spec)[0]
        if manifest["tables"]:
            default = datasets.load_dataset(str(dest), cache_dir=str(tmp_path / "cache"))
            assert len(default) == 1
