"""Benchmark: preparing and storing a large competition, beside pandas' plain read_csv + to_csv of the same data.

Stages, each in a fresh interpreter so its peak memory (max RSS) is its own:

- ``pandas``: ``pd.read_csv`` + ``DataFrame.to_csv`` of the raw ``train.csv`` (the reference round trip);
- ``prepare``: ``mle_datasets.prepare`` of new-york-city-taxi-fare-prediction (raw checksums, raw contract,
  the MLE-bench v1 split, description, prepared contract, atomic rename);
- ``store``: ``Store.add`` of that preparation (CSV -> parquet shards, streamed; sha256 of every file; git
  commit and tag);
- ``to_parquet``: the store's streaming CSV -> parquet conversion alone, on the raw ``train.csv``;
- ``images`` / ``copytree``: ``Store.add`` of a public folder with many small image files (an image column in
  parquet) beside ``shutil.copytree`` of the same folder.

Section ``sizes`` (``--section sizes``): the largest competition of each group at several raw sizes, each raw
a synthetic download in the layout of its fixture (``mle_datasets/fixtures``):

- ``hm`` (tables/text): h-and-m-personalized-fashion-recommendations; ~86% of the bytes are
  ``transactions_train.csv`` (734 days, ~111 bytes a row), the rest articles, customers, the sample
  submission and ``images/<3>/<id>.jpg`` (~48 KiB each, 10%);
- ``cdiscount`` (images): cdiscount-image-classification-challenge; ``train.bson`` (80%) and ``test.bson``
  (20%) of products with 1-4 pictures of ~4.7 KiB (Kaggle's averages), ``train_example.bson``, 5,270 categories;
- ``rsna`` (high): rsna-breast-cancer-detection; ``train_images/<patient>/<image>.dcm`` of 2 MiB (1024x1024
  16-bit; Kaggle's average is 5.7 MiB, smaller files mean more of them per GB, the harder case for linking).

For each size: the ``prepare`` stage (``mle_datasets.prepare``) and the ``cp`` stage (``cp -r`` of the same raw
folder), each in a fresh interpreter. Peak memory is given twice: peak RSS (``VmHWM``, which counts the
pages of memory-mapped files read, i.e. page cache) and the peak of anonymous memory (``RssAnon`` of
``/proc/self/status`` sampled every 10 ms: what the stage allocates). The ``prepare`` stage also reports its
phases (checksums, raw contract, preparer, prepared contract) with the seconds and peak anonymous memory of each.

Section ``media`` (``--section media``): a synthetic competition of ``--images`` real JPEGs (``train/<id>.jpg``
named by ``train.csv``), each stage in a fresh interpreter:

- ``media-store``: ``Store.add`` (the ``image`` column beside ``train.csv``'s rows, bounded parquet shards, git);
- ``media-load``: ``mle_datasets.load_dataset(id, "train")`` (checksums verified, parquet -> arrow cache) then
  every row iterated with its image decoded (``PIL.Image.load``);
- ``imagefolder``: plain ``datasets.load_dataset("imagefolder", data_dir=public/train)`` on the same files, then
  the same iteration (the reference);
- ``media-cp``: ``cp -r`` of the public folder (the floor for storing).

Section ``streaming`` (``--section streaming``): preparation at Kaggle's sizes in bounded memory. Taxi at
5, 20 and 55 million rows (Kaggle's train.csv has 55 million) and H&M at 4 GB (Kaggle's transactions: 31.8
million rows, 3.4 GiB), each a synthetic raw written under /tmp and deleted after; ``prepare`` beside the plain
pyarrow streaming read + CSV write of the same big table (``arrow``), each in a fresh interpreter whose peak RSS
is ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` read by a lean parent (standard library only) after it exits.

Usage: ``python -m benchmarks.prepare [--rows 5000000] [--images 10000] [--dir DIR]``;
``python -m benchmarks.prepare --section media [--images 10000]``;
``python -m benchmarks.prepare --section sizes [--sizes 0.25,1,4] [--competitions hm,cdiscount,rsna]``;
``python -m benchmarks.prepare --section streaming [--taxi-rows 5000000,20000000,55000000] [--hm-sizes 4]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

TAXI = "new-york-city-taxi-fare-prediction"
#: The largest competition of each group, by the key the ``sizes`` section uses.
LARGEST = {"hm": "h-and-m-personalized-fashion-recommendations",
           "cdiscount": "cdiscount-image-classification-challenge",
           "rsna": "rsna-breast-cancer-detection"}
GB = 1 << 30


def make_taxi_raw(dest: Path, rows: int, seed: int = 0, chunk: int = 1_000_000) -> Path:
    """Write a synthetic raw taxi download (``train.csv`` in Kaggle's layout, the coupon note) with ``rows`` rows."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    dest.mkdir(parents=True, exist_ok=True)
    (dest / "GCP-Coupons-Instructions.rtf").write_text("{\\rtf1 coupons}\n")
    rng = np.random.default_rng(seed)
    start = np.datetime64("2009-01-01T00:00:00", "s").astype(np.int64)
    with pacsv.CSVWriter(dest / "train.csv", pa.schema([
        ("key", pa.string()), ("fare_amount", pa.float64()), ("pickup_datetime", pa.string()),
        ("pickup_longitude", pa.float64()), ("pickup_latitude", pa.float64()),
        ("dropoff_longitude", pa.float64()), ("dropoff_latitude", pa.float64()), ("passenger_count", pa.int64()),
    ]), write_options=pacsv.WriteOptions(quoting_style="none")) as writer:
        for lo in range(0, rows, chunk):
            n = min(chunk, rows - lo)
            secs = pa.array(start + rng.integers(0, 6 * 365 * 86400, n), pa.timestamp("s"))
            stamp = pc.strftime(secs, format="%Y-%m-%d %H:%M:%S")
            serial = pc.utf8_lpad(pc.cast(pa.array(np.arange(lo, lo + n)), pa.string()), 7, "0")
            key = pc.binary_join_element_wise(stamp, serial, ".")
            table = pa.table({
                "key": key,
                "fare_amount": np.round(rng.gamma(2.0, 5.5, n), 2),
                "pickup_datetime": pc.binary_join_element_wise(stamp, pa.scalar("UTC"), " "),
                "pickup_longitude": np.round(rng.normal(-73.97, 0.04, n), 6),
                "pickup_latitude": np.round(rng.normal(40.75, 0.03, n), 6),
                "dropoff_longitude": np.round(rng.normal(-73.97, 0.04, n), 6),
                "dropoff_latitude": np.round(rng.normal(40.75, 0.03, n), 6),
                "passenger_count": rng.integers(1, 7, n),
            })
            writer.write_table(table)
    return dest


def make_image_folder(dest: Path, files: int, seed: int = 0) -> Path:
    """Write a prepared-like folder: ``public/train.csv``, ``public/sample_submission.csv``, ``public/train/`` with
    ``files`` small PNG-sized blobs, and ``private/test.csv``."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    public, private = dest / "public", dest / "private"
    (public / "train").mkdir(parents=True, exist_ok=True)
    private.mkdir(parents=True, exist_ok=True)
    ids = [f"{i:08x}" for i in range(files)]
    blobs = rng.bytes(2048 * 64)
    for i, name in enumerate(ids):
        (public / "train" / f"{name}.png").write_bytes(blobs[(i % 63) * 2048:(i % 63 + 1) * 2048])
    pd.DataFrame({"id": ids, "label": rng.integers(0, 2, files)}).to_csv(public / "train.csv", index=False)
    test = pd.DataFrame({"id": [f"t{i}" for i in range(100)], "label": np.arange(100) % 2})
    test.assign(label=0.5).to_csv(public / "sample_submission.csv", index=False)
    test.to_csv(private / "test.csv", index=False)
    return dest


def make_media_competition(dest: Path, files: int, seed: int = 0, side: int = 64) -> Path:
    """Write a prepared-like image competition: ``public/train/<id>.jpg`` (``files`` real JPEGs of ``side``
    pixels, a few KiB each), ``public/train.csv`` (``id``, ``label``), the sample submission and the answers."""
    import numpy as np
    import pandas as pd
    from PIL import Image

    rng = np.random.default_rng(seed)
    public, private = dest / "public", dest / "private"
    (public / "train").mkdir(parents=True, exist_ok=True)
    private.mkdir(parents=True, exist_ok=True)
    ids = [f"{i:08x}" for i in range(files)]
    base = rng.integers(0, 256, (side, side, 3), dtype=np.uint8)
    for i, name in enumerate(ids):  # each picture differs (a shifted, tinted base), so none compress alike
        pixels = np.roll(base, i % side, axis=i % 2) ^ np.uint8(i % 251)
        Image.fromarray(pixels).save(public / "train" / f"{name}.jpg", quality=85)
    pd.DataFrame({"id": ids, "label": rng.integers(0, 2, files)}).to_csv(public / "train.csv", index=False)
    test = pd.DataFrame({"id": [f"t{i}" for i in range(100)], "label": np.arange(100) % 2})
    test.assign(label=0.5).to_csv(public / "sample_submission.csv", index=False)
    test.to_csv(private / "test.csv", index=False)
    return dest


def _media_prepared(root: Path):
    from mle_datasets.prepare import Prepared

    spec = _image_spec()
    return spec, Prepared(spec.id, root, root / "public", root / "private", root / spec.answers,
                          root / spec.sample_submission, {"raw_files": {}, "raw_sha256": "", "spec_version": "1.0.0",
                                                          "preparer_version": "1"})


def _iterate_images(ds) -> int:
    """Iterate every row of ``ds`` decoding its picture; return the rows seen."""
    n = 0
    for row in ds:
        row["image"].load()
        n += 1
    return n


def run_media_stage(stage: str, work: Path) -> int:
    """One stage of the ``media`` section in this interpreter; return the rows (or files) it handled."""
    import datasets

    datasets.disable_progress_bars()
    root = work / "media"
    if stage == "media-store":
        from mle_datasets.store import Store

        spec, prepared = _media_prepared(root)
        Store(work / "media-store").add(prepared, spec=spec)
        return len(list((root / "public" / "train").iterdir()))
    if stage == "media-load":
        import mle_datasets

        ds = mle_datasets.load_dataset(_image_spec().id, "train", store=mle_datasets.Store(work / "media-store"),
                                       cache_dir=str(work / "media-cache-ours"))
        return _iterate_images(ds)
    if stage == "imagefolder":
        ds = datasets.load_dataset("imagefolder", data_dir=str(root / "public" / "train"), split="train",
                                   cache_dir=str(work / "media-cache-imagefolder"))
        return _iterate_images(ds)
    raise SystemExit(f"unknown stage {stage}")


def run_media(work: Path, images: int) -> list[dict]:
    """The ``media`` section: store and load back a synthetic ``images``-picture competition, beside
    ``datasets``' imagefolder builder and ``cp -r`` on the same files; print and return the table."""
    t0 = time.perf_counter()
    make_media_competition(work / "media", images)
    folder_mb = sum(p.stat().st_size for p in (work / "media" / "public").rglob("*") if p.is_file()) / 2**20
    print(f"{images:,} JPEGs ({folder_mb:,.1f} MiB) written in {time.perf_counter() - t0:.1f} s under {work}")
    results = [_child(s, work) for s in ("media-store", "media-load", "imagefolder", "media-cp")]
    store_mb = sum(p.stat().st_size for p in (work / "media-store" / "hub").rglob("*") if p.is_file()) / 2**20
    print(f"\nstore on disk: {store_mb:,.1f} MiB (git objects and work tree)\n")
    print(f"{'stage':<12} {'seconds':>8} {'rows/s':>10} {'peak MiB':>9}")
    for r in results:
        print(f"{r['stage']:<12} {r['seconds']:8.2f} {r['rows'] / r['seconds']:10,.0f} {r['peak_mb']:9,.0f}")
    return results


def _image_spec():
    from competitions.spec import parse_spec

    return parse_spec({
        "id": "bench-images", "name": "Bench images", "category": "Image", "split": "dev",
        "awards_medals": False, "metric": "auc", "lower_is_better": False, "id_columns": ["id"],
        "submission_columns": [{"name": "id"}, {"name": "label", "dtype": "float", "domain": "probability"}],
        "answers": "private/test.csv", "sample_submission": "public/sample_submission.csv",
        "grader": "binary_auc", "version": "1.0.0", "description": "Benchmark.",
    })


# ------------------------------------------------------------------ section "sizes": the largest competitions
def _padded_jpeg(blob: bytes, size: int, rng) -> bytes:
    """``blob`` (a JPEG) grown to about ``size`` bytes with comment segments after SOI (still a valid JPEG)."""
    out, need = [blob[:2]], max(0, size - len(blob))
    while need > 4:
        body = rng.bytes(min(need - 4, 65533))
        out.append(b"\xff\xfe" + (len(body) + 2).to_bytes(2, "big") + body)
        need -= len(body) + 4
    return b"".join(out) + blob[2:]


def _hex_strings(rng, n: int, digits: int):
    """``n`` random lowercase hex strings of ``digits`` digits, as a pyarrow array (vectorised, no row loop)."""
    import numpy as np
    import pyarrow as pa

    table = np.array([f"{i:02x}".encode() for i in range(256)], dtype="S2")
    codes = np.frombuffer(rng.bytes(n * digits // 2), np.uint8)
    return pa.array(table[codes].view(f"S{digits}").astype(f"U{digits}"))


def make_hm_raw(dest: Path, size: int, seed: int = 0, chunk: int = 2_000_000) -> Path:
    """A synthetic H&M download of about ``size`` bytes in the layout of the fixture (fixtures/signals.py)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from mle_datasets.fixtures._util import picture, put, put_csv
    from mle_datasets.fixtures.media import jpeg_bytes
    from mle_datasets.fixtures.signals import _hm_articles

    rng = np.random.default_rng(seed)
    dest.mkdir(parents=True, exist_ok=True)
    rows = max(1000, int(0.86 * size / 111))
    n_customers, n_articles = max(20, rows // 23), max(40, rows // 600 * 2)  # Kaggle: 31.8M rows, 1.37M, 105k
    articles = _hm_articles(rng, n_articles)
    put_csv(dest, "articles.csv", articles)
    article_ids = pa.array(articles["article_id"].to_numpy())
    price = rng.uniform(0.005, 0.1, n_articles)
    customers = _hex_strings(rng, n_customers, 64)
    days = pa.array(pd.date_range("2018-09-20", "2020-09-22").strftime("%Y-%m-%d").to_numpy())
    opts = pacsv.WriteOptions(quoting_style="none")
    schema = pa.schema([("t_dat", pa.string()), ("customer_id", pa.string()), ("article_id", pa.string()),
                        ("price", pa.float64()), ("sales_channel_id", pa.int64())])
    with pacsv.CSVWriter(dest / "transactions_train.csv", schema, write_options=opts) as writer:
        for lo in range(0, rows, chunk):  # days ascending as in Kaggle's file; the last 8 days are v1's test
            n = min(chunk, rows - lo)
            day = (np.arange(lo, lo + n, dtype=np.int64) * len(days)) // rows
            art = rng.integers(0, n_articles, n)
            writer.write_table(pa.table({
                "t_dat": days.take(pa.array(day)), "customer_id": customers.take(pa.array(rng.integers(0, n_customers, n))),
                "article_id": article_ids.take(pa.array(art)), "price": price[art],
                "sales_channel_id": rng.integers(1, 3, n)}, schema=schema))
    active = pa.array(np.where(rng.random(n_customers) < 0.4, 1.0, np.nan), from_pandas=True)
    ages = pa.array(np.where(rng.random(n_customers) < 0.01, np.nan, rng.integers(18, 80, n_customers)),
                    from_pandas=True)
    status = pa.array(np.array(["ACTIVE", "ACTIVE", "PRE-CREATE", "LEFT CLUB"])[rng.integers(0, 4, n_customers)])
    news = pa.array(np.array(["NONE", "Regularly", "Monthly"])[rng.integers(0, 3, n_customers)])
    pacsv.write_csv(pa.table({"customer_id": customers, "FN": active, "Active": active, "club_member_status": status,
                              "fashion_news_frequency": news, "age": ages,
                              "postal_code": _hex_strings(rng, n_customers, 64)}), dest / "customers.csv", opts)
    twelve = " ".join(articles["article_id"].to_numpy()[:12])
    pacsv.write_csv(pa.table({"customer_id": customers, "prediction": pa.array([twelve] * 1).take(
        pa.array(np.zeros(n_customers, np.int64)))}), dest / "sample_submission.csv", opts)
    pool = [_padded_jpeg(jpeg_bytes(picture(rng, 175, 116)), 48 << 10, rng) for _ in range(8)]
    n_images = min(n_articles, max(10, int(0.10 * size) // (48 << 10)))
    for k, article in enumerate(articles["article_id"].to_numpy()[:n_images]):
        put(dest, f"images/{article[:3]}/{article}.jpg", pool[k % len(pool)])
    return dest


def make_cdiscount_raw(dest: Path, size: int, seed: int = 0, batch: int = 10_000) -> Path:
    """A synthetic Cdiscount download of about ``size`` bytes in the layout of the fixture (fixtures/image_sets.py):
    products streamed into the BSON files document by document."""
    import numpy as np
    import pandas as pd

    from mle_datasets.fixtures._util import put_csv
    from mle_datasets.fixtures.image_sets import _CDISCOUNT_CATEGORIES, bson_bytes, labelled_jpeg

    rng = np.random.default_rng(seed)
    dest.mkdir(parents=True, exist_ok=True)
    extra = 5270 - len(_CDISCOUNT_CATEGORIES)  # Kaggle's category_names.csv has 5,270 rows
    names = pd.DataFrame(list(_CDISCOUNT_CATEGORIES) + [
        (1000020000 + k, f"RAYON {k % 49}", f"FAMILLE {k % 483}", f"CATEGORIE {k}") for k in range(extra)],
        columns=["category_id", "category_level1", "category_level2", "category_level3"])
    put_csv(dest, "category_names.csv", names)
    categories = names["category_id"].to_numpy()
    pool = [_padded_jpeg(labelled_jpeg(rng, k, 180, 180), int(rng.integers(3000, 6400)), rng) for k in range(64)]
    next_id = 0

    def write(path: Path, budget: int, labelled: bool, example: Path | None = None) -> list[int]:
        nonlocal next_id
        written, ids, first = 0, [], []
        with open(path, "wb", buffering=1 << 22) as fh:
            while written < budget:
                pics, pick = rng.integers(1, 5, batch), rng.integers(0, len(pool), (batch, 4))
                cats, gaps = rng.choice(categories, batch), rng.integers(1, 4, batch)
                for k in range(batch):
                    next_id += int(gaps[k])
                    doc = {"_id": next_id, "imgs": [{"picture": pool[j]} for j in pick[k, :pics[k]]]}
                    if labelled:
                        doc["category_id"] = int(cats[k])
                    data = bson_bytes(doc)
                    fh.write(data)
                    written += len(data)
                    ids.append(next_id)
                    if len(first) < 100:
                        first.append(data)
                    if written >= budget:
                        break
        if example is not None:
            example.write_bytes(b"".join(first))
        return ids

    write(dest / "train.bson", int(0.8 * size), True, dest / "train_example.bson")
    test_ids = write(dest / "test.bson", int(0.2 * size), False)
    put_csv(dest, "sample_submission.csv", pd.DataFrame({"_id": test_ids, "category_id": 1000010653}))
    return dest


def make_rsna_raw(dest: Path, size: int, seed: int = 0, side: int = 1024) -> Path:
    """A synthetic RSNA mammography download of about ``size`` bytes in the layout of the fixture
    (fixtures/medical.py): train.csv, train_images/<patient_id>/<image_id>.dcm, test.csv, test_images/ and
    sample_submission.csv, each DICOM ``side`` x ``side`` 16-bit (2 MiB at 1024)."""
    import numpy as np
    import pandas as pd

    from mle_datasets.fixtures._util import put, put_csv
    from mle_datasets.fixtures.medical import _breast_rows, _distinct, _uid, gray_dicom_bytes
    from mle_datasets.preparers.medical import BREAST_TEST_COLUMNS

    rng = np.random.default_rng(seed)
    dest.mkdir(parents=True, exist_ok=True)
    n_patients = max(11, round(size / (2 * side * side) / 4.15))  # 4.15 images a patient (fixture's rows)
    ids = _distinct(rng, n_patients + 1, 10000, 65535)
    patients, test_patient = ids[:-1], ids[-1]
    cancer = {(int(p), str(rng.choice(["L", "R"]))) for p in rng.choice(patients, max(2, n_patients // 20), False)}
    rows = _breast_rows(rng, ids, cancer)
    y, x = np.mgrid[0:side, 0:side] / side
    tissue = np.clip(1400 - 1260 * x, 0, None) * (np.abs(y - 0.5) < 0.45 - 0.4 * x)
    pool = [np.clip(tissue + rng.normal(0, 40, tissue.shape) + 60, 0, 65535).astype(np.uint16) for _ in range(4)]
    root = "1.2.840.113654.2.70.1"

    def images(folder: str, part: pd.DataFrame) -> None:
        for k, row in enumerate(part[["patient_id", "image_id"]].itertuples(index=False)):
            put(dest, f"{folder}/{row.patient_id}/{row.image_id}.dcm",
                gray_dicom_bytes(pool[k % len(pool)], "MG", _uid(root, row.patient_id), _uid(root, row.image_id * 3),
                                 _uid(f"{root}.1", row.image_id), str(row.patient_id)))

    train = rows[rows["patient_id"] != test_patient]
    put_csv(dest, "train.csv", train)
    images("train_images", train)
    test = rows[(rows["patient_id"] == test_patient) & rows["view"].isin(["CC", "MLO"])]
    breasts = test["patient_id"].astype(str) + "_" + test["laterality"]
    test = test[BREAST_TEST_COLUMNS].assign(prediction_id=breasts)
    put_csv(dest, "test.csv", test)
    images("test_images", test)
    put_csv(dest, "sample_submission.csv", pd.DataFrame({"prediction_id": test["prediction_id"].unique(),
                                                         "cancer": 0.021}))
    return dest


MAKERS = {"hm": make_hm_raw, "cdiscount": make_cdiscount_raw, "rsna": make_rsna_raw}


class _AnonPeak:
    """Samples this process's anonymous resident memory (``RssAnon``) every ``every`` seconds on a thread, with
    the seconds and peak of each named phase (:meth:`phase` starts the next one)."""

    def __init__(self, every: float = 0.01) -> None:
        self.every, self.phases, self._name, self._t = every, [], None, time.perf_counter()
        self.start_mb = self._read()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    @staticmethod
    def _read() -> float:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def phase(self, name: str) -> None:
        now = time.perf_counter()
        if self._name is not None:
            self.phases[-1]["seconds"] = now - self._t
        self._name, self._t = name, now
        self.phases.append({"phase": name, "seconds": 0.0, "peak_anon_mb": self._read()})

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            value = self._read()
            if self.phases and value > self.phases[-1]["peak_anon_mb"]:
                self.phases[-1]["peak_anon_mb"] = value

    def __enter__(self) -> _AnonPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.phase("end")
        self._stop.set()
        self._thread.join()
        self.phases.pop()

    @property
    def peak_mb(self) -> float:
        return max([p["peak_anon_mb"] for p in self.phases] + [self.start_mb])


def _prepare_profiled(competition_id: str, raw: Path, out: Path, sampler: _AnonPeak) -> None:
    """``mle_datasets.prepare`` with phase marks: its module's ``checksum_tree``, ``_run_preparer`` and
    ``schemas.prepared.check_prepared`` are wrapped for this run only (the benchmark measures, it changes nothing)."""
    import importlib

    import schemas.prepared as contract

    prep = importlib.import_module("mle_datasets.prepare")  # the module (the package exports a function of that name)

    def marked(func, name, after):
        def run(*args, **kwargs):
            sampler.phase(name)
            try:
                return func(*args, **kwargs)
            finally:
                sampler.phase(after)
        return run

    saved = prep.checksum_tree, prep._run_preparer, contract.check_prepared
    prep.checksum_tree = marked(saved[0], "checksums", "raw contract")
    prep._run_preparer = marked(saved[1], "preparer", "description")
    contract.check_prepared = marked(saved[2], "prepared contract", "provenance, rename")
    try:
        sampler.phase("setup")
        prep.prepare(competition_id, raw, out, overwrite=True)
    finally:
        prep.checksum_tree, prep._run_preparer, contract.check_prepared = saved


def _tree_bytes(root: Path) -> tuple[int, int]:
    """Bytes and files under ``root``."""
    total = count = 0
    for dirpath, _, files in os.walk(root):
        for name in files:
            total += os.stat(os.path.join(dirpath, name)).st_size
            count += 1
    return total, count


def _peak_rss_mb() -> float:
    """This process's peak RSS in MiB: ``VmHWM`` (Linux), else ``ru_maxrss``. ``ru_maxrss`` alone would report at
    least the parent's RSS at the fork that started this interpreter (Linux keeps it across exec)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _copy_stage(work: Path, source: str = "raw", target: str = "copy", stage: str = "cp") -> dict:
    """``cp -r`` of ``work/<source>``: its seconds and the max RSS of ``cp`` (measured by GNU time where present)."""
    command = ["cp", "-r", str(work / source), str(work / target)]
    timer = shutil.which("time") or ("/usr/bin/time" if os.path.exists("/usr/bin/time") else None)
    t0 = time.perf_counter()
    if timer:
        out = subprocess.run([timer, "-f", "%M", *command], check=True, capture_output=True, text=True)
        peak_mb = int(out.stderr.strip().splitlines()[-1]) / 1024
    else:
        subprocess.run(command, check=True)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"stage": stage, "seconds": time.perf_counter() - t0, "peak_mb": peak_mb}


def run_stage(stage: str, work: Path, competition: str | None = None) -> dict:
    """Run one stage in this interpreter; return its seconds (imports excluded) and peak RSS."""
    if stage == "cp":  # before the imports: a child forked from a big interpreter starts with its max RSS
        return _copy_stage(work)
    if stage == "media-cp":
        files = len(list((work / "media" / "public" / "train").iterdir()))
        return {**_copy_stage(work, "media/public", "media-copy", stage), "rows": files}
    if stage.startswith("media") or stage == "imagefolder":
        import datasets  # noqa: F401  (imports are not timed)
        import mle_datasets  # noqa: F401

        t0 = time.perf_counter()
        rows = run_media_stage(stage, work)
        return {"stage": stage, "seconds": time.perf_counter() - t0, "peak_mb": _peak_rss_mb(), "rows": rows}
    import pandas  # noqa: F401  (imports are not timed)

    import mle_datasets  # noqa: F401
    from mle_datasets import preparers, store  # noqa: F401

    preparers.preparer_ids()
    t0 = time.perf_counter()
    if stage == "pandas":
        import pandas as pd

        frame = pd.read_csv(work / "raw" / "train.csv")
        frame.to_csv(work / "pandas_out.csv", index=False)
    elif stage == "prepare":
        import mle_datasets

        mle_datasets.prepare(TAXI, work / "raw", work / "prepared", overwrite=True)
    elif stage == "store":
        import mle_datasets

        prepared = mle_datasets.load_prepared(work / "prepared")
        mle_datasets.Store(work / "store").add(prepared)
    elif stage == "to_parquet":
        from mle_datasets.store import write_table

        write_table(work / "raw" / "train.csv", work / "parquet" / "train", "train", ("key",))
    elif stage == "images":
        from mle_datasets.prepare import Prepared
        from mle_datasets.store import Store

        root = work / "images"
        spec = _image_spec()
        prepared = Prepared(spec.id, root, root / "public", root / "private", root / spec.answers,
                            root / spec.sample_submission, {"raw_files": {}, "raw_sha256": "", "spec_version": "1.0.0",
                                                            "preparer_version": "1"})
        Store(work / "image-store").add(prepared, spec=spec)
    elif stage == "copytree":
        shutil.copytree(work / "images" / "public", work / "images-copy")
    elif stage == "arrow-copy":
        _arrow_copy(work / "raw" / STREAMED[competition][1], work / "arrow_out.csv")
    elif stage == "sized-prepare":
        with _AnonPeak() as sampler:
            t0 = time.perf_counter()
            competition_id = LARGEST[competition] if competition in LARGEST else STREAMED[competition][0]
            _prepare_profiled(competition_id, work / "raw", work / "prepared", sampler)
            seconds = time.perf_counter() - t0
        return {"stage": stage, "seconds": seconds, "peak_mb": _peak_rss_mb(),
                "start_anon_mb": sampler.start_mb, "peak_anon_mb": sampler.peak_mb, "phases": sampler.phases}
    else:
        raise SystemExit(f"unknown stage {stage}")
    seconds = time.perf_counter() - t0
    peak_mb = _peak_rss_mb()
    return {"stage": stage, "seconds": seconds, "peak_mb": peak_mb}


def _child(stage: str, work: Path, competition: str | None = None) -> dict:
    extra = ["--competition", competition] if competition else []
    # as a module from the repository root: run as a script, benchmarks/ would come first on sys.path and its
    # metrics.py would shadow the project's metrics package
    out = subprocess.run([sys.executable, "-m", "benchmarks.prepare", "--stage", stage, "--dir", str(work), *extra],
                         capture_output=True, text=True, check=False, cwd=Path(__file__).resolve().parents[1])
    if out.returncode != 0:
        raise SystemExit(f"stage {stage} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _prepare_then(reference: str, folder: Path, key: str, run) -> tuple[dict, dict]:
    """``run`` the ``prepare`` stage of ``folder/raw``, then the ``reference`` stage, each after ``sync``."""
    os.sync()
    prep = run("sized-prepare", folder, key)
    os.sync()
    return prep, run(reference, folder, key)


def run_sizes(work: Path, sizes: list[float], keys: list[str]) -> list[dict]:
    """The ``sizes`` section: for each competition and raw size (GB), write the raw, run ``prepare`` and ``cp -r``
    of it (fresh interpreters, the page cache flushed before each), delete what was written; return the results."""
    results = []
    for key in keys:
        for gb in sizes:
            folder = work / f"{key}-{gb:g}"
            shutil.rmtree(folder, ignore_errors=True)
            t0 = time.perf_counter()
            MAKERS[key](folder / "raw", int(gb * GB))
            made = time.perf_counter() - t0
            raw_bytes, raw_files = _tree_bytes(folder / "raw")
            prep, copy = _prepare_then("cp", folder, key, _child)
            shutil.rmtree(folder, ignore_errors=True)
            row = {"competition": LARGEST[key], "key": key, "gb": gb, "raw_bytes": raw_bytes, "raw_files": raw_files,
                   "make_seconds": made, "prepare": prep, "cp": copy}
            _record(results, row)
    return results


def _record(results: list[dict], row: dict) -> None:
    """Keep a result row and print it as one JSON line at once (a long run shows its progress)."""
    results.append(row)
    print(json.dumps(row), flush=True)


def print_sizes(results: list[dict]) -> None:
    """The section's tables: one row per competition and size, then the phases of each ``prepare``."""
    print(f"\n{'competition':<44} {'raw GiB':>7} {'files':>7} {'prepare s':>9} {'cp s':>6} {'ratio':>5} "
          f"{'peak RSS':>10} {'anon MiB':>8} {'cp RSS':>6}")
    for r in results:
        p, c = r["prepare"], r["cp"]
        print(f"{r['competition']:<44} {r['raw_bytes'] / GB:7.2f} {r['raw_files']:7,} {p['seconds']:9.1f} "
              f"{c['seconds']:6.1f} {p['seconds'] / c['seconds']:5.2f} {p['peak_mb']:10,.0f} "
              f"{p['peak_anon_mb']:8,.0f} {c['peak_mb']:6,.0f}")
    _print_phases(results, lambda r: f"{r['key']:<10} {r['gb']:>5g} GB")


def _print_phases(results: list[dict], label) -> None:
    """The phases of each result's ``prepare``, after ``label(result)``."""
    print("\nphases of prepare: seconds / peak anonymous MiB (after imports: start)")
    for r in results:
        phases = "  ".join(f"{ph['phase']} {ph['seconds']:.1f}s/{ph['peak_anon_mb']:,.0f}" for ph in r["prepare"]["phases"])
        print(f"{label(r)}  start {r['prepare']['start_anon_mb']:,.0f}  {phases}")


# ------------------------------------------------------------------ section "streaming": bounded memory at scale
#: The streamed competitions by key: competition id and the big table the reference reads and writes.
STREAMED = {"taxi": (TAXI, "train.csv"), "hm": (LARGEST["hm"], "transactions_train.csv")}


def _arrow_copy(src: Path, dst: Path) -> None:
    """The reference: pyarrow's streaming CSV reader over ``src`` and its CSV writer, batch by batch, to ``dst``."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    with pa.OSFile(str(src)) as source:  # as prepare reads it (a memory map's pages would count as its RSS)
        reader = pacsv.open_csv(source, read_options=pacsv.ReadOptions(block_size=1 << 22))
        with pacsv.CSVWriter(dst, reader.schema) as writer:
            for batch in reader:
                writer.write_batch(batch)


def _measured(stage: str, work: Path, competition: str) -> dict:
    """Run a stage in a child of a lean interpreter (standard library only, so the child's ``ru_maxrss`` does not
    start from a big parent's RSS) and add that child's peak RSS, ``getrusage(RUSAGE_CHILDREN).ru_maxrss``."""
    out = subprocess.run([sys.executable, "-m", "benchmarks.prepare", "--measure", stage, "--dir", str(work),
                          "--competition", competition], capture_output=True, text=True, check=False,
                         cwd=Path(__file__).resolve().parents[1])
    if out.returncode != 0:
        raise SystemExit(f"stage {stage} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _measure_child(stage: str, work: Path, competition: str) -> dict:
    result = _child(stage, work, competition)
    result["child_maxrss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return result


def run_streaming(work: Path, taxi_rows: list[int], hm_sizes: list[float]) -> list[dict]:
    """The ``streaming`` section: taxi at each row count and H&M at each raw size (GB), each written as a synthetic
    raw under ``work``; ``prepare`` beside the plain pyarrow streaming read + CSV write of the big table (fresh
    interpreters, page cache flushed before each); everything written is deleted after each size."""
    results = []
    cases = [("taxi", rows, lambda d, n=rows: make_taxi_raw(d, n)) for rows in taxi_rows]
    cases += [("hm", gb, lambda d, g=gb: make_hm_raw(d, int(g * GB))) for gb in hm_sizes]
    for key, size, make in cases:
        folder = work / f"stream-{key}-{size:g}"
        shutil.rmtree(folder, ignore_errors=True)
        try:
            make(folder / "raw")
            raw_bytes, raw_files = _tree_bytes(folder / "raw")
            table = folder / "raw" / STREAMED[key][1]
            with open(table, "rb") as fh:
                rows = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 24), b"")) - 1
            prep, ref = _prepare_then("arrow-copy", folder, key, _measured)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        row = {"competition": STREAMED[key][0], "key": key, "rows": rows, "raw_bytes": raw_bytes,
               "raw_files": raw_files, "prepare": prep, "arrow": ref}
        _record(results, row)
    return results


def print_streaming(results: list[dict]) -> None:
    """The section's table (one row per competition and size), then the phases of each ``prepare``."""
    print(f"\n{'competition':<44} {'rows':>11} {'raw GiB':>7} {'prepare s':>9} {'arrow s':>7} {'ratio':>5} "
          f"{'RSS MiB':>8} {'anon MiB':>8} {'arrow RSS':>9}")
    for r in results:
        p, a = r["prepare"], r["arrow"]
        print(f"{r['competition']:<44} {r['rows']:11,} {r['raw_bytes'] / GB:7.2f} {p['seconds']:9.1f} "
              f"{a['seconds']:7.1f} {p['seconds'] / a['seconds']:5.2f} {p['child_maxrss_mb']:8,.0f} "
              f"{p['peak_anon_mb']:8,.0f} {a['child_maxrss_mb']:9,.0f}")
    _print_phases(results, lambda r: f"{r['key']:<5} {r['rows']:>11,}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--section", choices=("taxi", "sizes", "media", "streaming", "all"), default="taxi",
                        help="taxi: the taxi and image-folder stages (default); sizes: the largest competitions "
                             "at several raw sizes; media: a 1e4-image competition stored and loaded back beside "
                             "datasets' imagefolder; streaming: taxi and H&M preparation at Kaggle's sizes beside "
                             "a plain pyarrow read + write; all: every section")
    parser.add_argument("--taxi-rows", default="5000000,20000000,55000000",
                        help="taxi train.csv rows for --section streaming (Kaggle's has 55 million)")
    parser.add_argument("--hm-sizes", default="4", help="H&M raw sizes in GB for --section streaming")
    parser.add_argument("--rows", type=int, default=5_000_000, help="rows of the synthetic taxi train.csv")
    parser.add_argument("--images", type=int, default=10_000, help="files in the synthetic image folder")
    parser.add_argument("--sizes", default="0.25,1,4", help="raw sizes in GB (2**30 bytes) for --section sizes")
    parser.add_argument("--competitions", default=",".join(LARGEST),
                        help=f"competitions for --section sizes, of: {', '.join(LARGEST)}")
    parser.add_argument("--json", type=Path, default=None, help="also write the sizes results to this file")
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: a temporary one)")
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--competition", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stage:
        print(json.dumps(run_stage(args.stage, args.dir, args.competition)))
        return
    if args.measure:
        print(json.dumps(_measure_child(args.measure, args.dir, args.competition)))
        return
    work = args.dir or Path(tempfile.mkdtemp(prefix="bench-prepare-", dir="/tmp"))
    os.environ.setdefault("MLE_BENCH_HOME", str(work / "home"))
    try:
        if args.section in ("taxi", "all"):
            run_taxi(work, args.rows, args.images)
        if args.section in ("media", "all"):
            run_media(work, args.images)
        if args.section in ("sizes", "all"):
            keys = [k.strip() for k in args.competitions.split(",") if k.strip()]
            unknown = [k for k in keys if k not in LARGEST]
            if unknown:
                parser.error(f"unknown competition key(s) {unknown}; choose from {', '.join(LARGEST)}")
            results = run_sizes(work, [float(x) for x in args.sizes.split(",")], keys)
            print_sizes(results)
            if args.json:
                args.json.write_text(json.dumps(results, indent=1) + "\n")
        if args.section in ("streaming", "all"):
            results = run_streaming(work, [int(float(x)) for x in args.taxi_rows.split(",") if x.strip()],
                                    [float(x) for x in args.hm_sizes.split(",") if x.strip()])
            print_streaming(results)
            if args.json:
                args.json.write_text(json.dumps(results, indent=1) + "\n")
    finally:
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)


def run_taxi(work: Path, rows: int, images: int) -> None:
    """The taxi and image-folder stages (the first section)."""
    t0 = time.perf_counter()
    make_taxi_raw(work / "raw", rows)
    make_image_folder(work / "images", images)
    print(f"data written in {time.perf_counter() - t0:.1f} s under {work}")
    csv_mb = (work / "raw" / "train.csv").stat().st_size / 2**20
    results = [_child(s, work) for s in ("pandas", "prepare", "store", "to_parquet", "images", "copytree")]
    print(f"\ntaxi train.csv: {rows:,} rows, {csv_mb:,.0f} MiB; image folder: {images:,} files\n")
    print(f"{'stage':<12} {'seconds':>8} {'rows/s':>12} {'MiB/s':>8} {'peak MiB':>9}")
    for r in results:
        n = images if r["stage"] in ("images", "copytree") else rows
        mb = (images * 2048 / 2**20) if r["stage"] in ("images", "copytree") else csv_mb
        unit = "files/s" if r["stage"] in ("images", "copytree") else ""
        print(f"{r['stage']:<12} {r['seconds']:8.2f} {n / r['seconds']:12,.0f} {mb / r['seconds']:8.1f} "
              f"{r['peak_mb']:9,.0f} {unit}")


if __name__ == "__main__":
    main()
