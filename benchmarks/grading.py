"""Benchmark: grading (read + validate + grade) beside pyarrow's plain CSV read of the same file (the floor).

For each grader family (classification, ranking, detection, probabilistic_regression, text_segmentation and
RLE segmentation) representative competitions get a synthetic case of ``--rows`` rows (or the competition's
real test size where that is smaller, see ``CASES``) made by :mod:`competitions.synthetic`; its perfect
submission is written as CSV twice: in the sample submission's row order (what agents write) and shuffled.
Each stage runs in a fresh child process, once to warm up (imports, the contract's set-up) and then ``--repeats``
times (median):

- ``read``: ``pyarrow.csv.read_csv(path)``, pyarrow's default thread count (ours reads with the same);
- ``grade``: ``competitions.grade(id, path, answers, sample_submission)``: our typed read, the contract, the
  grader and the medals (answers are read before the clock starts: they are the host's, read once per batch).

Printed: rows, CSV MiB, the two times, grade / read for both row orders, and the grade stage's peak extra
memory (VmHWM reset before the stage, Linux). ``--write-doc`` rewrites the table in docs/grading.md::

    python -m benchmarks.grading --write-doc            # every case, 1e6 rows, 3 repeats
    python -m benchmarks.grading --rows 100000 --only aerial-cactus-identification
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "grading.md"
BEGIN, END = "<!-- grading-speed table: begin -->", "<!-- grading-speed table: end -->"


@dataclass(frozen=True)
class Case:
    family: str
    label: str
    competition: str
    #: most rows (the competition's real test size where that is under --rows); None: --rows
    max_rows: int | None = None


#: large-test competitions where there are some; ``max_rows`` is the real test size (from MLE-bench's split)
CASES = [
    Case("classification", "accuracy, labels", "cdiscount-image-classification-challenge"),
    Case("ranking", "binary AUC", "tabular-playground-series-may-2022", 100_000),
    Case("ranking", "MAP@K strings", "h-and-m-personalized-fashion-recommendations"),
    Case("probabilistic_regression", "log loss, 3 classes", "lmsys-chatbot-arena", 5_748),
    Case("probabilistic_regression", "MAE", "ventilator-pressure-prediction", 603_600),
    Case("detection", "mAP boxes", "vinbigdata-chest-xray-abnormalities-detection", 1_500),
    Case("text_segmentation", "Levenshtein text", "bms-molecular-translation", 484_837),
    Case("segmentation", "RLE IoU mAP", "tgs-salt-identification-challenge", 1_000),
    Case("segmentation", "RLE Dice (stress: 1e5 synthetic masks)", "google-research-identify-contrails-reduce-global-warming",
         100_000),
]
STAGES = ("read", "grade")
ORDERS = ("sample", "shuffled")


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


def child(cid: str, folder: Path, stage: str, order: str, repeats: int) -> dict:
    """Run one stage ``repeats`` times in this (fresh) process; return times and peak extra memory."""
    import pandas as pd
    import pyarrow.csv as pacsv

    import competitions
    from competitions.grading import read_answers

    comp = competitions.get(cid)
    sub = folder / f"submission_{order}.csv"
    sample = pd.read_parquet(folder / "sample.parquet")
    answers = read_answers(comp, folder / "answers.csv") if stage == "grade" else None
    os.environ.setdefault("MLE_BENCH_LEADERBOARDS", str(ROOT.parent / "shared" / "leaderboards"))

    def once() -> object:
        if stage == "read":
            return pacsv.read_csv(sub).num_rows
        report = competitions.grade(comp, sub, answers, sample)
        return report.valid_submission, report.score, report.error

    once()  # warm-up: imports and one-off set-up (contract, leaderboard) are not per-file costs
    _reset_peak()
    before = _status_kib("VmRSS")
    times = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = once()
        times.append(time.perf_counter() - start)
    peak = _status_kib("VmHWM")
    return {"times": times, "peak_mib": max(0, peak - before) / 1024, "result": result}


def make_case(cid: str, rows: int, folder: Path) -> dict:
    """Write the synthetic answers, sample submission and the perfect submission (in the sample's row order and
    shuffled) of ``cid`` into ``folder``."""
    import numpy as np
    import pandas as pd

    import competitions
    from competitions.synthetic import synthetic_case

    comp = competitions.get(cid)
    case = synthetic_case(comp, rows, np.random.default_rng(0))
    answers = case.answers if isinstance(case.answers, pd.DataFrame) else pd.DataFrame(case.answers)
    answers.to_csv(folder / "answers.csv", index=False)
    sample = case.sample_submission
    sample.to_parquet(folder / "sample.parquet")
    perfect = case.perfect_submission
    ids = list(comp.id_columns)
    order = sample[ids].reset_index().merge(perfect[ids].reset_index(), on=ids, suffixes=("_s", "_p"), how="left")
    in_sample = order.dropna().sort_values("index_s")["index_p"].astype(int).to_numpy()
    rest = np.setdiff1d(np.arange(len(perfect)), in_sample)
    perfect.iloc[np.concatenate([in_sample, rest])].to_csv(folder / "submission_sample.csv", index=False)
    perfect.sample(frac=1.0, random_state=1).to_csv(folder / "submission_shuffled.csv", index=False)
    return {"rows": len(perfect), "columns": perfect.shape[1],
            "mib": (folder / "submission_sample.csv").stat().st_size / 2**20}


def run_stage(cid: str, folder: Path, stage: str, order: str, repeats: int) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.grading", "--child", cid, str(folder), stage, order, str(repeats)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"{cid} {stage} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(case: Case, rows: int, repeats: int) -> dict:
    """Every stage of one case, both row orders."""
    n = min(rows, case.max_rows or rows)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        info = make_case(case.competition, n, folder)
        res = {(s, o): run_stage(case.competition, folder, s, o, repeats) for o in ORDERS for s in STAGES}
    med = {k: statistics.median(v["times"]) for k, v in res.items()}
    row = {**info, "case": case, "median": med, "grade_mib": res[("grade", "shuffled")]["peak_mib"]}
    row["invalid"] = [f"{o}: {res[('grade', o)]['result'][2]}" for o in ORDERS if not res[("grade", o)]["result"][0]]
    return row


def table(rows: list[dict]) -> list[str]:
    lines = ["| family | case | competition | rows | cols | CSV MiB | read s | grade s (sample order) | "
             "grade / read | grade s (shuffled) | grade / read | grade MiB |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        c, m = r["case"], r["median"]
        read = (m[("read", "sample")] + m[("read", "shuffled")]) / 2
        lines.append(f"| {c.family} | {c.label} | {c.competition} | {r['rows']:,} | {r['columns']} | {r['mib']:.1f} | "
                     f"{read:.2f} | {m[('grade', 'sample')]:.2f} | {m[('grade', 'sample')] / read:.1f} | "
                     f"{m[('grade', 'shuffled')]:.2f} | {m[('grade', 'shuffled')] / read:.1f} | {r['grade_mib']:.0f} |")
    return lines


def write_doc(lines: list[str], argv: list[str]) -> None:
    text = DOC.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{DOC}: the markers {BEGIN!r} and {END!r} are missing")
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    command = " ".join(["python -m benchmarks.grading", *argv])
    body = [BEGIN, f"Measured {when} on {machine} with `{command}`.", "", *lines, END]
    start, stop = text.index(BEGIN), text.index(END) + len(END)
    DOC.write_text(text[:start] + "\n".join(body) + text[stop:])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", action="append", default=None, help="competition id(s) to run")
    parser.add_argument("--write-doc", action="store_true", help=f"rewrite the table in {DOC.relative_to(ROOT)}")
    parser.add_argument("--child", nargs=5, metavar=("ID", "DIR", "STAGE", "ORDER", "REPEATS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        cid, folder, stage, order, repeats = args.child
        print(json.dumps(child(cid, Path(folder), stage, order, int(repeats)), default=str))
        return 0
    rows = []
    for case in CASES:
        if args.only and case.competition not in args.only:
            continue
        try:
            row = measure(case, args.rows, args.repeats)
        except Exception as err:  # one case failing must not hide the others
            print(f"{case.label:32} {case.competition:46} failed: {str(err).splitlines()[0][:200]}", flush=True)
            continue
        rows.append(row)
        print(table([row])[-1], flush=True)
        for note in row["invalid"]:
            print(f"    (graded invalid, {note})", flush=True)
    print("\n".join(table(rows)))
    if args.write_doc:
        write_doc(table(rows), [a for a in argv if a != "--write-doc"] + ["--write-doc"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
