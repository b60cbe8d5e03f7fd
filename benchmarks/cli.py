"""Command-line start-up: wall time of ``mle-bench --help``, ``list``, ``validate`` and ``grade-sample``, each a
fresh process (the median of N runs), beside ``python -c pass`` and ``python -c "import pandas, pandera"``
(the imports ``--help`` and ``list`` no longer pay) measured in the same run.

``validate`` and ``grade-sample`` run on a tiny competition (synthetic spooky-author-identification) that the
benchmark prepares into a store of its own, so nothing of the user's store is read.

    python -m benchmarks.cli [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CID = "spooky-author-identification"


def _tiny_store(root: Path) -> tuple[Path, Path]:
    """A store holding the synthetic competition; returns (store root, its sample submission)."""
    import mle_datasets

    raw = mle_datasets.make_raw_fixture(CID, root / "raw")
    store = mle_datasets.Store(root / "store")
    store.add(mle_datasets.prepare(CID, raw, root / "prepared"))
    return store.root, mle_datasets.resolve(CID, store=store).sample_submission


def _cli() -> list[str]:
    """The installed ``mle-bench`` script (what users run), else the module through this interpreter."""
    script = shutil.which("mle-bench", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "mlebench.cli"]


def time_command(argv: list[str], runs: int, env: dict[str, str]) -> list[float]:
    """Wall seconds of ``runs`` fresh processes of ``argv`` (each must exit 0)."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        times.append(time.perf_counter() - began)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="processes per command (the median is shown)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        store, sample = _tiny_store(Path(tmp))
        env = {**os.environ, "MLE_BENCH_HOME": str(store)}
        cli = _cli()
        rows = [
            ("`python -c pass` (reference)", [sys.executable, "-c", "pass"]),
            ("`python -c \"import pandas, pandera\"` (reference)",
             [sys.executable, "-c", "import pandas, pandera.pandas"]),
            ("`mle-bench --help`", [*cli, "--help"]),
            ("`mle-bench list`", [*cli, "list"]),
            ("`mle-bench validate` (tiny competition)", [*cli, "validate", str(sample), "-c", CID]),
            ("`mle-bench grade-sample` (tiny competition)", [*cli, "grade-sample", str(sample), CID]),
        ]
        results = [(name, time_command(command, args.runs, env)) for name, command in rows]
    base = statistics.median(results[0][1])
    print(f"{args.runs} runs each, {platform.python_implementation()} {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d')}; command: {' '.join(cli)}\n")
    print("| command | median s | min s | minus `python -c pass`, s |")
    print("|---|---:|---:|---:|")
    for name, times in results:
        median = statistics.median(times)
        print(f"| {name} | {median:.3f} | {min(times):.3f} | {median - base:.3f} |")


if __name__ == "__main__":
    main()
