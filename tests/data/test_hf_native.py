"""The store read by plain ``datasets`` (no wrapper): a default config, typed media columns that decode,
streaming, and ``materialize`` rebuilding the public folder (zips included) from the parquet bytes."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import datasets
import pyarrow.parquet as pq
import pytest

import competitions
import mle_datasets
from mle_datasets.cards import check_card
from mle_datasets.errors import ChecksumError
from mle_datasets.prepare import Prepared
from mle_datasets.raw import checksum_tree
from tests.data.toy import TOY_ID, TOY_SPEC

LITE = competitions.ids("lite")
CACTUS = "aerial-cactus-identification"
DOGS = "dog-breed-identification"
WHALE = "the-icml-2013-whale-challenge-right-whale-redux"
BIRDS = "mlsp-2013-birds"

datasets.disable_progress_bars()


def _stored(cid: str, work: Path, store: mle_datasets.Store) -> Prepared:
    raw = mle_datasets.make_raw_fixture(cid, work / "raw")
    prepared = mle_datasets.prepare(cid, raw, work / "prepared")
    store.add(prepared)
    return prepared


def _plain(store, cid, *args, **kwargs):
    """``datasets.load_dataset`` on the repository folder, as someone who never heard of our wrapper."""
    return datasets.load_dataset(str(store.repo_dir(cid)), *args, **kwargs)


@pytest.mark.parametrize("cid", LITE)
def test_materialize_rebuilds_the_public_folder_from_parquet(cid, store, tmp_path, hf_cache):
    prepared = _stored(cid, tmp_path, store)
    manifest = store.manifest(cid)
    out = mle_datasets.materialize(cid, tmp_path / "agent", store=store)
    assert checksum_tree(out) == manifest["originals"] == checksum_tree(prepared.public_dir)
    # a file whose bytes are in a parquet column is not also kept under files/
    in_parquet = {p for t in manifest["tables"].values() if t.get("media")
                  for p in _media_paths(store.repo_dir(cid), t)}
    kept_zips = {z for z, r in manifest["zips"].items() if r["kept"]}
    copies = {f"files/{p}" for p in in_parquet if p.split("/", 1)[0] not in kept_zips} & set(manifest["files"])
    assert not copies
    assert not any(f"files/{z}" in manifest["files"] for z, r in manifest["zips"].items() if not r["kept"])
    # plain datasets, no config named: the default config
    loaded = _plain(store, cid, cache_dir=hf_cache)
    (split,) = loaded
    assert loaded[split].num_rows == manifest["tables"][split]["rows"]
    # both cards pass the offline card validation (huggingface_hub's card classes, datasets' metadata parsers)
    for private in (False, True):
        card = check_card((store.repo_dir(cid, private) / "README.md").read_text())
        assert ("private" in card.data.to_dict()["tags"]) == private


def _media_paths(repo: Path, table: dict) -> set[str]:
    columns = table["media"].get("columns") or [table["media"]["column"]]
    paths = set()
    for shard in table["shards"]:
        t = pq.read_table(repo / shard, columns=columns)
        for c in columns:
            paths.update(p for p in t.column(c).combine_chunks().field("path").to_pylist() if p is not None)
    return paths


def test_image_columns_decode_to_pil_from_zips_and_folders(store, tmp_path, hf_cache):
    from PIL import Image

    cactus = _stored(CACTUS, tmp_path / "c", store)
    dogs = _stored(DOGS, tmp_path / "d", store)
    train = _plain(store, CACTUS, "train", split="train", cache_dir=hf_cache)
    assert isinstance(train.features["image"], datasets.Image)
    first = train[0]
    assert isinstance(first["image"], Image.Image)
    with zipfile.ZipFile(cactus.public_dir / "train.zip") as zf:
        original = Image.open(io.BytesIO(zf.read(first["id"])))
    assert first["image"].size == original.size and first["image"].tobytes() == original.tobytes()
    manifest = store.manifest(CACTUS)
    assert manifest["zips"]["train.zip"]["kept"] is False  # zipfile-written: rebuilt from its members
    labels = _plain(store, DOGS, "labels", split="labels", cache_dir=hf_cache)
    row = labels[3]
    assert row["image"].size == Image.open(dogs.public_dir / "train" / f"{row['id']}.jpg").size
    shard = store.repo_dir(DOGS) / store.manifest(DOGS)["tables"]["labels"]["shards"][0]
    # the features live in the shard's arrow schema, where datasets reads them (key b"huggingface")
    assert isinstance(datasets.Features.from_arrow_schema(pq.read_schema(shard))["image"], datasets.Image)


def test_streaming_yields_decoded_rows(store, tmp_path):
    from PIL import Image

    _stored(DOGS, tmp_path, store)
    stream = _plain(store, DOGS, "labels", split="labels", streaming=True)
    rows = list(stream)
    assert len(rows) == store.manifest(DOGS)["tables"]["labels"]["rows"]
    assert all(isinstance(r["image"], Image.Image) for r in rows[:5])
    assert {"id", "breed", "image"} <= set(rows[0])


@pytest.mark.parametrize("cid,config", [(WHALE, "sampleSubmission"), (BIRDS, "files_essential_data")])
def test_audio_columns_hold_decodable_clips(cid, config, store, tmp_path, hf_cache):
    import soundfile

    prepared = _stored(cid, tmp_path, store)
    ds = _plain(store, cid, config, split=config, cache_dir=hf_cache)
    assert isinstance(ds.features["audio"], datasets.Audio)
    raw = ds.cast_column("audio", datasets.Audio(decode=False))
    clip = next(a for a in raw["audio"] if a is not None)
    samples, rate = soundfile.read(io.BytesIO(clip["bytes"]))
    assert rate > 0 and len(samples) > 0
    zip_name, _, member = clip["path"].partition("/")
    if zip_name.endswith(".zip"):
        with zipfile.ZipFile(prepared.public_dir / zip_name) as zf:
            assert zf.read(member) == clip["bytes"]
    else:
        assert (prepared.public_dir / clip["path"]).read_bytes() == clip["bytes"]


def _folder_prepared(tmp_path: Path, zip_writer) -> Prepared:
    public, private = tmp_path / "public", tmp_path / "private"
    public.mkdir(parents=True), private.mkdir()
    ids = ["a1", "b2", "c3"]
    (public / "sample_submission.csv").write_text("id,label\n" + "".join(f"{i},0.5\n" for i in ids))
    (public / "test.csv").write_text("id\n" + "".join(f"{i}\n" for i in ids))
    (private / "test.csv").write_text("id,label\n" + "".join(f"{i},1\n" for i in ids))
    zip_writer(public / "images.zip", {f"{i}.png": _png(n) for n, i in enumerate(ids)})
    return Prepared(TOY_ID, tmp_path, public, private, private / "test.csv", public / "sample_submission.csv",
                    {"raw_sha256": "0" * 64, "raw_files": {}})


def _png(seed: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 3), (seed * 40, 10, 200)).save(buf, format="PNG")
    return buf.getvalue()


def test_a_zip_that_does_not_rebuild_is_kept_whole(store, tmp_path, hf_cache):
    def unseekable(path: Path, members: dict[str, bytes]) -> None:
        class Stream(io.RawIOBase):  # written without seeking: data descriptors, as some zip tools do
            def __init__(self, f):
                self.f = f

            def writable(self):
                return True

            def write(self, b):
                return self.f.write(b)

        with open(path, "wb") as f, zipfile.ZipFile(Stream(f), "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            for name, data in members.items():
                zf.writestr(name, data)

    prepared = _folder_prepared(tmp_path / "p", unseekable)
    store.add(prepared, spec=TOY_SPEC)
    manifest = store.manifest(TOY_ID)
    assert manifest["zips"]["images.zip"]["kept"] is True and "files/images.zip" in manifest["files"]
    test = _plain(store, TOY_ID, "test", split="test", cache_dir=hf_cache)  # still typed, still decodes
    assert test[1]["image"].size == (4, 3) and test["image"][1].getpixel((0, 0)) == (40, 10, 200)
    out = mle_datasets.materialize(TOY_ID, tmp_path / "agent", store=store)
    assert checksum_tree(out) == checksum_tree(prepared.public_dir)


def test_zips_and_media_are_deterministic(tmp_path):
    def plain_zip(path: Path, members: dict[str, bytes]) -> None:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in members.items():
                zf.writestr(zipfile.ZipInfo(name, (2020, 1, 2, 3, 4, 6)), data, zipfile.ZIP_DEFLATED)

    revisions = []
    for i in range(2):
        store = mle_datasets.Store(tmp_path / f"store{i}")
        revisions.append(store.add(_folder_prepared(tmp_path / f"p{i}", plain_zip), spec=TOY_SPEC)["revision"])
        manifest = store.manifest(TOY_ID)
        assert manifest["zips"]["images.zip"]["kept"] is False and "files/images.zip" not in manifest["files"]
    assert revisions[0] == revisions[1]


def test_a_tampered_media_shard_is_caught(store, tmp_path):
    _stored(CACTUS, tmp_path, store)
    repo = store.repo_dir(CACTUS)
    shard = repo / store.manifest(CACTUS)["tables"]["train"]["shards"][0]
    shutil.copyfile(repo / store.manifest(CACTUS)["tables"]["sample_submission"]["shards"][0], shard)
    with pytest.raises(ChecksumError, match="sha256 differs"):
        mle_datasets.materialize(CACTUS, tmp_path / "agent", store=store)


_HUB_MEDIA = r"""
import json, sys
import datasets
from PIL import Image
datasets.disable_progress_bars()
repo, revision = sys.argv[1], sys.argv[2]
ds = datasets.load_dataset(repo, "train", split="train", revision=revision)
default = datasets.load_dataset(repo, revision=revision)
stream = datasets.load_dataset(repo, "train", split="train", revision=revision, streaming=True)
row = next(iter(stream))
print("RESULT" + json.dumps({"rows": ds.num_rows, "pil": isinstance(ds[0]["image"], Image.Image),
                             "size": list(ds[0]["image"].size), "streamed_pil": isinstance(row["image"], Image.Image),
                             "default": list(default), "feature": type(ds.features["image"]).__name__}))
"""


def test_images_decode_and_stream_through_the_hub_server(hub_store, hub_server, tmp_path):
    """Plain ``datasets`` against the local Hub server (olah): the default config, an Image column, streaming."""
    import json
    import os
    import subprocess
    import sys

    _stored(CACTUS, tmp_path, hub_store)  # the same fixture data again is a no-op
    env = {**os.environ, "HF_ENDPOINT": hub_server, "HF_HOME": str(tmp_path / "hf-home"), "HF_HUB_OFFLINE": "0",
           "HF_DATASETS_OFFLINE": "0", "HF_HUB_DISABLE_TELEMETRY": "1", "HF_HUB_DISABLE_XET": "1",
           "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    version = hub_store.resolve_version(CACTUS)
    proc = subprocess.run([sys.executable, "-c", _HUB_MEDIA, hub_store.repo_id(CACTUS), f"v{version}"], env=env,
                          capture_output=True, text=True, timeout=300)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    assert lines, proc.stderr[-3000:]
    got = json.loads(lines[-1][len("RESULT"):])
    assert got == {"rows": hub_store.manifest(CACTUS)["tables"]["train"]["rows"], "pil": True, "size": [32, 32],
                   "streamed_pil": True, "default": ["train"], "feature": "Image"}


def test_links_come_from_id_like_columns_not_labels(tmp_path):
    from mle_datasets.media import plan_media
    from mle_datasets.store import write_table

    src, dest = tmp_path / "src", tmp_path / "dest"
    (src / "img").mkdir(parents=True)
    for name in ("0.png", "1.png", "r3.png", "r5.png"):
        (src / "img" / name).write_bytes(_png(int(name[-5])))
    (src / "train.csv").write_text("id,label\n" + "".join(f"r{i},{i % 2}\n" for i in range(40)))
    (src / "labels.csv").write_text("label,id\n" + "".join(f"{i % 2},x{i}\n" for i in range(40)))
    tables = {c: write_table(src / f"{c}.csv", dest / "data" / c, c, ("id",)) for c in ("train", "labels")}
    files = ["img/0.png", "img/1.png", "img/r3.png", "img/r5.png", "labels.csv", "train.csv"]
    plan = plan_media(src, files, {"train": "train.csv", "labels": "labels.csv"}, tables, dest)
    # train's ids name 2 of 40 files: too few; labels' 0/1 name 0.png and 1.png but are a label, not an id
    assert plan.links == {} and [f.path for f in plan.groups["files_img"]] == files[:4]
