"""Runner benchmarks, each beside a reference measured in the same run. Needs a Docker engine (DOCKER_HOST).

- ``overhead``: a no-op agent through the docker backend beside a plain ``docker run --rm`` of the same image:
  create-to-agent-start (the agent prints the time it started), agent-end-to-teardown-done and the whole run,
  then the throughput of N no-op runs at parallelism 1, 2 and 4 beside the same number of plain runs.
- ``flood``: the harness's own memory and CPU for one run while the agent floods the validation socket (four
  threads sending 200 MiB requests without pause, and connections that stall), beside a run of the same wall
  clock whose agent only sleeps; plus what the service's bounded checks cost.
- ``grading``: bounded grading (:func:`runner.grading.grade_submission`: the size check, then read, contract,
  metric and medals in a capped child) of submissions of 10 MB, 100 MB and 1 GB, beside pyarrow's plain
  ``read_csv`` of the same file in a child made the same way: time, CPU and peak memory of each.

    python -m benchmarks.runner [--only overhead,flood,grading] [--runs 8] [--repeats 5] [--sizes 10,100,1000]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from runner.agent_spec import parse_agent_spec
from runner.backends import RunRequest
from runner.backends.docker import DockerBackend, docker_client
from runner.images import BUSYBOX_IMAGE, PYTHON_IMAGE, build_busybox_image, build_python_image

SPOOKY = "spooky-author-identification"


# -- overhead ---------------------------------------------------------------------------------------

def _request(root: Path, i: int) -> RunRequest:
    public = root / "public"
    public.mkdir(exist_ok=True)
    instructions = root / "instructions.txt"
    instructions.write_text("noop")
    agent = parse_agent_spec({"name": "noop", "image": BUSYBOX_IMAGE, "command": ["sh", "-c", "cat /proc/uptime"],
                              "resources": {"cpus": 1, "memory": "64m", "wall_clock": 60}})
    return RunRequest(run_id=f"r{i}", agent=agent, competition_id="bench", seed=i, public_dir=public,
                      run_dir=root / f"run{i}", instructions=instructions)


def _uptime() -> float:
    # The kernel's uptime clock, which containers share with the host (busybox's date has no sub-seconds).
    return float(Path("/proc/uptime").read_text().split()[0])


def one_run(backend: DockerBackend, request: RunRequest) -> tuple[float, float, float]:
    """(create-to-start, end-to-teardown, total) seconds for one no-op run."""
    t0 = _uptime()
    outcome = backend.run(request)
    t1 = _uptime()
    started = float(request.output_log.read_text().split()[0])
    if outcome.exit_code != 0:
        raise RuntimeError(f"no-op run failed: {outcome}")
    return started - t0, t1 - started, t1 - t0


def plain_docker_run() -> float:
    t0 = time.time()
    subprocess.run(["docker", "run", "--rm", "--network", "none", BUSYBOX_IMAGE, "true"], check=True,
                   capture_output=True)
    return time.time() - t0


def overhead(runs: int, repeats: int) -> None:
    build_busybox_image(docker_client())
    backend = DockerBackend()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        samples = [one_run(backend, _request(root, i)) for i in range(repeats)]
        plain = [plain_docker_run() for _ in range(repeats)]
        print(f"{'per run (median of ' + str(repeats) + ')':<40}{'seconds':>10}")
        print(f"{'create -> agent start':<40}{statistics.median(s[0] for s in samples):>10.3f}")
        print(f"{'agent end -> teardown done':<40}{statistics.median(s[1] for s in samples):>10.3f}")
        print(f"{'whole run (docker backend)':<40}{statistics.median(s[2] for s in samples):>10.3f}")
        print(f"{'plain docker run --rm':<40}{statistics.median(plain):>10.3f}")
        print()
        print(f"{'parallelism':<14}{'backend runs/s':>16}{'plain runs/s':>16}{'ratio':>8}")
        for parallel in (1, 2, 4):
            with ThreadPoolExecutor(parallel) as pool:
                t0 = time.time()
                list(pool.map(lambda i: backend.run(_request(root, 1000 + i)), range(runs)))
                ours = runs / (time.time() - t0)
                t0 = time.time()
                list(pool.map(lambda _: plain_docker_run(), range(runs)))
                theirs = runs / (time.time() - t0)
            print(f"{parallel:<14}{ours:>16.2f}{theirs:>16.2f}{ours / theirs:>8.2f}")


# -- the validation socket flooded ------------------------------------------------------------------

FLOODER = """
import os, socket, threading, time
path = os.environ["VALIDATE_SOCKET"]
if os.environ.get("QUIET"):
    time.sleep(600)
chunk = b"id,EAP,HPL,MWS\\n" + b"id00001,0.3,0.3,0.4\\n" * 52000
def flood():
    while True:
        try:
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(30)
            s.connect(path)
            for _ in range(200):
                s.sendall(chunk)
            s.shutdown(socket.SHUT_WR)
            s.recv(65536)
        except OSError:
            time.sleep(0.01)
for _ in range(4):
    threading.Thread(target=flood, daemon=True).start()
held = []
for _ in range(8):
    try:
        s = socket.socket(socket.AF_UNIX); s.connect(path); s.send(b"id,"); held.append(s)
    except OSError:
        pass
time.sleep(600)
"""


def _rss() -> int:
    import os

    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _prepared_spooky(work: Path):
    from mle_datasets import Store, make_raw_fixture, prepare, resolve

    store = Store(work / "store")
    store.add(prepare(SPOOKY, make_raw_fixture(SPOOKY, work / "raw"), work / "prepared"))
    return lambda cid: resolve(cid, store=store)


def flood(wall_clock: float) -> None:
    import os
    import resource

    from runner.rungroup import RunGroup

    client = docker_client()
    build_python_image(client, Path(os.environ.get("MLE_BENCH_IMAGE_CACHE", Path.home() / ".cache" /
                                                   "open-mle-bench" / "images")))
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory(prefix="mlb", dir="/tmp") as scratch:
        root = Path(tmp)
        data = _prepared_spooky(root)
        rows = []
        small = {"max_request_bytes": 8 * 1024**2, "request_seconds": 3}
        for label, quiet, limits in (("quiet agent (sleeps)", True, {}), ("flooding agent", False, {}),
                                     ("flooding, 8 MiB / 3 s", False, small)):
            agent = parse_agent_spec({"name": "flood", "image": PYTHON_IMAGE, "command": ["python3", "-c", FLOODER],
                                      "env": {"QUIET": "1"} if quiet else {},
                                      "resources": {"memory": "256m", "cpus": 1, "wall_clock": wall_clock}})
            group = RunGroup(agent, [SPOOKY], root / f"g-{len(rows)}", DockerBackend(), data, retries=0,
                             scratch_dir=Path(scratch), validation_limits=limits)
            before_rss, peak = _rss(), [_rss()]
            done = threading.Event()

            def sample() -> None:
                while not done.is_set():
                    peak[0] = max(peak[0], _rss())
                    time.sleep(0.05)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            usage0 = resource.getrusage(resource.RUSAGE_SELF)
            t0 = time.monotonic()
            (meta,) = group.run()
            wall = time.monotonic() - t0
            usage1 = resource.getrusage(resource.RUSAGE_SELF)
            done.set()
            sampler.join()
            stats = meta["validation"]
            cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
            rows.append((label, wall, cpu, (peak[0] - before_rss) / 2**20, stats["requests"], stats["too_large"],
                         stats["timed_out"], stats["bytes_received"] / 2**20, stats["check_cpu_seconds"],
                         stats["check_peak_rss"] / 2**20))
        print(f"one run, wall clock {wall_clock:g} s; the service's default limits: requests of 1 GiB, 120 s, "
              "one at a time")
        print(f"{'agent':<24}{'run s':>7}{'harness CPU s':>15}{'harness +MiB':>14}{'requests':>10}{'too large':>11}"
              f"{'timed out':>11}{'MiB read':>10}{'checks CPU s':>14}{'check peak MiB':>16}")
        for r in rows:
            print(f"{r[0]:<24}{r[1]:>7.1f}{r[2]:>15.2f}{r[3]:>14.0f}{r[4]:>10}{r[5]:>11}{r[6]:>11}{r[7]:>10.0f}"
                  f"{r[8]:>14.2f}{r[9]:>16.0f}")


# -- grading large submissions ----------------------------------------------------------------------

def _write_case(folder: Path, megabytes: int) -> tuple[Path, Path, Path, int]:
    """Answers, sample submission and a submission of about ``megabytes`` MB for spooky (id + 3 probabilities),
    written in chunks with pyarrow; returns the paths and the row count."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    row_bytes = 38  # "id00000001,0.123456,0.234567,0.641977\n"
    rows = megabytes * 1_000_000 // row_bytes
    paths = {name: folder / f"{name}.csv" for name in ("answers", "sample", "submission")}
    writers = {}
    rng = np.random.default_rng(0)
    chunk = 2_000_000
    try:
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            ids = pc.binary_join_element_wise(
                "id", pc.utf8_lpad(pc.cast(pa.array(np.arange(start, start + n)), pa.string()), 8, "0"), "")
            probs = rng.dirichlet([1, 1, 1], size=n).round(6)
            truth = np.eye(3, dtype=np.int8)[rng.integers(0, 3, n)]
            tables = {
                "answers": pa.table({"id": ids, "EAP": truth[:, 0], "HPL": truth[:, 1], "MWS": truth[:, 2]}),
                "sample": pa.table({"id": ids, "EAP": np.full(n, 0.4), "HPL": np.full(n, 0.3),
                                    "MWS": np.full(n, 0.3)}),
                "submission": pa.table({"id": ids, "EAP": probs[:, 0], "HPL": probs[:, 1], "MWS": probs[:, 2]}),
            }
            for name, table in tables.items():
                if name not in writers:
                    writers[name] = pacsv.CSVWriter(paths[name], table.schema,
                                                    write_options=pacsv.WriteOptions(quoting_style="none"))
                writers[name].write_table(table)
    finally:
        for writer in writers.values():
            writer.close()
    return paths["answers"], paths["sample"], paths["submission"], rows


def plain_read(path: str) -> int:
    """pyarrow's plain CSV read (the floor), as run in a bounded child."""
    import pyarrow.csv as pacsv

    return pacsv.read_csv(path).num_rows


def grading(sizes: list[int]) -> None:
    from runner.bounded import call_bounded, default_memory_limit
    from runner.grading import GradingLimits, grade_submission

    import os

    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    cap = int(total * 0.8)  # measure the real need; the default cap is printed beside it
    print(f"grading memory cap by default: {default_memory_limit() / 2**30:.1f} GiB (measured here with "
          f"{cap / 2**30:.1f} GiB); each stage in a fresh bounded child (its start-up memory included)")
    print(f"{'submission':<12}{'rows':>11}{'MiB':>8}{'read s':>8}{'read CPU':>9}{'read MiB':>9}{'grade s':>9}"
          f"{'grade CPU':>10}{'grade MiB':>10}{'grade/read':>11}  result")
    for megabytes in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            answers, sample, submission, rows = _write_case(folder, megabytes)
            size = submission.stat().st_size
            read = call_bounded(plain_read, str(submission), memory=cap, seconds=3600)
            report, cost = grade_submission(
                SPOOKY, submission, answers, sample, competition_version="1.0.0", dataset_revision="bench",
                limits=GradingLimits(max_submission_bytes=max(size + 1, 1024**3), memory=cap, seconds=3600))
            result = f"score {report['score']}" if report["valid_submission"] else (report["error"] or "")[:60]
            print(f"{str(megabytes) + ' MB':<12}{rows:>11}{size / 2**20:>8.0f}{read.wall_seconds:>8.2f}"
                  f"{read.cpu_seconds:>9.2f}{read.peak_rss / 2**20:>9.0f}{cost['wall_seconds']:>9.2f}"
                  f"{cost['cpu_seconds']:>10.2f}{cost['peak_rss'] / 2**20:>10.0f}"
                  f"{cost['wall_seconds'] / max(read.wall_seconds, 1e-9):>11.1f}  {result}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="overhead,flood,grading", help="comma list of parts to run")
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--flood-seconds", type=float, default=20.0)
    parser.add_argument("--sizes", default="10,100,1000", help="submission sizes in MB")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    if "overhead" in parts:
        overhead(args.runs, args.repeats)
        print()
    if "flood" in parts:
        flood(args.flood_seconds)
        print()
    if "grading" in parts:
        grading([int(s) for s in args.sizes.split(",")])


if __name__ == "__main__":
    main()
