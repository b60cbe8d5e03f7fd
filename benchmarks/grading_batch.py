"""Benchmark: grading a whole benchmark's reports at once, beside grading them one by one.

For every competition of ``--split`` (default: MLE-bench's 75) a synthetic case of ``--rows`` rows is made by
its grader (:mod:`competitions.synthetic`); ``--seeds`` submissions per competition (the perfect submission
and the sample submission, alternately) make the batch. Two ways are timed in the same run:

- ``one by one``: :func:`competitions.grade` per submission with the answer and sample paths, reading them
  for every submission (what a loop over reports does);
- ``batch``: :func:`competitions.batch.grade_batch` with ``--workers`` processes, each competition's answers
  and sample read once per chunk.

Both must give the same scores. Printed as a markdown table (docs/grading.md). Usage::

    python -m benchmarks.grading_batch [--rows 20000] [--seeds 3] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from datetime import date
from pathlib import Path
from types import SimpleNamespace


def write_cases(ids: list[str], rows: int, seeds: int, folder: Path) -> tuple[list[dict], dict[str, SimpleNamespace]]:
    """The batch's entries and each competition's files, written under ``folder``."""
    import pandas as pd

    import competitions

    entries, files = [], {}
    for cid in ids:
        comp = competitions.get(cid)
        case = _case(comp, rows)
        root = folder / cid
        root.mkdir(parents=True)
        answers = root / Path(comp.answers).name
        if isinstance(case.answers, list):
            answers.write_text("".join(json.dumps(row) + "\n" for row in case.answers))
        else:
            case.answers.to_csv(answers, index=False)
        sample = root / "sample_submission.csv"
        case.sample_submission.to_csv(sample, index=False)
        files[cid] = SimpleNamespace(answers=answers, sample_submission=sample, dataset_revision=None)
        perfect = root / "perfect.csv"
        case.perfect_submission.to_csv(perfect, index=False)
        for seed in range(seeds):
            entries.append({"competition_id": cid, "submission_path": str(perfect if seed % 2 == 0 else sample)})
    pd.DataFrame(entries).to_csv(folder / "entries.csv", index=False)
    return entries, files


def _case(comp, rows: int):
    """The synthetic case at ``rows`` rows, or fewer where the competition's id space is smaller (leaf: 594)."""
    import numpy as np

    from competitions.synthetic import synthetic_case

    while True:
        try:
            return synthetic_case(comp, rows, np.random.default_rng(0))
        except ValueError:
            if rows < 8:
                raise
            rows //= 2


def _same(a, b) -> bool:
    """Two reports agree on validity and score (NaN equal to NaN)."""
    both_nan = isinstance(a.score, float) and isinstance(b.score, float) and a.score != a.score and b.score != b.score
    return a.valid_submission == b.valid_submission and (both_nan or a.score == b.score)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="all")
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args(argv)

    import competitions
    from competitions.batch import grade_batch

    os.environ.setdefault("MLE_BENCH_LEADERBOARDS",
                          str(Path(__file__).resolve().parents[2] / "shared" / "leaderboards"))
    ids = competitions.ids(args.split)
    with tempfile.TemporaryDirectory() as tmp:
        entries, files = write_cases(ids, args.rows, args.seeds, Path(tmp))
        serial, seconds = [], {}
        start = time.perf_counter()
        for e in entries:
            cid, began = e["competition_id"], time.perf_counter()
            serial.append(competitions.grade(cid, e["submission_path"], files[cid].answers,
                                             files[cid].sample_submission))
            seconds[cid] = seconds.get(cid, 0.0) + time.perf_counter() - began
        serial_s = time.perf_counter() - start
        start = time.perf_counter()
        batch = grade_batch(entries, lambda cid: files[cid], max_workers=args.workers)
        batch_s = time.perf_counter() - start
    differ = [(a.competition_id, a.score, b.score, a.error, b.error) for a, b in zip(serial, batch)
              if not _same(a, b)]
    if differ:
        raise SystemExit(f"the batch's reports differ from the one-by-one reports: {differ[:5]}")
    n = len(entries)
    print(f"{len(ids)} competitions x {args.seeds} seeds = {n} gradings, {args.rows} rows each; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, {date.today()}\n")
    print("| way | workers | seconds | gradings/s |")
    print("|---|---:|---:|---:|")
    print(f"| one by one | 1 | {serial_s:.1f} | {n / serial_s:.2f} |")
    print(f"| batch | {args.workers} | {batch_s:.1f} | {n / batch_s:.2f} |")
    print(f"\nbatch / one by one: {serial_s / batch_s:.2f}x; valid in both: "
          f"{sum(r.valid_submission for r in batch)} of {n}")
    slowest = sorted(seconds.items(), key=lambda kv: -kv[1])[:5]
    print("slowest competitions one by one (all seeds): " + ", ".join(f"{c} {s:.1f} s" for c, s in slowest))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
