"""Benchmark: validate and grade large submissions beside pyarrow's plain CSV read of the same file (the floor).

For each representative competition (binary AUC, multiclass log loss with 120 classes, MAP@K strings, RLE
Dice) a synthetic case of ``--rows`` rows is made by the competition's grader and its perfect submission is
written as CSV. Each stage then runs in a fresh child process, ``--repeats`` times:

- ``read``: ``pyarrow.csv.read_csv(path)``, the floor;
- ``validate``: ``schemas.validate(id, path, sample_submission)`` (read with dtypes + the whole contract);
- ``grade``: ``competitions.grade(id, path, answers, sample_submission)`` (read, contract, metric, medals).

Printed: the median time of the repeats, the stage's peak extra memory (the child's peak RSS, VmHWM reset
just before the stage, minus its RSS then; Linux), and grade / read. Usage::

    python -m benchmarks.grading [--rows 1000000] [--repeats 3] [--only dog-breed-identification]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


CASES = [
    ("binary AUC", "aerial-cactus-identification"),
    ("log loss, 120 classes", "dog-breed-identification"),
    ("MAP@K strings", "h-and-m-personalized-fashion-recommendations"),
    ("RLE Dice", "hubmap-kidney-segmentation"),
]
STAGES = ("read", "validate", "grade")


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _reset_peak() -> None:
    """Reset this process's peak RSS (VmHWM) to its current RSS (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def child(cid: str, folder: Path, stage: str, repeats: int) -> dict:
    """Run one stage ``repeats`` times in this (fresh) process; return times and peak extra memory."""
    import pandas as pd
    import pyarrow.csv as pacsv

    import competitions
    import schemas
    from competitions.grading import read_answers

    comp = competitions.get(cid)
    sub = folder / "submission.csv"
    sample = pd.read_parquet(folder / "sample.parquet")
    answers = read_answers(comp, folder / "answers.csv") if stage == "grade" else None
    os.environ.setdefault("MLE_BENCH_LEADERBOARDS", str(Path(__file__).resolve().parents[2] / "shared" / "leaderboards"))
    _reset_peak()
    before = _status_kib("VmRSS")
    times = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        if stage == "read":
            result = pacsv.read_csv(sub).num_rows
        elif stage == "validate":
            report = schemas.validate(comp, sub, sample)
            result = report.valid
        else:
            report = competitions.grade(comp, sub, answers, sample)
            result = (report.valid_submission, report.score, report.error)
        times.append(time.perf_counter() - start)
    peak = _status_kib("VmHWM")
    return {"times": times, "peak_mib": max(0, peak - before) / 1024, "result": result}


def make_case(cid: str, rows: int, folder: Path) -> dict:
    """Write the synthetic answers, sample submission and perfect submission of ``cid`` into ``folder``."""
    import numpy as np
    import pandas as pd

    import competitions
    from competitions.synthetic import synthetic_case

    comp = competitions.get(cid)
    case = synthetic_case(comp, rows, np.random.default_rng(0))
    answers = case.answers if isinstance(case.answers, pd.DataFrame) else pd.DataFrame(case.answers)
    answers.to_csv(folder / "answers.csv", index=False)
    case.sample_submission.to_parquet(folder / "sample.parquet")
    case.perfect_submission.to_csv(folder / "submission.csv", index=False)
    return {"rows": len(case.perfect_submission), "columns": case.perfect_submission.shape[1],
            "mib": (folder / "submission.csv").stat().st_size / 2**20}


def run_stage(cid: str, folder: Path, stage: str, repeats: int) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.grading", "--child", cid, str(folder), stage, str(repeats)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{cid} {stage} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", action="append", default=None, help="competition id(s) to run")
    parser.add_argument("--child", nargs=4, metavar=("ID", "DIR", "STAGE", "REPEATS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        cid, folder, stage, repeats = args.child
        print(json.dumps(child(cid, Path(folder), stage, int(repeats)), default=str))
        return 0
    header = (f"{'case':24} {'competition':46} {'rows':>9} {'cols':>4} {'MiB':>7} "
              f"{'read s':>7} {'valid. s':>8} {'grade s':>8} {'read MiB':>8} {'valid. MiB':>10} "
              f"{'grade MiB':>9} {'grade/read':>10}")
    print(header)
    for label, cid in CASES:
        if args.only and cid not in args.only:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            try:
                info = make_case(cid, args.rows, folder)
                res = {s: run_stage(cid, folder, s, args.repeats) for s in STAGES}
            except Exception as err:  # one case failing must not hide the others
                print(f"{label:24} {cid:46} failed: {str(err).splitlines()[0][:200]}")
                continue
        med = {s: statistics.median(res[s]["times"]) for s in STAGES}
        print(f"{label:24} {cid:46} {info['rows']:>9} {info['columns']:>4} {info['mib']:>7.1f} "
              f"{med['read']:>7.2f} {med['validate']:>8.2f} {med['grade']:>8.2f} "
              f"{res['read']['peak_mib']:>8.0f} {res['validate']['peak_mib']:>10.0f} "
              f"{res['grade']['peak_mib']:>9.0f} {med['grade'] / med['read']:>10.1f}")
        grade_result = res["grade"]["result"]
        if not grade_result[0]:
            print(f"    (graded invalid: {grade_result[2]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
