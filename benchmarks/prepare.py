"""Benchmark: preparing and storing a large competition, beside pandas' plain read_csv + to_csv of the same data.

Stages, each in a fresh interpreter so its peak memory (max RSS) is its own:

- ``pandas``: ``pd.read_csv`` + ``DataFrame.to_csv`` of the raw ``train.csv`` (the reference round trip);
- ``prepare``: ``mle_datasets.prepare`` of new-york-city-taxi-fare-prediction (raw checksums, raw contract,
  the MLE-bench v1 split, description, prepared contract, atomic rename);
- ``store``: ``Store.add`` of that preparation (CSV -> parquet shards, streamed; sha256 of every file; git
  commit and tag);
- ``to_parquet``: the store's streaming CSV -> parquet conversion alone, on the raw ``train.csv``;
- ``images`` / ``copytree``: ``Store.add`` of a public folder with many small image files (tar shards) beside
  ``shutil.copytree`` of the same folder.

Usage: ``python -m benchmarks.prepare [--rows 5000000] [--images 10000] [--dir DIR]``.
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
import time
from pathlib import Path

TAXI = "new-york-city-taxi-fare-prediction"


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


def _image_spec():
    from competitions.spec import parse_spec

    return parse_spec({
        "id": "bench-images", "name": "Bench images", "category": "Image", "split": "dev",
        "awards_medals": False, "metric": "auc", "lower_is_better": False, "id_columns": ["id"],
        "submission_columns": [{"name": "id"}, {"name": "label", "dtype": "float", "domain": "probability"}],
        "answers": "private/test.csv", "sample_submission": "public/sample_submission.csv",
        "grader": "binary_auc", "version": "1.0.0", "description": "Benchmark.",
    })


def run_stage(stage: str, work: Path) -> dict:
    """Run one stage in this interpreter; return its seconds (imports excluded) and peak RSS."""
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
    else:
        raise SystemExit(f"unknown stage {stage}")
    seconds = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"stage": stage, "seconds": seconds, "peak_mb": peak_mb}


def _child(stage: str, work: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--stage", stage, "--dir", str(work)], capture_output=True,
                         text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"stage {stage} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=5_000_000, help="rows of the synthetic taxi train.csv")
    parser.add_argument("--images", type=int, default=10_000, help="files in the synthetic image folder")
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: a temporary one)")
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stage:
        print(json.dumps(run_stage(args.stage, args.dir)))
        return
    work = args.dir or Path(tempfile.mkdtemp(prefix="bench-prepare-"))
    os.environ.setdefault("MLE_BENCH_HOME", str(work / "home"))
    t0 = time.perf_counter()
    make_taxi_raw(work / "raw", args.rows)
    make_image_folder(work / "images", args.images)
    print(f"data written in {time.perf_counter() - t0:.1f} s under {work}")
    csv_mb = (work / "raw" / "train.csv").stat().st_size / 2**20
    results = [_child(s, work) for s in ("pandas", "prepare", "store", "to_parquet", "images", "copytree")]
    print(f"\ntaxi train.csv: {args.rows:,} rows, {csv_mb:,.0f} MiB; image folder: {args.images:,} files\n")
    print(f"{'stage':<12} {'seconds':>8} {'rows/s':>12} {'MiB/s':>8} {'peak MiB':>9}")
    for r in results:
        n = args.images if r["stage"] in ("images", "copytree") else args.rows
        mb = (args.images * 2048 / 2**20) if r["stage"] in ("images", "copytree") else csv_mb
        unit = "files/s" if r["stage"] in ("images", "copytree") else ""
        print(f"{r['stage']:<12} {r['seconds']:8.2f} {n / r['seconds']:12,.0f} {mb / r['seconds']:8.1f} "
              f"{r['peak_mb']:9,.0f} {unit}")
    if args.dir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
