"""Benchmark: ``mle-bench demo``'s wall time and peak memory, per stage and per competition, on this machine.

Per competition, in a fresh interpreter each (so that peak memory is the competition's own):

- ``fixture``: ``make_raw_fixture`` (the synthetic raw download);
- ``prepare``: ``mle_datasets.prepare`` (raw contract, MLE-bench v1's split, prepared contract);
- ``store``: ``Store.add`` and ``resolve`` (parquet shards, typed media columns, git; the checked hand-off);
- ``sample``: grading the sample submission on the host;
- ``baseline``: the baseline agent as the runner starts it (``python -m runner.agents.baseline`` with its spec's
  environment), its own process: wall time and peak RSS (``wait4``).

Then the whole demo as a newcomer runs it (``mle-bench demo`` in a fresh process, local backend): wall time,
CPU time, the peak RSS of the harness and of its largest child, and the closing line. Beside it, measured in
the same run: the floor every agent run pays (an interpreter importing numpy, pandas and scikit-learn), and
the sum of the stages run one after another (what the demo's pipelining saves). The load average is printed
with the figures: other work on the machine slows every stage.

The aim (issue 15): under 3 minutes for the whole demo on 2 cores, after the install.

Usage: ``python -m benchmarks.demo [--competitions lite] [--skip-stages] [--skip-demo] [--json FILE]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AIM_SECONDS = 180.0
ROOT = Path(__file__).parents[1]


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prepare_stages(cid: str, work: Path) -> dict:
    """Run the preparation stages of ``cid`` in this interpreter; seconds per stage (imports excluded) and
    the peak RSS after each one."""
    import competitions
    from mle_datasets import Store, make_raw_fixture, prepare, resolve
    from mle_datasets.preparers import preparer_ids

    preparer_ids()
    competitions.get(cid)
    out: dict = {"competition": cid}
    t0 = time.perf_counter()
    raw = make_raw_fixture(cid, work / "raw" / cid)
    out["fixture_s"], out["fixture_mib"] = time.perf_counter() - t0, _peak_mib()
    t0 = time.perf_counter()
    prepared = prepare(cid, raw, work / "prepared" / cid)
    out["prepare_s"], out["prepare_mib"] = time.perf_counter() - t0, _peak_mib()
    t0 = time.perf_counter()
    store = Store(work / "store")
    store.add(prepared)
    ref = resolve(cid, store=store)
    out["store_s"], out["store_mib"] = time.perf_counter() - t0, _peak_mib()
    t0 = time.perf_counter()
    report = competitions.grade(cid, ref.sample_submission, ref.answers, sample_submission=ref.sample_submission)
    out["sample_s"], out["sample_mib"] = time.perf_counter() - t0, _peak_mib()
    out["sample_score"] = report.score
    out["public_dir"], out["answers"], out["sample"] = str(ref.public_dir), str(ref.answers), str(ref.sample_submission)
    return out


#: A small process that starts every measured command: Linux hands a child its parent's peak RSS at fork, so
#: children forked from this benchmark (which grows as it grades) would report the benchmark's peak, not theirs.
LAUNCHER = """
import json, os, subprocess, sys, tempfile, time
for line in sys.stdin:
    job = json.loads(line)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(job["cmd"], env=job["env"], cwd=job["cwd"], stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)  # waited here: wait4 reports the child's own usage
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        print(json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_mib": usage.ru_maxrss / 1024,
                          "code": proc.returncode, "stdout": out.read().decode(errors="replace"),
                          "stderr": err.read().decode(errors="replace")[-3000:]}), flush=True)
"""


class Launcher:
    """Runs commands from a process started while the benchmark was small; reports ``wait4``'s figures."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", LAUNCHER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)

    def run(self, command: list[str], env: dict[str, str] | None = None) -> dict:
        """{wall, cpu, peak_mib, code, stdout, stderr} of ``command``, run from the repository root."""
        job = {"cmd": command, "env": dict(env or os.environ), "cwd": str(ROOT)}
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


def stage_child(launcher: Launcher, cid: str, work: Path) -> dict:
    """The preparation stages of ``cid`` in a fresh interpreter, with its peak RSS."""
    result = launcher.run([sys.executable, "-m", "benchmarks.demo", "--stage", cid, "--dir", str(work)])
    if result["code"] != 0:
        raise SystemExit(f"preparing {cid} failed:\n{result['stderr']}")
    stage = json.loads(result["stdout"].strip().splitlines()[-1])
    stage["prep_peak_mib"] = result["peak_mib"]
    return stage


def baseline_run(launcher: Launcher, stage: dict, work: Path) -> dict:
    """The baseline agent on one prepared competition, as the local backend starts it; graded after."""
    import competitions
    from runner.agent_spec import load_agent

    spec = load_agent("baseline")
    out_dir = work / "submissions" / stage["competition"]
    env = {**os.environ, **spec.env, "DATA_DIR": stage["public_dir"], "SUBMISSION_DIR": str(out_dir),
           "COMPETITION_ID": stage["competition"], "SEED": "0"}
    run = launcher.run([sys.executable, "-m", "runner.agents.baseline"], env=env)
    result = {"baseline_s": run["wall"], "baseline_cpu_s": run["cpu"], "baseline_mib": run["peak_mib"],
              "baseline_exit": run["code"]}
    if run["code"] == 0:
        report = competitions.grade(stage["competition"], out_dir / "submission.csv", stage["answers"],
                                    sample_submission=stage["sample"])
        result["baseline_score"] = report.score
    return result


def agent_floor(launcher: Launcher, repeats: int = 3) -> tuple[float, float]:
    """Median wall seconds and peak MiB of an interpreter importing what the baseline imports."""
    runs = [launcher.run([sys.executable, "-c", "import numpy, pandas, sklearn.linear_model, sklearn.ensemble"])
            for _ in range(repeats)]
    return statistics.median(r["wall"] for r in runs), statistics.median(r["peak_mib"] for r in runs)


def whole_demo(launcher: Launcher, competitions_arg: str, work: Path) -> dict:
    """``mle-bench demo`` as a newcomer runs it: wall, CPU, peak RSS (the harness or its largest child)."""
    run = launcher.run([sys.executable, "-m", "mlebench.cli", "demo", "--competitions", competitions_arg,
                        "--workdir", str(work)])
    closing = next((line for line in run["stdout"].splitlines() if line.startswith("baseline beats")), "")
    return {"demo_s": run["wall"], "demo_cpu_s": run["cpu"], "demo_mib": run["peak_mib"], "demo_exit": run["code"],
            "closing": closing, "table": run["stdout"]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--competitions", default="lite", help="split name or comma list of ids (default: lite)")
    parser.add_argument("--skip-stages", action="store_true", help="only the whole demo")
    parser.add_argument("--skip-demo", action="store_true", help="only the stages")
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: a temporary one)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stage:
        print(json.dumps(prepare_stages(args.stage, args.dir)))
        return
    launcher = Launcher()  # first, while this process is small
    from mlebench.cli_run import competition_list

    ids = competition_list(args.competitions)
    work = args.dir or Path(tempfile.mkdtemp(prefix="bench-demo-"))
    load_before = os.getloadavg()
    print(f"{os.cpu_count()} cores, load average {load_before[0]:.1f} at start; work folder {work}")
    floor_s, floor_mib = agent_floor(launcher)
    rows: list[dict] = []
    if not args.skip_stages:
        for cid in ids:
            stage = stage_child(launcher, cid, work / "stages")
            stage.update(baseline_run(launcher, stage, work / "stages"))
            rows.append(stage)
            print(f"  {cid}: {sum(stage[k] for k in ('fixture_s', 'prepare_s', 'store_s', 'sample_s')):.1f}s to "
                  f"prepare, {stage['baseline_s']:.1f}s baseline", flush=True)
        print()
        header = (f"{'competition':<48} {'fixture':>7} {'prepare':>7} {'store':>6} {'sample':>6} {'prep MiB':>8} "
                  f"{'baseline':>8} {'cpu':>5} {'MiB':>5}")
        print(header)
        print("-" * len(header))
        for r in rows:
            print(f"{r['competition']:<48} {r['fixture_s']:7.2f} {r['prepare_s']:7.2f} {r['store_s']:6.2f} "
                  f"{r['sample_s']:6.2f} {r['prep_peak_mib']:8.0f} {r['baseline_s']:8.2f} {r['baseline_cpu_s']:5.1f} "
                  f"{r['baseline_mib']:5.0f}")
        totals = {k: sum(r[k] for r in rows) for k in ("fixture_s", "prepare_s", "store_s", "sample_s", "baseline_s")}
        print("-" * len(header))
        print(f"{'total (one after another)':<48} {totals['fixture_s']:7.1f} {totals['prepare_s']:7.1f} "
              f"{totals['store_s']:6.1f} {totals['sample_s']:6.1f} {max(r['prep_peak_mib'] for r in rows):8.0f} "
              f"{totals['baseline_s']:8.1f} {sum(r['baseline_cpu_s'] for r in rows):5.0f} "
              f"{max(r['baseline_mib'] for r in rows):5.0f}")
        print(f"\nreference: an agent's floor (interpreter + numpy, pandas, scikit-learn imports) {floor_s:.2f}s, "
              f"{floor_mib:.0f} MiB; x{len(ids)} runs = {floor_s * len(ids):.0f}s of the baseline's "
              f"{totals['baseline_s']:.0f}s")
        sequential = sum(totals.values())
        print(f"stages one after another (no runner, no dummy): {sequential:.0f}s")
    demo: dict = {}
    if not args.skip_demo:
        shutil.rmtree(work / "demo", ignore_errors=True)
        demo = whole_demo(launcher, args.competitions, work / "demo")
        load_after = os.getloadavg()
        print(f"\nmle-bench demo --competitions {args.competitions}: {demo['demo_s']:.0f}s wall "
              f"(aim {AIM_SECONDS:.0f}s: {'met' if demo['demo_s'] < AIM_SECONDS else 'missed'}), "
              f"{demo['demo_cpu_s']:.0f}s CPU, peak {demo['demo_mib']:.0f} MiB (harness or its largest child), "
              f"exit {demo['demo_exit']}; load average {load_after[0]:.1f} at the end")
        print(demo["closing"] or "(no closing line: see the demo's output)")
    if args.json:
        args.json.write_text(json.dumps({"cores": os.cpu_count(), "load_start": load_before[0], "floor_s": floor_s,
                                         "floor_mib": floor_mib, "stages": rows,
                                         **{k: v for k, v in demo.items() if k != "table"}}, indent=1))
    launcher.close()
    if args.dir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
