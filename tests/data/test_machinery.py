"""The data machinery on a toy competition: prepare -> store -> load_dataset -> materialize, and bad input."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import zipfile
from pathlib import Path

import pandas as pd
import pytest

import mle_datasets
from mle_datasets import store as store_mod
from mle_datasets.errors import (
    ChecksumError,
    DataError,
    KaggleAccessError,
    PreparedDataError,
    RawDataError,
    StoreError,
    UnknownCompetitionError,
    UnknownVersionError,
)
from mle_datasets.prepare import PROVENANCE_FILE, prepare
from mle_datasets.raw import checksum_tree, list_files
from mle_datasets.store import Store
from tests.data.toy import TOY_ID, TOY_SPEC, ToyPreparer, make_toy_raw, zip_folder


def _prepare(raw, out, **kw):
    return prepare(TOY_ID, raw, out, spec=TOY_SPEC, preparer=kw.pop("preparer", ToyPreparer()), **kw)


def _hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(".*") if ".git" not in p.parts)


@pytest.fixture
def toy(tmp_path):
    raw = make_toy_raw(tmp_path / "raw")
    prepared = _prepare(raw, tmp_path / "prepared")
    store = Store(tmp_path / "store")
    stored = store.add(prepared, spec=TOY_SPEC)
    return raw, prepared, store, stored


def test_prepare_writes_public_private_description_provenance(tmp_path):
    raw = make_toy_raw(tmp_path / "raw")
    p = _prepare(raw, tmp_path / "out")
    assert sorted(list_files(p.public_dir)) == [
        "description.md", "images/00000.bin", "images/00001.bin", "images/00002.bin", "images/00003.bin",
        "images/00004.bin", "notes.txt", "sample_submission.csv", "test.csv", "train.csv"]
    assert list_files(p.private_dir) == ["test.csv"]
    assert p.answers == tmp_path / "out/private/test.csv"
    answers = pd.read_csv(p.answers, dtype={"id": str})
    sample = pd.read_csv(p.sample_submission, dtype={"id": str})
    assert sorted(answers["id"]) == sorted(sample["id"]) and len(answers) == 8
    assert "label" not in pd.read_csv(p.public_dir / "test.csv").columns
    text = (p.public_dir / "description.md").read_text()
    assert "# Toy Competition" in text and "`auc`" in text and "`label`: float, probability" in text
    prov = json.loads((p.root / PROVENANCE_FILE).read_text())
    assert prov["raw_files"] == checksum_tree(raw) and prov["raw_source"] == "folder"
    assert prov["preparer_version"] == "1" and prov["spec_version"] == "1.0.0"
    assert _hidden(tmp_path) == []
    assert checksum_tree(raw) == prov["raw_files"]  # the raw folder was only read


def test_store_load_materialize_roundtrip(toy, tmp_path, hf_cache):
    raw, prepared, store, stored = toy
    # the five images name no table's rows (too few ids match): they are a files config of their own
    assert mle_datasets.tables(TOY_ID, store=store) == ["files_images", "sample_submission", "test", "train"]
    assert mle_datasets.tables(TOY_ID, store=store, private=True) == ["test"]
    train = mle_datasets.load_dataset(TOY_ID, "train", store=store, cache_dir=hf_cache).to_pandas()
    expected = pd.read_csv(prepared.public_dir / "train.csv", dtype={"id": str})
    pd.testing.assert_frame_equal(train, expected, check_dtype=False)
    test = mle_datasets.load_dataset(TOY_ID, "test", store=store, cache_dir=hf_cache)
    assert test.column_names == ["id", "feature"]
    answers = mle_datasets.load_dataset(TOY_ID, "test", store=store, private=True, cache_dir=hf_cache).to_pandas()
    assert answers.columns.tolist() == ["id", "label"] and answers["id"].tolist() == \
        pd.read_csv(prepared.answers, dtype={"id": str})["id"].tolist()
    out = mle_datasets.materialize(TOY_ID, tmp_path / "agent", store=store)
    assert checksum_tree(out) == checksum_tree(prepared.public_dir)
    repo = store.repo_dir(TOY_ID)
    assert stored["revision"] == subprocess.run(["git", "-C", str(repo), "rev-parse", "v1.0.0"],
                                                capture_output=True, text=True).stdout.strip()
    assert store.revision(TOY_ID) == stored["revision"]
    manifest = store.manifest(TOY_ID)
    assert set(manifest["files"]) == {f for f in list_files(repo) if not f.startswith(".git/")} - {"manifest.json"}
    assert manifest["provenance"]["raw_sha256"] == prepared.provenance["raw_sha256"]
    card = (repo / "README.md").read_text()
    assert "https://www.kaggle.com/c/toy-competition/rules" in card and "Toy quirk kept." in card
    assert "config_name: test" in card and "Split rule: rows, train_test_split" in card
    private_card = (store.repo_dir(TOY_ID, private=True) / "README.md").read_text()
    assert "Keep it private" in private_card
    assert not any(n.startswith("files/") and "private" in n for n in manifest["files"])


def test_same_raw_gives_same_bytes_and_commit(tmp_path):
    revisions, manifests = [], []
    for i in range(2):
        raw = make_toy_raw(tmp_path / f"raw{i}")
        prepared = _prepare(raw, tmp_path / f"prepared{i}")
        store = Store(tmp_path / f"store{i}")
        stored = store.add(prepared, spec=TOY_SPEC)
        revisions.append((stored["revision"], stored["private_revision"]))
        manifests.append((store.repo_dir(TOY_ID) / "manifest.json").read_bytes())
    assert revisions[0] == revisions[1] and manifests[0] == manifests[1]


def test_prepare_again_is_a_noop_unless_forced(tmp_path):
    raw = make_toy_raw(tmp_path / "raw")
    first = _prepare(raw, tmp_path / "out")
    mtime = (first.root / PROVENANCE_FILE).stat().st_mtime_ns
    again = _prepare(raw, tmp_path / "out", preparer=ToyPreparer(fail_after_public=RuntimeError("must not run")))
    assert (again.root / PROVENANCE_FILE).stat().st_mtime_ns == mtime
    forced = _prepare(raw, tmp_path / "out", overwrite=True)
    assert checksum_tree(forced.public_dir) == checksum_tree(first.public_dir)
    assert _hidden(tmp_path) == []


def test_versions_are_immutable_and_older_ones_load(toy, tmp_path, hf_cache):
    raw, prepared, store, stored = toy
    assert store.add(prepared, spec=TOY_SPEC)["revision"] == stored["revision"]  # same data: no-op
    raw2 = make_toy_raw(tmp_path / "raw2", seed=1)
    prepared2 = _prepare(raw2, tmp_path / "prepared2")
    with pytest.raises(StoreError, match="already stored with different content"):
        store.add(prepared2, spec=TOY_SPEC)
    assert store.revision(TOY_ID, "1.0.0") == stored["revision"]
    second = store.add(prepared2, spec=TOY_SPEC, version="1.1.0")
    assert store.versions(TOY_ID) == ["1.0.0", "1.1.0"] and second["revision"] != stored["revision"]
    old = mle_datasets.load_dataset(TOY_ID, "train", version="1.0.0", store=store, cache_dir=hf_cache).to_pandas()
    new = mle_datasets.load_dataset(TOY_ID, "train", store=store, cache_dir=hf_cache).to_pandas()
    assert old["feature"].tolist() == pd.read_csv(prepared.public_dir / "train.csv")["feature"].tolist()
    assert new["feature"].tolist() == pd.read_csv(prepared2.public_dir / "train.csv")["feature"].tolist()
    out = mle_datasets.materialize(TOY_ID, tmp_path / "v1", version="v1.0.0", store=store)
    assert checksum_tree(out) == checksum_tree(prepared.public_dir)
    with pytest.raises(StoreError, match="dotted numbers"):
        store.add(prepared2, spec=TOY_SPEC, version="latest")


def test_concurrent_adds_keep_both_versions(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    preps = [_prepare(make_toy_raw(tmp_path / f"raw{i}", seed=i), tmp_path / f"p{i}") for i in range(2)]
    store = Store(tmp_path / "store")
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda iv: store.add(preps[iv[0]], spec=TOY_SPEC, version=iv[1]), [(0, "1.0.0"), (1, "1.1.0")]))
    assert store.versions(TOY_ID) == ["1.0.0", "1.1.0"] == store.versions(TOY_ID, private=True)
    store.verify(TOY_ID, "1.0.0")
    store.verify(TOY_ID, "1.1.0", private=True)


def test_raw_from_zip(tmp_path):
    raw = make_toy_raw(tmp_path / "raw")
    z = zip_folder(raw, tmp_path / f"{TOY_ID}.zip")
    p = _prepare(z, tmp_path / "out")
    assert p.provenance["raw_source"] == "zip" and len(p.provenance["raw_zip_sha256"]) == 64
    assert p.provenance["raw_files"] == checksum_tree(raw)
    assert _hidden(tmp_path) == []


def test_truncated_zip(tmp_path):
    raw = make_toy_raw(tmp_path / "raw")
    z = zip_folder(raw, tmp_path / "c.zip")
    z.write_bytes(z.read_bytes()[: z.stat().st_size // 2])
    with pytest.raises(RawDataError, match="download"):
        _prepare(z, tmp_path / "out")
    assert not (tmp_path / "out").exists() and _hidden(tmp_path) == []


def test_corrupt_zip_entry(tmp_path):
    z = tmp_path / "c.zip"
    with zipfile.ZipFile(z, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("train.csv", "id,feature,label\n" + "1,2,3\n" * 2000)
    data = bytearray(z.read_bytes())
    data[100:120] = b"\x00" * 20  # damage the compressed stream, keep the directory
    z.write_bytes(bytes(data))
    with pytest.raises(RawDataError):
        _prepare(z, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_missing_raw_file(tmp_path):
    raw = make_toy_raw(tmp_path / "raw")
    (raw / "notes.txt").unlink()
    with pytest.raises(RawDataError, match="lacks notes.txt"):
        _prepare(raw, tmp_path / "out")
    assert not (tmp_path / "out").exists() and _hidden(tmp_path) == []


def test_missing_raw_source(tmp_path):
    with pytest.raises(RawDataError, match="does not exist"):
        _prepare(tmp_path / "nowhere", tmp_path / "out")
    (tmp_path / "junk.zip").write_text("not a zip")
    with pytest.raises(RawDataError, match="neither a folder nor a complete zip"):
        _prepare(tmp_path / "junk.zip", tmp_path / "out")


def test_renamed_raw_column(tmp_path):
    raw = make_toy_raw(tmp_path / "raw")
    frame = pd.read_csv(raw / "train.csv", dtype=str).rename(columns={"label": "target"})
    frame.to_csv(raw / "train.csv", index=False)
    with pytest.raises(RawDataError, match="expected"):
        _prepare(raw, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_unknown_competition_version_split(toy, tmp_path):
    raw, prepared, store, stored = toy
    with pytest.raises(UnknownCompetitionError, match="mle-bench list"):
        prepare("no-such-competition", raw, tmp_path / "x")
    with pytest.raises(UnknownVersionError, match="not in the store"):
        mle_datasets.load_dataset("no-such-competition", store=store)
    with pytest.raises(UnknownVersionError, match="stored: 1.0.0"):
        mle_datasets.load_dataset(TOY_ID, version="9.9.9", store=store)
    with pytest.raises(UnknownVersionError, match="stored: 1.0.0"):
        mle_datasets.materialize(TOY_ID, tmp_path / "m", version="2.0", store=store)
    with pytest.raises(DataError, match="its tables are files_images, sample_submission, test, train"):
        mle_datasets.load_dataset(TOY_ID, split="validation", store=store)
    assert not (tmp_path / "m").exists()


def test_checksum_mismatch_is_caught(toy, tmp_path, hf_cache):
    raw, prepared, store, stored = toy
    repo = store.repo_dir(TOY_ID)
    target = repo / "files" / "train.csv"
    target.write_bytes(target.read_bytes().replace(b"0", b"1", 1))
    with pytest.raises(ChecksumError, match=r"files/train.csv \(sha256 differs\)"):
        mle_datasets.materialize(TOY_ID, tmp_path / "agent", store=store)
    assert not (tmp_path / "agent").exists() and _hidden(tmp_path) == []
    shard = next((repo / "data" / "train").glob("*.parquet"))
    shard.unlink()
    with pytest.raises(ChecksumError, match="missing"):
        mle_datasets.load_dataset(TOY_ID, "train", store=store, cache_dir=hf_cache)
    subprocess.run(["git", "-C", str(repo), "checkout", "--", "."], check=True)
    mle_datasets.materialize(TOY_ID, tmp_path / "agent", store=store)  # restored as the message says


def test_unwritable_store(tmp_path, monkeypatch):
    raw = make_toy_raw(tmp_path / "raw")
    prepared = _prepare(raw, tmp_path / "out")
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder")
    with pytest.raises(StoreError, match="MLE_BENCH_HOME"):
        Store(blocker / "store").add(prepared, spec=TOY_SPEC)
    store = Store(tmp_path / "ro")
    real_access = os.access
    monkeypatch.setattr(store_mod.os, "access", lambda p, mode: False if mode == os.W_OK else real_access(p, mode))
    with pytest.raises(StoreError, match="read-only"):
        store.add(prepared, spec=TOY_SPEC)
    with pytest.raises(StoreError, match="cannot create"):
        _prepare(raw, blocker / "prepared")


def test_full_store_leaves_nothing_half_written(toy, tmp_path, monkeypatch):
    raw, prepared, store, stored = toy
    raw2 = make_toy_raw(tmp_path / "raw2", seed=3)
    prepared2 = _prepare(raw2, tmp_path / "prepared2")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_mod.shutil, "copyfile", full)
    with pytest.raises(StoreError, match="No space left on device"):
        store.add(prepared2, spec=TOY_SPEC, version="1.1.0")
    assert store.versions(TOY_ID) == ["1.0.0"] and store.versions(TOY_ID, private=True) == ["1.0.0"]
    assert _hidden(store.root) == []
    monkeypatch.undo()
    store.verify(TOY_ID)
    fresh = Store(tmp_path / "fresh")
    monkeypatch.setattr(store_mod.shutil, "copyfile", full)
    with pytest.raises(StoreError):
        fresh.add(prepared2, spec=TOY_SPEC)
    assert fresh.versions(TOY_ID) == [] and _hidden(fresh.root) == []


def test_interrupted_preparation_then_rerun_recovers(tmp_path):
    raw = make_toy_raw(tmp_path / "raw")
    with pytest.raises(KeyboardInterrupt):
        _prepare(raw, tmp_path / "out", preparer=ToyPreparer(fail_after_public=KeyboardInterrupt()))
    assert not (tmp_path / "out").exists() and _hidden(tmp_path) == []
    # a preparation killed outright (no cleanup) leaves its hidden folder; a dead pid marks it stale
    stale = tmp_path / ".out.tmp-999999999-deadbeef"
    (stale / "public").mkdir(parents=True)
    (stale / "public" / "train.csv").write_text("half")
    p = _prepare(raw, tmp_path / "out")
    assert not stale.exists() and (p.public_dir / "sample_submission.csv").is_file()


def test_interrupted_store_swap_recovers(toy):
    raw, prepared, store, stored = toy
    repo = store.repo_dir(TOY_ID)
    os.replace(repo, repo.with_name(f".{repo.name}.old"))  # killed between the swap's two renames
    assert store.versions(TOY_ID) == ["1.0.0"] and repo.is_dir()


def test_preparer_crash_and_leak_are_clear_errors(tmp_path):
    raw = make_toy_raw(tmp_path / "raw")
    with pytest.raises(PreparedDataError, match="preparer of toy-competition failed.*boom"):
        _prepare(raw, tmp_path / "out", preparer=ToyPreparer(fail_after_public=ValueError("boom")))
    with pytest.raises(PreparedDataError, match="leakage: public/test.csv carries target"):
        _prepare(raw, tmp_path / "out", preparer=ToyPreparer(leak=True))
    assert not (tmp_path / "out").exists() and _hidden(tmp_path) == []


def test_folders_become_declared_configs_in_bounded_shards(tmp_path, monkeypatch, hf_cache):
    from mle_datasets import media

    monkeypatch.setattr(media, "MEDIA_ROW_GROUP_ROWS", 2)
    monkeypatch.setattr(media, "MEDIA_SHARD_BYTES", 40)  # 16-byte images: 2 row groups (4 images) a shard
    raw = make_toy_raw(tmp_path / "raw", n_images=5)
    prepared = _prepare(raw, tmp_path / "out")
    store = Store(tmp_path / "store")
    store.add(prepared, spec=TOY_SPEC)
    manifest = store.manifest(TOY_ID)
    entry = manifest["tables"]["files_images"]
    assert entry["shards"] == [f"data/files_images/files_images-0000{i}-of-00002.parquet" for i in range(2)]
    assert entry["rows"] == 5 and entry["columns"] == ["path", "file"]
    assert not any(f.startswith(("files/images/", "archives/")) for f in manifest["files"])
    assert "config_name: files_images" in (store.repo_dir(TOY_ID) / "README.md").read_text()
    rows = mle_datasets.load_dataset(TOY_ID, "files_images", store=store, cache_dir=hf_cache)
    assert rows["path"] == [f"images/0000{i}.bin" for i in range(5)]
    assert rows[0]["file"]["bytes"] == (prepared.public_dir / "images/00000.bin").read_bytes()
    out = mle_datasets.materialize(TOY_ID, tmp_path / "agent", store=store)
    assert checksum_tree(out) == checksum_tree(prepared.public_dir)


def test_kaggle_errors_and_download(tmp_path, monkeypatch):
    for var in ("KAGGLE_USERNAME", "KAGGLE_KEY", "KAGGLE_API_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(tmp_path / "no-kaggle"))
    with pytest.raises(KaggleAccessError, match="no Kaggle credentials.*--raw"):
        _prepare(None, tmp_path / "out")

    class RulesNotAccepted:
        def competition_download_files(self, cid, path, quiet=True):
            raise RuntimeError("(403) Forbidden: You must accept this competition's rules before downloading")

    with pytest.raises(KaggleAccessError, match="https://www.kaggle.com/c/toy-competition/rules"):
        _prepare(None, tmp_path / "out", kaggle_api=RulesNotAccepted())

    raw = make_toy_raw(tmp_path / "raw")

    class Downloads:
        def competition_download_files(self, cid, path, quiet=True):
            zip_folder(raw, Path(path) / f"{cid}.zip")

    p = _prepare(None, tmp_path / "out", kaggle_api=Downloads())
    assert p.provenance["raw_source"] == "kaggle" and p.provenance["raw_files"] == checksum_tree(raw)
    assert _hidden(tmp_path) == []


def test_publish_uploads_public_and_private_apart(toy, tmp_path):
    from huggingface_hub import HfApi

    from tests.data.hub_writer import HubWriter, files, tags, visibility

    raw, prepared, store, stored = toy
    hub = tmp_path / "hub"
    with HubWriter(hub) as url:
        result = mle_datasets.publish(TOY_ID, "me/toy", store=store, api=HfApi(endpoint=url, token=False),
                                      leaderboards=tmp_path / "no-boards")
        public, private = hub / "datasets/me/toy", hub / "datasets/me/toy-private"
        assert result == {"repo_id": "me/toy", "tag": "v1.0.0", "leaderboard": "",
                          "revision": tags(public)["v1.0.0"], "private_revision": tags(private)["v1.0.0"],
                          "private_repo_id": "me/toy-private"}
        assert (visibility(public), visibility(private)) == ("public", "private")
        manifest = store.manifest(TOY_ID)
        assert files(public) == set(manifest["files"]) | {"manifest.json", ".gitattributes"}
        answers_sha = checksum_tree(prepared.private_dir)["test.csv"]
        assert answers_sha not in {v["sha256"] for v in manifest["files"].values()}
        assert "test.csv" in {Path(f).name for f in files(private)}
        mle_datasets.publish(TOY_ID, "me/toy-public-only", store=store, api=HfApi(endpoint=url, token=False),
                             answers=False)
        assert not (hub / "datasets/me/toy-public-only-private").exists()


def test_cli_prepare_materialize_publish(tmp_path, monkeypatch, capsys):
    import importlib

    from huggingface_hub import constants

    from tests.data.hub_writer import HubWriter, tags

    from mlebench.cli import main

    prepare_mod = importlib.import_module("mle_datasets.prepare")

    monkeypatch.setattr(prepare_mod, "get_spec", lambda cid: TOY_SPEC if cid == TOY_ID else
                        (_ for _ in ()).throw(UnknownCompetitionError(f"unknown competition {cid!r}")))
    monkeypatch.setattr(prepare_mod, "_get_preparer", lambda cid: ToyPreparer())
    raw = make_toy_raw(tmp_path / "raws" / TOY_ID)
    zip_folder(raw, tmp_path / "toy.zip")
    store = str(tmp_path / "store")
    assert main(["prepare", "-c", TOY_ID, "--raw", str(tmp_path / "toy.zip"), "--store", store]) == 0
    assert "toy-competition: v1.0.0 stored (revision" in capsys.readouterr().out
    ids = tmp_path / "ids.txt"
    ids.write_text(f"# comment\n{TOY_ID}\nno-such-competition\n")
    code = main(["prepare", "--list", str(ids), "--raw", str(tmp_path / "raws"), "--store", store,
                 "--data-dir", str(tmp_path / "data"), "--json"])
    records = json.loads(capsys.readouterr().out)
    assert code == 1 and [r["status"] for r in records] == ["ok", "failed"]
    assert "no-such-competition" in records[1]["error"]
    assert (tmp_path / "data" / TOY_ID / "prepared" / "public" / "train.csv").is_file()
    assert main(["materialize", "-c", TOY_ID, str(tmp_path / "agent"), "--store", store]) == 0
    assert (tmp_path / "agent" / "sample_submission.csv").is_file()
    # a full destination without --force is a usage error: exit code 2, in the command line's words
    assert main(["materialize", "-c", TOY_ID, str(tmp_path / "agent"), "--store", store]) == 2
    assert "already holds files; choose an empty folder or pass --force" in capsys.readouterr().err
    with HubWriter(tmp_path / "hub") as url:
        monkeypatch.setattr(constants, "ENDPOINT", url)  # what HF_ENDPOINT sets when the library is imported
        assert main(["publish", "-c", TOY_ID, "--repo", "me/toy", "--store", store]) == 0
    assert "published v1.0.0 to me/toy, answers to me/toy-private" in capsys.readouterr().out
    assert list(tags(tmp_path / "hub/datasets/me/toy-private")) == ["v1.0.0"]
    (raw / "notes.txt").unlink()
    assert main(["prepare", "-c", TOY_ID, "--raw", str(raw), "--store", store, "--force"]) == 1
    assert "lacks notes.txt" in capsys.readouterr().err
